"""The only place a secret is turned into text: keyed fingerprints and redaction."""

from __future__ import annotations

import hashlib
import hmac

FINGERPRINT_PREFIX = "ks1:"
# Fixed prefixes that identify a token's kind without revealing it.
_KNOWN_PREFIX_CHARS = 12


def fingerprint(secret: str, key: str) -> str:
    """HMAC-SHA256 of the secret under ``key``: stable, not reversible without the key."""
    digest = hmac.new(key.encode(), secret.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return FINGERPRINT_PREFIX + digest[:24]


def _visible_prefix(secret: str) -> int:
    """Length of a non-secret type prefix like ``ghp_``, ``xoxb-``, ``sk_live_``, ``AKIA``."""
    for separator in ("_", "-"):
        head, sep, _ = secret[:_KNOWN_PREFIX_CHARS].rpartition(separator)
        if sep and head and len(head) <= 10 and head.replace("_", "").replace("-", "").isalnum():
            return len(head) + 1
    if secret[:4].isupper() and secret[:4].isalpha() and secret[:4] in ("AKIA", "ASIA", "AIza", "ABIA"):
        return 4
    if secret.startswith("AIza"):
        return 4
    return 0


def redact(secret: str) -> str:
    """A type prefix, stars, and the last 4 characters; short values show nothing."""
    flat = secret.replace("\r", "").replace("\n", "\\n")
    if len(flat) < 12:
        return "*" * min(len(flat), 8)
    prefix = _visible_prefix(flat)
    tail = 4 if len(flat) >= 20 else 2
    if prefix + tail > len(flat) // 2:
        prefix = 0
    hidden = min(len(flat) - prefix - tail, 16)
    return flat[:prefix] + "*" * hidden + flat[-tail:]
