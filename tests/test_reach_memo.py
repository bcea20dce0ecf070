"""Rules' reach and line span come from a memo after the first load (``keyscan.rules.reach_memo``):
the memo must give what working them out gives, and a bad memo must cost only the work."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from keyscan.rules import load_builtin_rules, reach_memo


@pytest.fixture
def memo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "keyscan" / "reach"


def _worked_out(rules: list) -> list:  # type: ignore[type-arg]
    fresh = [dataclasses.replace(rule) for rule in rules]  # a copy has no cached values
    return [(rule.reach, rule.line_span) for rule in fresh]


def test_the_memo_gives_what_working_it_out_gives(memo: Path) -> None:
    first = list(load_builtin_rules())
    assert len(list(memo.iterdir())) == 1
    second = list(load_builtin_rules())
    assert all("reach" in rule.__dict__ and "line_span" in rule.__dict__ for rule in second)  # primed
    assert [(rule.reach, rule.line_span) for rule in second] == _worked_out(first)
    assert any(rule.reach is None for rule in second) and any(rule.line_span is None for rule in second)


def test_a_changed_rule_is_another_memo(memo: Path) -> None:
    rules = list(load_builtin_rules())
    changed = [dataclasses.replace(rules[0], regex_source="(x_[a-z]{10})"), *rules[1:]]
    reach_memo.prime(changed)
    assert len(list(memo.iterdir())) == 2
    assert [(rule.reach, rule.line_span) for rule in changed] == _worked_out(changed)


@pytest.mark.parametrize("damage", [b"", b"not json", b"[[1, 2]]", b'[["a", 1]]'])
def test_a_bad_memo_is_worked_out_again(memo: Path, damage: bytes) -> None:
    expected = _worked_out(list(load_builtin_rules()))
    (entry,) = memo.iterdir()
    entry.write_bytes(damage)
    assert [(rule.reach, rule.line_span) for rule in load_builtin_rules()] == expected
