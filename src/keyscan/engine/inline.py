"""Inline allow comments: ``keyscan:allow [RULE_ID ...]`` and the peers' markers.

Any comment syntax works because the marker is looked for in the line
text itself.  A marker covers only its own line.
"""

from __future__ import annotations

import re

_KEYSCAN = re.compile(r"keyscan:allow\b((?:[ \t]*,?[ \t]*[a-z0-9]+(?:-[a-z0-9]+)+)*)")
_PEERS = ("gitleaks:allow", "betterleaks:allow", "pragma: allowlist secret")


def allowed_inline(line: str, rule_id: str) -> bool:
    """True when the line carries a marker that covers ``rule_id``."""
    if "allow" not in line:
        return False
    if any(marker in line for marker in _PEERS):
        return True
    for match in _KEYSCAN.finditer(line):
        named = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", match.group(1))
        if not named or rule_id in named:
            return True
    return False
