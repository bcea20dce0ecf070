"""The history walk rebuilt from cached commit diffs, so a re-scan only diffs the commits it has not seen.

A commit's raw diff against its parents (combined for a merge) never changes: it is cached per commit
id.  A re-scan asks git for the commit list with its metadata only (``git log`` without ``--raw``, in
the same order and with the same parser as ``walk_history``), takes the diffs of known commits from the
cache, runs ``git log --raw --no-walk`` over just the new ones (git prints them in the order given,
byte for byte as the full walk would), and folds everything into the same ``Walk``.  The walk, and so
every answer, is identical to ``walk_history``'s.

Not used where a commit's parents are not what its id says: shallow clones and grafts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator, Sequence

from keyscan.cache import ScanCache
from keyscan.errors import GitError
from keyscan.gitcmd import run_git
from keyscan.sources.history import (
    _HEADER,
    _LOG_FORMAT,
    LOG_FLAGS,
    EarlyStart,
    Walk,
    _parse_log,
    _result_blob,
    _tokens,
    chunk_args,
    commit_entry,
    git_stream,
    walk_history,
)

_ID_FORMAT = "%x01%H%x00"  # a fresh diff's header: the commit id only (the commit list has the rest)
STORE_EVERY = 1000


def cached_walk(cache: ScanCache, repo: str, revisions: Sequence[str], *, track_paths: bool,
                shallow: bool, on_commit: Callable[[Walk], None] | None = None,
                early: EarlyStart | None = None) -> Walk:
    """``walk_history(repo, revisions)``, with the diffs of commits already seen taken from ``cache``."""
    if shallow or cache.broken or _has_grafts(repo):
        return walk_history(repo, revisions, track_paths=track_paths, on_commit=on_commit, early=early)
    if not cache.known_commits(recent_commits(repo, revisions)):  # (the same test start_walk made)
        return _walk_and_store(cache, repo, revisions, track_paths=track_paths, on_commit=on_commit, early=early)
    walk = Walk(touched=set() if track_paths else None)
    _read_commits(repo, revisions, walk, early)
    walk.on_commit = on_commit
    ids = walk.commits.ids()
    known = cache.known_commits(ids)
    missing = [i for i in ids if i not in known]
    try:
        _fold(walk, ids, _diffs(cache, repo, ids, known, missing))
    except _Stale:
        return walk_history(repo, revisions, track_paths=track_paths, on_commit=on_commit)
    return walk


PROBE_COMMITS = 200  # the newest commits asked about: a re-scan after fewer new ones finds some known


def recent_commits(repo: str, revisions: Sequence[str]) -> list[str]:
    """The newest ``PROBE_COMMITS`` commits of ``revisions``: when the cache knows none of them, the
    history is new to it and is walked once, stored as it goes (no commit list first)."""
    out = run_git(repo, ["rev-list", f"--max-count={PROBE_COMMITS}", *revisions, "--"], check=False)
    return out.decode("ascii", "replace").split()


def _walk_and_store(cache: ScanCache, repo: str, revisions: Sequence[str], *, track_paths: bool,
                    on_commit: Callable[[Walk], None] | None, early: EarlyStart | None = None) -> Walk:
    """``walk_history``, storing each commit's entries in ``cache`` (the same bytes ``_fresh_diffs``
    gives): a first scan costs one walk, not a commit list and then a walk over every commit."""
    pending: list[tuple[str, bytes]] = []

    def record(commit: str, entries: bytes) -> None:
        pending.append((commit, entries))
        if len(pending) >= STORE_EVERY:
            cache.store_commits(pending)
            pending.clear()

    try:
        return walk_history(repo, revisions, track_paths=track_paths, on_commit=on_commit, early=early,
                            record=record)
    finally:
        cache.store_commits(pending)


class _Stale(Exception):
    """The cache lost an entry it listed a moment ago (it failed): walk the plain way."""


def _has_grafts(repo: str) -> bool:
    path = run_git(repo, ["rev-parse", "--git-path", "info/grafts"], check=False).decode(
        "utf-8", "surrogateescape").strip()
    return bool(path) and os.path.exists(path if os.path.isabs(path) else os.path.join(repo, path))


def commit_list_args(revisions: Sequence[str]) -> list[str]:
    """``walk_history``'s command minus the diff."""
    return ["log", *LOG_FLAGS, "--reverse", "--topo-order", "-z", f"--format={_LOG_FORMAT}", *revisions, "--"]


def _read_commits(repo: str, revisions: Sequence[str], walk: Walk, early: EarlyStart | None = None) -> None:
    """The commits and their metadata, in walk order."""
    with git_stream(repo, commit_list_args(revisions), early=early) as stream:
        _parse_log(_tokens(stream), walk)


def _diffs(cache: ScanCache, repo: str, ids: list[str], known: set[str],
           missing: list[str]) -> Iterator[bytes]:
    """Each commit's entries, in ``ids`` order: from the cache, or from one ``git log --no-walk``."""
    fresh = _fresh_diffs(repo, missing) if missing else _no_diffs()
    stored = [i for i in ids if i in known]
    window: dict[str, bytes] = {}
    position = 0
    pending: list[tuple[str, bytes]] = []
    try:
        for commit in ids:
            if commit in known:
                if commit not in window:
                    window = cache.commit_entries(stored[position : position + 500])
                    position += 500
                    if commit not in window:
                        raise _Stale
                yield window.pop(commit)
                continue
            sha, entries = next(fresh, ("", b""))
            if sha != commit:
                raise GitError("git log --no-walk printed commits keyscan did not ask for")
            pending.append((sha, entries))
            if len(pending) >= STORE_EVERY:
                cache.store_commits(pending)
                pending = []
            yield entries
        if next(fresh, None) is not None:
            raise GitError("git log --no-walk printed more commits than keyscan asked for")
    finally:
        cache.store_commits(pending)
        fresh.close()


def _no_diffs() -> Generator[tuple[str, bytes], None, None]:
    yield from ()


def _fresh_diffs(repo: str, commits: list[str]) -> Generator[tuple[str, bytes], None, None]:
    """(commit id, entries) for each of ``commits``, in that order, streamed from one git process.

    Entries are ``oid NUL base NUL path NUL`` for every raw diff line (base: the blob it replaced, see
    ``_result_blob``), oid empty where the line leaves no scannable blob (a deletion, a submodule, a
    symlink): ranges still need its path."""
    request = "".join(f"{c}\n" for c in commits).encode("ascii")
    with git_stream(repo, chunk_args(_ID_FORMAT), request) as stream:
        sha = ""
        parts: list[bytes] = []
        tokens = _tokens(stream)
        for token in tokens:
            stripped = token.lstrip(b"\n")
            if not stripped:
                continue
            if stripped.startswith(_HEADER):
                if sha:
                    yield sha, b"".join(parts)
                sha, parts = stripped[1:].decode("ascii", "replace"), []
            elif stripped.startswith(b":") and sha:
                path = next(tokens, b"")
                oid, base = _result_blob(stripped) or (b"", b"")
                parts.append(commit_entry(oid, base, path))
            else:
                raise GitError("git log printed output keyscan cannot read; is this a supported git version?")
        if sha:
            yield sha, b"".join(parts)


def _fold(walk: Walk, ids: list[str], diffs: Iterator[bytes]) -> None:
    """Add each commit's entries to ``walk`` exactly as ``_parse_log`` does with the same raw lines."""
    for current, (_commit, entries) in enumerate(zip(ids, diffs, strict=True)):
        if walk.on_commit is not None:
            walk.on_commit(walk)
        fields = entries.split(b"\0")
        try:
            for at in range(0, len(fields) - 2, 3):
                walk.sight(current, fields[at + 2], fields[at], fields[at + 1])
        except ValueError:  # an entry that is not a blob id: the cache is damaged
            raise _Stale from None


