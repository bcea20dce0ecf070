"""The only place a secret is turned into text: keyed fingerprints and redaction."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keyscan.model import Finding

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


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every one of ``secrets`` it contains replaced by its redacted form."""
    for secret in sorted((s for s in secrets if s and s in text), key=len, reverse=True):
        text = text.replace(secret, redact(secret))
    return text


def scrub_metadata(findings: list[Finding]) -> list[Finding]:
    """Findings whose commit subject, author and email no longer show the secrets that commit introduced:
    a commit message that pastes the token must not print what the report redacts."""
    by_commit: dict[str, set[str]] = {}
    for finding in findings:
        if finding.commit:
            by_commit.setdefault(finding.commit, set()).add(finding.secret)
    if not by_commit:
        return findings
    out = []
    for finding in findings:
        secrets = by_commit.get(finding.commit, ())
        changes = {name: scrub(getattr(finding, name), secrets) for name in _METADATA}
        changes = {name: value for name, value in changes.items() if value != getattr(finding, name)}
        out.append(finding.replace(**changes) if changes else finding)
    return out


_METADATA = ("subject", "author", "email")
