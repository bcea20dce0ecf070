"""Shannon entropy and the alphabet a value is drawn from.

Thresholds differ by alphabet: a random hex string carries at most 4 bits
per character, base64 up to 6, so one threshold for all would either miss
hex secrets or flood on base64-looking words.
"""

from __future__ import annotations

import math
from collections import Counter

HEX = frozenset("0123456789abcdefABCDEF")
ALNUM = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
BASE64 = ALNUM | frozenset("+/=-_")


def shannon(value: str) -> float:
    """Bits per character of ``value`` (0.0 for the empty string)."""
    if not value:
        return 0.0
    length = len(value)
    return -sum(count / length * math.log2(count / length) for count in Counter(value).values())


def alphabet(value: str) -> str:
    """The narrowest of hex, alnum, base64 that holds ``value``; 'any' otherwise."""
    chars = set(value)
    if chars <= HEX:
        return "hex"
    if chars <= ALNUM:
        return "alnum"
    if chars <= BASE64:
        return "base64"
    return "any"


def meets_minimum(value: str, minimums: dict[str, float]) -> tuple[bool, float]:
    """Whether ``value`` reaches the threshold for its alphabet, and its entropy.

    A mapping without the value's own alphabet falls back to the next wider
    one (hex -> alnum -> base64 -> any).
    """
    score = shannon(value)
    if not minimums:
        return True, score
    kind = alphabet(value)
    order = {"hex": ("hex", "alnum", "base64", "any"), "alnum": ("alnum", "base64", "any")}
    for name in order.get(kind, (kind, "base64", "any") if kind == "base64" else ("any",)):
        if name in minimums:
            return score >= minimums[name], score
    return True, score
