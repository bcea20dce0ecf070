"""Git history source: every blob reachable from the refs (or a range), scanned once.

One ``git log --raw`` walk, oldest first, tells for every blob the commit and
path that introduced it and where else it appeared; only these ids and
metadata are held (packed: ~70 bytes a blob in a ``BlobTable``, ~130 a
commit in a ``CommitLog``), never contents.
Contents stream through ``git cat-file --batch`` in bounded batches for the
worker pool, so they never pile up however long the history.  Findings are then merged per secret: the
earliest sighting is the finding, the others become its ``occurrences``.

Merges are walked with ``-c`` (combined diff): a merge shows only blobs that
differ from every parent, i.e. the ones the merge itself created.  That keeps
a range such as ``main..feature`` from blaming a merge of main into the
feature for main's own changes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from keyscan.engine.detector import Detector
from keyscan.errors import GitError
from keyscan.gitcmd import popen_git, run_git, subcommand
from keyscan.model import Finding, ScanSummary
from keyscan.scanner import BatchResult
from keyscan.sources.blobscan import BlobScan, scan_blobs
from keyscan.sources.blobtable import MAX_LOCATIONS, BlobTable
from keyscan.sources.catfile import StderrTail
from keyscan.sources.commitlog import CommitLog
from keyscan.sources.delta import DeltaPolicy
from keyscan.sources.jobs import BlobJob

if TYPE_CHECKING:
    from keyscan.cache import ScanCache

_GITLINK = "160000"
_SYMLINK = "120000"
_HEADER = b"\x01"
_LOG_FORMAT = "%x01%H%x00%an%x00%ae%x00%aI%x00%s%x00"


# -- revisions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRequest:
    """What to walk: git log revision arguments, and the commit whose tree decides ``status``."""

    repo: str
    revisions: tuple[str, ...] = ("--all",)
    status_ref: str = "HEAD"
    recurse_submodules: bool = False
    is_range: bool = False
    prefix: str = ""  # path prefix for findings inside a submodule


def resolve_commit(repo: str, rev: str) -> str:
    """The full id of the commit ``rev`` names; a clear error when it names none."""
    if not rev or rev.startswith("-") or any(c.isspace() for c in rev):
        raise GitError(f"not a usable revision: {rev!r}")
    out = run_git(repo, ["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], check=False).strip()
    if not out:
        raise GitError(f"unknown revision or not a commit: {rev}")
    return out.decode("ascii")


def request_for(repo: str, *, branch: str | None = None, range_: str | None = None, since: str | None = None,
                new_branch: str | None = None, recurse_submodules: bool = False) -> HistoryRequest:
    """Turn the command's selection options into git log arguments (at most one may be given)."""
    if branch is not None:
        tip = resolve_commit(repo, branch)
        return HistoryRequest(repo, (tip,), tip, recurse_submodules)
    if since is not None:
        range_ = f"{since}..HEAD"
    if range_ is not None:
        base, dots, head = range_.partition("..")
        if not dots or head.startswith(".") or not base:
            raise GitError(f"--range wants BASE..HEAD (two dots), not {range_!r}")
        base_id, head_id = resolve_commit(repo, base), resolve_commit(repo, head or "HEAD")
        return HistoryRequest(repo, (head_id, f"^{base_id}"), head_id, recurse_submodules, is_range=True)
    if new_branch is not None:
        tip = resolve_commit(repo, new_branch)
        return HistoryRequest(repo, (tip, "--not", *_exclusions(repo, new_branch), "--glob=refs/*"), tip,
                              recurse_submodules, is_range=True)
    return HistoryRequest(repo, ("--all",), "HEAD", recurse_submodules)


def _exclusions(repo: str, ref: str) -> list[str]:
    """``--exclude`` patterns for the pushed branch itself: local and remote-tracking copies, and the stash."""
    full = run_git(repo, ["rev-parse", "--symbolic-full-name", ref], check=False).decode("utf-8", "replace").strip()
    patterns = ["refs/stash"]
    short = ""
    if full.startswith("refs/heads/"):
        short = full[len("refs/heads/"):]
    elif full.startswith("refs/remotes/"):
        short = full[len("refs/remotes/"):].partition("/")[2]
    if short:
        patterns += [f"refs/heads/{short}", f"refs/remotes/*/{short}"]
    elif full.startswith("refs/"):
        patterns.append(full)
    return [f"--exclude={p}" for p in patterns]


# -- repository facts ----------------------------------------------------------------------


@dataclass(frozen=True)
class RepoInfo:
    bare: bool
    shallow: bool
    toplevel: str  # "" for a bare repository


def inspect_repo(repo: str) -> RepoInfo:
    if shutil.which("git") is None:
        raise GitError("git was not found on PATH; scanning git history needs git installed")
    if not os.path.isdir(repo):
        raise GitError(f"no such directory: {repo}")
    out = run_git(repo, ["rev-parse", "--is-bare-repository", "--is-shallow-repository"], check=False).split()
    if len(out) != 2:
        raise GitError(f"not a git repository: {repo}")
    toplevel = ""
    if out[0] != b"true":
        toplevel = run_git(repo, ["rev-parse", "--show-toplevel"], check=False).decode(
            "utf-8", "surrogateescape").strip()
    return RepoInfo(bare=out[0] == b"true", shallow=out[1] == b"true", toplevel=toplevel)


@dataclass
class TreeListing:
    blobs: set[str] = field(default_factory=set)
    submodules: list[tuple[str, str]] = field(default_factory=list)  # (path, commit)


def tree_at(repo: str, rev: str) -> TreeListing | None:
    """Blob ids and submodules in ``rev``'s tree; None when ``rev`` names no commit (empty repository)."""
    if not run_git(repo, ["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], check=False).strip():
        return None
    listing = TreeListing()
    raw = run_git(repo, ["ls-tree", "-r", "-z", "--full-tree", rev])
    for entry in raw.split(b"\0"):
        meta, tab, path = entry.partition(b"\t")
        if not tab:
            continue
        mode, kind, oid = meta.decode("ascii", "replace").split(" ")
        if kind == "blob":
            listing.blobs.add(oid)
        elif kind == "commit" and mode == _GITLINK:
            listing.submodules.append((os.fsdecode(path), oid))
    return listing


# -- the commit walk -----------------------------------------------------------------------


@dataclass
class Walk:
    commits: CommitLog = field(default_factory=CommitLog)  # walk order: parents before children
    blobs: BlobTable = field(default_factory=BlobTable)  # in order of first appearance
    touched: set[str] | None = None  # every path a commit changed, deletions included (ranges only)
    # called with the walk before each commit is read (the ones before it are complete): a scan that
    # starts while the walk goes on takes the blobs added to ``blobs`` since its last call
    on_commit: Callable[[Walk], None] | None = None

    def sight(self, commit: int, path: bytes, oid: bytes, base: bytes) -> None:
        """One raw diff line of ``commit`` (an index into ``commits``): ``path`` was touched and, unless
        ``oid`` is b"", blob ``oid`` (hex) seen there, replacing ``base`` (hex, b"" for none)."""
        blobs = self.blobs
        number = blobs.path_number(path)
        if self.touched is not None:
            self.touched.add(blobs.path_names[number])
        if oid:
            blobs.sight(commit, number, oid, base)


def walk_history(repo: str, revisions: Sequence[str], *, track_paths: bool = False,
                 on_commit: Callable[[Walk], None] | None = None, early: EarlyStart | None = None,
                 record: Callable[[str, bytes], None] | None = None) -> Walk:
    """Commit metadata and blob sightings of ``revisions``, oldest first, streamed from ``git log --raw``:
    one process, or for a large repository the order from ``git rev-list`` and the diffs from one
    ``git log --no-walk`` per ``WALK_CHUNK`` commits (see ``walks_in_chunks``; the same walk either way).
    ``on_commit``: see ``Walk``; ``record``: see ``_parse_log``."""
    walk = Walk(touched=set() if track_paths else None, on_commit=on_commit)
    if not walks_in_chunks(repo):
        with git_stream(repo, walk_args(revisions), early=early) as stream:
            _parse_log(_tokens(stream), walk, record)
        return walk
    for chunk in _commit_chunks(repo, revisions, early):
        with git_stream(repo, chunk_args(), stdin=chunk) as stream:
            _parse_log(_tokens(stream), walk, record)
    return walk


# git log keeps up to 96 MiB of unpacked delta bases by default, for trees here: it made the walk's git
# grow from 12 to 51 MiB PSS between 5,000 and 20,000 synthetic commits (71 MiB on pytest's history).
# With 2 MiB: 7 and 21 MiB (57 on pytest), and git's CPU time is the same within noise.  It also maps
# the pack in 1 GiB windows, so its pages count as its memory as it reads them: 41 MiB of pytest's pack
# by the end of the walk; 1 MiB windows, at most 8 MiB mapped, take its PSS to 26 MiB (CPU median
# 0.89 -> 0.92 s over 8 alternating runs).
WALK_CONFIG = ("-c", "core.deltaBaseCacheLimit=2m", "-c", "core.packedGitWindowSize=1m",
               "-c", "core.packedGitLimit=8m")
# A git process keeps every commit it parsed until it exits, and ``git log --topo-order`` parses (and
# keeps the text of) all of them before its first line: 25 MiB of its own memory (42 MiB PSS) at
# 50,099 synthetic commits, growing with the history.  In a large repository the order comes from
# ``git rev-list`` instead (which keeps no commit text: 12 MiB there, and it has ended before the scan
# is busy), and the diffs from one ``git log --no-walk`` per ``WALK_CHUNK`` commits, each ending before
# the next starts (8 MiB for 10,000).  That costs git ~0.26 s more CPU on pytest's 17,666 commits (the
# order is found by a process of its own), so below ``CHUNKS_FROM_OBJECTS`` objects (about 30,000
# commits; pytest's repository has 112,324) the walk stays one process.
WALK_CHUNK = 5000
CHUNKS_FROM_OBJECTS = 200_000


def walks_in_chunks(repo: str) -> bool:
    """True when the repository holds ``CHUNKS_FROM_OBJECTS`` objects or more (``git count-objects``:
    read from the pack indexes' headers, no walk)."""
    out = run_git(repo, ["count-objects", "-v"], check=False).decode("ascii", "replace")
    fields = dict(line.partition(": ")[::2] for line in out.splitlines())
    objects = sum(int(fields.get(name, "0").strip() or 0) for name in ("count", "in-pack"))
    return objects >= CHUNKS_FROM_OBJECTS


# how every git log of the walk prints commits (plain, UTF-8), and their raw diffs (blob ids whole, merges
# combined, root commits against the empty tree, NUL-separated)
LOG_FLAGS = ("--no-color", "--no-show-signature", "--encoding=UTF-8")
DIFF_FLAGS = ("--raw", "-c", "--no-abbrev", "--no-renames", "--root", "-z")


def walk_args(revisions: Sequence[str]) -> list[str]:
    """The whole walk in one process (git sorts the history before its first line)."""
    return [*WALK_CONFIG, "log", *LOG_FLAGS, "--reverse", "--topo-order", *DIFF_FLAGS, f"--format={_LOG_FORMAT}",
            *revisions, "--"]


def order_args(revisions: Sequence[str]) -> list[str]:
    """The walk's order: parents before children."""
    return [*WALK_CONFIG, "rev-list", "--reverse", "--topo-order", *revisions, "--"]


def chunk_args(log_format: str = _LOG_FORMAT) -> list[str]:
    """Raw diffs of the commits given on stdin, in the order given, each after a header in ``log_format``
    (the walk's metadata by default)."""
    return [*WALK_CONFIG, "log", "--no-walk=unsorted", "--stdin", *LOG_FLAGS, *DIFF_FLAGS, f"--format={log_format}"]


def _commit_chunks(repo: str, revisions: Sequence[str], early: EarlyStart | None = None) -> Iterator[bytes]:
    """The walk's commit ids, ``WALK_CHUNK`` lines at a time (ids are one width, so chunks are slices)."""
    with git_stream(repo, order_args(revisions), early=early) as stream:
        order = stream.read()
    if not order:
        return
    width = order.find(b"\n") + 1
    if width not in (41, 65) or len(order) % width:
        raise GitError("git rev-list printed output keyscan cannot read; is this a supported git version?")
    step = width * WALK_CHUNK
    for start in range(0, len(order), step):
        yield order[start:start + step]


class EarlyStart:
    """A git command started before it is needed: ``git log --topo-order`` sorts the whole history
    before its first line (~0.2 s on 17,000 commits), which then overlaps with loading the rules.  The
    code that would start the same command takes it instead; ``close`` ends it if nobody did."""

    def __init__(self, repo: str, args: Sequence[str]) -> None:
        self.repo, self.args = repo, list(args)
        self.proc: subprocess.Popen[bytes] | None = popen_git(repo, args)

    def take(self, repo: str, args: Sequence[str]) -> subprocess.Popen[bytes] | None:
        if self.proc is None or repo != self.repo or list(args) != self.args:
            return None
        proc, self.proc = self.proc, None
        return proc

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            proc.kill()
            proc.wait()
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()


@contextlib.contextmanager
def git_stream(repo: str, args: Sequence[str], stdin: bytes = b"",
               early: EarlyStart | None = None) -> Iterator[IO[bytes]]:
    """A git command's output to read as it comes (``stdin`` written first; ``early``: the same command,
    maybe started already).  Afterwards git is waited for, or killed if the reader stopped early, and a
    failure becomes a GitError with git's stderr."""
    proc = (early.take(repo, args) if early is not None else None) or popen_git(repo, args)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    errors = StderrTail(proc.stderr)
    try:
        try:
            if stdin:
                proc.stdin.write(stdin)  # all of it before reading: git reads it whole before output
            proc.stdin.close()
        except BrokenPipeError:
            pass  # git stopped early: its exit status says why
        yield proc.stdout
        code = proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    if code != 0:
        raise GitError(f"git {subcommand(args)} failed: {errors.message() or 'exit ' + str(code)}")


def _tokens(stream: IO[bytes]) -> Iterator[bytes]:
    """NUL-separated fields of a byte stream, without holding the whole stream."""
    rest = b""
    read = getattr(stream, "read1", stream.read)
    while True:
        chunk = read(1 << 16)
        if not chunk:
            break
        parts = (rest + chunk).split(b"\0")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def _parse_log(tokens: Iterator[bytes], walk: Walk, record: Callable[[str, bytes], None] | None = None) -> None:
    """Fields come in a fixed order, so a subject or path can never be taken for a header.

    ``record(commit id, entries)`` receives each commit's raw lines as the walk cache stores them
    (``commit_entry`` for each), once the commit is complete."""
    current = -1
    sight, append, on_commit = walk.sight, walk.commits.append, walk.on_commit
    sha, entries = b"", []
    for token in tokens:
        stripped = token.lstrip(b"\n")
        if not stripped:
            continue
        first = stripped[0]
        if first == _COLON:
            path = next(tokens, b"")
            oid, base = _result_blob(stripped) or _NO_BLOB
            try:
                sight(current, path, oid if current >= 0 else b"", base)
            except ValueError:  # (binascii.Error is one)
                raise GitError(f"git log printed a blob id keyscan cannot read: {oid[:80]!r}") from None
            if record is not None and sha:
                entries.append(commit_entry(oid, base, path))
        elif first == _HEADER_BYTE:
            if on_commit is not None:
                on_commit(walk)
            if record is not None and sha:
                record(sha.decode("ascii"), b"".join(entries))
                entries = []
            sha = stripped[1:]
            fields = [next(tokens, b"") for _ in range(4)]
            try:
                current = append(sha, *fields)
            except ValueError:
                raise GitError("git log printed a commit id keyscan cannot read") from None
        else:
            raise GitError("git log printed output keyscan cannot read; is this a supported git version?")
    if record is not None and sha:
        record(sha.decode("ascii"), b"".join(entries))


def commit_entry(oid: bytes, base: bytes, path: bytes) -> bytes:
    """One raw diff line as the walk cache stores it: ``oid NUL base NUL path NUL`` (ids in hex; oid
    empty where the line leaves no blob to scan: a deletion, a submodule, a symlink; ranges still need
    its path)."""
    return b"%s\0%s\0%s\0" % (oid, base, path)


def _result_blob(raw: bytes) -> tuple[bytes, bytes] | None:
    """The id (hex) of the blob a raw diff line leaves in the commit, and of the regular file it replaced
    in the (first) parent (b"" if none); None when the line leaves no blob (deletion, submodule, symlink).

    Plain lines read ``:old new oldid newid S``; combined (merge) lines have one more
    mode and id per extra parent, and the result always comes last among each.  (Hot: one call per
    file a commit touches; fields stay bytes.)
    """
    colons = len(raw) - len(raw.lstrip(b":"))
    fields = raw[colons:].split(b" ")
    parents = colons
    if len(fields) < 2 * parents + 3:
        return None
    mode, oid = fields[parents], fields[2 * parents + 1]
    if mode in _NO_BLOB_MODES or not mode.startswith(b"1") or not oid.strip(b"0"):
        return None
    base = fields[parents + 1]
    if not fields[0].startswith(b"10") or not base.strip(b"0"):
        return oid, b""
    return oid, base


_NO_BLOB_MODES = (_GITLINK.encode(), _SYMLINK.encode())
_NO_BLOB = (b"", b"")
_COLON, _HEADER_BYTE = ord(":"), _HEADER[0]


# -- merging findings per secret ------------------------------------------------------------


class _Secret:
    """One secret across history: the earliest sighting, later places, and the exact count.

    A blob's later places may still come while the walk goes on, so each blob that holds the secret is
    kept as three numbers (its job index, and the line and column there) and its places are added at the
    end: the scan keeps one ``Finding`` per secret, not one per version of every file that carries it."""

    __slots__ = ("blobs", "finding", "inline_only", "key", "others", "present", "total")

    def __init__(self, finding: Finding, key: tuple[int, str, int, int]) -> None:
        self.finding = finding
        self.key = key
        self.others: list[tuple[int, str, int, int]] = []
        self.blobs = array("i")  # job index, line, column: for each blob holding the secret
        self.total = 0
        self.present = False
        self.inline_only = True

    def offer(self, finding: Finding, key: tuple[int, str, int, int]) -> None:
        if key < self.key:
            self.other(self.key)
            self.finding, self.key = finding, key
        else:
            self.other(key)

    def other(self, key: tuple[int, str, int, int]) -> None:
        self.others.append(key)
        if len(self.others) > 2 * MAX_LOCATIONS:  # keep the earliest distinct places: the same as at the end
            self.others = sorted(set(self.others))[:MAX_LOCATIONS]


class Aggregator:
    """Fold per-blob findings into one finding per (rule, secret) with provenance and status."""

    def __init__(self, jobs_list: Sequence[BlobJob], prefix: str = "") -> None:
        self.jobs_list = jobs_list
        self.prefix = prefix
        self.secrets: dict[tuple[str, str], _Secret] = {}

    def add(self, index: int, findings: list[Finding]) -> None:
        """A blob's findings (its first commit and path are known: they were its first sighting)."""
        job = self.jobs_list[index]
        for finding in findings:
            first = (job.commit, job.path, finding.line, finding.column)
            entry = self.secrets.get((finding.rule_id, finding.fingerprint))
            if entry is None:
                entry = self.secrets[(finding.rule_id, finding.fingerprint)] = _Secret(finding, first)
            else:
                entry.offer(finding, first)
            entry.blobs.extend((index, finding.line, finding.column))
            entry.inline_only = entry.inline_only and finding.suppressed_by == "inline"

    def _places(self, entry: _Secret, walk: Walk, head_blobs: set[str]) -> None:
        """The walk is complete: each blob's later places, its count of places, whether HEAD has it."""
        blobs, holders = walk.blobs, entry.blobs
        for at in range(0, len(holders), 3):
            oid = self.jobs_list[holders[at]].oid
            found, line, column = blobs.find(oid), holders[at + 1], holders[at + 2]
            for other_commit, other_path in blobs.later_places(found):
                entry.other((other_commit, other_path, line, column))
            entry.total += blobs.total(found)
            entry.present = entry.present or oid in head_blobs

    def findings(self, walk: Walk, head_blobs: set[str], summary: ScanSummary) -> list[Finding]:
        out = []
        for entry in self.secrets.values():
            self._places(entry, walk, head_blobs)
            keys = sorted(set(entry.others))[:MAX_LOCATIONS]
            occurrences: list[dict[str, Any]] = [
                {"commit": walk.commits.id(c), "path": self.prefix + p, "line": line, "column": column}
                for c, p, line, column in keys
            ]
            finding = entry.finding
            more = entry.total - 1
            if more > len(occurrences):
                summary.notes.append(
                    f"{self.prefix}{finding.path}:{finding.line}: {finding.rule_id} {finding.fingerprint} "
                    f"appears in {more} other place(s); the first {len(occurrences)} are listed")
            inline = "inline" if entry.inline_only else ""
            out.append(finding.replace(
                path=self.prefix + finding.path,
                status="present" if entry.present else "removed",
                occurrences=occurrences,
                suppressed_by=inline if finding.suppressed_by in ("", "inline") else finding.suppressed_by,
            ))
        out.sort(key=lambda f: f.sort_key())
        return out


# -- the whole history scan ------------------------------------------------------------------


def scan_history(detector: Detector, request: HistoryRequest, *, jobs: int, progress: bool,
                 cache: ScanCache | None = None, early: EarlyStart | None = None) -> BatchResult:
    """Walk, scan each reachable (or in-range) blob once, merge per secret, and note what was not seen.

    A ``cache`` (see ``keyscan.cache``) spares the commits and blobs an earlier scan saw; same answers."""
    result = BatchResult()
    summary = result.summary
    repo = request.repo
    label = request.prefix.rstrip("/") or "the repository"
    info = inspect_repo(repo)
    policy = None if detector.settings.full_blobs else functools.partial(  # made only for many blobs
        DeltaPolicy.for_rules, detector.rules, use_fast=detector.index.uses_fast_matcher,
        may_find=detector.may_find)
    if request.is_range:  # what a range introduced is known only once it is walked: scanned after
        walk = _walk(request, cache, info, early=early)
    else:  # the whole history: the workers start on the first blobs while the walk goes on
        aggregator = Aggregator([], request.prefix)
        with BlobScan(detector, repo, [], aggregator.add, jobs=jobs, progress=progress, cache=cache,
                      policy=policy) as scan:
            feed = _Feeder(scan, aggregator)
            walk = _walk(request, cache, info, on_commit=feed, early=early)
            feed(walk, final=True)
            scanned = scan.finish()
    summary.commits_scanned = len(walk.commits)
    if info.shallow:
        summary.notes.append(f"{label} is a shallow clone: history is cut at the shallow boundary and older "
                             "commits were not scanned (git fetch --unshallow to scan them)")
    if not walk.commits:
        summary.notes.append("no commits in the range; nothing to scan" if request.is_range
                             else f"{label} has no commits yet; nothing to scan")
        return result
    tree = tree_at(repo, request.status_ref)
    if tree is None:
        summary.notes.append(f"{request.status_ref} does not name a commit; every finding is marked 'removed'")
        tree = TreeListing()
    base = RangeBase()
    if request.is_range:
        base = range_base(repo, request.revisions, walk, summary)
        jobs_list = [job for job in walk.blobs if job.oid not in base.blobs]
        aggregator = Aggregator(jobs_list, request.prefix)
        scanned = scan_blobs(detector, repo, jobs_list, aggregator.add, jobs=jobs, progress=progress,
                             cache=cache, policy=policy, clean_outside=base.blobs, commits=walk.commits)
    summary.merge(scanned)
    old_secrets = _base_fingerprints(detector, repo, base, summary, jobs=jobs) if base.versions else set()
    result.findings = [f for f in aggregator.findings(walk, tree.blobs, summary)
                       if f.fingerprint not in old_secrets]
    if tree.submodules:
        _submodules(detector, request, info, tree, result, jobs=jobs, progress=progress, cache=cache)
    result.findings.sort(key=lambda f: f.sort_key())
    return result


def _walk(request: HistoryRequest, cache: ScanCache | None, info: RepoInfo,
          on_commit: Callable[[Walk], None] | None = None, early: EarlyStart | None = None) -> Walk:
    if cache is not None:
        from keyscan.sources.walkcache import cached_walk

        return cached_walk(cache, request.repo, request.revisions, track_paths=request.is_range,
                           shallow=info.shallow, on_commit=on_commit, early=early)
    return walk_history(request.repo, request.revisions, track_paths=request.is_range, on_commit=on_commit,
                        early=early)


def start_walk(request: HistoryRequest, *, cached: bool, shallow: bool) -> EarlyStart:
    """Start the first git command of ``scan_history``'s walk now (see ``EarlyStart``): the commit list
    when the cache knows some of the newest commits, the walk (or its order) otherwise (no cache, or a
    history new to it: ``walkcache.cached_walk`` then walks once and stores as it goes)."""
    if cached and not shallow:
        from keyscan.cache import knows_any_commit
        from keyscan.sources.walkcache import commit_list_args, recent_commits

        if knows_any_commit(recent_commits(request.repo, request.revisions)):
            return EarlyStart(request.repo, commit_list_args(request.revisions))
    chunked = walks_in_chunks(request.repo)
    return EarlyStart(request.repo, order_args(request.revisions) if chunked else walk_args(request.revisions))


FEED_EVERY = 256  # new blobs gathered before the scan hears of them


class _Feeder:
    """Hands the blobs a walk finds to the scan as it goes (``Walk.on_commit``): the walk's ``BlobTable``
    is the scan's job list, extended by every ``FEED_EVERY`` new blobs."""

    def __init__(self, scan: BlobScan, aggregator: Aggregator) -> None:
        self.scan = scan
        self.aggregator = aggregator
        self.blobs: BlobTable | None = None

    def __call__(self, walk: Walk, final: bool = False) -> None:
        blobs, scan = walk.blobs, self.scan
        if len(blobs) - scan.seen < FEED_EVERY and not final:
            return
        if blobs is not self.blobs:  # a walk started again (a failing cache) lists the same blobs first, in
            # the same order; it is taken once it has caught up (the check above waits for that)
            self.blobs = self.aggregator.jobs_list = blobs
            scan.use_jobs(blobs, walk.commits)  # the same commits in the same order, so the same indexes
        scan.extend(len(blobs))


# -- what a range starts from ----------------------------------------------------------------

MAX_BOUNDARY_TREES = 50


@dataclass
class RangeBase:
    """The content a range starts from, read from the trees of its boundary commits.

    ``blobs``: every blob id in those trees (a rename, copy or revert in the range
    re-adds one of them and introduces nothing).  ``versions``: the base blob(s)
    at each path the range touches, whose secrets were there before the range.
    """

    blobs: set[str] = field(default_factory=set)
    versions: dict[str, str] = field(default_factory=dict)  # blob id -> path


def range_base(repo: str, revisions: Sequence[str], walk: Walk, summary: ScanSummary) -> RangeBase:
    out = run_git(repo, ["rev-list", "--boundary", *revisions, "--"]).decode("ascii", "replace")
    boundary = [line[1:] for line in out.split() if line.startswith("-")]
    if len(boundary) > MAX_BOUNDARY_TREES:
        summary.notes.append(f"the range starts from {len(boundary)} commits; only the first "
                             f"{MAX_BOUNDARY_TREES} were used to tell old secrets from new ones")
        boundary = boundary[:MAX_BOUNDARY_TREES]
    touched = walk.touched or set()
    base = RangeBase()
    for commit in boundary:
        raw = run_git(repo, ["ls-tree", "-r", "-z", "--full-tree", commit])
        for entry in raw.split(b"\0"):
            meta, tab, name = entry.partition(b"\t")
            if not tab:
                continue
            mode, kind, oid = meta.decode("ascii", "replace").split(" ")
            if kind != "blob" or mode == _SYMLINK:
                continue
            base.blobs.add(oid)
            path = os.fsdecode(name)
            if path in touched:
                base.versions.setdefault(oid, path)
    skipped = sum(1 for oid in walk.blobs.oids() if oid in base.blobs)
    if skipped:
        summary.notes.append(f"{skipped} blob(s) the range only moved, copied or restored from its base "
                             "were not reported again")
    return base


def _base_fingerprints(detector: Detector, repo: str, base: RangeBase, summary: ScanSummary,
                       *, jobs: int) -> set[str]:
    """Fingerprints of the secrets already in the base versions of the files the range touched."""
    jobs_list = [BlobJob(oid, path) for oid, path in base.versions.items()]
    found: set[str] = set()

    def collect(_index: int, findings: list[Finding]) -> None:
        found.update(f.fingerprint for f in findings)

    part = scan_blobs(detector, repo, jobs_list, collect, jobs=jobs, progress=False)
    summary.warnings.extend(part.warnings)
    summary.incomplete = summary.incomplete or part.incomplete
    return found


def _submodules(detector: Detector, request: HistoryRequest, info: RepoInfo, tree: TreeListing,
                result: BatchResult, *, jobs: int, progress: bool, cache: ScanCache | None = None) -> None:
    names = ", ".join(request.prefix + path for path, _ in tree.submodules)
    if not request.recurse_submodules:
        result.summary.notes.append(f"submodule(s) not scanned (use --recurse-submodules): {names}")
        return
    if request.is_range:
        result.summary.notes.append(f"submodule(s) not entered for a range scan: {names}")
        return
    for path, _commit in tree.submodules:
        directory = os.path.join(info.toplevel, path) if info.toplevel else ""
        shown = request.prefix + path
        if not directory or not _is_own_repo(directory):
            result.summary.notes.append(f"submodule {shown} is not checked out; not scanned")
            continue
        inner = scan_history(detector, HistoryRequest(directory, recurse_submodules=True, prefix=shown + "/"),
                             jobs=jobs, progress=progress, cache=cache)
        result.findings.extend(inner.findings)
        result.summary.merge(inner.summary)
        result.summary.notes.append(f"submodule {shown} scanned ({inner.summary.commits_scanned} commit(s))")


def _is_own_repo(directory: str) -> bool:
    """True when ``directory`` is the top of its own work tree (a checked-out submodule)."""
    if not os.path.isdir(directory):
        return False
    top = run_git(directory, ["rev-parse", "--show-toplevel"], check=False).decode("utf-8", "surrogateescape")
    with contextlib.suppress(OSError):
        return os.path.samefile(top.strip(), directory)
    return False
