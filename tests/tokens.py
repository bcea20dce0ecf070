"""Random test tokens, generated at test time so no realistic credential is committed."""

from __future__ import annotations

import secrets
import string
import zlib

from keyscan.engine.checksums import base62

ALNUM = string.ascii_letters + string.digits


def random_text(length: int, alphabet: str = ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def github_token(prefix: str = "ghp") -> str:
    """A GitHub-format token with a valid CRC32 over random characters."""
    body = random_text(30)
    return f"{prefix}_{body}{base62(zlib.crc32(body.encode()), 6)}"


def aws_key_id() -> str:
    return "AKIA" + random_text(16, string.ascii_uppercase + "234567")


def aws_secret() -> str:
    return random_text(40, ALNUM + "+/")
