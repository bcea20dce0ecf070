"""Offline structure and checksum validators, named so rules can refer to them.

Each takes the matched secret and returns True when its embedded checksum or
structure is valid.  A rule with a checksum drops matches that fail it, and
marks those that pass as checksum-verified.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Callable

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62(number: int, width: int) -> str:
    """``number`` in base 62 (digits, upper, lower), left-padded with '0' to ``width``."""
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits)).rjust(width, "0")


def crc32_base62_suffix(secret: str) -> bool:
    """GitHub-style tokens (``ghp_``, ``gho_``, ``npm_`` ...): prefix_, 30 random chars, then
    the CRC32 of those 30 chars as 6 base62 digits."""
    _, _, body = secret.partition("_")
    if len(body) != 36:
        return False
    random_part, check = body[:30], body[30:]
    return base62(zlib.crc32(random_part.encode()), 6) == check


def _b64decode(text: str) -> bytes | None:
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        return None


def jwt_structure(secret: str) -> bool:
    """A JWT whose header is base64url JSON with an ``alg`` and whose payload is JSON.  An
    unsecured token (``alg: none``, RFC 7519 section 6) has an empty signature; any other has one
    of at least 16 characters (HS256 gives 43), so a token cut short in its signature fails."""
    parts = secret.split(".")
    if len(parts) != 3:
        return False
    decoded = [_b64decode(part) for part in parts[:2]]
    try:
        header, payload = (json.loads(d) if d is not None else None for d in decoded)
    except (ValueError, UnicodeDecodeError):
        return False
    if not (isinstance(header, dict) and "alg" in header and isinstance(payload, dict)):
        return False
    unsecured = str(header["alg"]).lower() == "none"
    signature = parts[2]
    return signature == "" if unsecured else len(signature) >= 16 and len(signature) % 4 != 1


def pypi_macaroon(secret: str) -> bool:
    """A PyPI API token: ``pypi-`` + base64url of a macaroon whose location is pypi.org
    (or test.pypi.org)."""
    if not secret.startswith("pypi-"):
        return False
    raw = _b64decode(secret[len("pypi-") :])
    # A v2 binary macaroon ends with the end of its caveat section, then the signature
    # field: type 6, length 32, 32 bytes (libmacaroons doc/format.txt).
    return raw is not None and (b"pypi.org" in raw[:64]) and raw[-35:-32] == b"\x00\x06\x20"


_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(number: int, width: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, 36)
        digits.append(_BASE36[rest])
    return "".join(reversed(digits)).rjust(width, "0")


def gitlab_routable(secret: str) -> bool:
    """A GitLab routable token: prefix + base64url payload + ``.`` [+ 2-char version + ``.``]
    + payload length (2 base36 digits) + CRC32 of everything before it (7 base36 digits)."""
    head, check = secret[:-7], secret[-7:]
    if len(secret) < 40 or _base36(zlib.crc32(head.encode()), 7) != check:
        return False
    parts = head.split(".")
    if len(parts) not in (2, 3) or len(parts[-1]) != 2 or any(c not in _BASE36 for c in parts[-1]):
        return False
    return 20 <= int(parts[-1], 36) < len(parts[0])


def crc32_hex_suffix(secret: str) -> bool:
    """Private Packagist tokens: prefix + random part, then the CRC32 of prefix and random part
    as 8 lower-case hex digits."""
    head, check = secret[:-8], secret[-8:]
    return len(head) > 8 and format(zlib.crc32(head.encode()), "08x") == check


def grafana_service_account(secret: str) -> bool:
    """Grafana service account tokens ``glsa_<32 random>_<8 hex>``: the suffix is the CRC32 (IEEE)
    of ``glsa_<random>``, its four bytes written little-endian as hex (Grafana's satokengen)."""
    head, _, check = secret.rpartition("_")
    if not head.startswith("glsa_") or len(check) != 8:
        return False
    return zlib.crc32(head.encode()).to_bytes(4, "little").hex() == check


def sentry_org_token(secret: str) -> bool:
    """Sentry organization auth tokens ``sntrys_<base64 JSON>_<secret>``: the payload decodes to a
    JSON object with an ``iat`` issue time (plus the org slug and URLs)."""
    if not secret.startswith("sntrys_") or secret.count("_") != 2:
        return False
    raw = _b64decode(secret[len("sntrys_") : secret.rindex("_")])
    try:
        payload = json.loads(raw) if raw is not None else None
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(payload, dict) and bool(payload.get("iat"))


_DISCORD_EPOCH_MS = 1_420_070_400_000  # 2015-01-01, the epoch of Discord snowflake ids
_DISCORD_LAST_MS = 2_208_988_800_000  # 2040-01-01: later timestamps are not plausible yet


def discord_bot_token(secret: str) -> bool:
    """A Discord bot token: base64(bot user id) . timestamp . HMAC.  The first part must decode
    to the decimal snowflake id of a user, whose embedded creation time lies after Discord's epoch."""
    parts = secret.split(".")
    if len(parts) != 3 or len(parts[1]) < 6 or len(parts[2]) < 25:
        return False
    raw = _b64decode(parts[0])
    if raw is None or not raw.isdigit() or not 17 <= len(raw) <= 20 or raw.startswith(b"0"):
        return False
    created_ms = (int(raw) >> 22) + _DISCORD_EPOCH_MS
    return _DISCORD_EPOCH_MS < created_ms < _DISCORD_LAST_MS


def basic_auth_pair(secret: str) -> bool:
    """An HTTP Basic credential (RFC 7617): base64 of ``user-id ":" password``, both non-empty,
    printable and without spaces around the colon."""
    if len(secret) % 4:
        return False
    try:
        text = base64.b64decode(secret, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    user, sep, password = text.partition(":")
    return bool(sep and user and password and text.isprintable()
                and user.strip() == user and password.strip() == password)


CHECKSUMS: dict[str, Callable[[str], bool]] = {
    "basic-auth": basic_auth_pair,
    "crc32-base62": crc32_base62_suffix,
    "discord-bot-token": discord_bot_token,
    "jwt": jwt_structure,
    "pypi-macaroon": pypi_macaroon,
    "gitlab-routable": gitlab_routable,
    "crc32-hex8": crc32_hex_suffix,
    "grafana-sa-crc32": grafana_service_account,
    "sentry-org-token": sentry_org_token,
}
