"""``keyscan history``: every blob in a repository's history, or only what a range introduced."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import click

from keyscan.commands.options import build_options, scan_options
from keyscan.gitcmd import work_tree_root
from keyscan.output import progress_enabled
from keyscan.pipeline import build_suppressor, finish, prepare, scan_cache
from keyscan.scanner import default_jobs
from keyscan.sources.history import inspect_repo, request_for, scan_history, start_walk


@click.command()
@click.argument("repo", required=False, default=".", type=click.Path(file_okay=False))
@click.option("--branch", metavar="NAME", help="Only the history reachable from this branch (or any revision).")
@click.option("--range", "range_", metavar="BASE..HEAD",
              help="Only what the commits in BASE..HEAD added or changed (a pull request).")
@click.option("--since", metavar="REF", help="Only what the commits after REF up to HEAD added (REF..HEAD).")
@click.option("--new-branch", metavar="REF",
              help="Only the commits of REF that no other branch, tag or remote-tracking ref contains "
                   "(a push of a new branch: pass its name).")
@click.option("--recurse-submodules", is_flag=True,
              help="Also scan the history of each checked-out submodule (otherwise they are only listed).")
@click.option("--full-blobs", is_flag=True,
              help="Scan every version of every file whole. By default a version that modifies a file is "
                   "scanned around the lines it changed, and whole again when the version before had a "
                   "finding: same findings, several times faster.")
@scan_options
@click.pass_context
def history(ctx: click.Context, repo: str, branch: str | None, range_: str | None, since: str | None,
            new_branch: str | None, recurse_submodules: bool, full_blobs: bool, **kwargs: Any) -> int:
    """Scan a repository's git history: all branches, tags and remote-tracking refs by default.

    Each secret is reported once, at the commit that introduced it, with
    status 'present' (still in HEAD) or 'removed' (only in history).

    \b
    Examples:
      keyscan history                           # the whole history of the current repository
      keyscan history --branch main path/to/repo
      keyscan history --range origin/main..HEAD # what a pull request adds
      keyscan history --since v1.2.0            # what was added after a tag
      keyscan history --new-branch feature/x    # a newly pushed branch
      keyscan history -f json -o history.json
    """
    options = dataclasses.replace(build_options(ctx, **kwargs), full_blobs=full_blobs)
    chosen = [name for name, value in (("--branch", branch), ("--range", range_), ("--since", since),
                                       ("--new-branch", new_branch)) if value is not None]
    if len(chosen) > 1:
        raise click.UsageError(f"{' and '.join(chosen)} cannot be combined; choose one")
    started = time.monotonic()
    root = Path(repo)
    info = inspect_repo(repo)
    request = request_for(repo, branch=branch, range_=range_, since=since, new_branch=new_branch,
                          recurse_submodules=recurse_submodules)
    early = start_walk(request, cached=not options.no_cache, shallow=info.shallow)  # git sorts while rules load
    try:
        prepared = prepare(options, root)
        with scan_cache(options, prepared) as cache:
            result = scan_history(prepared.detector, request, jobs=options.jobs or default_jobs(),
                                  progress=progress_enabled(options.quiet), cache=cache, early=early)
    finally:
        early.close()
    summary = result.summary
    summary.duration_seconds = time.monotonic() - started
    top = info.toplevel or work_tree_root(repo)
    suppressor = build_suppressor(prepared, options, Path(top) if top else None)
    return finish(options, prepared, result.findings, summary, suppressor, "history")
