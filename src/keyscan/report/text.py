"""``--format text``: findings grouped by file, for people.  Secrets redacted by default."""

from __future__ import annotations

import re
from itertools import groupby
from typing import TextIO

import click

from keyscan.model import Finding, ScanSummary, Severity
from keyscan.redact import redact
from keyscan.report.context import ReportContext

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Control characters from file names and commit metadata shown as escapes: a hostile name must
    not break a finding over two lines or send the terminal escape sequences (that could erase lines)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


_SEVERITY_COLOUR = {Severity.CRITICAL: "red", Severity.HIGH: "red", Severity.MEDIUM: "yellow", Severity.LOW: "cyan"}


def write(context: ReportContext, stream: TextIO) -> None:
    def style(text: str, **kwargs: object) -> str:
        return click.style(text, **kwargs) if context.color else text  # type: ignore[arg-type]

    for path, group in groupby(context.findings, key=lambda f: f.path):
        stream.write(style(printable(path), bold=True) + "\n")
        for finding in group:
            _write_finding(context, finding, stream, style)
        stream.write("\n")
    if context.show_suppressed and context.suppressed:
        stream.write(style("Suppressed findings", bold=True) + "\n")
        for finding in context.suppressed:
            stream.write(f"  {printable(finding.path)}:{finding.line}:{finding.column}  {finding.rule_id}  "
                         f"{finding.fingerprint}  ({finding.suppressed_by})\n")
        stream.write("\n")
    stream.write(summary_lines(context.summary, len(context.findings), context.kind) + "\n")
    if context.findings:
        stream.write(
            "To accept a false positive: add '# keyscan:allow' on its line, or put its fingerprint in "
            ".keyscanignore.\nTo fix a real leak: rotate the credential first (keyscan explain RULE_ID), "
            "then remove it from the code and history.\n"
        )


def _write_finding(context: ReportContext, finding: Finding, stream: TextIO, style) -> None:  # type: ignore[no-untyped-def]
    secret = finding.secret if context.show_secrets else redact(finding.secret)
    where = f"{finding.line}:{finding.column}"
    if finding.cell is not None:
        where = f"cell {finding.cell}, {where}"
    colour = _SEVERITY_COLOUR[finding.severity]
    level = style(f"{finding.severity.label}", fg=colour)
    stream.write(f"  {where}  {style(finding.rule_id, bold=True)}  {secret}  [{level}, "
                 f"{finding.confidence.label} confidence")
    if finding.checksum == "valid":
        stream.write(", checksum verified")
    if finding.decoded_from:
        stream.write(f", decoded from {finding.decoded_from}")
    stream.write("]\n")
    if finding.commit:
        stream.write(f"      commit {finding.commit[:12]} by {printable(finding.author)} <{printable(finding.email)}> "
                     f"on {finding.date[:10]}: {printable(finding.subject[:72])}\n")
        extra = len(finding.occurrences)
        stream.write(f"      status: {finding.status}" + (f", seen in {extra} more place(s)" if extra else "") + "\n")
    rule = context.rules.get(finding.rule_id)
    hint = rule.short_help if rule is not None else ""
    stream.write(f"      fingerprint {finding.fingerprint}" + (f"  {hint}" if hint else "") + "\n")


def summary_lines(summary: ScanSummary, findings: int, kind: str = "tree") -> str:
    """The summary: what was scanned, what was skipped and why, and what was found."""
    if kind == "history":
        scanned = (f"{summary.blobs_scanned} blob(s) in {summary.commits_scanned} commit(s), "
                   f"{summary.bytes_scanned / 1e6:.1f} MB")
    else:
        scanned = f"{summary.files_scanned} file(s), {summary.bytes_scanned / 1e6:.1f} MB"
    parts = [f"keyscan: {findings} finding(s) in {scanned} ({summary.duration_seconds:.2f}s)"]
    skipped = [
        (summary.skipped_binary, "binary"),
        (summary.skipped_too_large, "over the size cap"),
        (summary.skipped_other, "unreadable or not regular"),
        (summary.skipped_cached, "already scanned (cache)"),
    ]
    skip_text = ", ".join(f"{n} {why}" for n, why in skipped if n)
    if skip_text:
        parts.append(f"  skipped: {skip_text}")
    if summary.suppressed:
        parts.append("  suppressed: " + ", ".join(f"{n} by {k}" for k, n in sorted(summary.suppressed.items())))
    for line in summary.notes + summary.warnings + summary.rule_timeouts:
        parts.append(f"  note: {printable(line)}")
    if summary.incomplete:
        parts.append("  INCOMPLETE: part of the scan failed; the result is not clean")
    return "\n".join(parts)
