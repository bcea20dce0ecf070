"""The detector: a chunk in, findings out.

Per chunk: one keyword prefilter pass, then only the candidate rules' regexes
(each under a time budget so a backtracking pattern cannot hang the scan),
then entropy, checksum and filter checks, then overlap resolution so one
secret yields one finding.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import regex

from keyscan.engine.checksums import CHECKSUMS
from keyscan.engine.decoding import decoded_segments
from keyscan.engine.entropy import meets_minimum
from keyscan.engine.filters import FILTERS
from keyscan.engine.inline import allowed_inline
from keyscan.engine.prefilter import KeywordIndex
from keyscan.engine.reach import LINE_CONTEXT
from keyscan.model import Chunk, Finding
from keyscan.redact import fingerprint
from keyscan.rules.model import Rule
from keyscan.settings import Settings


@dataclass
class ChunkResult:
    """Findings of one chunk plus the rules that ran out of time on it."""

    findings: list[Finding] = field(default_factory=list)
    timed_out: list[str] = field(default_factory=list)




FEW_LOOKUPS = 16  # positions a text's lines are counted for before a table of line starts pays off


class _Lines:
    """Offset -> (line, column) for one text, computed lazily on the first match."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: list[int] | None = None
        self._asked = 0

    def locate(self, offset: int) -> tuple[int, int]:
        if self._starts is None:
            self._asked += 1
            if self._asked <= FEW_LOOKUPS:  # a few matches: count line breaks in C, no table of every line
                text = self._text
                return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)
            self._starts = [0] + [m.end() for m in regex.finditer(r"\n", self._text)]
        index = bisect.bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1

    def line_text(self, offset: int) -> str:
        """The line around ``offset``, at most ``LINE_CONTEXT`` characters each side.

        On a megabyte-long minified line, words far away say nothing about this match, and
        copying and searching the whole line for every match made one such line quadratic."""
        low = max(0, offset - LINE_CONTEXT)
        start = self._text.rfind("\n", low, offset) + 1 or low
        end = self._text.find("\n", offset, offset + LINE_CONTEXT)
        return self._text[start : end if end >= 0 else min(len(self._text), offset + LINE_CONTEXT)]


class Detector:
    """Runs a rule set over chunks.  Build once, reuse for every chunk."""

    def __init__(self, rules: Sequence[Rule], settings: Settings | None = None,
                 use_fast: bool | None = None, windowed: bool = True) -> None:
        """``windowed=False`` runs every selected rule over whole texts: the straightforward path that
        tests compare the keyword windows against."""
        self.rules = list(rules)
        self.windowed = windowed
        self.settings = settings or Settings()
        self.index = KeywordIndex([r for r in self.rules if r.regex_source is not None], use_fast=use_fast)
        self.path_rules = [r for r in self.rules if r.regex_source is None and r.path_pattern is not None]
        self._generic = frozenset(r.id for r in self.rules if r.generic)
        self._min_confidence = self.settings.min_confidence
        self._min_severity = self.settings.min_severity

    def scan(self, chunk: Chunk) -> ChunkResult:
        result = ChunkResult()
        self._scan_text(chunk, chunk.text, result, depth=0)
        for rule in self.path_rules:  # each has a path pattern: applies_to is that it matches
            if rule.applies_to(chunk.path):
                result.findings.append(self._path_finding(rule, chunk))
        result.findings = [f for f in _resolve_overlaps(result.findings, self._generic) if self._wanted(f)]
        return result

    def may_find(self, data: bytes, path: str) -> bool:
        """False only when scanning ``data`` (UTF-8 bytes) at ``path`` can find nothing: no file-name
        rule applies and nothing any rule looks for occurs (``KeywordIndex.may_match``)."""
        if any(rule.applies_to(path) for rule in self.path_rules):
            return True
        return self.index.may_match(data, lambda rule: rule.applies_to(path))

    def _wanted(self, finding: Finding) -> bool:
        return finding.confidence >= self._min_confidence and finding.severity >= self._min_severity

    def _scan_text(self, chunk: Chunk, text: str, result: ChunkResult, depth: int) -> None:
        lines = _Lines(text)
        budget = self.settings.regex_timeout * max(1.0, len(text) / 4_000_000)
        path = chunk.path
        plan = self.index.plan(text, windows=self.windowed, applies=lambda rule: rule.applies_to(path))
        for rule, windows in plan.rules:
            try:
                self._run_rule(rule, chunk, text, lines, result, budget, windows)
            except TimeoutError:
                result.timed_out.append(rule.id)
        if depth == 0 and self.settings.decode_base64:
            self._scan_decoded(chunk, text, lines, result, plan.base64)

    def _scan_decoded(self, chunk: Chunk, text: str, lines: _Lines, result: ChunkResult,
                      windows: list[tuple[int, int]] | None) -> None:
        """Scan base64 values (e.g. Kubernetes Secret data) and report at the encoded location."""
        for start, end, decoded in decoded_segments(text, windows):
            inner = ChunkResult()
            self._scan_text(chunk, decoded, inner, depth=1)
            line, column = lines.locate(start)
            end_line, end_column = lines.locate(end)
            for finding in inner.findings:
                inline = finding.suppressed_by or (  # an allow comment on the encoded line covers it too
                    "inline" if allowed_inline(lines.line_text(start), finding.rule_id) else "")
                result.findings.append(
                    finding.replace(line=line + chunk.line_offset, column=column,
                                    end_line=end_line + chunk.line_offset, end_column=end_column,
                                    decoded_from="base64", suppressed_by=inline)
                )
            result.timed_out.extend(inner.timed_out)

    def _run_rule(self, rule: Rule, chunk: Chunk, text: str, lines: _Lines, result: ChunkResult,
                  budget: float, windows: list[tuple[int, int]] | None) -> None:
        """Run one rule over the whole text, or over the windows around its keyword hits (the plan)."""
        pattern = rule.pattern
        assert pattern is not None
        # CPU time, as the regex engine's own timeout counts it: the budget measures the work a rule
        # does, so a busy machine (or more workers) does not change which rules time out
        deadline = time.process_time() + budget
        remaining = budget
        for number, (start_at, end_at) in enumerate(windows if windows is not None else [(0, len(text))]):
            if number % 8 == 7:  # the clock costs a system call: look at it every few windows
                remaining = deadline - time.process_time()
                if remaining <= 0:
                    raise TimeoutError(rule.id)
            for match in pattern.finditer(text, start_at, end_at, timeout=remaining):
                secret = match.group(rule.secret_group)
                if not secret:
                    continue
                start = match.start(rule.secret_group)
                finding = self._check(rule, chunk, text, lines, secret, start)
                if finding is not None:
                    result.findings.append(finding)
                if time.process_time() > deadline:
                    raise TimeoutError(rule.id)

    def _check(self, rule: Rule, chunk: Chunk, text: str, lines: _Lines, secret: str,
               start: int) -> Finding | None:
        line_text = lines.line_text(start)
        if any(p.search(secret) for p in rule.allow_values):
            return None
        ok, entropy = meets_minimum(secret, rule.min_entropy)
        if not ok:
            return None
        for name in rule.filters:
            if FILTERS[name](secret, line_text, chunk.path):
                return None
        checksum = "n/a"
        if rule.checksum is not None:
            if not CHECKSUMS[rule.checksum](secret):
                return None
            checksum = "valid"
        if rule.requires is not None and not _requirement_met(rule, text, start, len(secret)):
            return None
        line, column = lines.locate(start)
        end_line, end_column = lines.locate(start + len(secret))
        inline = allowed_inline(line_text, rule.id) or (
            end_line != line and allowed_inline(lines.line_text(start + len(secret) - 1), rule.id))
        return Finding(
            rule_id=rule.id,
            rule_name=rule.name,
            provider=rule.provider,
            path=chunk.path,
            line=line + chunk.line_offset,
            column=column,
            end_line=end_line + chunk.line_offset,
            end_column=end_column,
            secret=secret,
            fingerprint=fingerprint(secret, self.settings.fingerprint_key),
            entropy=round(entropy, 3),
            severity=rule.severity,
            confidence=rule.confidence,
            checksum=checksum,
            cell=chunk.cell,
            decoded_from=chunk.decoded_from,
            suppressed_by="inline" if inline else "",
            **_provenance(chunk),
        )

    def _path_finding(self, rule: Rule, chunk: Chunk) -> Finding:
        name = chunk.path.rsplit("/", 1)[-1]
        return Finding(
            rule_id=rule.id, rule_name=rule.name, provider=rule.provider, path=chunk.path,
            line=1, column=1, end_line=1, end_column=1, secret=name,
            fingerprint=fingerprint(chunk.path, self.settings.fingerprint_key), entropy=0.0,
            severity=rule.severity, confidence=rule.confidence, **_provenance(chunk),
        )


def _provenance(chunk: Chunk) -> dict[str, str]:
    p = chunk.provenance
    if p is None:
        return {}
    return {"commit": p.commit, "author": p.author, "email": p.email, "date": p.date, "subject": p.subject}


def _requirement_met(rule: Rule, text: str, start: int, length: int) -> bool:
    assert rule.requires is not None
    lo, hi = start, start + length
    for _ in range(rule.requires.within_lines + 1):
        previous = text.rfind("\n", 0, max(lo - 1, 0))
        lo = 0 if previous < 0 else previous
    for _ in range(rule.requires.within_lines + 1):
        following = text.find("\n", hi + 1)
        hi = len(text) if following < 0 else following
    reach = LINE_CONTEXT * (rule.requires.within_lines + 1)  # long lines: the neighbourhood, not megabytes
    lo, hi = max(lo, start - reach), min(hi, start + length + reach)
    return rule.requires.pattern.search(text, lo, hi) is not None


def _resolve_overlaps(findings: list[Finding], generic: frozenset[str]) -> list[Finding]:
    """One secret, one finding: among matches whose spans overlap, keep the most specific."""
    if len(findings) < 2:
        return findings
    ordered = sorted(findings, key=lambda f: (f.line, f.column, f.end_line, f.end_column, f.rule_id))
    kept: list[Finding] = []
    # Kept findings that may still overlap a later one: starts only grow, so one that ends before
    # this start never can again.  Pruning keeps a file with thousands of findings linear.
    active: list[int] = []
    for finding in ordered:
        start = (finding.line, finding.column)
        active = [i for i in active if (kept[i].end_line, kept[i].end_column) > start]
        rival = next((i for i in active if _overlap(kept[i], finding)), None)
        if rival is None:
            active.append(len(kept))
            kept.append(finding)
        elif _rank(finding, generic) > _rank(kept[rival], generic):
            kept[rival] = finding
    return sorted(kept, key=lambda f: (f.line, f.column, f.rule_id))


def _rank(finding: Finding, generic: frozenset[str]) -> tuple[int, int, int, int, int]:
    return (0 if finding.rule_id in generic else 1, int(finding.checksum == "valid"), int(finding.confidence),
            int(finding.severity), len(finding.secret))


def _overlap(a: Finding, b: Finding) -> bool:
    if a.cell != b.cell:
        return False
    a_start, a_end = (a.line, a.column), (a.end_line, a.end_column)
    b_start, b_end = (b.line, b.column), (b.end_line, b.end_column)
    return a_start < b_end and b_start < a_end
