"""Everything a reporter needs, in one object, so every format sees the same data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from keyscan.model import Finding, ScanSummary
from keyscan.rules.model import RuleSet


@dataclass
class ReportContext:
    findings: list[Finding]
    summary: ScanSummary
    rules: RuleSet
    show_secrets: bool = False
    color: bool = False
    kind: str = "tree"  # tree | history | staged
    suppressed: list[Finding] = field(default_factory=list)
    show_suppressed: bool = False
    target: str = ""
    root: Path | None = None  # the repository root: tree paths are reported relative to it (SARIF)
