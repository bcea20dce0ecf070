"""Prefilter: which rules can possibly match a chunk, decided in one pass.

Pure path: the chunk is lower-cased once and each distinct keyword is looked
up with a C-speed substring search; a rule runs when one of its keywords
occurs.  Fast path (``pip install 'keyscan[fast]'``, used automatically when
``hyperscan`` imports): all keywords are matched caselessly in one Hyperscan
pass.  Both select exactly the same rules, so findings are identical.

(Compiling the rules' own regexes into Hyperscan's prefilter mode was tried:
context-anchored patterns took up to a second each to compile, minutes with
Unicode semantics, so keywords it is.)
"""

from __future__ import annotations

from collections.abc import Sequence

from keyscan.rules.model import Rule

try:  # optional fast matcher: pip install 'keyscan[fast]'
    import hyperscan as _hyperscan
except ImportError:  # pragma: no cover - depends on the environment
    _hyperscan = None


def fast_matcher_available() -> bool:
    return _hyperscan is not None


class KeywordIndex:
    """Answers "which rules apply to this text", with or without Hyperscan."""

    def __init__(self, rules: Sequence[Rule], use_fast: bool | None = None) -> None:
        self.rules = list(rules)
        self.always: list[Rule] = [r for r in rules if not r.keywords]
        self.keywords: list[str] = sorted({k for r in rules for k in r.keywords})
        self._rules_by_keyword: dict[str, list[Rule]] = {k: [] for k in self.keywords}
        for rule in rules:
            for keyword in rule.keywords:
                self._rules_by_keyword[keyword].append(rule)
        self._order = {rule.id: i for i, rule in enumerate(rules)}
        want_fast = fast_matcher_available() if use_fast is None else use_fast
        self._db = None
        if want_fast and _hyperscan is not None and self.rules:
            self._compile_hyperscan()

    @property
    def uses_fast_matcher(self) -> bool:
        return self._db is not None

    def _compile_hyperscan(self) -> None:
        assert _hyperscan is not None
        if not self.keywords:
            return
        expressions = [_literal(k) for k in self.keywords]
        flags = [_hyperscan.HS_FLAG_CASELESS | _hyperscan.HS_FLAG_SINGLEMATCH] * len(expressions)
        db = _hyperscan.Database(mode=_hyperscan.HS_MODE_BLOCK)
        db.compile(expressions=expressions, ids=list(range(len(expressions))), elements=len(expressions),
                   flags=flags)
        self._db = db

    def present(self, data: str) -> set[str]:
        """The keywords that occur in ``data`` (case-insensitive); the pure path's test."""
        lowered = data.lower()
        return {k for k in self.keywords if k in lowered}

    def candidates(self, data: str) -> list[Rule]:
        """Rules to run on ``data``, in rule order."""
        if self._db is not None:
            return self._fast_candidates(data)
        selected = {r.id: r for r in self.always}
        for keyword in self.present(data):
            for rule in self._rules_by_keyword[keyword]:
                selected[rule.id] = rule
        return sorted(selected.values(), key=lambda r: self._order[r.id])

    def _fast_candidates(self, data: str) -> list[Rule]:
        assert self._db is not None
        found: set[int] = set()

        def on_match(ident: int, start: int, end: int, flags: int, context: object) -> None:
            found.add(ident)

        self._db.scan(data.encode("utf-8", "replace"), match_event_handler=on_match)
        selected = {r.id: r for r in self.always}
        for ident in found:
            for rule in self._rules_by_keyword[self.keywords[ident]]:
                selected[rule.id] = rule
        return sorted(selected.values(), key=lambda r: self._order[r.id])


def _literal(keyword: str) -> bytes:
    """Escape a literal keyword for Hyperscan's PCRE syntax."""
    return "".join(c if c.isalnum() else f"\\x{ord(c):02x}" for c in keyword).encode()
