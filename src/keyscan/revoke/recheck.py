"""Re-check a secret against its rule before anything is sent.

A report is a file anyone could edit; a token only goes to an issuer when it
still matches the rule's regex on its own and passes the rule's checksum, so a
hand-edited or corrupted report cannot make keyscan send arbitrary text.
"""

from __future__ import annotations

from keyscan.engine.checksums import CHECKSUMS
from keyscan.engine.entropy import meets_minimum
from keyscan.rules.model import Rule

RECHECK_TIMEOUT = 1.0


def recheck(rule: Rule, secret: str) -> str | None:
    """Why the secret fails its rule, or None when it passes."""
    if rule.pattern is None:
        return "the rule matches file names, not a token; nothing to revoke"
    if any(ch in secret for ch in "\r\n"):
        return "the secret spans lines; refusing to send it"
    try:
        matched = any(m.group(rule.secret_group) == secret
                      for m in rule.pattern.finditer(secret, timeout=RECHECK_TIMEOUT))
    except TimeoutError:
        matched = False
    if not matched:
        return "the secret does not match its rule's pattern on its own"
    if rule.checksum is not None and not CHECKSUMS[rule.checksum](secret):
        return f"the secret fails the rule's {rule.checksum} checksum"
    if any(p.search(secret) for p in rule.allow_values):
        return "the secret is allowlisted by its rule"
    ok, _ = meets_minimum(secret, rule.min_entropy)
    if not ok:
        return "the secret is below the rule's entropy minimum"
    return None
