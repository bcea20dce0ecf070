"""Each rule's regex reach and line span, memoised (``keyscan.memo``): working them out parses every
regex (~0.15 s for the catalog), which each worker process of a scan would otherwise do again."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from keyscan.engine import reach as reach_module
from keyscan.memo import memo_dir, read_memo, write_memo
from keyscan.rules import model as model_module
from keyscan.rules.model import Rule


def prime(rules: Sequence[Rule]) -> None:
    """Give every rule its ``reach`` and ``line_span`` from the memo; on a miss, work them out for all
    and memoise them.  The key covers what they are derived from: each rule's regex, requirement and
    keyword scope, and the code that derives them."""
    path = memo_dir("reach") / f"{_key(rules)}.json"
    known = _read(path, len(rules))
    if known is None:
        known = [[_plain(rule.reach), rule.line_span] for rule in rules]
        write_memo(path, json.dumps(known).encode("utf-8"))
        return
    for rule, (reach, line_span) in zip(rules, known, strict=True):
        rule.__dict__["reach"] = tuple(reach) if reach is not None else None
        rule.__dict__["line_span"] = line_span


def _key(rules: Sequence[Rule]) -> str:
    digest = hashlib.sha256()
    for module in (reach_module, model_module):
        digest.update(Path(module.__file__ or "").read_bytes())
    for rule in rules:
        requirement = rule.requires.pattern.pattern if rule.requires is not None else None
        digest.update(json.dumps([rule.regex_source, requirement, rule.keyword_scope]).encode("utf-8"))
    return digest.hexdigest()


def _read(path: Path, count: int) -> list[list[object]] | None:
    memo = read_memo(path)
    if memo is None:
        return None
    try:
        known = json.loads(memo.decode("utf-8"))
    except ValueError:
        return None
    valid = isinstance(known, list) and len(known) == count and all(
        isinstance(entry, list) and len(entry) == 2 and _is_reach(entry[0])
        and (entry[1] is None or isinstance(entry[1], int)) for entry in known)
    return known if valid else None


def _is_reach(value: object) -> bool:
    return value is None or (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value))


def _plain(reach: tuple[int, int] | None) -> list[int] | None:
    return list(reach) if reach is not None else None
