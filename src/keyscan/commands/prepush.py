"""``keyscan pre-push``: scan the commits a push sends, for pre-commit or a plain git hook.

Under pre-commit's pre-push stage the range comes from ``PRE_COMMIT_FROM_REF``
and ``PRE_COMMIT_TO_REF``; as a plain ``.git/hooks/pre-push`` it comes from the
lines git writes on stdin (``<local ref> <local sha> <remote ref> <remote sha>``).
A new branch (remote sha all zeros) is scanned for the commits no other ref has.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from keyscan.commands.options import build_options, scan_options
from keyscan.gitcmd import work_tree_root
from keyscan.model import Finding, ScanSummary
from keyscan.pipeline import build_suppressor, finish, prepare
from keyscan.scanner import default_jobs
from keyscan.sources.history import inspect_repo, request_for, scan_history

ZERO = "0" * 40


def _pushes(stdin_text: str) -> list[tuple[str, str | None, str]]:
    to_ref = os.environ.get("PRE_COMMIT_TO_REF")
    if to_ref:
        base = os.environ.get("PRE_COMMIT_FROM_REF") or None
        local = os.environ.get("PRE_COMMIT_LOCAL_BRANCH") or to_ref
        return [(local, base if base and base.strip("0") else None, to_ref)]
    pushes = []
    for line in stdin_text.splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue
        local_ref, local_sha, _remote_ref, remote_sha = parts
        if not local_sha.strip("0"):
            continue  # deleting a remote branch sends no commits
        pushes.append((local_ref, remote_sha if remote_sha.strip("0") else None, local_sha))
    return pushes


@click.command("pre-push")
@click.argument("repo", required=False, default=".", type=click.Path(file_okay=False))
@scan_options
@click.pass_context
def pre_push(ctx: click.Context, repo: str, **kwargs: Any) -> int:
    """Scan only the commits being pushed.

    \b
    Examples:
      keyscan pre-push                 # in .git/hooks/pre-push: git passes the refs on stdin
      (pre-commit runs it for you with the keyscan-push hook)
    """
    options = build_options(ctx, **kwargs)
    started = time.monotonic()
    stdin_text = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    pushes = _pushes(stdin_text)
    info = inspect_repo(repo)
    prepared = prepare(options, Path(repo))
    summary = ScanSummary()
    findings: dict[tuple[str, str], Finding] = {}
    for local_ref, base, tip in pushes:
        if base is not None and _known(repo, base):
            request = request_for(repo, range_=f"{base}..{tip}")
        else:
            request = request_for(repo, new_branch=local_ref if _known(repo, local_ref) else tip)
        result = scan_history(prepared.detector, request, jobs=options.jobs or default_jobs(), progress=False)
        summary.merge(result.summary)
        for finding in result.findings:
            findings.setdefault((finding.rule_id, finding.fingerprint), finding)
    if not pushes:
        summary.notes.append("no pushed commits were given (PRE_COMMIT_TO_REF unset and nothing on stdin)")
    summary.duration_seconds = time.monotonic() - started
    top = info.toplevel or work_tree_root(repo)
    suppressor = build_suppressor(prepared, options, Path(top) if top else None)
    ordered = sorted(findings.values(), key=lambda f: f.sort_key())
    return finish(options, prepared, ordered, summary, suppressor, "history")


def _known(repo: str, rev: str) -> bool:
    from keyscan.errors import GitError
    from keyscan.sources.history import resolve_commit

    try:
        resolve_commit(repo, rev)
    except GitError:
        return False
    return True
