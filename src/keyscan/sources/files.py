"""Working-tree source: which files to scan under the paths the user gave.

Inside a git work tree, the tracked plus untracked-but-not-ignored files (as
``git ls-files`` lists them); elsewhere, or with ``--no-git``, every file.
Symlinks are never followed out of the root; FIFOs and devices are skipped.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from keyscan.errors import KeyscanError
from keyscan.gitcmd import run_git, work_tree_root


@dataclass(frozen=True)
class FileTarget:
    """A file to read: where it is on disk and the path reports show."""

    disk_path: str
    display_path: str


@dataclass
class Listing:
    targets: list[FileTarget]
    skipped: list[str]  # one line each: path and reason
    incomplete: bool = False  # a directory could not be read: files in scope were not seen


SKIP_DIRS = frozenset({".git", ".hg", ".svn"})


def list_targets(paths: list[str], use_git: bool = True) -> Listing:
    listing = Listing([], [])
    seen: set[str] = set()
    for given in paths:
        if not os.path.lexists(given):
            raise KeyscanError(f"no such file or directory: {given}")
        if os.path.isdir(given) and not os.path.islink(given):
            root = work_tree_root(given) if use_git else None
            found = _git_files(given, root) if root else _walk(given, listing)
            found = _drop_escaping_links(found, given, listing.skipped)
        else:
            found = [FileTarget(given, _display(given))]
        for target in found:
            if target.disk_path not in seen:
                seen.add(target.disk_path)
                listing.targets.append(target)
    return listing


def _display(path: str) -> str:
    normal = os.path.normpath(path)
    return normal.replace(os.sep, "/")


def _git_files(given: str, root: str) -> list[FileTarget]:
    raw = run_git(given, ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."])
    targets = []
    for name in raw.split(b"\0"):
        if not name:
            continue
        relative = os.fsdecode(name)
        disk = os.path.join(given, relative)
        if os.path.isdir(disk) and not os.path.islink(disk):  # a submodule's gitlink
            continue
        targets.append(FileTarget(disk, _display(disk)))
    return targets


def _walk(given: str, listing: Listing) -> list[FileTarget]:
    def unreadable(error: OSError) -> None:
        where = _display(error.filename or given)
        listing.skipped.append(f"{where}: unreadable directory ({error.strerror})")
        listing.incomplete = True

    targets = []
    for directory, dirnames, filenames in os.walk(given, followlinks=False, onerror=unreadable):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            disk = os.path.join(directory, name)
            targets.append(FileTarget(disk, _display(disk)))
    return targets


def _drop_escaping_links(found: list[FileTarget], given: str, skipped: list[str]) -> list[FileTarget]:
    root_real = os.path.realpath(given)
    kept = []
    for target in found:
        if os.path.islink(target.disk_path) and not _inside(target.disk_path, root_real):
            skipped.append(f"{target.display_path}: symlink leads outside the scanned directory or loops")
        else:
            kept.append(target)
    return kept


def _inside(link: str, root_real: str) -> bool:
    try:
        target = os.path.realpath(link, strict=True)
    except (OSError, RuntimeError):
        return False
    return target == root_real or target.startswith(root_real + os.sep)


VANISHED = "unreadable: it disappeared during the scan"


def read_regular_file(path: str, max_size: int) -> tuple[bytes | None, str]:
    """The file's bytes, or None and a reason ('too-large', 'not-regular', VANISHED, 'unreadable: ...')."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        return None, VANISHED
    except OSError as exc:
        return None, f"unreadable: {exc.strerror}"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, "not-regular"
        if info.st_size > max_size:
            return None, "too-large"
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(max_size + 1)
        if len(data) > max_size:
            return None, "too-large"
        return data, ""
    except OSError as exc:
        return None, f"unreadable: {exc.strerror}"
    finally:
        os.close(fd)
