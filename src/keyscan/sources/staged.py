"""Staged changes: scan the index version of each staged file, which is what the next commit holds.

The working-tree copy may differ (``git add -p``, edits after ``git add``), so
contents come from the index blobs, streamed through the same cat-file engine
as history.  Explicit paths (pre-commit passes file names) limit the scan.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence

from keyscan.engine.detector import Detector
from keyscan.errors import GitError
from keyscan.gitcmd import run_git
from keyscan.model import Finding
from keyscan.scanner import BatchResult, default_jobs
from keyscan.sources.blobscan import scan_blobs
from keyscan.sources.jobs import BlobJob

_SKIPPED_MODES = ("160000", "120000")  # submodule commits and symlinks carry no file content


def scan_staged(detector: Detector, repo_dir: str, paths: Sequence[str] | None = None, *,
                progress: bool = False) -> BatchResult:
    """Findings in the staged (added, copied, modified, renamed, type-changed) files of ``repo_dir``."""
    if shutil.which("git") is None:
        raise GitError("git was not found on PATH; --staged needs git installed")
    directory = repo_dir or "."
    top = run_git(directory, ["rev-parse", "--show-toplevel"], check=False).decode("utf-8", "surrogateescape")
    top = top.strip()
    if not top:
        raise GitError(f"--staged needs a git work tree, and {directory} is not inside one")
    raw = run_git(top, ["diff", "--cached", "--raw", "-z", "--no-abbrev", "--no-renames", "--no-color",
                        "--no-ext-diff", "--no-textconv", "--diff-filter=ACMRTU", "--",
                        *_pathspecs(top, paths)])
    result = BatchResult()
    jobs_list, unmerged = _staged_blobs(raw, top)
    if unmerged:
        result.summary.notes.append(f"{unmerged} path(s) with unresolved merge conflicts were not scanned")
    if not jobs_list:
        return result
    found: list[Finding] = []
    summary = scan_blobs(detector, top, jobs_list, lambda _index, findings: found.extend(findings),
                         jobs=detector.settings.jobs or default_jobs(), progress=progress)
    summary.files_scanned = summary.blobs_scanned
    result.summary.merge(summary)
    result.findings = sorted(found, key=lambda f: f.sort_key())
    result.units = len(jobs_list)
    return result


def _pathspecs(top: str, paths: Sequence[str] | None) -> list[str]:
    """Each given path (relative to the current directory) as a literal pathspec from the top level."""
    specs = []
    top_real = os.path.realpath(top)
    for given in paths or ():
        absolute = os.path.realpath(os.path.abspath(given))
        relative = os.path.relpath(absolute, top_real)
        if relative == os.curdir:
            return []
        if relative.startswith(os.pardir + os.sep) or relative == os.pardir:
            raise GitError(f"{given} is outside the repository at {top}")
        specs.append(":(literal)" + relative.replace(os.sep, "/"))
    return specs


def _staged_blobs(raw: bytes, top: str) -> tuple[list[BlobJob], int]:
    """Parse ``diff --raw -z``: ``:oldmode newmode oldid newid status`` then the path."""
    fields = raw.split(b"\0")
    jobs_list: list[BlobJob] = []
    unmerged = 0
    here = os.getcwd()
    for meta, name in zip(fields[0::2], fields[1::2], strict=False):
        parts = meta.decode("ascii", "replace").lstrip(":").split(" ")
        if len(parts) != 5:
            continue
        new_mode, new_id, status = parts[1], parts[3], parts[4]
        if status.startswith("U"):
            unmerged += 1
            continue
        if new_mode in _SKIPPED_MODES or set(new_id) == {"0"}:
            continue
        path = os.path.relpath(os.path.join(top, os.fsdecode(name)), here).replace(os.sep, "/")
        jobs_list.append(BlobJob(new_id, path))
    return jobs_list, unmerged
