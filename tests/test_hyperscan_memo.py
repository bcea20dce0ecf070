"""Compiled Hyperscan databases are memoised (``prefilter.compiled_database``): a start loads them
instead of compiling (~0.2 s), and a damaged or unusable memo only costs a compile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from keyscan.engine import prefilter

hyperscan = pytest.importorskip("hyperscan", reason="Hyperscan is not installed")

EXPRESSIONS = [b"ghp_", b"AKIA[A-Z2-7]{16}"]
FLAGS = [hyperscan.HS_FLAG_CASELESS, 0]
TEXT = b"x ghp_abc AKIAIOSFODNN7EXAMPLE y"


def _hits(db: Any) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    db.scan(TEXT, match_event_handler=lambda ident, start, end, flags, context: found.append((ident, end)))
    return found


@pytest.fixture
def memo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "keyscan" / "hyperscan"


class _NoCompiling:
    """Stands in for ``hyperscan.Database``: any compile fails the test."""

    def __init__(self, **_: object) -> None:
        pass

    def compile(self, **_: object) -> None:
        raise AssertionError("compiled although the memo holds this database")


def test_the_second_start_loads_what_the_first_compiled(memo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _hits(prefilter.compiled_database(EXPRESSIONS, FLAGS))
    assert expected == [(0, 6), (1, 30)]
    assert len(list(memo.iterdir())) == 1
    monkeypatch.setattr(hyperscan, "Database", _NoCompiling)
    assert _hits(prefilter.compiled_database(EXPRESSIONS, FLAGS)) == expected


def test_other_expressions_or_flags_are_another_database(memo: Path) -> None:
    prefilter.compiled_database(EXPRESSIONS, FLAGS)
    prefilter.compiled_database(EXPRESSIONS, [0, 0])
    prefilter.compiled_database(EXPRESSIONS[:1], FLAGS[:1])
    assert len(list(memo.iterdir())) == 3


def test_a_damaged_memo_is_compiled_again_and_replaced(memo: Path) -> None:
    expected = _hits(prefilter.compiled_database(EXPRESSIONS, FLAGS))
    (entry,) = memo.iterdir()
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0xFF
    entry.write_bytes(bytes(data))
    assert _hits(prefilter.compiled_database(EXPRESSIONS, FLAGS)) == expected
    assert entry.read_bytes() != bytes(data)  # replaced by a good one
    entry.write_bytes(b"short")
    assert _hits(prefilter.compiled_database(EXPRESSIONS, FLAGS)) == expected


def test_a_memo_hyperscan_refuses_is_compiled_again(memo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A memo that checks out but will not load (made on another CPU or Hyperscan version)."""
    expected = _hits(prefilter.compiled_database(EXPRESSIONS, FLAGS))

    def refuse(data: bytes, mode: int) -> None:
        raise hyperscan.error("incompatible platform")

    monkeypatch.setattr(hyperscan, "loadb", refuse)
    assert _hits(prefilter.compiled_database(EXPRESSIONS, FLAGS)) == expected


def test_an_unwritable_cache_directory_only_costs_the_compile(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert _hits(prefilter.compiled_database(EXPRESSIONS, FLAGS)) == [(0, 6), (1, 30)]


def test_memo_directories_are_private(memo: Path) -> None:
    prefilter.compiled_database(EXPRESSIONS, FLAGS)
    assert memo.stat().st_mode & 0o777 == 0o700
    assert all(entry.stat().st_mode & 0o777 == 0o600 for entry in memo.iterdir())
