"""Inline allow comments: ``keyscan:allow [RULE_ID ...] [-- reason]`` and the peers' markers.

Any comment syntax works because the marker is looked for in the line text
itself.  A marker covers only its own line: an allow on one line must never
hide a secret on the next.

After ``keyscan:allow`` come zero or more rule ids (separated by spaces or
commas); the list ends at ``--`` (a free-text reason may follow) or at the
first thing that cannot be a rule id (a comment closer such as ``*/``).  With
no id the marker covers every rule; with ids it covers only those.  Every word
right after the marker counts as an id, so ``keyscan:allow because test``
covers rules named "because" and "test" only: the strict reading never hides
more than was asked, and the finding stays visible until the comment is fixed.
"""

from __future__ import annotations

import re

MARKER = "keyscan:allow"
# Markers of other scanners, honoured so teams can migrate without editing every line.
PEER_MARKERS = (
    "gitleaks:allow",
    "betterleaks:allow",
    "pragma: allowlist secret",
    "trufflehog:ignore",
    "kingfisher:ignore",
)
_MARKER = re.compile(r"keyscan:allow(?![\w:-])")
_TOKEN = re.compile(r"[ \t,]*([A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)(?![\w-])")


def allowed_inline(line: str, rule_id: str) -> bool:
    """True when the line carries a marker that covers ``rule_id``."""
    if "allow" not in line and "ignore" not in line:
        return False
    if any(marker in line for marker in PEER_MARKERS):
        return True
    for match in _MARKER.finditer(line):
        named = marker_rule_ids(line[match.end() :])
        if not named or rule_id in named:
            return True
    return False


def marker_rule_ids(rest: str) -> list[str]:
    """The rule ids that follow a ``keyscan:allow`` marker (``rest`` is the text after it)."""
    named: list[str] = []
    position = 0
    while True:
        token = _TOKEN.match(rest, position)
        if token is None:
            return named
        named.append(token.group(1).lower())
        position = token.end()
