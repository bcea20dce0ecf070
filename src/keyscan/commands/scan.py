"""``keyscan scan``: a working tree, directories, files, stdin, or the staged changes."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from keyscan.commands.options import build_options, scan_options
from keyscan.gitcmd import work_tree_root
from keyscan.model import ScanSummary
from keyscan.output import progress_bar, progress_enabled
from keyscan.pipeline import build_suppressor, finish, prepare, scan_cache
from keyscan.scanner import BatchResult, batched, default_jobs, run_batches, scan_bytes, scan_file_batch
from keyscan.sources.files import list_targets


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--no-git", is_flag=True, help="Walk every file, ignoring .gitignore and git's file list.")
@click.option("--staged", is_flag=True, help="Scan the staged (index) version of each staged file.")
@scan_options
@click.pass_context
def scan(ctx: click.Context, paths: tuple[str, ...], no_git: bool, staged: bool, **kwargs: Any) -> int:
    """Scan files and directories (default: the current directory); '-' reads stdin.

    \b
    Examples:
      keyscan scan                      # the current git work tree
      keyscan scan src/ config.yaml     # some paths
      cat file | keyscan scan -         # stdin
      keyscan scan --staged             # what the next commit will contain
      keyscan scan -f sarif -o keyscan.sarif
    """
    options = build_options(ctx, **kwargs)
    started = time.monotonic()
    targets = list(paths) or ["."]
    root = Path(next((p for p in targets if p != "-"), "."))
    prepared = prepare(options, root)
    repo_root = _repo_root(root)
    if staged:
        from keyscan.sources.staged import scan_staged

        result = scan_staged(prepared.detector, str(root if root.is_dir() else root.parent), list(paths) or None)
        kind = "staged"
    elif targets == ["-"]:
        result = BatchResult()
        data = sys.stdin.buffer.read()
        if scan_bytes(prepared.detector, data, "<stdin>", result):
            result.summary.files_scanned = 1
        kind = "tree"
    else:
        result = _scan_paths(prepared, targets, not no_git, options)
        kind = "tree"
    summary: ScanSummary = result.summary
    summary.duration_seconds = time.monotonic() - started
    suppressor = build_suppressor(prepared, options, repo_root)
    return finish(options, prepared, result.findings, summary, suppressor, kind)


def _repo_root(root: Path) -> Path | None:
    directory = root if root.is_dir() else root.parent
    top = work_tree_root(str(directory or Path(".")))
    return Path(top) if top else (directory if directory.is_dir() else None)


def _scan_paths(prepared: Any, targets: list[str], use_git: bool, options: Any) -> BatchResult:
    if "-" in targets:
        raise click.UsageError("'-' (stdin) cannot be combined with other paths")
    listing = list_targets(targets, use_git=use_git)
    jobs = options.jobs or default_jobs()
    if len(listing.targets) < 64:
        jobs = 1
    size = max(8, min(256, len(listing.targets) // (jobs * 8) or 1))
    bar = progress_bar(len(listing.targets), "file", progress_enabled(options.quiet))
    try:
        with scan_cache(options, prepared) as cache:
            result = run_batches(prepared.detector, batched(listing.targets, size), scan_file_batch, jobs,
                                 on_progress=lambda part: bar.update(part.units), cache=cache)
    finally:
        bar.close()
    result.summary.skipped_other += len(listing.skipped)
    result.summary.warnings[:0] = listing.skipped
    result.summary.incomplete = result.summary.incomplete or listing.incomplete
    return result
