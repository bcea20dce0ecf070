"""Baseline files: accepted findings, identified by rule, path and keyed fingerprint.

No line numbers (code moves), no timestamps, entries sorted one per line (the
file is committed and merged), and never a secret: only the HMAC fingerprint,
plus a key id that tells which fingerprint key made the file so a scan with a
different key can say so instead of reporting every entry as new.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keyscan.errors import ConfigError
from keyscan.model import Finding
from keyscan.output import atomic_text_file, current_umask
from keyscan.settings import DEFAULT_FINGERPRINT_KEY
from keyscan.suppression import repo_relative

BASELINE_VERSION = 1
DEFAULT_BASELINE_NAME = ".keyscan-baseline.json"
SCAN_KINDS = ("tree", "history")
_KEY_ID_MESSAGE = b"keyscan fingerprint key id v1"
_ENTRY_KEYS = ("path", "rule_id", "fingerprint", "note")


def key_id(key: str) -> str:
    """A short, non-secret name for a fingerprint key: HMAC of a fixed string under the key."""
    return hmac.new(key.encode(), _KEY_ID_MESSAGE, hashlib.sha256).hexdigest()[:16]


def describe_key(identifier: str) -> str:
    return f"{identifier} (the built-in default key)" if identifier == key_id(DEFAULT_FINGERPRINT_KEY) else identifier


@dataclass(frozen=True, order=True)
class Entry:
    """One accepted finding.  Field order is the sort order of the file."""

    path: str
    rule_id: str
    fingerprint: str

    def key(self) -> tuple[str, str, str]:
        """The tuple ``Suppressor.baseline_keys`` holds."""
        return (self.rule_id, self.path, self.fingerprint)


@dataclass
class Baseline:
    """Entries (each with an optional free-text note kept across updates) and the key that made them."""

    key_id: str
    scan: str = "tree"
    entries: dict[Entry, str] = field(default_factory=dict)

    def keys(self) -> frozenset[tuple[str, str, str]]:
        return frozenset(entry.key() for entry in self.entries)

    def key_mismatch(self, current_key: str, source: Path | str) -> str:
        """A warning when this baseline was made with another fingerprint key, else ""."""
        current = key_id(current_key)
        if self.key_id == current or not self.entries:
            return ""
        return (f"baseline {source} was made with fingerprint key {describe_key(self.key_id)} but the current "
                f"key is {describe_key(current)}: none of its {len(self.entries)} entries can match, so every "
                "finding is reported as new; set KEYSCAN_FINGERPRINT_KEY to the key that made it, or re-create it")


def entry_for(finding: Finding, root: Path | None) -> Entry:
    return Entry(repo_relative(finding, root), finding.rule_id, finding.fingerprint)


def entries_for(findings: Iterable[Finding], root: Path | None) -> set[Entry]:
    return {entry_for(finding, root) for finding in findings}


def load_baseline(path: Path) -> Baseline:
    """Read and validate a baseline; any problem is one ``ConfigError`` line (exit 2)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: baseline file not found (create one with 'keyscan baseline create')") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a baseline file") from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a keyscan baseline ({exc.__class__.__name__})") from None
    return parse_baseline(document, path)


def parse_baseline(document: Any, path: Path | str) -> Baseline:
    def fail(where: str, problem: str) -> ConfigError:
        return ConfigError(f"{path}: {where}: {problem}")

    if not isinstance(document, dict) or "keyscan_baseline" not in document:
        raise ConfigError(f"{path}: not a keyscan baseline (no 'keyscan_baseline' version key)")
    if document["keyscan_baseline"] != BASELINE_VERSION:
        raise fail("keyscan_baseline", f"unsupported version {document['keyscan_baseline']!r} "
                                       f"(this keyscan reads {BASELINE_VERSION})")
    unknown = sorted(set(document) - {"keyscan_baseline", "fingerprint_key_id", "scan", "findings"})
    if unknown:
        raise fail(unknown[0], "unknown key")
    identifier = document.get("fingerprint_key_id")
    if not isinstance(identifier, str) or not identifier:
        raise fail("fingerprint_key_id", "must be a non-empty string")
    scan = document.get("scan", "tree")
    if scan not in SCAN_KINDS:
        raise fail("scan", f"must be one of {', '.join(SCAN_KINDS)}")
    raw_entries = document.get("findings")
    if not isinstance(raw_entries, list):
        raise fail("findings", "must be a list")
    baseline = Baseline(identifier, scan)
    for index, raw in enumerate(raw_entries):
        where = f"findings[{index}]"
        if not isinstance(raw, dict):
            raise fail(where, "must be a mapping")
        extra = sorted(set(raw) - set(_ENTRY_KEYS))
        if extra:
            raise fail(f"{where}.{extra[0]}", "unknown key")
        for name in ("path", "rule_id", "fingerprint"):
            if not isinstance(raw.get(name), str) or not raw[name]:
                raise fail(f"{where}.{name}", "must be a non-empty string")
        note = raw.get("note", "")
        if not isinstance(note, str):
            raise fail(f"{where}.note", "must be a string")
        baseline.entries[Entry(raw["path"], raw["rule_id"], raw["fingerprint"])] = note
    return baseline


def dump_baseline(baseline: Baseline) -> str:
    """Stable text: fixed key order, entries sorted, one per line, no timestamps or line numbers."""
    lines = []
    for entry in sorted(baseline.entries):
        record: dict[str, str] = {"path": entry.path, "rule_id": entry.rule_id, "fingerprint": entry.fingerprint}
        if baseline.entries[entry]:
            record["note"] = baseline.entries[entry]
        lines.append("    " + json.dumps(record, ensure_ascii=False))
    body = ",\n".join(lines)
    return (
        "{\n"
        f'  "keyscan_baseline": {BASELINE_VERSION},\n'
        f'  "fingerprint_key_id": {json.dumps(baseline.key_id)},\n'
        f'  "scan": {json.dumps(baseline.scan)},\n'
        '  "findings": [' + ("\n" + body + "\n  ]\n" if lines else "]\n") + "}\n"
    )


def write_baseline(path: Path, baseline: Baseline) -> None:
    """Write via a temporary file and rename, so an interrupted run never leaves half a baseline."""
    if path.exists() and not path.is_file():  # never replace a device such as /dev/null with a regular file
        raise ConfigError(f"{path}: not a regular file; cannot write the baseline there")
    try:
        with atomic_text_file(path, 0o644 & ~current_umask(), prefix=".keyscan-baseline-") as handle:
            handle.write(dump_baseline(baseline))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write the baseline ({exc.__class__.__name__})") from None


def in_scope(entry: Entry, scope: str) -> bool:
    """Whether ``entry`` lies under ``scope`` (a repository-relative path; "" is everything)."""
    return not scope or entry.path == scope or entry.path.startswith(scope.rstrip("/") + "/")


@dataclass(frozen=True)
class UpdateResult:
    baseline: Baseline
    added: int
    dropped: int
    kept: int


def updated(old: Baseline, current: set[Entry], scopes: list[str]) -> UpdateResult:
    """Add the current findings that are new and drop the entries in scope that are gone.

    Entries outside ``scopes`` (the parts of the repository that were scanned)
    are kept untouched, and so are the notes of entries that stay.
    """
    result = Baseline(old.key_id, old.scan)
    dropped = 0
    for entry, note in old.entries.items():
        if entry in current or not any(in_scope(entry, scope) for scope in scopes):
            result.entries[entry] = note
        else:
            dropped += 1
    added = 0
    for entry in sorted(current):
        if entry not in result.entries:
            result.entries[entry] = ""
            added += 1
    return UpdateResult(result, added, dropped, len(result.entries) - added)
