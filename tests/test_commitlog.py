"""The packed commit list of a history walk gives back exactly what git printed."""

from __future__ import annotations

import pytest

from keyscan.model import Provenance
from keyscan.sources.commitlog import CommitLog


def test_commits_come_back_in_order_with_their_fields() -> None:
    log = CommitLog()
    first = log.append(b"a" * 40, b"Alice", b"alice@example.com", b"2024-01-01T00:00:00+00:00", b"first")
    second = log.append(b"0123456789" * 4, "Bjørn".encode(), b"b@example.com", b"2024-01-02T00:00:00+00:00",
                        b"bad \xff byte")
    third = log.append(b"f" * 40, b"", b"", b"", b"")
    assert (first, second, third, len(log)) == (0, 1, 2, 3)
    assert log.ids() == ["a" * 40, "0123456789" * 4, "f" * 40]
    assert log.provenance(1) == Provenance(commit="0123456789" * 4, author="Bjørn", email="b@example.com",
                                           date="2024-01-02T00:00:00+00:00", subject="bad \ufffd byte")
    assert log.provenance(0).subject == "first" and log.provenance(2) == Provenance(commit="f" * 40)
    with pytest.raises(IndexError):
        log.id(3)


def test_sha256_ids_are_kept_whole_and_widths_do_not_mix() -> None:
    log = CommitLog()
    log.append(b"ab" * 32, b"a", b"e", b"d", b"s")
    assert log.id(0) == "ab" * 32
    with pytest.raises(ValueError):
        log.append(b"ab" * 20, b"a", b"e", b"d", b"s")  # a SHA-1 id among SHA-256 ones


@pytest.mark.parametrize("sha", [b"", b"xyz", b"a" * 39, b"a" * 41, b"\xff" * 40])
def test_what_is_not_a_commit_id_is_refused(sha: bytes) -> None:
    with pytest.raises(ValueError):
        CommitLog().append(sha, b"a", b"e", b"d", b"s")


def test_a_walk_that_meets_an_unreadable_commit_id_stops_with_one_clear_error() -> None:
    from keyscan.errors import GitError
    from keyscan.sources.history import Walk, _parse_log

    good = [b"\x01" + b"a" * 40, b"Alice", b"a@example.com", b"2024-01-01T00:00:00+00:00", b"first"]
    walk = Walk()
    _parse_log(iter(good), walk)
    assert walk.commits.ids() == ["a" * 40]
    with pytest.raises(GitError, match="commit id"):
        _parse_log(iter([b"\x01not-a-commit-id", b"A", b"e", b"d", b"s"]), Walk())
