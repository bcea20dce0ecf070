"""Decide which findings are reported and which are suppressed, and why.

Suppressed findings are kept (with ``suppressed_by``) so ``--show-suppressed``
and the summary can account for every one of them.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from keyscan.config import Config
from keyscan.model import Finding

IGNORE_FILE = ".keyscanignore"


def read_ignore_file(path: Path) -> set[str]:
    """Fingerprints from ``.keyscanignore``: one per line, ``#`` starts a comment."""
    if not path.is_file():
        return set()
    fingerprints = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        value = line.split("#", 1)[0].strip()
        if value:
            fingerprints.add(value)
    return fingerprints


@dataclass
class Suppressor:
    """All suppression sources for one scan."""

    config: Config = field(default_factory=Config)
    ignored_fingerprints: set[str] = field(default_factory=set)
    baseline_keys: set[tuple[str, str, str]] = field(default_factory=set)

    def reason(self, finding: Finding) -> str:
        if finding.suppressed_by:
            return finding.suppressed_by
        if any(_path_matches(finding.path, g) for g in self.config.allow_paths):
            return "config-path"
        if any(p.search(finding.secret) for p in self.config.allow_values):
            return "config-value"
        if finding.fingerprint in self.ignored_fingerprints:
            return "ignore-file"
        if (finding.rule_id, finding.path, finding.fingerprint) in self.baseline_keys:
            return "baseline"
        return ""

    def split(self, findings: Iterable[Finding]) -> tuple[list[Finding], list[Finding]]:
        """(reported, suppressed), each suppressed finding tagged with its reason."""
        reported, suppressed = [], []
        for finding in findings:
            why = self.reason(finding)
            if why:
                finding.suppressed_by = why
                suppressed.append(finding)
            else:
                reported.append(finding)
        return reported, suppressed


def _path_matches(path: str, pattern: str) -> bool:
    return fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern.rstrip("/") + "/*") or any(
        fnmatch.fnmatch(path[i + 1 :], pattern) for i, c in enumerate(path) if c == "/"
    )
