"""The validated, compiled form of one rule from ``rules/*.yaml``."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import regex

from keyscan.engine.reach import LINE_CONTEXT, Reach, pattern_line_breaks, pattern_reach
from keyscan.model import Confidence, Severity


@dataclass(frozen=True)
class Example:
    """A positive or negative example; ``secret``/``line`` pin what must be found."""

    text: str
    secret: str | None = None
    line: int | None = None
    path: str = "example.txt"


class LazyPattern:
    """A regex compiled at its first search: a run meets few of the built-in rules' allowlists and
    requirements, and compiling all of them cost ~0.1 s of every start (before any file is read)."""

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._compiled: regex.Pattern[str] | None = None

    def search(self, string: str, *args: Any, **kwargs: Any) -> regex.Match[str] | None:
        if self._compiled is None:
            self._compiled = regex.compile(self.pattern)
        return self._compiled.search(string, *args, **kwargs)


Searchable = regex.Pattern[str] | LazyPattern


@dataclass(frozen=True)
class Requirement:
    """Another pattern that must occur within ``within_lines`` of the match (e.g. an AWS key id)."""

    pattern: Searchable
    within_lines: int


PATH_ANSWERS = 8192  # remembered applies_to answers per rule; more start afresh


@dataclass(frozen=True)
class Rule:
    """One detection rule.  Compiled once; shared read-only by every worker."""

    id: str
    name: str
    provider: str
    severity: Severity
    confidence: Confidence
    keywords: tuple[str, ...]
    regex_source: str | None
    secret_group: int | str
    path_pattern: regex.Pattern[str] | None
    min_entropy: dict[str, float]
    checksum: str | None
    filters: tuple[str, ...]
    allow_values: tuple[Searchable, ...]
    allow_paths: tuple[Searchable, ...]
    requires: Requirement | None
    tags: tuple[str, ...]
    references: tuple[str, ...]
    help: str
    positives: tuple[Example, ...]
    negatives: tuple[Example, ...]
    source_file: str
    revoke: dict[str, Any] | None = None
    generic: bool = False
    decode: tuple[str, ...] = ()
    overlaps: tuple[str, ...] = ()
    summary: str = field(default="")
    keyword_scope: str = "match"  # "file": the keywords only gate the file; the regex runs over all of it
    shape_gate: bool = False  # with Hyperscan: run only where the regex's shape occurs too (prefilter)

    @functools.cached_property
    def pattern(self) -> regex.Pattern[str] | None:
        """The compiled regex, compiled on first use: a run that never meets a rule's keyword never
        pays for compiling it (start-up time matters in a pre-commit hook)."""
        return regex.compile(self.regex_source) if self.regex_source is not None else None

    @functools.cached_property
    def reach(self) -> Reach | None:
        """How far before and after a keyword hit a match (with what its lookarounds read) can lie;
        None: unbounded.  The regex then runs only that near keyword hits (``keyscan.engine.prefilter``)."""
        if self.regex_source is None or self.keyword_scope == "file":
            return None
        reach = pattern_reach(self.regex_source)
        if reach is None or self.requires is None:
            return reach
        # A keyword may sit in the required context instead (``aws`` near ``secret_key = ...``): the
        # window then spans the neighbourhood the requirement is searched in, plus its own width.
        context = pattern_reach(self.requires.pattern.pattern)
        if context is None:
            return None
        extra = max(context) + LINE_CONTEXT * (self.requires.within_lines + 1)
        return reach[0] + extra, reach[1] + extra

    @functools.cached_property
    def line_span(self) -> int | None:
        """How many lines away from one of its lines a match (or its requirement) can reach; None:
        unbounded, or the whole file (``keyword_scope: file``)."""
        if self.regex_source is None or self.keyword_scope == "file":
            return None
        span = pattern_line_breaks(self.regex_source)
        if span is None or self.requires is None:
            return span
        required = pattern_line_breaks(self.requires.pattern.pattern)
        return None if required is None else span + self.requires.within_lines + required

    @functools.cached_property
    def path_restricted(self) -> bool:
        """Whether ``applies_to`` can say no: the rule has a ``paths`` pattern or a path allowlist."""
        return self.path_pattern is not None or bool(self.allow_paths)

    def applies_to(self, path: str) -> bool:
        """Whether the rule looks at a file at ``path``: its ``paths`` pattern (if any) matches and no
        rule-local path allowlist entry does.  Answers are remembered per path (a history asks about
        the same few thousand paths for every version of each file)."""
        if not self.path_restricted:
            return True
        answers = self._path_answers
        known = answers.get(path)
        if known is None:
            if len(answers) >= PATH_ANSWERS:
                answers.clear()
            known = answers[path] = self._path_allowed(path)
        return known

    @functools.cached_property
    def _path_answers(self) -> dict[str, bool]:
        return {}

    def _path_allowed(self, path: str) -> bool:
        if self.path_pattern is not None and not self.path_pattern.search(path):
            return False
        return not any(p.search(path) for p in self.allow_paths)

    @property
    def short_help(self) -> str:
        """First sentence of the help, for one-line hints."""
        text = " ".join(self.help.split())
        for marker in ("**What it is.**", "What it is."):
            text = text.replace(marker, "")
        text = text.strip()
        end = text.find(". ")
        return text if end < 0 else text[: end + 1]


@dataclass
class RuleSet:
    """An ordered, id-unique collection of rules."""

    rules: list[Rule]

    def __post_init__(self) -> None:
        self._by_id = {rule.id: rule for rule in self.rules}

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> Rule | None:
        return self._by_id.get(rule_id)

    def without(self, rule_ids: set[str], tags: set[str]) -> RuleSet:
        return RuleSet(
            [r for r in self.rules if r.id not in rule_ids and not (tags & set(r.tags))]
        )
