"""What one version of a file changed from the version before it, so history scans read only that.

Most blobs in a history are a file's next version, differing from the previous one in a few lines.
Scanning each of them whole reads the same unchanged lines thousands of times.  Instead, a blob
that modifies a file is scanned as its *focus*: the lines it changed plus ``CONTEXT_LINES`` lines
each side, every other line emptied but kept as a line break, so line numbers and columns stay
those of the blob.  A secret the blob shares with its predecessor was found in the predecessor;
``keyscan.sources.blobscan`` scans a blob whole again whenever its predecessor had any finding, so
each blob's findings (and every occurrence and status built from them) are a whole scan's.

Changed lines are found cheaply: the common prefix and suffix are cut off (byte comparisons in C),
then the rest is split at a line both versions hold once (an anchor) and each side is cut again, as
a patience diff does; without an anchor, a line counts as changed when the other version lacks it.
The approximation, stated: a secret whose pieces only came together because lines between them
were deleted or moved further apart than the context is not re-examined (``keyscan history
--full-blobs`` scans every version whole).

Rules that may reach further than the context (``Rule.line_span``: a requirement many lines away, a
multi-line form) are looked up first: where one of their keywords lies within the lines such a rule
needs (at most ``MAX_CONTEXT_LINES``) of a change, that change keeps those lines; a rule without a
bounded reach (a private key block, a file-wide keyword) has the blob scanned whole when its keyword
occurs anywhere in it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate, compress
from operator import not_

import regex

from keyscan.engine.prefilter import presence_matcher
from keyscan.rules.model import Rule
from keyscan.sources.content import is_plain_text

try:  # the same steps compiled (src/keyscan/_fastdelta.c); absent when the install had no C compiler
    from keyscan import _fastdelta
except ImportError:  # pragma: no cover - depends on the install
    _fastdelta = None  # type: ignore[assignment]

Span = tuple[int, int]  # byte offsets [start, end) in the new blob; end excludes the line break

CONTEXT_LINES = 3  # lines of context each side of a change; rules that reach further are "wide"
MAX_CONTEXT_LINES = 12  # more is not kept: a match whose changed line lies further from the rest is missed
REFINE_ABOVE = 2048  # a changed middle larger than this is narrowed to its changed lines
SHORTEST_LINE = 6  # a changed line shorter than this (stripped) is not worth a look of its own
WHOLE_BELOW = 2048  # a blob this small is scanned whole: finding its changes costs as much
WHOLE_ABOVE = 0.5  # a focus larger than this share of the blob: scan the blob whole
MAX_DEPTH = 24  # anchor splits before the line-set fallback
ANCHOR_TRIES = 8
ANCHOR_LENGTH = 12  # an anchor line this long (stripped) is seldom repeated
_FIRST_STEP = 1 << 12
_STEP = 1 << 16
_GRAIN = 256  # bytes compared at once as integers at the end of a bisection
CONTEXT_ANSWERS = 4096  # (keywords, path) answers DeltaPolicy.contexts_for remembers


@dataclass
class DeltaPolicy:
    """How much context each rule needs around a change, from the rule set."""

    context_lines: int
    wide: dict[str, list[tuple[Rule, int]]]  # keyword -> (rule, lines it needs; 0: the whole file)
    use_fast: bool | None = None  # Hyperscan for the keyword lookup, as the detector does
    # (bytes, path) -> False when a scan of those bytes can find nothing (``Detector.may_find``)
    may_find: Callable[[bytes, str], bool] | None = None

    @classmethod
    def for_rules(cls, rules: Sequence[Rule], use_fast: bool | None = None,
                  may_find: Callable[[bytes, str], bool] | None = None) -> DeltaPolicy:
        wide: dict[str, list[tuple[Rule, int]]] = {}
        for rule in rules:
            if rule.regex_source is None:
                continue
            span = rule.line_span
            if span is not None and span < CONTEXT_LINES:
                continue
            need = 0 if span is None else min(span, MAX_CONTEXT_LINES) + 1
            for keyword in rule.keywords:
                wide.setdefault(keyword, []).append((rule, need))
        return cls(CONTEXT_LINES, wide, use_fast, may_find)

    def __post_init__(self) -> None:
        self._present = presence_matcher(sorted(self.wide), self.use_fast)
        # a file's versions mostly share their path and wide keywords: the answer is the same
        self._contexts: dict[tuple[frozenset[str], str], list[tuple[int, frozenset[str]]] | None] = {}

    def present(self, data: bytes) -> set[str]:
        """The keywords of wide rules that occur in ``data`` (caselessly)."""
        return self._present(data)

    def wider_contexts(self, data: bytes, path: str) -> list[tuple[int, frozenset[str]]] | None:
        """The wider contexts a change in ``data`` may need, widest first, each with the keywords that
        call for it (a change needs it only when one of them lies that close); None: scan ``data`` whole."""
        return self.contexts_for(frozenset(self._present(data)) if self.wide else frozenset(), path)

    def contexts_for(self, present: frozenset[str], path: str) -> list[tuple[int, frozenset[str]]] | None:
        """``wider_contexts`` for a text whose wide keywords are ``present`` (or a superset of them)."""
        key = (present, path)
        known = self._contexts.get(key, False)
        if known is False:
            if len(self._contexts) >= CONTEXT_ANSWERS:
                self._contexts.clear()
            known = self._contexts[key] = self._contexts_for(present, path)
        return known  # type: ignore[return-value]

    def _contexts_for(self, present: frozenset[str], path: str) -> list[tuple[int, frozenset[str]]] | None:
        wanted: dict[int, set[str]] = {}
        for keyword in present:
            for rule, need in self.wide[keyword]:
                if rule.path_restricted and not rule.applies_to(path):
                    continue
                if need == 0:
                    return None
                wanted.setdefault(need, set()).add(keyword)
        return [(need, frozenset(wanted[need])) for need in sorted(wanted, reverse=True)]


NOTHING = b""  # the focus holds nothing any rule looks for: there is nothing to scan


def focus(policy: DeltaPolicy, old: bytes, new: bytes, path: str) -> bytes | None:
    """``new`` with only its changes (and their context) kept, or None: scan ``new`` whole, or
    ``NOTHING``: no keyword, token shape or base64 candidate lies in that focus (``policy.may_find``),
    so its scan would find nothing."""
    return focus_carrying(policy, old, new, path)[0]


Keywords = frozenset[str]


def focus_carrying(policy: DeltaPolicy, old: bytes, new: bytes, path: str,
                   old_keywords: Keywords | None = None) -> tuple[bytes | None, Keywords | None]:
    """``focus``, and the wide-rule keywords ``new`` holds (maybe a few more; None when not looked for).

    Given those of ``old`` (``old_keywords``, from the focus of ``old`` against its own predecessor),
    ``new``'s are found without a pass over the whole of it: a keyword lies within a line, and every
    line of ``new`` outside its changed spans is a line ``old`` has, so ``new`` holds at most
    ``old_keywords`` plus those in its changed lines.  (A keyword deleted since stays in the set: more
    context, never less.)  A file's versions follow each other in a worker's batch, so most versions
    skip that pass."""
    if len(new) < WHOLE_BELOW or not is_plain_text(new, path):
        return None, None
    if old_keywords is None and not is_plain_text(old, path):  # (carried keywords: old was checked)
        return None, None
    changed: list[Span] | None = None
    if old_keywords is None or not policy.wide:
        present = frozenset(policy.present(new)) if policy.wide else frozenset()
    else:
        changed, short = changed_and_short(old, new)
        added = [new[start:end] for start, end in (*changed, *short) if end > start]
        present = old_keywords.union(policy.present(b"\n".join(added))) if added else old_keywords
    wider = policy.contexts_for(present, path)
    if wider is None:
        return None, present
    widest = wider[0][0] if wider else 0
    keywords = frozenset().union(*(words for _, words in wider))
    spans = []
    for span in changed_spans(old, new) if changed is None else changed:
        if widest:  # the widest context, wherever a keyword that may need a wider one lies near
            region = grow(new, span, widest)
            if not keywords.isdisjoint(policy.present(new[region[0] : region[1]])):
                spans.append(region)
                continue
        spans.append(grow(new, span, policy.context_lines))
    spans = merge(spans)
    if policy.may_find is not None and not policy.may_find(b"\n\n".join(new[s:e] for s, e in spans), path):
        return NOTHING, present  # (spans are joined as the blank line between them in the focus)
    if sum(end - start for start, end in spans) > WHOLE_ABOVE * len(new):
        return None, present
    return blank_outside(new, spans), present


def changed_spans(old: bytes, new: bytes) -> list[Span]:
    """Line-aligned spans of ``new`` that ``old`` does not have at the same place; a deletion leaves an
    empty span where it was, so the lines around it are looked at again."""
    if _fastdelta is not None:
        return _fastdelta.changed_spans(old, new, REFINE_ABOVE, MAX_DEPTH, ANCHOR_TRIES, ANCHOR_LENGTH,
                                        SHORTEST_LINE)
    return changed_spans_python(old, new)


def changed_and_short(old: bytes, new: bytes) -> tuple[list[Span], list[Span]]:
    """``changed_spans``, and the changed lines it leaves out for being short (``SHORTEST_LINE``):
    together they cover every line of ``new`` that ``old`` lacks."""
    if _fastdelta is not None:
        return _fastdelta.changed_spans(old, new, REFINE_ABOVE, MAX_DEPTH, ANCHOR_TRIES, ANCHOR_LENGTH,
                                        SHORTEST_LINE, True)
    short: list[Span] = []
    return changed_spans_python(old, new, short), short


def changed_spans_python(old: bytes, new: bytes, short: list[Span] | None = None) -> list[Span]:
    """``changed_spans`` in Python: the reference the compiled version is tested against (``short``
    receives the changed lines left out for being short)."""
    spans: list[Span] = []
    _split(old, 0, len(old), new, 0, len(new), spans, 0, short)
    return merge_python(spans)


def _split(old: bytes, old_start: int, old_end: int, new: bytes, start: int, end: int, out: list[Span],
           depth: int, short: list[Span] | None = None) -> None:
    """Changed spans of ``new[start:end]`` against ``old[old_start:old_end]`` (both whole lines):
    cut the common prefix and suffix (C comparisons), then split the rest at a line both versions
    share (an anchor) and repeat on each side, as a patience diff does."""
    prefix = _common_prefix(old, old_start, old_end, new, start, end)
    suffix = _common_suffix(old, old_start + prefix, old_end, new, start + prefix, end)
    cut = new.rfind(b"\n", start, start + prefix) + 1 or start  # back to the start of the line
    stop = new.find(b"\n", end - suffix, end)
    stop = end if stop < 0 else stop
    if stop < cut:  # the suffix reached into the line where the prefix stopped
        stop = cut
    old_cut, old_stop = old_start + (cut - start), old_end - (end - stop)
    if stop - cut <= REFINE_ABOVE or old_stop <= old_cut or depth >= MAX_DEPTH:
        out.append((cut, stop))
        return
    anchor = _anchor(old, old_cut, old_stop, new, cut, stop)
    if anchor is None:
        out.extend(_changed_lines(old, old_cut, old_stop, new, cut, stop, short))
        return
    line_start, line_end, old_line_start, old_line_end = anchor
    _split(old, old_cut, max(old_cut, old_line_start - 1), new, cut, max(cut, line_start - 1), out, depth + 1,
           short)
    _split(old, min(old_stop, old_line_end + 1), old_stop, new, min(stop, line_end + 1), stop, out, depth + 1,
           short)


def _anchor(old: bytes, old_start: int, old_end: int, new: bytes, start: int,
            end: int) -> tuple[int, int, int, int] | None:
    """A line near the middle of ``new[start:end]`` found exactly once in ``old[old_start:old_end]``:
    (its start and end in new, its start and end in old)."""
    probe = (start + end) // 2
    for _ in range(ANCHOR_TRIES):
        line_start = new.rfind(b"\n", start, probe) + 1 or start
        line_end = new.find(b"\n", probe, end)
        if line_end < 0:
            return None
        line = new[line_start:line_end]
        if len(line.strip()) >= ANCHOR_LENGTH:
            found = _whole_line(old, line, old_start, old_end)
            if found >= 0 and _whole_line(old, line, found + 1, old_end) < 0:
                return line_start, line_end, found, found + len(line)
        probe = line_end + 1
    return None


def _whole_line(text: bytes, line: bytes, start: int, end: int) -> int:
    """Where ``line`` occurs as a whole line of ``text[start:end]``, or -1."""
    at = text.find(line, start, end)
    while at >= 0:
        after = at + len(line)
        if (at == 0 or text[at - 1] == 10) and (after >= len(text) or text[after] == 10):
            return at
        at = text.find(line, at + 1, end)
    return -1


def _changed_lines(old: bytes, old_start: int, old_end: int, new: bytes, start: int, end: int,
                   short: list[Span] | None = None) -> list[Span]:
    """Without an anchor: the lines of ``new[start:end]`` that ``old[old_start:old_end]`` lacks (the
    short ones into ``short``)."""
    lines = new[start:end].split(b"\n")
    known = set(old[old_start:old_end].split(b"\n"))
    # indexes of the lines the old part lacks, found at C speed (map/compress)
    added = list(compress(range(len(lines)), map(not_, map(known.__contains__, lines))))
    if len(added) * 4 > len(lines):  # mostly rewritten: the whole part is the change
        return [(start, end)]
    ends = list(accumulate(map(len, lines)))
    spans: list[Span] = []
    for index in added:
        line = lines[index]
        line_start = start + ends[index] - len(line) + index
        if len(line.strip()) < SHORTEST_LINE:  # too short to hold or start a secret
            if short is not None:
                short.append((line_start, line_start + len(line)))
            continue
        spans.append((line_start, line_start + len(line)))
    return spans or [(start, start)]  # only moves, deletions or blank lines: where the two parted


def grow(data: bytes, span: Span, lines: int) -> Span:
    """``span`` grown by ``lines`` whole lines each side."""
    if _fastdelta is not None:
        return _fastdelta.grow(data, span[0], span[1], lines)
    return grow_python(data, span, lines)


def grow_python(data: bytes, span: Span, lines: int) -> Span:
    """``grow`` in Python (one C regex call each way)."""
    before, after = _line_runs(lines)
    return before.search(data, 0, span[0]).start(), after.match(data, span[1]).end()  # type: ignore[union-attr]


@functools.lru_cache(maxsize=32)
def _line_runs(lines: int) -> tuple[regex.Pattern[bytes], regex.Pattern[bytes]]:
    """Patterns for up to ``lines`` lines before a position (searched backwards) and after it;
    both always match (possibly empty)."""
    return (regex.compile(rb"(?r)(?:[^\n]*\n){0,%d}[^\n]*" % lines),
            regex.compile(rb"[^\n]*(?:\n[^\n]*){0,%d}" % lines))


def merge(spans: list[Span]) -> list[Span]:
    """Sorted, with overlapping or adjacent spans joined."""
    if _fastdelta is not None:
        return _fastdelta.merge(spans)
    return merge_python(spans)


def merge_python(spans: list[Span]) -> list[Span]:
    """``merge`` in Python."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def blank_outside(data: bytes, spans: list[Span]) -> bytes:
    """``data`` with every line outside ``spans`` emptied (its line break kept)."""
    if _fastdelta is not None:
        return _fastdelta.blank_outside(data, spans)
    return blank_outside_python(data, spans)


def blank_outside_python(data: bytes, spans: list[Span]) -> bytes:
    """``blank_outside`` in Python."""
    parts: list[bytes] = []
    position = 0
    for start, end in spans:
        parts.append(b"\n" * data.count(b"\n", position, start))
        parts.append(data[start:end])
        position = end
    parts.append(b"\n" * data.count(b"\n", position))
    return b"".join(parts)


def _common_prefix(a: bytes, a_start: int, a_end: int, b: bytes, b_start: int, b_end: int) -> int:
    """Length of the common prefix of ``a[a_start:a_end]`` and ``b[b_start:b_end]``: growing blocks
    compared in C (``startswith`` at an offset copies one side only), a bisection in the block that
    differs, then the first differing byte of the last ``_GRAIN`` bytes from an XOR of the two as
    integers (one C pass instead of a Python loop over bytes)."""
    limit = min(a_end - a_start, b_end - b_start)
    at, step = 0, _FIRST_STEP
    while at < limit:
        stop = min(limit, at + step)
        if b.startswith(a[a_start + at : a_start + stop], b_start + at):
            at, step = stop, min(step * 2, _STEP)
            continue
        low, high = at, stop
        while high - low > _GRAIN:
            middle = (low + high) // 2
            if b.startswith(a[a_start + low : a_start + middle], b_start + low):
                low = middle
            else:
                high = middle
        width = high - low
        differ = int.from_bytes(a[a_start + low : a_start + high], "big") ^ \
            int.from_bytes(b[b_start + low : b_start + high], "big")
        return low + width - (differ.bit_length() + 7) // 8  # the highest differing bit is the first byte
    return limit


def _common_suffix(a: bytes, a_start: int, a_end: int, b: bytes, b_start: int, b_end: int) -> int:
    """Length of the common suffix of ``a[a_start:a_end]`` and ``b[b_start:b_end]`` (as
    ``_common_prefix``, from the end)."""
    limit = min(a_end - a_start, b_end - b_start)
    at, step = 0, _FIRST_STEP
    while at < limit:
        stop = min(limit, at + step)
        if b.startswith(a[a_end - stop : a_end - at], b_end - stop):
            at, step = stop, min(step * 2, _STEP)
            continue
        low, high = at, stop
        while high - low > _GRAIN:
            middle = (low + high) // 2
            if b.startswith(a[a_end - middle : a_end - low], b_end - middle):
                low = middle
            else:
                high = middle
        differ = int.from_bytes(a[a_end - high : a_end - low], "big") ^ \
            int.from_bytes(b[b_end - high : b_end - low], "big")
        return low + ((differ & -differ).bit_length() - 1) // 8  # the lowest differing bit is the last byte
    return limit
