"""One module per sub-command, registered here in one explicit list.

Each is imported when it is used, not at start-up: ``keyscan history`` does not load the revocation
hooks or the baseline importers (start-up is most of a warm re-scan, and of a pre-commit run)."""

from __future__ import annotations

# command name -> (module, attribute), in the order ``keyscan --help`` lists them
COMMANDS: dict[str, tuple[str, str]] = {
    "scan": ("keyscan.commands.scan", "scan"),
    "history": ("keyscan.commands.history", "history"),
    "pre-push": ("keyscan.commands.prepush", "pre_push"),
    "rules": ("keyscan.commands.rules_cmd", "rules"),
    "explain": ("keyscan.commands.rules_cmd", "explain"),
    "baseline": ("keyscan.commands.baseline", "baseline"),
    "revoke": ("keyscan.commands.revoke", "revoke"),
}
