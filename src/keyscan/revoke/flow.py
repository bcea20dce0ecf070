"""The whole revocation flow, shared by ``keyscan revoke`` and ``scan/history --revoke``.

Plan first (always printed, never sends anything); with ``execute``, check
that a person confirmed (a TTY) or ``--yes`` was given, open the audit log,
then run.  Returns the exit code: 0 when nothing failed, 1 when a revocation
failed or its outcome is unknown.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from keyscan.errors import EXIT_CLEAN, EXIT_FINDINGS, KeyscanError
from keyscan.model import Finding
from keyscan.revoke.audit import AuditLog, default_audit_path
from keyscan.revoke.endpoints import Endpoints
from keyscan.revoke.execute import Confirm, Runner, RunOptions, render_results
from keyscan.revoke.hooks import Context
from keyscan.revoke.http import SafeClient
from keyscan.revoke.model import Check, Credential
from keyscan.revoke.plan import Echo, Entry, build_plan, render_entry, render_plan
from keyscan.revoke.ratelimit import RateLimiter
from keyscan.revoke.report_input import credentials_from_findings
from keyscan.revoke.settings import find_config, load_revoke_config
from keyscan.rules.model import RuleSet


@dataclass(frozen=True)
class FlowOptions:
    execute: bool = False
    assume_yes: bool = False
    max_revocations: int | None = None
    validate: bool = False
    audit_log: Path | None = None
    revoke_config: Path | None = None
    allow_test_endpoints: bool = False
    aws_delete: bool = False
    only_rules: tuple[str, ...] = ()
    only_fingerprints: tuple[str, ...] = ()
    interactive: bool = False
    timeout: float = 10.0


def make_context(options: FlowOptions, limiter: RateLimiter | None = None) -> Context:
    config = load_revoke_config(find_config(options.revoke_config))
    endpoints = Endpoints(config, options.allow_test_endpoints)
    client = SafeClient(endpoints, limiter or RateLimiter(), options.timeout)
    return Context(config=config, client=client, aws_delete=options.aws_delete, timeout=options.timeout)


def run_flow(credentials: Sequence[Credential], rules: RuleSet, options: FlowOptions, echo: Echo,
             confirm: Confirm | None = None, ctx: Context | None = None, closing: str = "") -> int:
    ctx = ctx or make_context(options)
    entries = build_plan(credentials, rules, ctx, options.only_rules, options.only_fingerprints)
    if not entries:
        echo("No findings to revoke.")
        return EXIT_CLEAN
    render_plan(entries, echo, options.execute)
    if not options.execute:
        echo("")
        echo(closing or ("Review the plan, then run again with --execute to act on it"
                         + (" (--validate takes effect with --execute)." if options.validate else ".")))
        return EXIT_CLEAN
    if not options.interactive and not options.assume_yes:
        raise KeyscanError("refusing to revoke without confirmation: not an interactive terminal; "
                           "add --yes (and --max N to cap the number of revocations)")
    audit_path = options.audit_log or default_audit_path()
    with AuditLog(audit_path, [c.secret for c in credentials]) as audit:
        run = RunOptions(options.validate, options.assume_yes, options.max_revocations, options.interactive)
        outcomes = Runner(ctx, run, audit, confirm or tty_confirm, echo).run(entries)
    render_results(outcomes, echo, str(audit_path))
    return EXIT_CLEAN if outcomes.clean else EXIT_FINDINGS


def tty_confirm(entry: Entry, check: Check | None) -> str:
    """Ask a person about one credential: yes, no, or quit (skip the rest)."""
    click.echo("", err=True)
    render_entry(0, entry, lambda line: click.echo(line, err=True))
    if check is not None:
        click.echo(f"    validate:   {check.liveness.value} ({check.detail})", err=True)
    answer = click.prompt("Revoke this credential? [yes/no/quit]", default="no", show_default=False,
                          err=True).strip().lower()
    if answer in ("y", "yes"):
        return "yes"
    return "quit" if answer in ("q", "quit") else "no"


def offer_after_scan(findings: Sequence[Finding], rules: RuleSet) -> None:
    """``scan --revoke`` / ``history --revoke``: show the plan; on a terminal, offer to carry it out.

    The plan goes to stderr (stdout carries the report).  Without a terminal
    nothing is executed: the operator is pointed at ``keyscan revoke``.
    """
    def echo(line: str) -> None:
        click.echo(line, err=True)

    credentials = credentials_from_findings(findings)
    if not credentials:
        echo("keyscan: --revoke: no findings to revoke")
        return
    interactive = sys.stdin.isatty() and sys.stderr.isatty()
    run_flow(credentials, rules, FlowOptions(), echo,
             closing="To act on it: keyscan scan -f json --show-secrets -o report.json, then "
                     "keyscan revoke --from report.json --execute")
    if not interactive:
        return
    if click.confirm("Go through these credentials one by one now?", default=False, err=True):
        run_flow(credentials, rules, FlowOptions(execute=True, interactive=True), echo)
