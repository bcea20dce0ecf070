"""Random test tokens in each issuer's format; checksummed formats get a valid checksum over random characters."""

from __future__ import annotations

import secrets
import string
import zlib

ALNUM = string.ascii_letters + string.digits
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _crc32_base62(text: str) -> str:
    number, digits = zlib.crc32(text.encode()), []
    while number:
        number, rest = divmod(number, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits)).rjust(6, "0")


def github(prefix: str = "ghp_") -> str:
    body = _random(ALNUM, 30)
    return prefix + body + _crc32_base62(body)


def npm() -> str:
    body = _random(ALNUM, 30)
    return "npm_" + body + _crc32_base62(body)


def gitlab() -> str:
    return "glpat-" + _random(ALNUM + "_-", 20)


def slack_bot() -> str:
    return f"xoxb-{_random(string.digits, 12)}-{_random(string.digits, 13)}-{_random(ALNUM, 24)}"


def buildkite() -> str:
    return "bkua_" + _random(string.ascii_lowercase + string.digits, 40)


def digitalocean() -> str:
    return "dop_v1_" + _random("0123456789abcdef", 64)


def vault() -> str:
    return "hvs." + _random(ALNUM + "_-", 90)


def aws_key_id() -> str:
    return "AKIA" + _random(string.ascii_uppercase + "234567", 16)


def aws_secret() -> str:
    return _random(ALNUM + "/+", 40)
