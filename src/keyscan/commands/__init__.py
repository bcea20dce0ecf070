"""One module per sub-command; registered here in one explicit list."""

from __future__ import annotations

import click

from keyscan.commands.baseline import baseline
from keyscan.commands.history import history
from keyscan.commands.prepush import pre_push
from keyscan.commands.revoke import revoke
from keyscan.commands.rules_cmd import explain, rules
from keyscan.commands.scan import scan

COMMANDS: list[click.Command] = [scan, history, pre_push, rules, explain, baseline, revoke]
