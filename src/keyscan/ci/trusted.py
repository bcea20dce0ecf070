"""The repository files a pull request must not be able to change for its own scan, read at its base.

A pull request that adds its secret's fingerprint to ``.keyscanignore``, an
allowlist to ``.keyscan.yaml`` or an entry to the baseline would otherwise pass
its own check.  So for a pull request the config, the ignore file and an
in-repository baseline are taken from the base commit (``git ls-tree`` and
``git cat-file``, never the checked-out files) and handed to keyscan as
``--config``, ``--ignore-file`` and ``--baseline``.  When the base has no such
file, the defaults apply: nothing is ignored or allow-listed.
"""

from __future__ import annotations

import os
import posixpath
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from keyscan.config import CONFIG_NAMES
from keyscan.gitcmd import run_git
from keyscan.suppression import IGNORE_FILE

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_REGULAR = ("100644", "100755")


@dataclass
class FileArgs:
    """``keyscan history`` options naming the config, ignore file and baseline, and what was decided."""

    args: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def as_given(config: str, baseline: str) -> FileArgs:
    """Not a pull request: the checked-out files are the trusted ones."""
    chosen = FileArgs()
    if config:
        chosen.args += ["--config", config]
    if baseline:
        chosen.args += ["--baseline", baseline]
    return chosen


def from_base(repo: str, base: str, workdir: Path, *, config: str, baseline: str) -> FileArgs:
    """The config, ignore file and baseline as they are at ``base``, copied under ``workdir``."""
    root = Path(run_git(repo, ["rev-parse", "--show-toplevel"]).decode("utf-8", "surrogateescape").strip())
    shadow = BaseFiles(repo, base, workdir / "base")
    chosen = FileArgs()
    config_path = _config(shadow, root, config, chosen.notes)
    chosen.args += ["--config", str(config_path)]
    ignore = shadow.copy(IGNORE_FILE) or shadow.empty(IGNORE_FILE)
    chosen.args += ["--ignore-file", str(ignore)]
    if baseline:
        inside = repo_path(baseline, root)
        if inside is None:
            chosen.args += ["--baseline", baseline]
        elif (copied := shadow.copy(inside)) is not None:
            chosen.args += ["--baseline", str(copied)]
        else:
            chosen.notes.append(f"the baseline {inside} is not in the base commit {base[:12]}; "
                                "nothing is baselined")
    return chosen


def _config(shadow: BaseFiles, root: Path, given: str, notes: list[str]) -> Path:
    if given:
        inside = repo_path(given, root)
        if inside is None:
            return Path(given)  # outside the repository: not something the pull request can change
        names = [inside]
    else:
        names = [*CONFIG_NAMES, "pyproject.toml"]
    for name in names:
        data = shadow.read(name)
        if data is None or (not given and name == "pyproject.toml" and _tool_table(data) is None):
            continue
        path = shadow.write(name, data)
        for extra in _extra_rules(name, data):
            shadow.copy(extra)
        notes.append(f"config read from the base commit {shadow.commit[:12]}: {name}")
        return path
    what = given or "keyscan config (.keyscan.yaml, .keyscan.yml or pyproject.toml [tool.keyscan])"
    notes.append(f"the base commit {shadow.commit[:12]} has no {what}; the defaults apply")
    return shadow.empty(".keyscan-empty.yaml")


def _tool_table(data: bytes) -> dict[str, Any] | None:
    try:
        tool = tomllib.loads(data.decode("utf-8")).get("tool", {})
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    table = tool.get("keyscan") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def _extra_rules(name: str, data: bytes) -> list[str]:
    """Repository paths of the config's ``rules.extra`` (relative to the config file), so they can be
    copied from the base too.  A config keyscan cannot parse is left for keyscan to report."""
    document: Any
    if posixpath.basename(name) == "pyproject.toml":
        document = _tool_table(data)
    elif name.endswith(".toml"):
        try:
            document = tomllib.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            return []
    else:
        try:
            document = yaml.safe_load(data.decode("utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError):
            return []
    rules = document.get("rules") if isinstance(document, dict) else None
    extra = rules.get("extra") if isinstance(rules, dict) else None
    if not isinstance(extra, list):
        return []
    folder = posixpath.dirname(name)
    paths = [posixpath.normpath(posixpath.join(folder, item))
             for item in extra if isinstance(item, str) and item]
    return [p for p in paths if not p.startswith(("../", "/")) and p not in ("..", ".")]


def repo_path(path: str, root: Path) -> str | None:
    """``path`` (relative to the current directory) relative to the repository root, or None if outside."""
    absolute = os.path.realpath(path)
    top = os.path.realpath(root)
    if absolute == top or not absolute.startswith(top.rstrip(os.sep) + os.sep):
        return None
    return os.path.relpath(absolute, top).replace(os.sep, "/")


class BaseFiles:
    """Regular files of one commit, copied on demand into a shadow directory with the same layout."""

    def __init__(self, repo: str, commit: str, directory: Path) -> None:
        self.repo = repo
        self.commit = commit
        self.directory = directory

    def _entries(self, path: str, recursive: bool) -> list[tuple[str, str, str]]:
        """(mode, object id, path) of the blobs at ``path`` (a file, or every file under a directory)."""
        args = ["ls-tree", "-z", "--full-tree", *(["-r"] if recursive else []), self.commit, "--",
                f":(literal){path}"]
        entries = []
        for entry in run_git(self.repo, args).split(b"\0"):
            meta, tab, name = entry.partition(b"\t")
            if tab:
                mode, kind, oid = meta.decode("ascii", "replace").split(" ")
                if kind == "blob":
                    entries.append((mode, oid, os.fsdecode(name)))
        return entries

    def read(self, path: str) -> bytes | None:
        """The file's bytes at the commit; None when absent, a directory or a symlink."""
        for mode, oid, name in self._entries(path, recursive=False):
            if name == path and mode in _REGULAR:
                return run_git(self.repo, ["cat-file", "blob", oid])
        return None

    def write(self, path: str, data: bytes) -> Path:
        target = self.directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target

    def copy(self, path: str) -> Path | None:
        """Copy a file, or every regular file under a directory; the copy's path, or None if absent."""
        copied = None
        for mode, oid, name in self._entries(path, recursive=True):
            if mode in _REGULAR and (name == path or name.startswith(path.rstrip("/") + "/")):
                self.write(name, run_git(self.repo, ["cat-file", "blob", oid]))
                copied = self.directory / path
        return copied

    def empty(self, path: str) -> Path:
        return self.write(path, b"")
