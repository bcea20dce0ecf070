"""The compiled change finder (src/keyscan/_fastdelta.c) gives the Python reference's answers.

``keyscan.sources.delta`` uses the compiled functions when they were built and the Python ones
otherwise; a history scan's findings must not depend on which.  Texts are made of few distinct lines
so that repeats, anchors, moves and near-misses happen often; small refinement thresholds make the
anchor splitting and the line-set fallback run on small inputs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyscan.sources import delta

fast = pytest.importorskip("keyscan._fastdelta", reason="the C speed-up was not built (no C compiler)")

LINES = [b"", b"  ", b"x", b"import os", b"    return value", b"token = 'abcdefghijkl'",
         b"def handler(event, context):", b"\tindented with a tab", b"same line", b"same line ",
         b"a much longer line that is certainly longer than twelve bytes", b"\xff\xfe bytes", b"\r"]

texts = st.lists(st.sampled_from(LINES), max_size=60).map(b"\n".join)


@st.composite
def versions(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """An old text and a new one made from it by a few line edits (or an unrelated new text)."""
    old_lines = draw(st.lists(st.sampled_from(LINES), max_size=60))
    if draw(st.booleans()):
        return b"\n".join(old_lines), draw(texts)
    new_lines = list(old_lines)
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(new_lines)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "move"]))
        if kind == "insert" or not new_lines:
            new_lines.insert(at, draw(st.sampled_from(LINES)))
        elif kind == "delete":
            del new_lines[min(at, len(new_lines) - 1)]
        elif kind == "replace":
            new_lines[min(at, len(new_lines) - 1)] = draw(st.sampled_from(LINES))
        else:
            new_lines.insert(at, new_lines.pop(draw(st.integers(0, len(new_lines) - 1))))
    trailing = draw(st.sampled_from([b"", b"\n"]))
    return b"\n".join(old_lines) + trailing, b"\n".join(new_lines) + trailing


@contextlib.contextmanager
def constants(**values: int) -> Iterator[None]:
    saved = {name: getattr(delta, name) for name in values}
    try:
        for name, value in values.items():
            setattr(delta, name, value)
        yield
    finally:
        for name, value in saved.items():
            setattr(delta, name, value)


@settings(max_examples=600, deadline=None)
@given(versions(), st.integers(0, 64), st.integers(0, 24), st.integers(1, 8), st.integers(1, 14),
       st.integers(0, 8))
def test_changed_spans_match_python(pair: tuple[bytes, bytes], refine_above: int, max_depth: int,
                                    anchor_tries: int, anchor_length: int, shortest_line: int) -> None:
    old, new = pair
    with constants(REFINE_ABOVE=refine_above, MAX_DEPTH=max_depth, ANCHOR_TRIES=anchor_tries,
                   ANCHOR_LENGTH=anchor_length, SHORTEST_LINE=shortest_line):
        expected = delta.changed_spans_python(old, new)
        assert fast.changed_spans(old, new, refine_above, max_depth, anchor_tries, anchor_length,
                                  shortest_line) == expected
        assert delta.changed_spans(old, new) == expected  # the dispatcher passes the constants on
        short: list[tuple[int, int]] = []
        assert delta.changed_spans_python(old, new, short) == expected
        assert fast.changed_spans(old, new, refine_above, max_depth, anchor_tries, anchor_length,
                                  shortest_line, True) == (expected, short)
        assert delta.changed_and_short(old, new) == (expected, short)


@st.composite
def versions_with_new_lines(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """As ``versions``, plus lines found nowhere in the old text, short and long (the ones that count)."""
    old, new = draw(versions())
    lines = new.split(b"\n")
    for number in range(draw(st.integers(1, 8))):
        fresh = b"k%d" % number if draw(st.booleans()) else b"fresh line number %d here" % number
        lines.insert(draw(st.integers(0, len(lines))), fresh)
    return old, b"\n".join(lines)


@settings(max_examples=600, deadline=None)
@given(versions_with_new_lines(), st.integers(0, 64), st.integers(0, 24), st.integers(1, 8), st.integers(1, 14),
       st.integers(0, 8))
def test_changed_and_short_lines_cover_every_line_old_lacks(pair: tuple[bytes, bytes], refine_above: int,
                                                            max_depth: int, anchor_tries: int, anchor_length: int,
                                                            shortest_line: int) -> None:
    """What ``focus_carrying`` relies on: a line of new outside both lists is a line old has."""
    old, new = pair
    with constants(REFINE_ABOVE=refine_above, MAX_DEPTH=max_depth, ANCHOR_TRIES=anchor_tries,
                   ANCHOR_LENGTH=anchor_length, SHORTEST_LINE=shortest_line):
        changed, short = delta.changed_and_short(old, new)
    covered = [(start, end) for start, end in (*changed, *short)]
    old_lines = set(old.split(b"\n"))
    position = 0
    for line in new.split(b"\n"):
        end = position + len(line)
        inside = any(start <= position and end <= stop for start, stop in covered)
        assert inside or line in old_lines, (line, position)
        position = end + 1


def test_changed_spans_with_the_real_constants() -> None:
    old = b"".join(b"line %d of a long enough file\n" % i for i in range(400))
    new = old.replace(b"line 123 of", b"line 123 changed, of").replace(b"line 300 of a long enough file\n", b"")
    assert delta.changed_spans(old, new) == delta.changed_spans_python(old, new)
    assert len(delta.changed_spans(old, new)) == 2  # one changed line, one deletion, found apart


@settings(max_examples=300, deadline=None)
@given(texts, st.data(), st.integers(0, 14))
def test_grow_matches_python(data: bytes, draw: st.DataObject, lines: int) -> None:
    start = draw.draw(st.integers(0, len(data)))
    end = draw.draw(st.integers(start, len(data)))
    assert delta.grow(data, (start, end), lines) == delta.grow_python(data, (start, end), lines)


spans = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 40)).map(lambda p: (p[0], p[0] + p[1])),
                 max_size=12)


@settings(max_examples=300, deadline=None)
@given(spans)
def test_merge_matches_python(pieces: list[tuple[int, int]]) -> None:
    assert fast.merge(pieces) == delta.merge_python(pieces)


@settings(max_examples=300, deadline=None)
@given(texts, spans)
def test_blank_outside_matches_python(data: bytes, pieces: list[tuple[int, int]]) -> None:
    merged = delta.merge_python([(min(s, len(data)), min(e, len(data))) for s, e in pieces])
    assert fast.blank_outside(data, merged) == delta.blank_outside_python(data, merged)


def test_bad_arguments_raise_python_errors() -> None:
    with pytest.raises(ValueError):
        fast.changed_spans(b"a", b"b", 0, 1, 1, 0, 0)
    with pytest.raises(TypeError):
        fast.merge([(1,)])
    with pytest.raises(TypeError):
        fast.blank_outside("text", [])


def test_focus_without_the_compiled_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """An install without a C compiler runs the Python steps: the same focus."""
    old = b"".join(b"setting_%d = 'value number %d'\n" % (i, i) for i in range(300))
    new = old.replace(b"setting_150 = 'value number 150'", b"api_token = 'ghp_changed_line_here'")
    policy = delta.DeltaPolicy(delta.CONTEXT_LINES, {})
    compiled = delta.focus(policy, old, new, "settings.py")
    monkeypatch.setattr(delta, "_fastdelta", None)
    assert delta.focus(policy, old, new, "settings.py") == compiled
    assert compiled is not None and b"api_token" in compiled and b"setting_140 " not in compiled
