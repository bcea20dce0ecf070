"""The exceptions a user can see, each mapped to one exit code."""

from __future__ import annotations

import click

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class KeyscanError(click.ClickException):
    """A problem the user can fix (bad option, config or rule): one line, exit 2."""

    exit_code = EXIT_USAGE

    def show(self, file=None) -> None:  # type: ignore[no-untyped-def]
        click.echo(f"keyscan: error: {self.format_message()}", err=True)


class RuleError(KeyscanError):
    """A rule file that cannot be loaded; the message names file, rule id and field."""

    def __init__(self, path: str, rule_id: str | None, field: str, problem: str) -> None:
        where = f"{path}: rule {rule_id!s}" if rule_id else path
        super().__init__(f"{where}: field '{field}': {problem}")
        self.path = path
        self.rule_id = rule_id
        self.field = field


class ConfigError(KeyscanError):
    """An invalid configuration file or value."""


class GitError(KeyscanError):
    """git is missing, the repository is unusable, or an object cannot be read."""


class IncompleteScanError(click.ClickException):
    """Part of the scan could not be done; a clean result must not be claimed (exit 3)."""

    exit_code = EXIT_INTERNAL

    def show(self, file=None) -> None:  # type: ignore[no-untyped-def]
        click.echo(f"keyscan: error: {self.format_message()}", err=True)
