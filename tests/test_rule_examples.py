"""Every example of every built-in rule, each as its own test, through a single-rule detector."""

from __future__ import annotations

import pytest

from keyscan.engine.detector import Detector
from keyscan.model import Chunk
from keyscan.rules import load_builtin_rules
from keyscan.settings import Settings

RULES = list(load_builtin_rules())
POSITIVE = [(rule, ex) for rule in RULES for ex in rule.positives]
NEGATIVE = [(rule, ex) for rule in RULES for ex in rule.negatives]


def _ids(pairs):  # type: ignore[no-untyped-def]
    counter: dict[str, int] = {}
    ids = []
    for rule, _ in pairs:
        counter[rule.id] = counter.get(rule.id, 0) + 1
        ids.append(f"{rule.id}-{counter[rule.id]}")
    return ids


@pytest.mark.parametrize(("rule", "example"), POSITIVE, ids=_ids(POSITIVE))
def test_positive_example_is_found(rule, example) -> None:  # type: ignore[no-untyped-def]
    detector = Detector([rule], Settings(decode_base64=False))
    findings = detector.scan(Chunk(text=example.text, path=example.path)).findings
    assert [f.rule_id for f in findings] == [rule.id]
    if example.secret is not None:
        assert findings[0].secret == example.secret
    if example.line is not None:
        assert findings[0].line == example.line


@pytest.mark.parametrize(("rule", "example"), NEGATIVE, ids=_ids(NEGATIVE))
def test_negative_example_is_not_found(rule, example) -> None:  # type: ignore[no-untyped-def]
    detector = Detector([rule], Settings(decode_base64=False))
    assert detector.scan(Chunk(text=example.text, path=example.path)).findings == []


def test_catalog_ids_are_unique_and_documented() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert rule.help and rule.references
        assert len(rule.positives) >= 2 and len(rule.negatives) >= 2


FULL = Detector(RULES, Settings(decode_base64=False))


@pytest.mark.parametrize(("rule", "example"), POSITIVE, ids=_ids(POSITIVE))
def test_full_catalog_reports_the_owning_rule(rule, example) -> None:  # type: ignore[no-untyped-def]
    """With every rule loaded, a positive example is still reported by its own rule
    (another rule may win only if the owner declares it in ``overlaps``)."""
    findings = FULL.scan(Chunk(text=example.text, path=example.path)).findings
    reported = {f.rule_id for f in findings}
    assert rule.id in reported or reported & set(rule.overlaps), (rule.id, sorted(reported))


def test_builtin_rule_files_validate_eagerly() -> None:
    """Built-in rules load lazily at run time, so compile and check every one here."""
    from keyscan.rules.loader import builtin_rules_dir, load_rule_file

    for path in sorted(builtin_rules_dir().glob("*.yaml")):
        for rule in load_rule_file(path, eager=True):
            assert rule.pattern is not None or rule.path_pattern is not None


def test_builtin_allowlists_and_requirements_compile_on_first_use() -> None:
    """Start-up time: the built-in catalog's extra patterns are compiled at their first search only."""
    from keyscan.rules.model import LazyPattern

    by_id = {rule.id: rule for rule in RULES}
    allow = by_id["sql-user-password"].allow_values[0]
    assert isinstance(allow, LazyPattern)
    assert allow.search("md5" + "0123456789abcdef" * 2) and not allow.search("md5-not-a-hash")
    requirement = by_id["aws-secret-access-key"].requires
    assert requirement is not None and isinstance(requirement.pattern, LazyPattern)
    assert requirement.pattern.search("key id AKIAIOSFODNN7EXAMPLE here", 7, 30)
