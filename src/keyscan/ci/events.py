"""What a GitHub event asks to scan, and whether the checkout holds those commits.

A pull request is scanned for the commits between its base and head, a push for
``before..after``, a new branch or tag for the commits no other ref has, a
branch deletion for nothing, and anything else (schedule, workflow_dispatch...)
for the whole history.  The refs come from the event payload; the commits come
from git, never from the payload's ``commits`` list, which is capped and knows
nothing of force pushes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from keyscan.errors import GitError, KeyscanError
from keyscan.gitcmd import run_git
from keyscan.sources.history import request_for

PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target", "pull_request_review",
                                 "pull_request_review_comment"})
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
FETCH_ALL = "check out the whole history with actions/checkout 'fetch-depth: 0'"


class EventError(KeyscanError):
    """The event cannot be scanned as asked (bad payload, commits missing from the checkout)."""


@dataclass(frozen=True)
class Plan:
    """One event's scan: ``selection`` holds the ``keyscan history`` options (None: nothing to scan)."""

    scanned: str  # what was scanned, for the `scanned` output and the job summary
    selection: tuple[str, ...] | None
    trusted_base: str | None = None  # a pull request's base: its repository files are the trusted ones
    notes: tuple[str, ...] = ()


def plan_for(event: str, payload: Mapping[str, Any], repo: str) -> Plan:
    """The scan ``event`` asks for; raises ``EventError`` when the payload lacks what it needs."""
    if event in PULL_REQUEST_EVENTS:
        pull = _mapping(payload.get("pull_request"), "pull_request")
        base = _sha(_mapping(pull.get("base"), "pull_request.base").get("sha"), "pull_request.base.sha")
        head = _sha(_mapping(pull.get("head"), "pull_request.head").get("sha"), "pull_request.head.sha")
        return _range(base, head, trusted=True)
    if event == "merge_group":
        group = _mapping(payload.get("merge_group"), "merge_group")
        return _range(_sha(group.get("base_sha"), "merge_group.base_sha"),
                      _sha(group.get("head_sha"), "merge_group.head_sha"), trusted=True)
    if event == "push":
        return _push(payload, repo)
    if event == "delete":
        return Plan("nothing (a branch or tag was deleted)", None)
    return Plan("history (all refs)", ())


def _push(payload: Mapping[str, Any], repo: str) -> Plan:
    ref = payload.get("ref")
    if not isinstance(ref, str) or not ref.startswith("refs/"):
        raise EventError("the push event payload has no 'ref'")
    after = _sha(payload.get("after"), "after")
    if payload.get("deleted") or not after.strip("0"):
        return Plan(f"nothing ({ref} was deleted)", None)
    before = payload.get("before")
    before = _sha(before, "before") if before is not None else "0" * 40
    if payload.get("created") or not before.strip("0"):
        return _new_branch(repo, ref, after, ())
    if not has_commit(repo, before) and not is_shallow(repo):
        # A full clone lacks 'before' only when no ref reaches it any more: a force push.
        note = (f"the commit before the push ({before[:12]}) is not in the repository (a force push?); "
                "scanning the commits of the branch that no other ref has")
        return _new_branch(repo, ref, after, (note,))
    return _range(before, after, trusted=False)


def _range(base: str, head: str, *, trusted: bool) -> Plan:
    return Plan(f"range {base}..{head}", ("--range", f"{base}..{head}"), base if trusted else None)


def _new_branch(repo: str, ref: str, after: str, notes: tuple[str, ...]) -> Plan:
    """``--new-branch`` needs the ref's name (to leave its own copies out of "every other ref")."""
    candidates = [ref]
    if ref.startswith("refs/heads/"):
        candidates.append("refs/remotes/origin/" + ref[len("refs/heads/"):])
    for name in candidates:
        tip = _resolve(repo, name)
        if tip is None:
            continue
        if tip != after and has_commit(repo, after):
            notes += (f"{name} points at {tip[:12]}, not at the pushed commit {after[:12]}; scanning {name}",)
        return Plan(f"new-branch {name}", ("--new-branch", name), notes=notes)
    note = (f"{ref} is not in the checkout, so the commits only it has cannot be told apart; "
            f"scanning everything reachable from {after[:12]}")
    return Plan(f"branch {after}", ("--branch", after), notes=(*notes, note))


def check_available(repo: str, plan: Plan) -> None:
    """Fail clearly, instead of scanning less than asked, when the checkout lacks commits the plan needs:
    an endpoint that is missing, or a shallow boundary inside what must be walked."""
    if plan.selection is None:
        return
    shallow = is_shallow(repo)
    option, value = (*plan.selection, "", "")[:2]
    needed: list[tuple[str, str]] = []
    if option == "--range":
        base, _, head = value.partition("..")
        needed = [(base, "the base"), (head, "the head")]
    elif option == "--branch":
        needed = [(value, "the pushed commit")]
    for commit, role in needed:
        if not has_commit(repo, commit):
            why = "the checkout is shallow and lacks" if shallow else "the checkout lacks"
            raise EventError(f"{why} commit {commit} ({role} of what this event asks to scan); {FETCH_ALL}")
    if not shallow:
        return
    cut = _shallow_commits(repo) & _walked(repo, option, value)
    if cut:
        first = sorted(cut)[0]
        raise EventError(f"the checkout is shallow: its history stops at commit {first[:12]}, inside what "
                         f"this event asks to scan, so older commits would go unscanned; {FETCH_ALL}")


def _walked(repo: str, option: str, value: str) -> set[str]:
    """Every commit the scan would walk (the same revisions ``keyscan history`` uses)."""
    try:
        request = request_for(repo, range_=value if option == "--range" else None,
                              new_branch=value if option == "--new-branch" else None,
                              branch=value if option == "--branch" else None)
    except GitError as exc:
        raise EventError(f"{exc.format_message()}; {FETCH_ALL}") from None
    out = run_git(repo, ["rev-list", *request.revisions, "--"])
    return set(out.decode("ascii", "replace").split())


def _shallow_commits(repo: str) -> set[str]:
    path = run_git(repo, ["rev-parse", "--git-path", "shallow"]).decode("utf-8", "surrogateescape").strip()
    path = path if os.path.isabs(path) else os.path.join(repo, path)
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return set(handle.read().split())
    except OSError:
        return set()


def is_shallow(repo: str) -> bool:
    return run_git(repo, ["rev-parse", "--is-shallow-repository"], check=False).strip() == b"true"


def has_commit(repo: str, sha: str) -> bool:
    return _resolve(repo, sha) is not None


def _resolve(repo: str, rev: str) -> str | None:
    out = run_git(repo, ["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
                  check=False).strip()
    return out.decode("ascii", "replace") or None


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise EventError(f"the event payload has no '{name}' object")
    return value


def _sha(value: Any, name: str) -> str:
    if not isinstance(value, str) or not _SHA.fullmatch(value):
        raise EventError(f"the event payload's '{name}' is not a commit id: {str(value)[:80]!r}")
    return value
