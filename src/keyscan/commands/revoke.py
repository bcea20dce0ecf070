"""``keyscan revoke``: plan, and on request carry out, the revocation of leaked credentials."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from keyscan.errors import KeyscanError
from keyscan.revoke.flow import FlowOptions, run_flow
from keyscan.revoke.report_input import read_credentials
from keyscan.rules.loader import builtin_rules_dir, load_rules


@click.command()
@click.option("--from", "source", required=True, metavar="FILE",
              help="JSON or JSON Lines report made with --show-secrets ('-' reads stdin).")
@click.option("--execute", is_flag=True, help="Act on the plan (default: only print it; nothing is sent).")
@click.option("-y", "--yes", "assume_yes", is_flag=True,
              help="Do not ask per credential (required when not on a terminal).")
@click.option("--max", "max_revocations", type=click.IntRange(min=0), default=None, metavar="N",
              help="Revoke at most N credentials in this run.")
@click.option("--validate", is_flag=True,
              help="Check each key with the issuer's read-only endpoint first (skip dead ones) and again after.")
@click.option("--audit-log", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Append-only JSON Lines audit log (default: ~/.local/state/keyscan/revoke-audit.jsonl).")
@click.option("--revoke-config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Operator config: GitLab/Vault addresses, AWS profile, command hooks "
                   "(default: $KEYSCAN_REVOKE_CONFIG or ~/.config/keyscan/revoke.yaml).")
@click.option("--rules", "rule_files", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Extra rule file or directory the report's rules come from (repeatable).")
@click.option("--rule", "only_rules", multiple=True, metavar="ID", help="Only credentials found by this rule.")
@click.option("--fingerprint", "only_fingerprints", multiple=True, metavar="FP",
              help="Only the credential with this fingerprint (repeatable).")
@click.option("--aws-delete", is_flag=True,
              help="Delete AWS access keys instead of deactivating them (irreversible).")
@click.option("--timeout", type=click.FloatRange(0.1, 120), default=10.0, show_default=True,
              help="Seconds to wait for each request.")
@click.option("--allow-test-endpoints", is_flag=True,
              help="Testing only: honour KEYSCAN_ENDPOINT_<NAME> overrides to a loopback address (allows HTTP).")
def revoke(source: str, execute: bool, assume_yes: bool, max_revocations: int | None, validate: bool,
           audit_log: Path | None, revoke_config: Path | None, rule_files: tuple[Path, ...],
           only_rules: tuple[str, ...], only_fingerprints: tuple[str, ...], aws_delete: bool, timeout: float,
           allow_test_endpoints: bool) -> int:
    """Revoke leaked credentials at their issuers: prints the plan; acts only with --execute.

    \b
    Examples:
      keyscan scan -f json --show-secrets -o leak.json
      keyscan revoke --from leak.json                      # review the plan
      keyscan revoke --from leak.json --execute --validate # asks per credential
      keyscan revoke --from leak.json --execute --yes --max 5 --audit-log audit.jsonl
    """
    text = _read(source)
    credentials = read_credentials(text, "<stdin>" if source == "-" else source)
    rules = load_rules([builtin_rules_dir(), *rule_files])
    options = FlowOptions(
        execute=execute, assume_yes=assume_yes, max_revocations=max_revocations, validate=validate,
        audit_log=audit_log, revoke_config=revoke_config, allow_test_endpoints=allow_test_endpoints,
        aws_delete=aws_delete, only_rules=only_rules, only_fingerprints=only_fingerprints,
        interactive=source != "-" and sys.stdin.isatty(), timeout=timeout,
    )
    return run_flow(credentials, rules, options, click.echo)


def _read(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyscanError(f"cannot read {source}: {exc.__class__.__name__}") from None
