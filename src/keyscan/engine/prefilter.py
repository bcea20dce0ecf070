"""Keyword prefilter: which rules can possibly match a chunk, in one pass.

The pure path lower-cases the chunk once and asks, per distinct keyword,
whether it occurs (C-speed substring search).  When the optional
``hyperscan`` package is importable, all keywords are matched in a single
multi-pattern pass instead.  Both give exactly the same answer.
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
    """Maps keywords to rules and answers "which rules apply to this text"."""

    def __init__(self, rules: Sequence[Rule], use_fast: bool | None = None) -> None:
        self.always: list[Rule] = [r for r in rules if not r.keywords]
        self.keywords: list[str] = sorted({k for r in rules for k in r.keywords})
        self._rules_by_keyword: dict[str, list[Rule]] = {k: [] for k in self.keywords}
        for rule in rules:
            for keyword in rule.keywords:
                self._rules_by_keyword[keyword].append(rule)
        self._order = {rule.id: i for i, rule in enumerate(rules)}
        want_fast = fast_matcher_available() if use_fast is None else use_fast
        self._db = self._compile_hyperscan() if want_fast and self.keywords else None

    @property
    def uses_fast_matcher(self) -> bool:
        return self._db is not None

    def _compile_hyperscan(self):  # type: ignore[no-untyped-def]
        if _hyperscan is None:
            return None
        db = _hyperscan.Database(mode=_hyperscan.HS_MODE_BLOCK)
        expressions = [_hyperscan_literal(k) for k in self.keywords]
        flags = [_hyperscan.HS_FLAG_CASELESS | _hyperscan.HS_FLAG_SINGLEMATCH] * len(expressions)
        db.compile(expressions=expressions, ids=list(range(len(expressions))), elements=len(expressions),
                   flags=flags)
        return db

    def present(self, data: bytes | str) -> set[str]:
        """The keywords that occur in ``data`` (case-insensitive)."""
        if self._db is not None:
            raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
            found: set[int] = set()

            def on_match(ident: int, start: int, end: int, flags: int, context: object) -> None:
                found.add(ident)

            self._db.scan(raw, match_event_handler=on_match)
            return {self.keywords[i] for i in found}
        lowered = data.lower()
        if isinstance(lowered, bytes):
            return {k for k in self.keywords if k.encode() in lowered}
        return {k for k in self.keywords if k in lowered}

    def candidates(self, data: bytes | str) -> list[Rule]:
        """Rules to run on ``data``: keyword-less ones plus those whose keyword occurs, in rule order."""
        selected = {r.id: r for r in self.always}
        for keyword in self.present(data):
            for rule in self._rules_by_keyword[keyword]:
                selected[rule.id] = rule
        return sorted(selected.values(), key=lambda r: self._order[r.id])


def _hyperscan_literal(keyword: str) -> bytes:
    """Escape a literal keyword for Hyperscan's PCRE syntax."""
    return "".join(c if c.isalnum() else f"\\x{ord(c):02x}" for c in keyword).encode()
