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
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = _sre_parse.parse(_unique_group_names(source))
    except Exception:  # syntax only ``regex`` knows (\p{..}, branch reset, variable lookbehind, ...)
        return None
    width = _Width()
    consumed = width.sequence(tree)
    before = consumed + width.positive_lookahead
    after = consumed + width.positive_lookbehind + width.lookahead + 1  # +1: \b and $ read one more
    if max(before, after) > MAX_REACH:
        return None
    return before, after


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
