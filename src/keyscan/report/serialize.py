"""Findings and summaries as plain dicts: the one JSON shape for json, jsonl and the cache."""

from __future__ import annotations

from typing import Any

from keyscan.model import Finding, ScanSummary
from keyscan.redact import redact

SCHEMA_VERSION = "1"
HISTORY_FIELDS = ("commit", "author", "email", "date", "subject", "status")


def finding_to_dict(finding: Finding, show_secrets: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "rule_id": finding.rule_id,
        "rule_name": finding.rule_name,
        "provider": finding.provider,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "end_line": finding.end_line,
        "end_column": finding.end_column,
        "secret": finding.secret if show_secrets else redact(finding.secret),
        "redacted": not show_secrets,
        "fingerprint": finding.fingerprint,
        "entropy": finding.entropy,
        "severity": finding.severity.label,
        "confidence": finding.confidence.label,
        "checksum": finding.checksum,
    }
    if finding.cell is not None:
        data["cell"] = finding.cell
    if finding.decoded_from:
        data["decoded_from"] = finding.decoded_from
    if finding.commit:
        for name in HISTORY_FIELDS:
            data[name] = getattr(finding, name)
        data["occurrences"] = finding.occurrences
    if finding.suppressed_by:
        data["suppressed_by"] = finding.suppressed_by
    return data


def summary_to_dict(summary: ScanSummary, findings: int) -> dict[str, Any]:
    return {
        "findings": findings,
        "files_scanned": summary.files_scanned,
        "blobs_scanned": summary.blobs_scanned,
        "commits_scanned": summary.commits_scanned,
        "bytes_scanned": summary.bytes_scanned,
        "skipped": {
            "binary": summary.skipped_binary,
            "too_large": summary.skipped_too_large,
            "other": summary.skipped_other,
            "cached": summary.skipped_cached,
        },
        "suppressed": dict(sorted(summary.suppressed.items())),
        "rule_timeouts": summary.rule_timeouts,
        "warnings": summary.warnings,
        "notes": summary.notes,
        "complete": not summary.incomplete,
        "duration_seconds": round(summary.duration_seconds, 3),
    }
