"""How far from its keyword a rule's match can reach, so its regex can run near keyword hits only.

A rule's keywords are part of what its regex matches (``rules/README.md``), or of one of its positive
lookarounds.  If a regex cannot consume more than N characters, every match lies within N characters
of its keyword, and the regex need not run over the rest of a file.  Running a rule's regex over whole
files was most of keyscan's scan time; running it around keyword hits is not.

The ``regex`` module lets a lookbehind (and ``\\b``) see text before the ``pos`` a search starts at,
but not a lookahead past its ``endpos``: so a window reaches back by the consumed width (plus the
width of a positive lookahead, where a keyword may sit) and forward by the consumed width plus any
lookahead's width (plus a positive lookbehind's, where a keyword may sit).

The widths come from the parse tree of Python's own ``re`` parser, which reads the subset of ``regex``
syntax the rules use.  A pattern it cannot read, or one with an unbounded repeat, has no reach and
keeps running over the whole text.
"""

from __future__ import annotations

import functools
import re
import warnings
from typing import Any

with warnings.catch_warnings():  # ``sre_parse`` is the same parser before 3.11; private names after
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        from re import _constants as _c  # type: ignore[attr-defined]
        from re import _parser as _sre_parse  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_constants as _c  # type: ignore[no-redef]
        import sre_parse as _sre_parse  # type: ignore[no-redef]

LINE_CONTEXT = 1024  # characters each side of a match that filters, allow comments and requirements see
MAX_REACH = 16_384  # wider than this and windows stop paying: the rule runs over the whole text
_UNBOUNDED = MAX_REACH + 1
_NAMED_GROUP = re.compile(r"\(\?P<([A-Za-z_]\w*)>")
_ONE_CHARACTER = {_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN, _c.RANGE, _c.CATEGORY}
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT} | ({_c.POSSESSIVE_REPEAT} if hasattr(_c, "POSSESSIVE_REPEAT") else set())


Reach = tuple[int, int]  # characters before a keyword hit, and after its end, that a match may need


@functools.lru_cache(maxsize=4096)
def pattern_reach(source: str) -> Reach | None:
    """(before, after) for ``source``; None if unbounded or unreadable."""
    tree = _parse(source)
    if tree is None:
        return None
    width = _Width()
    consumed = width.sequence(tree)
    before = consumed + width.positive_lookahead
    after = consumed + width.positive_lookbehind + width.lookahead + 1  # +1: \b and $ read one more
    if max(before, after) > MAX_REACH:
        return None
    return before, after


@functools.lru_cache(maxsize=4096)
def _parse(source: str) -> Any:
    """The parse tree of ``source`` by Python's ``re`` parser, or None when it cannot read it.  Kept:
    reach and line breaks both walk it, and parsing is the costly part (~0.1 s for the catalog)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _sre_parse.parse(_unique_group_names(source))
    except Exception:  # syntax only ``regex`` knows (\p{..}, branch reset, variable lookbehind, ...)
        return None


def _unique_group_names(source: str) -> str:
    """``regex`` allows one name on several alternatives (``(?P<secret>..)|(?P<secret>..)``); ``re``
    does not.  Later uses get a numbered name; the width does not depend on names."""
    seen: dict[str, int] = {}

    def rename(match: re.Match[str]) -> str:
        name = match.group(1)
        seen[name] = seen.get(name, 0) + 1
        return match.group(0) if seen[name] == 1 else f"(?P<{name}__{seen[name]}>"

    return _NAMED_GROUP.sub(rename, source)


class _Width:
    """Maximum consumed width of a parse tree; lookarounds consume nothing but their widths are kept
    (the largest of each kind); group widths are remembered for back-references."""

    def __init__(self) -> None:
        self.groups: dict[int, int] = {}
        self.positive_lookahead = 0
        self.positive_lookbehind = 0
        self.lookahead = 0

    def sequence(self, items: Any) -> int:
        total = 0
        for op, argument in items:
            total += self.node(op, argument)
            if total > MAX_REACH:
                return _UNBOUNDED
        return total

    def node(self, op: Any, argument: Any) -> int:
        if op in _ONE_CHARACTER:
            return 1
        if op is _c.AT:
            return 0
        if op is _c.SUBPATTERN:
            width = self.sequence(argument[-1])
            if argument[0] is not None:
                self.groups[argument[0]] = width
            return width
        if op is _c.BRANCH:
            return max(self.sequence(branch) for branch in argument[1])
        if op in _REPEATS:
            _low, high, inner = argument
            if high == _c.MAXREPEAT:
                return _UNBOUNDED
            return min(_UNBOUNDED, high * self.sequence(inner))
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            direction, inner = argument
            width = self.sequence(inner)
            if direction == 1:
                self.lookahead = max(self.lookahead, width)
                if op is _c.ASSERT:
                    self.positive_lookahead = max(self.positive_lookahead, width)
            elif op is _c.ASSERT:
                self.positive_lookbehind = max(self.positive_lookbehind, width)
            return 0
        if op is getattr(_c, "ATOMIC_GROUP", None):
            return self.sequence(argument)
        if op is _c.GROUPREF:
            return self.groups.get(argument, _UNBOUNDED)
        if op is _c.GROUPREF_EXISTS:
            return max(self.sequence(argument[1]), self.sequence(argument[2]) if argument[2] else 0)
        return _UNBOUNDED


@functools.lru_cache(maxsize=4096)
def pattern_line_breaks(source: str) -> int | None:
    """The most line breaks a match of ``source`` (with its positive lookarounds) can contain; None if
    unbounded or unreadable.  History scans keep this many lines around a change (``keyscan.sources.delta``).

    A run of whitespace counts as at most ``WHITESPACE_LINE_BREAKS``: ``key\\s*=\\s*value`` would
    otherwise reach without bound, when no real file puts its value many blank lines below its key."""
    tree = _parse(source)
    if tree is None:
        return None
    count = _LineBreaks(bool(tree.state.flags & re.DOTALL)).sequence(tree)
    return None if count >= _UNBOUNDED else count


WHITESPACE_LINE_BREAKS = 1  # what a run of whitespace (``\\s*``, ``\\s{0,20}``) is assumed to span
_WHITESPACE = {_c.CATEGORY_SPACE, _c.CATEGORY_UNI_SPACE}


def _only_whitespace(items: Any) -> bool:
    """True for a repeat of one whitespace class (``\\s``, ``[\\s]``, ``[ \\t\\r\\n]``)."""
    if len(items) != 1:
        return False
    op, argument = items[0]
    if op is _c.CATEGORY:
        return argument in _WHITESPACE
    if op is _c.LITERAL:
        return argument in (9, 10, 13, 32)
    if op is _c.IN and argument and argument[0][0] is not _c.NEGATE:
        return all(_only_whitespace([member]) for member in argument)
    return False


_SPANS_LINES = {_c.CATEGORY_SPACE, _c.CATEGORY_NOT_DIGIT, _c.CATEGORY_NOT_WORD, _c.CATEGORY_UNI_SPACE,
                _c.CATEGORY_UNI_NOT_DIGIT, _c.CATEGORY_UNI_NOT_WORD, _c.CATEGORY_UNI_LINEBREAK,
                _c.CATEGORY_LINEBREAK}


class _LineBreaks:
    """Counts, over a parse tree, how many ``\\n`` a match can consume at most."""

    def __init__(self, dotall: bool) -> None:
        self.dotall = dotall

    def sequence(self, items: Any) -> int:
        return min(_UNBOUNDED, sum(self.node(op, argument) for op, argument in items))

    def node(self, op: Any, argument: Any) -> int:
        if op in _ONE_CHARACTER:
            return 1 if self.matches_newline(op, argument) else 0
        if op is _c.AT or op is _c.ASSERT_NOT or op is _c.GROUPREF:
            return 0  # a back-reference repeats a group's text: counted where the group is
        if op is _c.SUBPATTERN:
            outer = self.dotall
            self.dotall = self.dotall or bool(argument[1] & re.DOTALL)
            try:
                return self.sequence(argument[-1])
            finally:
                self.dotall = outer
        if op is _c.BRANCH:
            return max(self.sequence(branch) for branch in argument[1])
        if op in _REPEATS:
            _low, high, inner = argument
            count = self.sequence(inner)
            if count == 0:
                return 0
            if _only_whitespace(inner):  # a run of blanks: assumed to span at most a blank line
                return min(high, WHITESPACE_LINE_BREAKS)
            return _UNBOUNDED if high == _c.MAXREPEAT else min(_UNBOUNDED, high * count)
        if op is _c.ASSERT:
            return self.sequence(argument[1])
        if op is getattr(_c, "ATOMIC_GROUP", None):
            return self.sequence(argument)
        if op is _c.GROUPREF_EXISTS:
            return max(self.sequence(argument[1]), self.sequence(argument[2]) if argument[2] else 0)
        return _UNBOUNDED

    def matches_newline(self, op: Any, argument: Any) -> bool:
        if op is _c.LITERAL:
            return bool(argument == 10)
        if op is _c.NOT_LITERAL:
            return bool(argument != 10)
        if op is _c.ANY:
            return self.dotall
        if op is _c.CATEGORY:
            return argument in _SPANS_LINES
        if op is _c.RANGE:
            return bool(argument[0] <= 10 <= argument[1])
        if op is _c.IN:
            negated = bool(argument) and argument[0][0] is _c.NEGATE
            members = argument[1:] if negated else argument
            found = any(self.matches_newline(o, a) for o, a in members)
            return not found if negated else found
        return True
