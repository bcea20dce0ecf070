"""GitHub Actions workflow commands, step outputs and the job summary.

Text from the scanned repository (paths, rule names, notes) reaches the log and
the summary here, so every value is escaped the way actions/toolkit escapes it:
a file name holding a newline and ``::`` must not become a workflow command, and
a ``|`` must not break the summary table.  Secrets only ever appear redacted.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from keyscan.redact import redact

MAX_ANNOTATIONS = 50  # GitHub keeps 10 error and 10 warning annotations per step, 50 per job
SUMMARY_LIMIT = 256 * 1024  # GitHub drops a step summary over 1 MiB; stay well under it
MAX_NOTES = 20
_MARKDOWN_SPECIAL = set("\\`*_{}[]()<>#+!|~")


def escape_data(text: str) -> str:
    """A command's message: ``%``, CR and LF encoded (actions/toolkit ``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value: also ``:`` and ``,`` (actions/toolkit ``escapeProperty``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, properties: Mapping[str, object] | None = None) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in (properties or {}).items()
                     if value is not None and value != "")
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def shown_secret(finding: Mapping[str, Any]) -> str:
    """The secret as keyscan reported it if redacted, else redacted here (``--show-secrets`` in args)."""
    secret = str(finding.get("secret", ""))
    return secret if finding.get("redacted") is True else redact(secret)


def describe(finding: Mapping[str, Any]) -> str:
    """One finding in a sentence or three, without the secret."""
    text = (f"{finding.get('rule_name') or finding.get('rule_id')} found: {shown_secret(finding)} "
            f"(fingerprint {finding.get('fingerprint', '')}).")
    if finding.get("cell") is not None:
        text += f" In notebook cell {finding['cell']}, line {finding.get('line')}."
    commit = str(finding.get("commit") or "")
    if commit:
        removed = finding.get("status") == "removed"
        text += f" Introduced in commit {commit[:12]}" + (", removed since but still in the git history."
                                                         if removed else ".")
    text += f" Rotate the credential first (keyscan explain {finding.get('rule_id')}), then remove it."
    return text


def annotation(finding: Mapping[str, Any]) -> str:
    """``::error`` (high, critical) or ``::warning`` at the secret's place.  Columns only for a one-line
    secret (GitHub refuses them across lines); ``endColumn`` is the secret's last column, inclusive, as
    the toolkit's ``endColumn`` defaults to ``startColumn`` for one character."""
    level = "error" if finding.get("severity") in ("high", "critical") else "warning"
    properties: dict[str, object] = {"file": finding.get("path", "")}
    line, end_line = _int(finding.get("line")), _int(finding.get("end_line"))
    if finding.get("cell") is None and line > 0:
        end_line = max(line, end_line)
        properties.update(line=line, endLine=end_line)
        column, end_column = _int(finding.get("column")), _int(finding.get("end_column"))
        if end_line == line and column > 0:
            properties.update(col=column, endColumn=max(column, end_column - 1))
    properties["title"] = f"keyscan: {finding.get('rule_id')}"
    return command(level, describe(finding), properties)


def annotations(findings: list[Mapping[str, Any]]) -> list[str]:
    lines = [annotation(f) for f in findings[:MAX_ANNOTATIONS]]
    if len(findings) > MAX_ANNOTATIONS:
        lines.append(command("warning", f"keyscan: {len(findings) - MAX_ANNOTATIONS} more finding(s) are not "
                                        "annotated; see the job summary and the SARIF report"))
    return lines


def set_outputs(path: str, values: Mapping[str, str]) -> None:
    """Append ``name=value`` lines to ``$GITHUB_OUTPUT`` (a multi-line value uses a random delimiter)."""
    with open(path, "a", encoding="utf-8") as handle:
        for name, value in values.items():
            if "\n" in value or "\r" in value:
                delimiter = f"ghadelimiter_{uuid.uuid4()}"
                handle.write(f"{name}<<{delimiter}{os.linesep}{value}{os.linesep}{delimiter}{os.linesep}")
            else:
                handle.write(f"{name}={value}{os.linesep}")


def md(text: object) -> str:
    """Plain text for a Markdown table cell: punctuation backslash-escaped, ``&`` as an entity,
    one line."""
    flat = " ".join(str(text).split())
    return "".join("&amp;" if c == "&" else "\\" + c if c in _MARKDOWN_SPECIAL else c for c in flat)


def code(text: object) -> str:
    """A Markdown code span for a table cell (``|`` still escaped, as GFM tables require); plain escaped
    text when the value holds a backtick."""
    flat = " ".join(str(text).split())
    if not flat or "`" in flat:
        return md(flat)
    return "`" + flat.replace("|", "\\|") + "`"


def summary_markdown(report: Mapping[str, Any], scanned: str, notes: Iterable[str],
                     limit: int = SUMMARY_LIMIT) -> str:
    """The job summary: what was scanned, a table of findings (capped to ``limit`` bytes), suppressions
    and notes."""
    findings: list[Mapping[str, Any]] = list(report.get("findings", []))
    summary: Mapping[str, Any] = report.get("summary", {})
    count = len(findings)
    title = f"{count} leaked secret(s) found" if count else "no leaked secrets found"
    head = [f"### keyscan: {title}",
            "",
            f"Scanned {code(scanned)}: {_int(summary.get('commits_scanned'))} commit(s), "
            f"{_int(summary.get('blobs_scanned'))} blob(s).", ""]
    tail: list[str] = []
    suppressed = summary.get("suppressed") or {}
    if suppressed:
        counts = ", ".join(f"{_int(n)} by {md(k)}" for k, n in sorted(suppressed.items()))
        tail += [f"Suppressed: {counts}", ""]
    all_notes = [*notes, *summary.get("notes", []), *summary.get("warnings", [])]
    if all_notes:
        tail += [f"- {md(note)}" for note in all_notes[:MAX_NOTES]]
        if len(all_notes) > MAX_NOTES:
            tail.append(f"- ... and {len(all_notes) - MAX_NOTES} more note(s) in the log")
        tail.append("")
    if summary.get("complete") is False:
        tail += ["**The scan is incomplete** (see the log): no clean result is claimed.", ""]
    if count:
        tail += ["A real leak: rotate the credential first, then remove it from the code and the history. "
                 "A false positive: add its fingerprint to `.keyscanignore` (in the base branch, for a pull "
                 "request).", ""]
    rows = ["| Severity | Rule | Where | Commit | Secret (redacted) | Fingerprint |",
            "| --- | --- | --- | --- | --- | --- |"]
    budget = limit - len("\n".join(head + tail).encode()) - 512
    used = sum(len(r.encode()) + 1 for r in rows)
    listed = 0
    for finding in findings:
        row = _row(finding)
        if used + len(row.encode()) + 1 > budget:
            break
        rows.append(row)
        used += len(row.encode()) + 1
        listed += 1
    table = rows if findings else []
    if listed < count:
        table += ["", f"... and {count - listed} more finding(s) not listed (the summary is capped); "
                      "see the SARIF report or the log."]
    return "\n".join(head + table + ([""] if table else []) + tail) + "\n"


def _row(finding: Mapping[str, Any]) -> str:
    where = f"{finding.get('path', '')}:{finding.get('line', '')}"
    if finding.get("cell") is not None:
        where = f"{finding.get('path', '')} (cell {finding['cell']}, line {finding.get('line', '')})"
    commit = str(finding.get("commit") or "")
    if commit:
        commit = commit[:12] + (" (removed)" if finding.get("status") == "removed" else "")
    cells = [md(finding.get("severity", "")), md(finding.get("rule_id", "")), code(where),
             code(commit) if commit else "-", code(shown_secret(finding)),
             code(finding.get("fingerprint", ""))]
    return "| " + " | ".join(cells) + " |"


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
