"""How far from its keyword a rule's match can reach, so its regex can run near keyword hits only.

A rule's keywords are part of what its regex matches (``rules/README.md``).  If a regex cannot match
more than N characters (lookarounds included), every match that contains a keyword lies within N
characters of that keyword, and the regex need not run over the rest of a file.  Running a rule's
regex over whole files was most of keyscan's scan time; running it around keyword hits is not.

The width is computed from the parse tree of Python's own ``re`` parser, which reads the subset of
``regex`` syntax the rules use.  A pattern it cannot read, or one with an unbounded repeat, has no
reach and keeps running over the whole text.
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


@functools.lru_cache(maxsize=4096)
def pattern_reach(source: str) -> int | None:
    """Characters a match of ``source`` (with its lookarounds) can span at most; None if unbounded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = _sre_parse.parse(_unique_group_names(source))
    except Exception:  # syntax only ``regex`` knows (\p{..}, branch reset, ...)
        return None
    width = _Width().sequence(tree)
    return None if width > MAX_REACH else width


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
    """Maximum width of a parse tree; group widths are remembered for back-references."""

    def __init__(self) -> None:
        self.groups: dict[int, int] = {}

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
        if op in (_c.ASSERT, _c.ASSERT_NOT):  # a lookaround reads text beside the match: count it
            return self.sequence(argument[1])
        if op is getattr(_c, "ATOMIC_GROUP", None):
            return self.sequence(argument)
        if op is _c.GROUPREF:
            return self.groups.get(argument, _UNBOUNDED)
        if op is _c.GROUPREF_EXISTS:
            return max(self.sequence(argument[1]), self.sequence(argument[2]) if argument[2] else 0)
        return _UNBOUNDED
