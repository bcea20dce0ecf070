"""Shared pieces of the corpus generator: a seeded random source, planted items and name styles.

Everything random goes through one ``Rand`` built from the seed, so a seed always gives the same
corpus byte for byte (the test checks this).
"""

from __future__ import annotations

import base64
import random
import string
import uuid as uuidlib
from dataclasses import dataclass, field

UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
DIGITS = string.digits
ALNUM = UPPER + LOWER + DIGITS
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
BASE32 = UPPER + "234567"
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class Rand(random.Random):
    """``random.Random`` plus the token alphabets the generators need."""

    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.choice(alphabet) for _ in range(n))

    def alnum(self, n: int) -> str:
        return self.s(ALNUM, n)

    def lower_alnum(self, n: int) -> str:
        return self.s(LOWER + DIGITS, n)

    def hex(self, n: int) -> str:
        return self.s(HEX, n)

    def digits(self, n: int) -> str:
        return self.choice("123456789") + self.s(DIGITS, n - 1)

    def raw(self, n: int) -> bytes:
        return bytes(self.getrandbits(8) for _ in range(n))

    def b64(self, nbytes: int) -> str:
        return base64.b64encode(self.raw(nbytes)).decode()

    def b64url(self, nbytes: int, pad: bool = False) -> str:
        text = base64.urlsafe_b64encode(self.raw(nbytes)).decode()
        return text if pad else text.rstrip("=")

    def uuid(self) -> str:
        return str(uuidlib.UUID(int=self.getrandbits(128), version=4))

    def pick(self, *options):  # type: ignore[no-untyped-def]
        return self.choice(options)

    def chance(self, p: float) -> bool:
        return self.random() < p


@dataclass
class Label:
    """One planted item: what a scanner should (positive) or should not (negative) report."""

    value: str
    fmt: str
    family: str
    kind: str = "positive"  # positive | negative
    severity: str | None = None  # "low" for test/sandbox credentials
    alt: list[str] = field(default_factory=list)  # other acceptable secrets (e.g. the decoded value)
    lines: int = 1  # number of lines the value spans (PEM blocks)
    match: str = "value"  # value | range (multi-line block) | path (a file-name rule)


@dataclass
class Item:
    """A value to place under a variable name; ``label`` None means context only (e.g. a key id)."""

    name: str  # snake_case words, restyled per language
    value: str
    label: Label | None
    raw: bool = False  # an expression (env lookup), written without quotes


@dataclass
class Bundle:
    """Items that belong together (an access key id and its secret) and are written next to each other."""

    items: list[Item]

    @property
    def labels(self) -> list[Label]:
        return [i.label for i in self.items if i.label is not None]


def pos(value: str, fmt: str, family: str, **kw) -> Label:  # type: ignore[no-untyped-def]
    return Label(value=value, fmt=fmt, family=family, kind="positive", **kw)


def neg(value: str, fmt: str, family: str, **kw) -> Label:  # type: ignore[no-untyped-def]
    return Label(value=value, fmt=fmt, family=family, kind="negative", **kw)


def one(name: str, value: str, label: Label | None) -> Bundle:
    return Bundle([Item(name, value, label)])


# --- name styles --------------------------------------------------------------------------------


def words(name: str) -> list[str]:
    return [w for w in name.replace("-", "_").replace(".", "_").split("_") if w]


def style(name: str, how: str) -> str:
    """Restyle a snake_case name: screaming, snake, camel, pascal, kebab, dotted."""
    parts = words(name)
    if how == "screaming":
        return "_".join(p.upper() for p in parts)
    if how == "camel":
        return parts[0].lower() + "".join(p.capitalize() for p in parts[1:])
    if how == "pascal":
        return "".join(p.capitalize() for p in parts)
    if how == "kebab":
        return "-".join(p.lower() for p in parts)
    if how == "dotted":
        return ".".join(p.lower() for p in parts)
    return "_".join(p.lower() for p in parts)
