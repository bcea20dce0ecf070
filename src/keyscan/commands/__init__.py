"""One module per sub-command; registered here in one explicit list."""

from __future__ import annotations

import click

from keyscan.commands.revoke import revoke
from keyscan.commands.rules_cmd import explain, rules
from keyscan.commands.scan import scan

COMMANDS: list[click.Command] = [scan, rules, explain, revoke]
