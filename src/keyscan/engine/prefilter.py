"""Prefilter: which rules can possibly match a chunk, decided in one pass.

Pure path: the chunk is lower-cased once and each distinct keyword is looked
up with a C-speed substring search; a rule runs when one of its keywords
occurs.  Fast path (``pip install 'keyscan[fast]'``, used automatically when
``hyperscan`` imports): all keywords are matched caselessly in one Hyperscan
pass.  Both select exactly the same rules, so findings are identical.

Then, for each selected rule whose regex has a bounded reach (``keyscan.engine.reach``), the plan
says where to run it: windows around its keywords' hits, found in the lower-cased text by both
paths alike.  A rule without a bounded reach runs over the whole text.

(Compiling the rules' own regexes into Hyperscan's prefilter mode was tried:
context-anchored patterns took up to a second each to compile, minutes with
Unicode semantics, so keywords it is.)
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import regex

from keyscan.engine import decoding
from keyscan.engine.keyword_trie import KeywordTrie
from keyscan.memo import memo_dir, read_memo, write_memo
from keyscan.rules.model import Rule

Window = tuple[int, int]


@dataclass
class Plan:
    """What to run on one text: the rules in rule order, each with its windows (None: the whole
    text), and where base64 candidates can be (None: anywhere; see ``keyscan.engine.decoding``)."""

    rules: list[tuple[Rule, list[Window] | None]]
    base64: list[Window] | None = None
SNAP = 4096  # a window grows to whole lines when the line ends are this close

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
        self._keyword_bytes = {k: k.encode("utf-8") for k in self.keywords}
        want_fast = fast_matcher_available() if use_fast is None else use_fast
        self._db = None
        self._any_db: Any = None  # the same expressions, single-match: "can anything match?" (may_match)
        self._keyword_expressions: tuple[list[bytes], list[int]] = ([], [])
        self._shapes: list[Rule] = []  # rules whose regex Hyperscan also matches (prefilter mode)
        self._gated: set[str] = set()  # keyword rules that also need their shape to run (``shape_gate``)
        if want_fast and _hyperscan is not None and self.rules:
            self._compile_hyperscan()
        shapes = {id(rule) for rule in self._shapes}
        # rules that run on every text, whatever it holds (without Hyperscan: the shapes too)
        self._everywhere = [rule for rule in self.always if id(rule) not in shapes]
        # which rules a keyword's hit may start, in ASCII text (where a gated rule also needs its shape)
        # and in any text; the gate (``may_match``) weighs a hit by these
        self._starts = {k: [r for r in found if r.id not in self._gated] for k, found in self._rules_by_keyword.items()}
        self._starts_any = self._rules_by_keyword

    @functools.cached_property
    def _trie(self) -> KeywordTrie:
        """The keyword matcher without Hyperscan, built at first use (~70 ms: a scan with Hyperscan
        never needs it)."""
        return KeywordTrie(self.keywords)

    @property
    def uses_fast_matcher(self) -> bool:
        return self._db is not None

    def _compile_hyperscan(self) -> None:
        """Keywords as caseless literals; rules without keywords (a token shape and nothing else) as
        their own regex in Hyperscan's prefilter mode, which matches wherever the regex does (and
        maybe more), so their regex need only run where Hyperscan saw the shape end.  Rules with
        ``shape_gate`` add their regex the same way: they run only where both their keyword and their
        shape occur (a keyword like ``re_`` is everywhere in code, a Resend key's shape is not)."""
        assert _hyperscan is not None
        expressions = [_literal(k) for k in self.keywords]
        flags = [_hyperscan.HS_FLAG_CASELESS] * len(expressions)  # every hit: the windows need them
        # path-restricted rules are cheap already: they run on a few files only
        shapes = [r for r in self.rules if (not r.keywords and r.path_pattern is None and r.reach is not None)
                  or (r.keywords and r.shape_gate)]
        try:
            self._db = _database(expressions, flags, shapes)
        except Exception:  # a shape Hyperscan refuses: keep the ones it takes, the others run as before
            shapes = [r for r in shapes if _compiles(_shape_source(r))]
            self._db = _database(expressions, flags, shapes)
        self._shapes = shapes
        self._gated = {r.id for r in shapes if r.keywords}
        self._keyword_expressions = expressions, flags

    def may_match(self, data: bytes, applies: Callable[[Rule], bool] | None = None) -> bool:
        """False only when no rule can match ``data`` (UTF-8 or ASCII-compatible bytes): no keyword, no
        shape, no base64 candidate, and no rule that runs everywhere (``applies`` filters those).

        One single-match Hyperscan pass (it costs about what a full pass costs: the saving is in the
        decoding and planning it spares); without Hyperscan, a trie pass for the keywords and a search
        for base64 candidates.  A base64 candidate counts only when one decodes to text (most are paths
        and hashes after an '=' or ':'): only decoded text is scanned for it."""
        if any(applies is None or applies(rule) for rule in self._everywhere):
            return True
        starts = self._starts if data.isascii() else self._starts_any

        def counts(keyword: str) -> bool:  # a hit leads nowhere when every rule it may start skips
            # this path ("pass" of the XML rule in Python code) or waits for its shape (``re_``)
            return any(applies is None or applies(rule) for rule in starts[keyword])

        if self._db is not None:
            if self._any_db is None:  # compiled on first use (~30 ms): tree scans never ask
                single = _hyperscan.HS_FLAG_SINGLEMATCH  # type: ignore[union-attr]
                expressions, flags = self._keyword_expressions
                self._any_db = _database(expressions, [f | single for f in flags], self._shapes, single)
            keywords, count, shapes = self.keywords, len(self.keywords), self._shapes
            base64_id = count + len(shapes)
            encoded: list[int] = []
            seen: set[str] = set()  # keywords that started nothing on their own
            gated: list[Rule] = []  # gated rules whose shape occurs: a reason with one of their keywords

            def on_match(ident: int, start: int, end: int, flags: int, context: object) -> bool:
                if ident < count:
                    if counts(keywords[ident]):
                        return True  # ends the scan: "maybe"
                    seen.add(keywords[ident])
                elif ident == base64_id:  # a reason only if a value decodes: checked after the pass
                    encoded.append(end)
                elif not shapes[ident - count].keywords:
                    return True
                else:
                    gated.append(shapes[ident - count])
                return False

            try:
                self._any_db.scan(data, match_event_handler=on_match)
            except _hyperscan.ScanTerminated:  # type: ignore[union-attr]
                return True
            if any((applies is None or applies(rule)) and not seen.isdisjoint(rule.keywords) for rule in gated):
                return True
            return bool(encoded) and decoding.decodes_any(data)
        return any(map(counts, self._trie.present(data.lower()))) or \
            (decoding.has_candidate(data) and decoding.decodes_any(data))

    def plan(self, data: str, windows: bool = True,
             applies: Callable[[Rule], bool] | None = None) -> Plan:
        """Rules to run on ``data``, in rule order, each with the windows to run it in (None: all).
        ``applies`` drops rules before their windows are worked out (path-restricted rules).

        Keywords are searched in the UTF-8 bytes, lower-cased as ASCII (``bytes.lower`` and ``find``
        are several times faster than their ``str`` forms, and Hyperscan reads bytes too).  In ASCII
        text byte offsets are character offsets; otherwise hits are converted."""
        is_ascii = data.isascii()
        encoded = data.encode("ascii") if is_ascii else data.encode("utf-8", "surrogatepass")
        lowered = encoded.lower()
        # byte -> character offsets for non-ASCII text, built on first use (a pass over the whole text)
        characters = _CharacterOffsets(encoded)
        shape_ends: dict[str, list[int]] | None = None
        base64: list[Window] | None = None
        keyword_hits: dict[str, list[int]] | None = None
        if self._db is not None:
            keyword_hits, shape_ends, base64_ends = self._fast_hits(encoded)
            present = set(keyword_hits)
            if base64_ends and not is_ascii:  # the candidates are ASCII: character offsets are safe
                base64_ends = characters.convert(base64_ends)
            base64 = _merged([(e - decoding.BEFORE, e + decoding.AFTER) for e in base64_ends], len(data))
        else:
            present = self._trie.present(lowered)
        selected = {r.id: r for r in self.always}
        for keyword in present:
            for rule in self._rules_by_keyword[keyword]:
                selected[rule.id] = rule
        unshaped: set[str] = set()  # gated rules whose shape is absent from this non-ASCII text
        if shape_ends is not None:  # a shape Hyperscan did not see cannot match
            for rule in self._shapes:
                if rule.id in shape_ends:
                    continue
                if is_ascii or not rule.keywords:
                    selected.pop(rule.id, None)
                elif rule.id in selected:  # decided below, by its windows
                    unshaped.add(rule.id)
        ordered = sorted(selected.values(), key=lambda r: self._order[r.id])
        if applies is not None:
            ordered = [rule for rule in ordered if not rule.path_restricted or applies(rule)]
        if not windows:
            return Plan([(rule, None) for rule in ordered])
        text: str | bytes = encoded if is_ascii else data
        needed = {k for rule in ordered if rule.reach is not None for k in rule.keywords if k in present}
        if keyword_hits is None:
            keyword_hits = {k: _occurrences(lowered, self._keyword_bytes[k]) for k in needed}
        if not is_ascii:  # byte offsets -> character offsets, in one pass for all keywords
            offsets = sorted({p for k in needed for p in keyword_hits[k]})
            to_character = dict(zip(offsets, characters.convert(offsets), strict=True))
            keyword_hits = {k: [to_character[p] for p in keyword_hits[k]] for k in needed}
        made: dict[tuple[tuple[str, ...], tuple[int, int]], list[Window]] = {}
        plan: list[tuple[Rule, list[Window] | None]] = []
        for rule in ordered:
            reach = rule.reach
            if not rule.keywords and shape_ends is not None and rule.id in shape_ends and reach is not None:
                # a shape's classes are ASCII, but Unicode \s or case folding may differ: ASCII text only
                windows_ = _windows(text, shape_ends[rule.id], sum(reach), reach[1]) if is_ascii else None
                plan.append((rule, windows_))
                continue
            if reach is None or not rule.keywords:
                plan.append((rule, None))
                continue
            mine = tuple(k for k in rule.keywords if k in present)
            key = (mine, reach)
            if key not in made:
                positions = keyword_hits[mine[0]] if len(mine) == 1 else \
                    sorted(p for k in mine for p in keyword_hits[k])
                made[key] = _windows(text, positions, reach[0], reach[1] + max(len(k) for k in mine))
            if rule.id in unshaped and all(text[start:end].isascii() for start, end in made[key]):
                # A gated rule's shape reads ASCII as the regex does (Unicode classes or case folding
                # could match non-ASCII text the shape cannot): where every window the regex would run
                # in is ASCII, a shape absent from the whole text means no match in them either.
                continue
            plan.append((rule, made[key]))
        return Plan(plan, base64)

    def _fast_hits(self, encoded: bytes) -> tuple[dict[str, list[int]], dict[str, list[int]], list[int]]:
        """One Hyperscan pass: where each keyword starts (byte offsets, ascending); for each shape rule
        where its shape ends; where base64 candidates start."""
        assert self._db is not None
        starts: dict[int, list[int]] = {}
        ends: dict[str, list[int]] = {}
        base64_ends: list[int] = []
        count = len(self.keywords)
        shapes = self._shapes
        base64_id = count + len(shapes)

        def on_match(ident: int, start: int, end: int, flags: int, context: object) -> None:
            if ident < count:
                found = starts.get(ident)
                if found is None:
                    starts[ident] = [end]
                else:
                    found.append(end)
            elif ident == base64_id:
                base64_ends.append(end)
            else:
                ends.setdefault(shapes[ident - count].id, []).append(end)

        self._db.scan(encoded, match_event_handler=on_match)
        keyword_hits = {}
        for ident, found in starts.items():
            size = len(self._keyword_bytes[self.keywords[ident]])  # a literal: start = end - length
            keyword_hits[self.keywords[ident]] = [end - size for end in found]
        return keyword_hits, ends, base64_ends


_CONTINUATION = bytes(1 if 0x80 <= byte < 0xC0 else 0 for byte in range(256))


class _CharacterOffsets:
    """Byte offsets in UTF-8 text -> character offsets: a byte that continues a character is not one.
    The continuation map (a pass over the whole text) is made at the first conversion, then reused."""

    def __init__(self, encoded: bytes) -> None:
        self._encoded = encoded
        self._continues: bytes | None = None

    def convert(self, offsets: list[int]) -> list[int]:
        """``offsets`` ascending, each at the start of a character."""
        if self._continues is None:
            self._continues = self._encoded.translate(_CONTINUATION)
        continues = self._continues
        converted: list[int] = []
        last_byte = last_character = 0
        for offset in offsets:
            last_character += offset - last_byte - continues.count(1, last_byte, offset)
            last_byte = offset
            converted.append(last_character)
        return converted


def _occurrences(text: str | bytes, needle: str | bytes) -> list[int]:
    found: list[int] = []
    position = text.find(needle)  # type: ignore[arg-type]
    while position >= 0:
        found.append(position)
        position = text.find(needle, position + 1)  # type: ignore[arg-type]
    return found


def _merged(spans: list[Window], length: int) -> list[Window]:
    merged: list[Window] = []
    for start, end in spans:  # Hyperscan reports in offset order
        start, end = max(0, start), min(length, end)
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _windows(text: str | bytes, positions: list[int], before: int, after: int) -> list[Window]:
    """Windows [p - before, p + after] around ``positions`` (ascending), merged, each widened to whole
    lines when the line ends are near, merged again.  (Hot: millions of hits in a long history.)"""
    if not positions:
        return []
    length = len(text)
    newline: str | bytes = b"\n" if isinstance(text, bytes) else "\n"
    gap = before + after  # hits closer than this share a window
    spans: list[Window] = []
    first = last = positions[0]
    for position in positions:
        if position - last > gap:
            spans.append((first - before, last + after))
            first = position
        last = position
    spans.append((first - before, last + after))
    windows: list[Window] = []
    for start, end in spans:
        if start < 0:
            start = 0
        if end > length:
            end = length
        line_start = text.rfind(newline, max(0, start - SNAP), start) + 1  # type: ignore[arg-type]
        if line_start or start <= SNAP:
            start = line_start
        line_end = text.find(newline, end, end + SNAP)  # type: ignore[arg-type]
        if line_end >= 0:
            end = line_end + 1
        elif end + SNAP >= length:
            end = length
        if windows and start <= windows[-1][1]:
            if end > windows[-1][1]:
                windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def _database(expressions: list[bytes], flags: list[int], shapes: list[Rule], extra_flags: int = 0) -> Any:
    """Keywords, then shapes, then the base64 candidate start (ids in that order)."""
    assert _hyperscan is not None
    expressions = expressions + [_shape_source(r).encode("utf-8") for r in shapes]
    expressions.append(decoding.CANDIDATE_START)
    flags = flags + [_hyperscan.HS_FLAG_PREFILTER | extra_flags] * len(shapes) + [extra_flags]
    return compiled_database(expressions, flags)


def compiled_database(expressions: list[bytes], flags: list[int]) -> Any:
    """A block-mode Hyperscan database of ``expressions`` (ids in list order), loaded from the memo
    (``keyscan.memo``) when the same ones were compiled before: compiling costs ~0.2 s of every start
    (and of every history worker), loading well under a millisecond.  A memo that does not check out or
    will not load (damaged, another CPU or Hyperscan) is compiled again and replaced."""
    assert _hyperscan is not None
    key = repr((_hyperscan.__version__, platform.machine(), expressions, flags)).encode("utf-8", "replace")
    path = memo_dir("hyperscan") / f"{hashlib.sha256(key).hexdigest()}.db"
    memo = read_memo(path)
    if memo is not None and len(memo) > 32 and hashlib.sha256(memo[32:]).digest() == memo[:32]:
        try:
            db = _hyperscan.loadb(memo[32:], _hyperscan.HS_MODE_BLOCK)
            db.scratch = _hyperscan.Scratch(db)
            return db
        except Exception:  # hyperscan.error: compiled for another platform or version
            pass
    db = _hyperscan.Database(mode=_hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=expressions, ids=list(range(len(expressions))), elements=len(expressions), flags=flags)
    with contextlib.suppress(Exception):  # a database Hyperscan cannot serialise is simply not memoised
        payload = _hyperscan.dumpb(db)
        write_memo(path, hashlib.sha256(payload).digest() + payload)
    return db


_GROUP_NAME = regex.compile(r"\(\?P?<(?![=!])[A-Za-z_][A-Za-z0-9_]*>")


def _shape_source(rule: Rule) -> str:
    """A rule's regex for Hyperscan: named groups unnamed (Hyperscan refuses a name used twice).  On
    ASCII text the rest reads alike in both engines (``regex``'s ``\\s`` is Unicode White_Space, which
    in ASCII is Hyperscan's ``[\\t\\n\\v\\f\\r ]``; ``\\w``, ``\\d``, ``\\b`` and caseless letters agree), and
    prefilter mode drops lookarounds, so the shape matches wherever the regex can."""
    return _GROUP_NAME.sub("(?:", rule.regex_source or "")


def _compiles(source: str) -> bool:
    """Whether Hyperscan's prefilter mode accepts this regex (it refuses some ``regex`` syntax)."""
    assert _hyperscan is not None
    try:
        _hyperscan.Database(mode=_hyperscan.HS_MODE_BLOCK).compile(
            expressions=[source.encode("utf-8")], ids=[0], elements=1, flags=[_hyperscan.HS_FLAG_PREFILTER])
    except Exception:  # hyperscan.error, or text it cannot encode
        return False
    return True


def _literal(keyword: str) -> bytes:
    """Escape a literal keyword for Hyperscan's PCRE syntax."""
    return "".join(c if c.isalnum() else f"\\x{ord(c):02x}" for c in keyword).encode()


def presence_matcher(keywords: Sequence[str], use_fast: bool | None = None) -> Callable[[bytes], set[str]]:
    """A function telling which of ``keywords`` (lower-case) occur in a byte string, caselessly.

    With Hyperscan each keyword reports at most once per scan (single-match), so the cost is one pass
    over the bytes however often the keywords occur; otherwise one trie pass over the lower-cased bytes."""
    words = list(keywords)
    if not words:
        return lambda data: set()
    if _hyperscan is not None and (use_fast is None or use_fast):
        db = compiled_database([_literal(k) for k in words],
                               [_hyperscan.HS_FLAG_CASELESS | _hyperscan.HS_FLAG_SINGLEMATCH] * len(words))

        def present_fast(data: bytes) -> set[str]:
            found: set[str] = set()

            def on_match(ident: int, start: int, end: int, flags: int, context: object) -> None:
                found.add(words[ident])

            db.scan(data, match_event_handler=on_match)
            return found

        return present_fast
    trie = KeywordTrie(words)
    return lambda data: trie.present(data.lower())
