"""Validate one rule mapping from YAML and compile it into a ``Rule``.

Every failure raises ``RuleError`` naming the file, the rule id and the field,
so a broken rule file costs the user one line, not a traceback.
"""

from __future__ import annotations

from typing import Any

import regex

from keyscan.engine.checksums import CHECKSUMS
from keyscan.engine.filters import FILTERS
from keyscan.errors import RuleError
from keyscan.model import Confidence, Severity
from keyscan.revoke.names import check_revoke_block
from keyscan.rules.model import Example, LazyPattern, Requirement, Rule, Searchable

ID_PATTERN = regex.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ALPHABETS = ("hex", "base64", "alnum", "any")
DECODERS = ("base64",)

REQUIRED = ("id", "name", "provider", "severity", "confidence", "references", "help", "examples")
OPTIONAL = (
    "keywords",
    "regex",
    "secret_group",
    "path",
    "entropy",
    "checksum",
    "filters",
    "allow",
    "requires",
    "tags",
    "revoke",
    "generic",
    "decode",
    "overlaps",
    "description",
    "keyword_scope",
    "shape_gate",
)
KEYWORD_SCOPES = ("match", "file")
DEFAULT_FILTERS = ("placeholder", "provider-example")


class _Checker:
    """Carries the file and rule id so each check can raise a precise error."""

    def __init__(self, path: str, raw: Any, eager: bool = True) -> None:
        self.path = path
        self.raw = raw
        self.eager = eager
        self.rule_id = raw.get("id") if isinstance(raw, dict) else None

    def fail(self, field: str, problem: str) -> RuleError:
        return RuleError(self.path, self.rule_id if isinstance(self.rule_id, str) else None, field, problem)

    def string(self, field: str, *, required: bool = True) -> str:
        value = self.raw.get(field)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, "must be a non-empty string")
        return value

    def string_list(self, field: str) -> tuple[str, ...]:
        value = self.raw.get(field, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(field, "must be a list of non-empty strings")
        return tuple(value)

    def pattern(self, field: str, pattern: Any) -> Searchable:
        """``compile`` for a user's rule file; for the built-in catalog (``eager`` off) the pattern is
        compiled at its first use (the test suite compiles every one)."""
        return self.compile(field, pattern) if self.eager else LazyPattern(self.regex_text(field, pattern))

    def compile(self, field: str, pattern: Any) -> regex.Pattern[str]:
        try:
            return regex.compile(self.regex_text(field, pattern))
        except regex.error as exc:
            raise self.fail(field, f"does not compile: {exc}") from None

    def regex_text(self, field: str, pattern: Any) -> str:
        if not isinstance(pattern, str) or not pattern:
            raise self.fail(field, "must be a non-empty regular expression")
        return pattern


def build_rule(raw: Any, path: str, *, eager: bool = True) -> Rule:
    """Turn one YAML mapping into a ``Rule`` or raise ``RuleError``.

    ``eager`` compiles the regex now, so a broken user rule fails at load with its file, id and
    field.  The built-in catalog (validated eagerly by the test suite) loads with ``eager=False``
    and each regex compiles on first use."""
    if not isinstance(raw, dict):
        raise RuleError(path, None, "rules", "each rule must be a mapping")
    check = _Checker(path, raw, eager)
    for key in raw:
        if key not in REQUIRED and key not in OPTIONAL:
            raise check.fail(str(key), "unknown field")
    for key in REQUIRED:
        if key not in raw:
            raise check.fail(key, "is required")
    rule_id = check.string("id")
    if not ID_PATTERN.match(rule_id):
        raise check.fail("id", "must be kebab-case (lower-case letters, digits and dashes)")
    severity = _enum(check, "severity", Severity)
    confidence = _enum(check, "confidence", Confidence)
    keywords = tuple(k.lower() for k in check.string_list("keywords"))
    source = raw.get("regex")
    if "regex" in raw and (not isinstance(source, str) or not source):
        raise check.fail("regex", "must be a non-empty regular expression")
    pattern = check.compile("regex", source) if eager and source is not None else None
    path_pattern = check.compile("path", raw["path"]) if "path" in raw else None
    if source is None and path_pattern is None:
        raise check.fail("regex", "a rule needs a regex, a path pattern, or both")
    secret_group = _secret_group(check, pattern) if eager or source is None else _lazy_secret_group(check, source)
    references = check.string_list("references")
    if not references or not all(r.startswith(("https://", "http://")) for r in references):
        raise check.fail("references", "must list at least one documentation URL")
    help_text = check.string("help")
    checksum = raw.get("checksum")
    if checksum is not None and checksum not in CHECKSUMS:
        raise check.fail("checksum", f"unknown validator {checksum!r}; known: {', '.join(sorted(CHECKSUMS))}")
    filters = check.string_list("filters") if "filters" in raw else DEFAULT_FILTERS
    for name in filters:
        if name not in FILTERS:
            raise check.fail("filters", f"unknown filter {name!r}; known: {', '.join(sorted(FILTERS))}")
    decode = check.string_list("decode")
    for name in decode:
        if name not in DECODERS:
            raise check.fail("decode", f"unknown decoder {name!r}")
    generic = raw.get("generic", False)
    if not isinstance(generic, bool):
        raise check.fail("generic", "must be true or false")
    keyword_scope = raw.get("keyword_scope", "match")
    if keyword_scope not in KEYWORD_SCOPES:
        raise check.fail("keyword_scope", f"must be one of {', '.join(KEYWORD_SCOPES)}")
    shape_gate = raw.get("shape_gate", False)
    if not isinstance(shape_gate, bool):
        raise check.fail("shape_gate", "must be true or false")
    if shape_gate and (not keywords or source is None):
        raise check.fail("shape_gate", "needs keywords and a regex (a rule without keywords is gated by its shape "
                                       "already)")
    revoke = raw.get("revoke")
    problem = check_revoke_block(revoke) if revoke is not None else None
    if problem:
        raise check.fail("revoke", problem)
    positives, negatives = _examples(check, keywords)
    rule = Rule(
        id=rule_id,
        name=check.string("name"),
        provider=check.string("provider"),
        severity=severity,
        confidence=confidence,
        keywords=keywords,
        regex_source=source,
        secret_group=secret_group,
        path_pattern=path_pattern,
        min_entropy=_entropy(check),
        checksum=checksum,
        filters=filters,
        allow_values=_allow(check, "values"),
        allow_paths=_allow(check, "paths"),
        requires=_requires(check),
        tags=check.string_list("tags"),
        references=references,
        help=help_text.strip(),
        positives=positives,
        negatives=negatives,
        source_file=path,
        revoke=revoke,
        generic=generic,
        decode=decode,
        overlaps=check.string_list("overlaps"),
        summary=check.string("description", required=False),
        keyword_scope=keyword_scope,
        shape_gate=shape_gate,
    )
    if pattern is not None:
        rule.__dict__["pattern"] = pattern  # already compiled for validation: keep it
    return rule



def _lazy_secret_group(check: _Checker, source: str) -> int | str:
    group = check.raw.get("secret_group")
    if group is not None:
        if isinstance(group, bool) or not isinstance(group, (int, str)):
            raise check.fail("secret_group", "must be a group number or name")
        return group
    return "secret" if ("(?P<secret>" in source or "(?<secret>" in source) else 1


def _enum(check: _Checker, field: str, kind: type[Severity] | type[Confidence]) -> Any:
    value = check.string(field)
    try:
        return kind.parse(value)
    except KeyError:
        names = "|".join(m.name.lower() for m in kind)
        raise check.fail(field, f"must be one of {names}, not {value!r}") from None


def _secret_group(check: _Checker, pattern: regex.Pattern[str] | None) -> int | str:
    group = check.raw.get("secret_group")
    if pattern is None:
        if group is not None:
            raise check.fail("secret_group", "needs a regex")
        return 0
    if group is None:
        group = "secret" if "secret" in pattern.groupindex else (1 if pattern.groups >= 1 else 0)
    if isinstance(group, bool) or not isinstance(group, (int, str)):
        raise check.fail("secret_group", "must be a group number or name")
    if isinstance(group, int) and not 0 <= group <= pattern.groups:
        raise check.fail("secret_group", f"the regex has only {pattern.groups} group(s)")
    if isinstance(group, str) and group not in pattern.groupindex:
        raise check.fail("secret_group", f"the regex has no group named {group!r}")
    return group


def _entropy(check: _Checker) -> dict[str, float]:
    value = check.raw.get("entropy")
    if value is None:
        return {}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = {"any": value}
    if not isinstance(value, dict):
        raise check.fail("entropy", "must be a number or a mapping of alphabet to minimum")
    result: dict[str, float] = {}
    for alphabet, minimum in value.items():
        if alphabet not in ALPHABETS:
            raise check.fail("entropy", f"unknown alphabet {alphabet!r}; use {', '.join(ALPHABETS)}")
        if isinstance(minimum, bool) or not isinstance(minimum, (int, float)) or not 0 <= minimum <= 8:
            raise check.fail("entropy", f"minimum for {alphabet} must be a number from 0 to 8")
        result[alphabet] = float(minimum)
    return result


def _allow(check: _Checker, kind: str) -> tuple[regex.Pattern[str], ...]:
    allow = check.raw.get("allow", {})
    if not isinstance(allow, dict) or set(allow) - {"values", "paths"}:
        raise check.fail("allow", "must be a mapping with 'values' and/or 'paths'")
    items = allow.get(kind, [])
    if not isinstance(items, list):
        raise check.fail(f"allow.{kind}", "must be a list of regular expressions")
    return tuple(check.pattern(f"allow.{kind}", item) for item in items)


def _requires(check: _Checker) -> Requirement | None:
    value = check.raw.get("requires")
    if value is None:
        return None
    if not isinstance(value, dict) or "regex" not in value:
        raise check.fail("requires", "must be a mapping with 'regex' and optional 'within_lines'")
    within = value.get("within_lines", 5)
    if isinstance(within, bool) or not isinstance(within, int) or within < 0:
        raise check.fail("requires.within_lines", "must be a non-negative integer")
    return Requirement(check.pattern("requires.regex", value["regex"]), within)


def _examples(check: _Checker, keywords: tuple[str, ...]) -> tuple[tuple[Example, ...], tuple[Example, ...]]:
    examples = check.raw["examples"]
    if not isinstance(examples, dict) or set(examples) - {"positive", "negative"}:
        raise check.fail("examples", "must be a mapping with 'positive' and 'negative' lists")
    positives = tuple(_example(check, "positive", item) for item in examples.get("positive") or [])
    negatives = tuple(_example(check, "negative", item) for item in examples.get("negative") or [])
    if len(positives) < 2 or len(negatives) < 2:
        raise check.fail("examples", "needs at least 2 positive and 2 negative examples")
    if keywords:
        for example in positives:
            lowered = (example.text + "\n" + example.path).lower()
            if not any(k in lowered for k in keywords):
                raise check.fail("keywords", f"no keyword occurs in positive example {example.text[:40]!r}")
    return positives, negatives


def _example(check: _Checker, kind: str, item: Any) -> Example:
    if isinstance(item, str):
        return Example(text=item)
    if isinstance(item, dict) and isinstance(item.get("text", ""), str):
        extra = set(item) - {"text", "secret", "line", "path"}
        if extra:
            raise check.fail(f"examples.{kind}", f"unknown key(s) {sorted(extra)}")
        return Example(
            text=item.get("text", ""),
            secret=item.get("secret"),
            line=item.get("line"),
            path=item.get("path", "example.txt"),
        )
    raise check.fail(f"examples.{kind}", "each example is a string or a mapping with 'text'")
