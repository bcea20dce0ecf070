"""Load rule files: the built-in catalog shipped in the wheel, and user files."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.resources
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from keyscan.errors import RuleError
from keyscan.memo import memo_dir, read_memo, write_memo
from keyscan.rules import reach_memo
from keyscan.rules.model import Rule, RuleSet
from keyscan.rules.schema import build_rule

SCHEMA_TAG = "keyscan/rules/v1"


def _parse_yaml(text: str) -> Any:
    """YAML -> data, memoised as JSON by content hash: building Python objects from YAML costs
    several times more than reading JSON, and every keyscan run loads the whole catalog."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    cached = memo_dir("rules") / f"{digest}.json"
    memo = read_memo(cached)
    if memo is not None:
        with contextlib.suppress(ValueError):
            return json.loads(memo.decode("utf-8"))
    import yaml  # only when the memo misses: importing it costs ~25 ms of every start

    # libyaml's safe loader when PyYAML was built with it
    document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    try:
        payload = json.dumps(document)
    except (TypeError, ValueError):  # not plain JSON data (dates, sets...): just don't cache
        return document
    if json.loads(payload) != document:
        return document
    write_memo(cached, payload.encode("utf-8"))
    return document


def _yaml_error() -> type[Exception]:
    import yaml

    return yaml.YAMLError


def builtin_rules_dir() -> Path:
    """The installed ``keyscan/_rules`` or, in a source checkout, the repository's ``rules/``."""
    packaged = importlib.resources.files("keyscan").joinpath("_rules")
    if packaged.is_dir():
        return Path(str(packaged))
    source = Path(__file__).resolve().parents[3] / "rules"
    if source.is_dir():
        return source
    raise RuleError(str(packaged), None, "rules", "built-in rule directory is missing from the install")


def load_rule_file(path: Path, *, eager: bool = True) -> list[Rule]:
    """Parse and validate one YAML rule file."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(name, None, "file", f"cannot read: {exc.__class__.__name__}") from None
    try:
        document = _parse_yaml(text)
    except _yaml_error() as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise RuleError(name, None, "yaml", f"invalid YAML{where}") from None
    if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
        raise RuleError(name, None, "rules", "the file must be a mapping with a 'rules' list")
    if document.get("schema", SCHEMA_TAG) != SCHEMA_TAG:
        raise RuleError(name, None, "schema", f"expected {SCHEMA_TAG!r}")
    unknown = set(document) - {"schema", "rules"}
    if unknown:
        raise RuleError(name, None, sorted(unknown)[0], "unknown top-level key")
    return [build_rule(raw, name, eager=eager) for raw in document["rules"]]


def load_rules(paths: Iterable[Path]) -> RuleSet:
    """Load several files (or directories of ``*.yaml``) into one id-unique set."""
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    builtin = builtin_rules_dir().resolve()
    for path in paths:
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            # Built-in rules are validated eagerly by the test suite; here they compile on first use.
            for rule in load_rule_file(file, eager=file.resolve().parent != builtin):
                if rule.id in seen:
                    raise RuleError(str(file), rule.id, "id", f"duplicate id (also in {seen[rule.id]})")
                seen[rule.id] = str(file)
                rules.append(rule)
    reach_memo.prime(rules)
    return RuleSet(rules)


def load_builtin_rules() -> RuleSet:
    return load_rules([builtin_rules_dir()])
