"""Run a rule's own examples through a detector that holds only that rule."""

from __future__ import annotations

from keyscan.engine.detector import Detector
from keyscan.model import Chunk
from keyscan.rules.model import Example, Rule
from keyscan.settings import Settings


def check_rule_examples(rule: Rule) -> list[str]:
    """Problems with the rule's examples; empty when every example behaves."""
    detector = Detector([rule], Settings(decode_base64=False))
    problems = []
    for number, example in enumerate(rule.positives, start=1):
        problems += _check_positive(detector, rule, number, example)
    for number, example in enumerate(rule.negatives, start=1):
        findings = detector.scan(Chunk(text=example.text, path=example.path)).findings
        if findings:
            problems.append(f"negative example {number} was reported: {example.text[:60]!r}")
    return problems


def _check_positive(detector: Detector, rule: Rule, number: int, example: Example) -> list[str]:
    findings = detector.scan(Chunk(text=example.text, path=example.path)).findings
    if len(findings) != 1:
        return [f"positive example {number} gave {len(findings)} findings, expected 1: {example.text[:60]!r}"]
    finding = findings[0]
    problems = []
    if example.secret is not None and finding.secret != example.secret:
        problems.append(f"positive example {number} matched {finding.secret[:40]!r}, expected "
                        f"{example.secret[:40]!r}")
    if example.line is not None and finding.line != example.line:
        problems.append(f"positive example {number} at line {finding.line}, expected {example.line}")
    return problems
