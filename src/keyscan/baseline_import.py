"""Read other scanners' accepted-findings files so a team can switch to keyscan.

What each format lets us carry over honestly:

* detect-secrets ``.secrets.baseline`` stores, per file, the SHA-1 of each
  secret (never the secret).  SHA-1 cannot be turned into keyscan's keyed
  fingerprint, and keeping it would keep a dictionary-attackable hash in the
  repository, so an entry is carried over only when a keyscan finding in the
  same file has a secret with that SHA-1, found by scanning at import time.
* gitleaks (v8) JSON reports carry the secret itself (unless ``--redact``),
  the file and line.  An unredacted entry matches a keyscan finding in the
  same file with the same secret; a redacted one falls back to the same file
  and line, which is right only when the report describes the tree as it is.
* Betterleaks 2 JSON / JSONL reports carry ``match.value`` (unless redacted)
  and ``match.fingerprint``, the SHA-256 of the value (not when made with
  ``--hmac-key``): matched by secret, else by SHA-256, else by file and line.

Rule names differ between scanners, so matching ignores them: the imported
entry gets the rule id of the keyscan finding it matched.  Entries that match
no keyscan finding are not carried over; the command says how many.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keyscan.errors import ConfigError
from keyscan.model import Finding

FORMATS = ("detect-secrets", "gitleaks", "betterleaks")
_MIN_PARTIAL = 8  # shortest secret matched by containment (the scanners' regexes capture slightly differently)


@dataclass(frozen=True)
class ForeignEntry:
    """One accepted finding from another tool.  ``secret`` stays in memory only and never in repr."""

    path: str
    rule: str = ""
    secret: str = field(default="", repr=False)
    sha1: str = ""
    sha256: str = ""
    line: int = 0
    commit: str = ""

    def matches(self, finding: Finding, path: str) -> bool:
        """Whether ``finding`` (whose repository-relative path is ``path``) is this entry."""
        if path != self.path:
            return False
        if self.secret:
            return _same_secret(self.secret, finding.secret)
        if self.sha1:
            return hashlib.sha1(finding.secret.encode("utf-8", "surrogatepass")).hexdigest() == self.sha1
        if self.sha256:
            return hashlib.sha256(finding.secret.encode("utf-8", "surrogatepass")).hexdigest() == self.sha256
        if self.line:
            same_commit = not (self.commit and finding.commit) or finding.commit.startswith(self.commit)
            return same_commit and finding.line <= self.line <= max(finding.end_line, finding.line)
        return False


def _same_secret(theirs: str, ours: str) -> bool:
    if theirs == ours:
        return True
    shorter = min(theirs, ours, key=len)
    return len(shorter) >= _MIN_PARTIAL and (theirs in ours or ours in theirs)


def read_foreign(kind: str, path: Path, root: Path | None) -> list[ForeignEntry]:
    """Parse a detect-secrets baseline or a gitleaks / Betterleaks report; a bad file is one error line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc.__class__.__name__})") from None
    try:
        document: Any = json.loads(text)
    except ValueError:
        document = _json_lines(text, path)
    if kind == "detect-secrets":
        entries = _detect_secrets(document, path)
    else:
        entries = _leaks_report(document, path)
    return [_normalised(entry, root) for entry in entries]


def _json_lines(text: str, path: Path) -> list[Any]:
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except ValueError:
                raise ConfigError(f"{path}: line {number}: not JSON or JSON Lines") from None
    return records


def _detect_secrets(document: Any, path: Path) -> Iterable[ForeignEntry]:
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, dict):
        raise ConfigError(f"{path}: not a detect-secrets baseline (no 'results' mapping)")
    for filename, items in results.items():
        if not isinstance(items, list):
            raise ConfigError(f"{path}: results[{filename!r}]: must be a list")
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("hashed_secret"), str):
                raise ConfigError(f"{path}: results[{filename!r}]: an entry has no 'hashed_secret'")
            yield ForeignEntry(path=str(item.get("filename") or filename), rule=str(item.get("type", "")),
                               sha1=item["hashed_secret"].lower(), line=_int(item.get("line_number")))


def _leaks_report(document: Any, path: Path) -> Iterable[ForeignEntry]:
    """gitleaks v8 (a list of PascalCase objects) or Betterleaks 2 (``findings`` / JSONL ``finding``)."""
    if isinstance(document, dict) and isinstance(document.get("findings"), list):
        items = document["findings"]
    elif isinstance(document, list):
        items = [item.get("finding", item) if isinstance(item, dict) else item for item in document]
        items = [item for item in items if not (isinstance(item, dict) and set(item) == {"scan"})]
    else:
        raise ConfigError(f"{path}: not a gitleaks or Betterleaks JSON report (expected a list of findings)")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ConfigError(f"{path}: finding {index}: must be an object")
        entry = _gitleaks_item(item) if "File" in item or "RuleID" in item else _betterleaks_item(item)
        if entry is None:
            raise ConfigError(f"{path}: finding {index}: no file path")
        yield entry


def _gitleaks_item(item: dict[str, Any]) -> ForeignEntry | None:
    file = item.get("File")
    if not isinstance(file, str) or not file:
        return None
    secret = item.get("Secret")
    return ForeignEntry(path=file, rule=str(item.get("RuleID", "")),
                        secret=secret if _clear(secret) else "", line=_int(item.get("StartLine")),
                        commit=str(item.get("Commit") or ""))


def _betterleaks_item(item: dict[str, Any]) -> ForeignEntry | None:
    location = item.get("location") if isinstance(item.get("location"), dict) else {}
    match = item.get("match") if isinstance(item.get("match"), dict) else {}
    attributes = item.get("attributes") if isinstance(item.get("attributes"), dict) else {}
    file = location.get("path")
    if not isinstance(file, str) or not file:
        return None
    value = match.get("value")
    digest = match.get("fingerprint")
    sha256 = digest.lower() if isinstance(digest, str) and len(digest) == 64 else ""
    return ForeignEntry(path=file, rule=str(item.get("rule_id", "")), secret=value if _clear(value) else "",
                        sha256=sha256, line=_int(location.get("start_line")),
                        commit=str(attributes.get("git.sha") or ""))


def _clear(value: Any) -> bool:
    """A usable clear-text secret: not missing, not (partly) redacted."""
    return isinstance(value, str) and bool(value) and "REDACTED" not in value and not value.endswith("...")


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _normalised(entry: ForeignEntry, root: Path | None) -> ForeignEntry:
    path = entry.path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    if os.path.isabs(path) and root is not None:
        for base in (str(root), os.path.realpath(root)):
            if path.startswith(base.rstrip("/") + "/"):
                path = path[len(base.rstrip("/")) + 1 :]
                break
    if path == entry.path:
        return entry
    return ForeignEntry(path, entry.rule, entry.secret, entry.sha1, entry.sha256, entry.line, entry.commit)


@dataclass
class ImportMatch:
    """Which keyscan findings the foreign entries matched, and how many entries matched none."""

    findings: list[Finding]
    unmatched: list[ForeignEntry]


def match_foreign(entries: list[ForeignEntry], findings: list[Finding], paths: list[str]) -> ImportMatch:
    """``paths[i]`` is the repository-relative path of ``findings[i]``."""
    by_path: dict[str, list[int]] = {}
    for index, path in enumerate(paths):
        by_path.setdefault(path, []).append(index)
    matched: set[int] = set()
    unmatched = []
    for entry in entries:
        hits = [i for i in by_path.get(entry.path, []) if entry.matches(findings[i], paths[i])]
        if hits:
            matched.update(hits)
        else:
            unmatched.append(entry)
    return ImportMatch([findings[i] for i in sorted(matched)], unmatched)
