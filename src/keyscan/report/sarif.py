"""``--format sarif``: SARIF 2.1.0 as GitHub code scanning ingests it.

No secret ever goes into a message, snippet or property; only the redacted
form and the keyed fingerprint.  ``primaryLocationLineHash`` is left to
GitHub's uploader, which computes it from the checked-out file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from keyscan import __version__
from keyscan.model import Confidence, Finding, Severity
from keyscan.redact import redact
from keyscan.report.context import ReportContext
from keyscan.rules.model import Rule
from keyscan.suppression import repo_relative

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SECURITY_SEVERITY = {Severity.LOW: "3.0", Severity.MEDIUM: "5.5", Severity.HIGH: "8.0", Severity.CRITICAL: "9.5"}
LEVEL = {Severity.LOW: "note", Severity.MEDIUM: "warning", Severity.HIGH: "error", Severity.CRITICAL: "error"}
PRECISION = {Confidence.LOW: "low", Confidence.MEDIUM: "medium", Confidence.HIGH: "high"}


INFORMATION_URI = "https://github.com/keyscan/keyscan"
_TAGS = ("security", "secret", "external/cwe/cwe-798")


def _descriptor(rule: Rule) -> dict[str, Any]:
    short = f"{rule.name} committed to the repository"
    full = rule.short_help or short
    plain = " ".join(rule.help.replace("**", "").split()) or _DEFAULT_HELP
    # each "**Section.**" line its own paragraph: a single newline would run them together in Markdown
    sections = re.sub(r"\n+(?=\*\*)", "\n\n", rule.help.strip()) or _DEFAULT_HELP
    markdown = sections + "\n\nReferences:\n" + "\n".join(f"- {r}" for r in rule.references)
    help_uri = rule.references[0] if rule.references else INFORMATION_URI
    return _reporting_descriptor(rule.id, rule.name, rule.provider, rule.severity, rule.confidence, short,
                                 full, plain, markdown, help_uri)


def _stand_in(finding: Finding) -> dict[str, Any]:
    """A descriptor for a finding whose rule is not in the rule set (e.g. a rule file that changed since
    the scan): GitHub rejects a result without rule metadata, and dropping the result would hide a leak."""
    short = f"{finding.rule_name or finding.rule_id} committed to the repository"
    return _reporting_descriptor(finding.rule_id, finding.rule_name or finding.rule_id, finding.provider,
                                 finding.severity, finding.confidence, short, short, _DEFAULT_HELP,
                                 _DEFAULT_HELP, INFORMATION_URI)


_DEFAULT_HELP = ("Treat the credential as compromised: revoke or rotate it with its issuer first, update "
                 "what used it, then remove it from the code and from git history (see 'keyscan explain "
                 "RULE_ID').")


def _reporting_descriptor(rule_id: str, name: str, provider: str, severity: Severity, confidence: Confidence,
                          short: str, full: str, plain: str, markdown: str, help_uri: str) -> dict[str, Any]:
    tags = [*_TAGS, f"provider/{provider}"] if provider else list(_TAGS)
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-"))[:255],
        "shortDescription": {"text": short[:1024]},
        "fullDescription": {"text": full[:1024]},
        "defaultConfiguration": {"level": LEVEL[severity]},
        "help": {"text": plain[:8000], "markdown": markdown},
        "helpUri": help_uri,
        "properties": {
            "tags": tags[:20],
            "precision": PRECISION[confidence],
            "security-severity": SECURITY_SEVERITY[severity],
        },
    }


def _message(finding: Finding) -> str:
    """First sentence: what and where (GitHub shows only that when space is short); never the secret."""
    text = f"{finding.rule_name} found: {redact(finding.secret)} (fingerprint {finding.fingerprint})."
    if finding.cell is not None:
        text += f" In notebook cell {finding.cell}, line {finding.line}."
    if finding.commit:
        text += f" Introduced in commit {finding.commit[:12]}"
        text += (", removed since but still in the git history." if finding.status == "removed"
                 else f" ({finding.status or 'history'}).")
    return text


def _region(finding: Finding) -> dict[str, int]:
    """1-based lines and columns (code points); ``endColumn`` is the column after the secret's last
    character.  A notebook finding's line is inside its cell, not the file, so it anchors at line 1."""
    if finding.cell is not None:
        return {"startLine": 1}
    start_line, start_column = max(1, finding.line), max(1, finding.column)
    end_line = max(start_line, finding.end_line)
    end_column = max(1, finding.end_column)
    if end_line == start_line and end_column <= start_column:
        end_column = start_column + 1
    return {"startLine": start_line, "startColumn": start_column, "endLine": end_line,
            "endColumn": end_column}


def _uri(finding: Finding, root: Path | None) -> str:
    """Relative to the repository root, '/'-separated and percent-encoded: GitHub resolves it against
    the checkout, and the same file must get the same URI in every run."""
    # a name that is not UTF-8 keeps its own bytes, percent-encoded
    return quote(repo_relative(finding, root).lstrip("/"), safe="/", errors="surrogateescape")


def _result(finding: Finding, index: int, root: Path | None) -> dict[str, Any]:
    properties: dict[str, Any] = {"fingerprint": finding.fingerprint, "confidence": finding.confidence.label,
                                  "checksum": finding.checksum}
    if finding.cell is not None:
        properties.update(cell=finding.cell, cellLine=finding.line)
    if finding.decoded_from:
        properties["decodedFrom"] = finding.decoded_from
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
                    "artifactLocation": {"uri": _uri(finding, root), "uriBaseId": "%SRCROOT%"},
                    "region": _region(finding),
                }
            }
        ],
        "partialFingerprints": {"keyscanSecretHash/v1": finding.fingerprint},
        "properties": properties,
    }


def build(context: ReportContext) -> dict[str, Any]:
    descriptors: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for finding in sorted(context.findings, key=lambda f: f.rule_id):
        if finding.rule_id not in index:
            rule = context.rules.get(finding.rule_id)
            index[finding.rule_id] = len(descriptors)
            descriptors.append(_descriptor(rule) if rule is not None else _stand_in(finding))
    results = [_result(f, index[f.rule_id], context.root) for f in context.findings]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "keyscan",
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                "invocations": [{"executionSuccessful": not context.summary.incomplete}],
                "automationDetails": {"id": f"keyscan/{context.kind}/"},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def write(context: ReportContext, stream: TextIO) -> None:
    json.dump(build(context), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
