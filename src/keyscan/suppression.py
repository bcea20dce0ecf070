"""Decide which findings are reported and which are suppressed, and why.

Suppressed findings are kept (with ``suppressed_by``) so ``--show-suppressed``
and the summary can account for every one of them.  The reasons, in the order
they are checked: ``inline`` (an allow comment, set by the detector),
``config-path`` / ``config-value`` (the config file's allowlists),
``ignore-file`` (a fingerprint in ``.keyscanignore``) and ``baseline``.

Paths are compared relative to the repository root, so a baseline or a path
glob means the same thing whether keyscan ran from the root, from a
sub-directory or with an absolute path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from keyscan.config import Config
from keyscan.model import Finding

IGNORE_FILE = ".keyscanignore"
REASONS = ("inline", "config-path", "config-value", "ignore-file", "baseline")
_FINGERPRINT = re.compile(r"ks1:[0-9a-f]{24}")


@dataclass(frozen=True)
class IgnoreFile:
    """The fingerprints of ``.keyscanignore`` and one note per line that is not one."""

    fingerprints: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()


def read_ignore_file(path: Path) -> IgnoreFile:
    """One fingerprint per line; ``#`` starts a comment (the reason).  A bad line is noted, not fatal:
    skipping it can only report more, never hide more."""
    if not path.is_file():
        return IgnoreFile()
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return IgnoreFile(notes=(f"{path}: cannot read ({exc.__class__.__name__}); no finding ignored by it",))
    fingerprints, notes = set(), []
    for number, line in enumerate(text.splitlines(), 1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        if _FINGERPRINT.fullmatch(value):
            fingerprints.add(value)
        else:
            notes.append(f"{path.name} line {number}: not a keyscan fingerprint (ks1:<24 hex>); line ignored")
    return IgnoreFile(frozenset(fingerprints), tuple(notes))


def repo_relative(finding: Finding, root: Path | None) -> str:
    """The finding's path relative to the repository root, with '/' separators.

    Working-tree findings carry the path as the user typed it (relative to the
    current directory, or absolute); history findings already carry the path
    inside the repository.
    """
    if finding.commit:
        return finding.path.replace(os.sep, "/")
    return tree_relative(finding.path, root)


def tree_relative(path: str, root: Path | None) -> str:
    """A working-tree path (relative to the current directory, or absolute) relative to ``root``."""
    if root is None or path.startswith("<"):
        return path.replace(os.sep, "/")
    relative = _relative(path, str(root), os.getcwd())
    return "" if relative == "." else relative


@lru_cache(maxsize=4096)
def _relative(path: str, root: str, cwd: str) -> str:
    absolute = os.path.normpath(os.path.join(cwd, path))
    for base in (os.path.abspath(root), os.path.realpath(root)):
        for candidate in (absolute, os.path.realpath(absolute)):
            if candidate == base or candidate.startswith(base.rstrip(os.sep) + os.sep):
                return os.path.relpath(candidate, base).replace(os.sep, "/")
    return path.replace(os.sep, "/")


@dataclass
class Suppressor:
    """All suppression sources for one scan."""

    config: Config = field(default_factory=Config)
    ignored_fingerprints: frozenset[str] | set[str] = field(default_factory=frozenset)
    baseline_keys: frozenset[tuple[str, str, str]] | set[tuple[str, str, str]] = field(default_factory=frozenset)
    root: Path | None = None
    notes: list[str] = field(default_factory=list)

    def reason(self, finding: Finding) -> str:
        """Why ``finding`` is suppressed, or "" when it is reported."""
        if finding.suppressed_by:
            return finding.suppressed_by
        path = repo_relative(finding, self.root)
        if any(path_matches(path, glob) for glob in self.config.allow_paths):
            return "config-path"
        if any(p.search(finding.secret) for p in self.config.allow_values):
            return "config-value"
        if finding.fingerprint in self.ignored_fingerprints:
            return "ignore-file"
        if (finding.rule_id, path, finding.fingerprint) in self.baseline_keys:
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


def path_matches(path: str, pattern: str) -> bool:
    """gitignore-style glob: ``*`` and ``?`` stay inside one path component, ``**`` crosses them,
    a pattern without '/' matches a name at any depth, and a pattern that matches a directory
    matches everything under it."""
    compiled = _glob(pattern)
    parts = path.split("/")
    return any(compiled.fullmatch("/".join(parts[:end])) for end in range(len(parts), 0, -1))


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    text = pattern.strip()
    while text.startswith("./"):
        text = text[2:]
    text = text.rstrip("/")
    anchored = "/" in text
    text = text.lstrip("/")
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if text.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if text.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in text[i + 2 :]:
            end = text.index("]", i + 2)
            body = text[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = end + 1
            continue
        else:
            out.append(re.escape(char))
        i += 1
    body = "".join(out)
    return re.compile(body if anchored else "(?:.*/)?" + body)
