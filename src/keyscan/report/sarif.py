"""``--format sarif``: SARIF 2.1.0 as GitHub code scanning ingests it.

No secret ever goes into a message, snippet or property; only the redacted
form and the keyed fingerprint.  ``primaryLocationLineHash`` is left to
GitHub's uploader, which computes it from the checked-out file.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from keyscan import __version__
from keyscan.model import Confidence, Finding, Severity
from keyscan.redact import redact
from keyscan.report.context import ReportContext
from keyscan.rules.model import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SECURITY_SEVERITY = {Severity.LOW: "3.0", Severity.MEDIUM: "5.5", Severity.HIGH: "8.0", Severity.CRITICAL: "9.5"}
LEVEL = {Severity.LOW: "note", Severity.MEDIUM: "warning", Severity.HIGH: "error", Severity.CRITICAL: "error"}
PRECISION = {Confidence.LOW: "low", Confidence.MEDIUM: "medium", Confidence.HIGH: "high"}


def _descriptor(rule: Rule) -> dict[str, Any]:
    short = f"{rule.name} committed to the repository"
    full = rule.short_help or short
    markdown = rule.help + "\n\nReferences:\n" + "\n".join(f"- {r}" for r in rule.references)
    tags = ["security", "secret", "external/cwe/cwe-798", f"provider/{rule.provider}"]
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.split("-"))[:255],
        "shortDescription": {"text": short[:1024]},
        "fullDescription": {"text": full[:1024]},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "help": {"text": " ".join(rule.help.replace("**", "").split())[:8000], "markdown": markdown},
        "helpUri": rule.references[0],
        "properties": {
            "tags": tags[:20],
            "precision": PRECISION[rule.confidence],
            "security-severity": SECURITY_SEVERITY[rule.severity],
        },
    }


def _message(finding: Finding) -> str:
    text = f"{finding.rule_name} found: {redact(finding.secret)} (fingerprint {finding.fingerprint})."
    if finding.commit:
        text += f" Introduced in commit {finding.commit[:12]} ({finding.status})."
    return text


def _result(finding: Finding, index: int) -> dict[str, Any]:
    properties: dict[str, Any] = {"fingerprint": finding.fingerprint, "confidence": finding.confidence.label,
                                  "checksum": finding.checksum}
    if finding.commit:
        properties.update(commit=finding.commit, status=finding.status, date=finding.date)
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": index,
        "level": LEVEL[finding.severity],
        "message": {"text": _message(finding)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.path.lstrip("/"), "uriBaseId": "%SRCROOT%"},
                    "region": {
                        "startLine": max(1, finding.line),
                        "startColumn": max(1, finding.column),
                        "endLine": max(1, finding.end_line),
                        "endColumn": max(finding.end_column, 1),
                    },
                }
            }
        ],
        "partialFingerprints": {"keyscanSecretHash/v1": finding.fingerprint},
        "properties": properties,
    }


def build(context: ReportContext) -> dict[str, Any]:
    used = sorted({f.rule_id for f in context.findings})
    rules = [context.rules.get(rule_id) for rule_id in used]
    descriptors = [_descriptor(rule) for rule in rules if rule is not None]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results = [_result(f, index[f.rule_id]) for f in context.findings if f.rule_id in index]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "keyscan",
                        "semanticVersion": __version__,
                        "informationUri": "https://github.com/keyscan/keyscan",
                        "rules": descriptors,
                    }
                },
                "automationDetails": {"id": f"keyscan/{context.kind}/"},
                "results": results,
            }
        ],
    }


def write(context: ReportContext, stream: TextIO) -> None:
    json.dump(build(context), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
