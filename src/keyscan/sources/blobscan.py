"""Scan many git blobs, each once, in a worker pool: a file's next version as what it changed.

The parent hands out blob *ids* in bounded batches; each worker checks their sizes and reads the
contents of those within the size cap through its own long-lived ``git cat-file`` processes
(``--batch-check``, then ``--batch``), so no blob crosses a pipe twice, a huge blob is never
inflated, and contents never pile up however long the history (the parent's per-blob bookkeeping does
grow with it: a few bytes of arrays here, and the walk's ``BlobTable``).

With a ``DeltaPolicy``, a blob that replaced another (its predecessor, scanned in the same run or
known clean) is read together with it and scanned as its focus (``keyscan.sources.delta``).
``_Verdicts`` then settles each blob in history order: a focused blob whose predecessor was clean
is final; one whose predecessor had a finding is scanned again whole, because it may carry that
secret on unchanged lines.  So every blob ends with the findings a whole scan gives it, and the
occurrences and status built from them do not change.
"""

from __future__ import annotations

import multiprocessing.util
from array import array
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import TYPE_CHECKING, Any

from keyscan import interrupts
from keyscan.cache import BINARY as CACHE_BINARY
from keyscan.cache import LFS as CACHE_LFS
from keyscan.cache import cached_blobs, record_blobs
from keyscan.engine.detector import Detector
from keyscan.model import Chunk, Finding, ScanSummary
from keyscan.output import progress_bar
from keyscan.scanner import BatchResult, scan_bytes
from keyscan.sources.blobtable import NEW_FILE, NOT_HERE, BlobTable
from keyscan.sources.catfile import CatFile, GitObject
from keyscan.sources.commitlog import CommitLog
from keyscan.sources.content import is_plain_text
from keyscan.sources.delta import NOTHING, DeltaPolicy, Keywords, focus_carrying
from keyscan.sources.jobs import BlobJob
from keyscan.workers import OrderedWindow, WorkerPool

if TYPE_CHECKING:
    from keyscan.cache import ScanCache

BATCH_BLOBS = 256  # blob ids per batch (the worker reads the contents, one at a time)
TAIL_BLOBS, TAIL_BATCH = 2048, 32  # the last blobs of a scan go out in small batches (see _submit)
# Blobs regrouped by file at a time (see _in_lineage_order), handed out together.  Longer stretches keep
# more of a file's versions in one batch (read once, keywords carried): on pytest's history 7,186 of the
# predecessors were read separately at 1,024, 1,420 at 8,192 and 861 at 16,384, and the synthetic
# history (fast-import packs, which made whole-history grouping four times slower) got faster too.
LINEAGE_STRETCH = 16384
FIRST_STRETCH = 4096  # the first stretch, so the workers need not wait for a long one to be walked
STREAM_FROM = 1000  # blobs to read before the walk ends that start the workers (see BlobScan)
SERIAL_BELOW = 200  # fewer blobs than this are scanned in-process: a pool costs more than it saves
# Fewer blobs to read than this are all scanned whole (the same findings): making the focus policy
# parses every rule regex for its reach (~0.2 s) and focusing saves ~0.1-0.25 ms a version, so a
# push's range, a pre-push check or a cached re-scan after a few commits is quicker without it.
FOCUS_FROM_BLOBS = 1000
# A blob scanned whole and this small is first asked whether any rule can match at all: on pytest's
# history 4,462 of the 7,301 blobs up to 2 KiB and 6,224 of 17,880 up to 8 KiB can not, and the question
# costs a fraction of a scan (0.20 s + 1.25 s instead of 1.58 s for those 17,880, one process).
GATE_WHOLE_BELOW = 8192
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/v1"


@dataclass
class BlobOutcome:
    index: int
    focused: bool  # scanned as its changes only
    findings: list[Finding]
    flags: int | None  # cache flags when the answer is complete; None: unreadable or a rule was cut short


@dataclass
class _BatchOutcome:
    summary: ScanSummary = field(default_factory=ScanSummary)
    blobs: list[_Outcome] = field(default_factory=list)
    units: int = 0
    bytes: int = 0
    lfs: int = 0


# (job index, path, commit id or "", oid, predecessor oid or "", first reading of this blob): plain
# values, cheap to pickle; the parent adds a finding's commit details
_Item = tuple[int, str, str, str, str, bool]
# what a worker sends back for each blob: BlobOutcome's fields, as a tuple for the same reason
_Outcome = tuple[int, bool, list[Finding], "int | None"]

_DETECTOR: Detector | None = None
_POLICY: DeltaPolicy | None = None
_MAKE_POLICY: Callable[[], DeltaPolicy] | None = None
_REPO = ""
_READER: CatFile | None = None
_CHECKER: CatFile | None = None


def _init_worker(detector: Detector, repo: str = "", policy: Callable[[], DeltaPolicy] | None = None) -> None:
    """``policy`` makes the focus policy, at the first batch that needs it (in each worker)."""
    global _DETECTOR, _POLICY, _MAKE_POLICY, _REPO, _READER, _CHECKER
    _DETECTOR, _POLICY, _MAKE_POLICY, _REPO = detector, None, policy, repo
    _READER = _CHECKER = None  # a forked worker starts its own cat-file, never uses its parent's


def _init_pool_worker(detector: Detector, repo: str, policy: Callable[[], DeltaPolicy] | None) -> None:
    """``_init_worker`` in a pool worker, which also closes (and waits for) its git processes when it
    exits: none is left to outlive the scan, and their CPU time counts as the scan's."""
    _init_worker(detector, repo, policy)
    multiprocessing.util.Finalize(None, _close_reader, exitpriority=10)


def _reader() -> CatFile:
    global _READER
    if _READER is None:
        assert _DETECTOR is not None
        _READER = CatFile(_REPO, max_size=_DETECTOR.settings.max_file_size)
    return _READER


def _checker() -> CatFile:
    global _CHECKER
    if _CHECKER is None:
        _CHECKER = CatFile(_REPO, contents=False)
    return _CHECKER


def _close_reader() -> None:
    global _READER, _CHECKER
    for reader in (_READER, _CHECKER):
        if reader is not None:
            reader.close()
    _READER = _CHECKER = None


def _objects(names: list[str]) -> Iterator[GitObject]:
    """The replies for ``names`` in order: contents for blobs within the size cap; for the others,
    ``--batch-check``'s answer (no data), so a huge blob is never inflated or piped."""
    assert _DETECTOR is not None
    max_size = _DETECTOR.settings.max_file_size
    checked = [(reply, reply.ok and reply.type == "blob" and reply.size <= max_size)
               for reply in _checker().objects(names)]
    wanted = [reply.oid for reply, readable in checked if readable]
    contents = _reader().objects(wanted) if wanted else iter(())
    for reply, readable in checked:
        yield next(contents) if readable else reply


def _scan_batch(batch: list[_Item]) -> _BatchOutcome:
    """Worker entry point: read each blob (and its predecessor) and scan it, whole or focused.

    Batches hold a file's versions one after the other (``_in_lineage_order``): a predecessor read
    earlier in the batch is kept until its last successor in the batch is scanned, not read again."""
    global _POLICY, _MAKE_POLICY
    if _MAKE_POLICY is not None:
        _POLICY, _MAKE_POLICY = _MAKE_POLICY(), None
    out = _BatchOutcome()
    in_batch = {item[3] for item in batch}
    wanted_later = Counter(item[4] for item in batch if item[4] in in_batch)  # successors in the batch
    kept: dict[str, tuple[GitObject, Keywords | None]] = {}  # a version, and its keywords once known
    names: list[str] = []
    for item in batch:
        if item[4] and item[4] not in in_batch:
            names.append(item[4])
        names.append(item[3])
    dirty: set[str] = set()  # blobs of this batch with a finding: the versions after them are read whole
    try:
        replies = _objects(names)
        for index, path, commit, oid, base, first in batch:
            previous, keywords = _take(kept, wanted_later, base) if base in in_batch else \
                (next(replies) if base else None, None)
            reply = next(replies)
            if base in dirty:  # a focused reading would only be read again whole (see _Verdicts)
                previous = None
            outcome, keywords = _scan_one(out, reply, previous, keywords, index, path, commit, first)
            if oid in wanted_later:
                kept[oid] = reply, keywords
            if outcome[2] or outcome[3] is None:
                dirty.add(oid)
            out.blobs.append(outcome)
    except BaseException:
        _close_reader()  # replies may be left unread: the next batch needs a fresh process
        raise
    return out


def _take(kept: dict[str, tuple[GitObject, Keywords | None]], uses: Counter[str],
          oid: str) -> tuple[GitObject | None, Keywords | None]:
    """A kept predecessor for one of its successors; dropped after the last (bounded memory)."""
    uses[oid] -= 1
    return kept.pop(oid, (None, None)) if uses[oid] <= 0 else kept.get(oid, (None, None))


def _scan_one(out: _BatchOutcome, reply: GitObject, previous: GitObject | None, previous_keywords: Keywords | None,
              index: int, path: str, commit: str, first: bool) -> tuple[_Outcome, Keywords | None]:
    """Scan one blob (as its focus when it has a readable predecessor); also the wide-rule keywords it
    holds when the focus found them, for the focus of the version after it (``focus_carrying``)."""
    assert _DETECTOR is not None
    summary = out.summary
    data = _usable(reply, path, commit, summary if first else ScanSummary())
    if data is None:  # unknown content: what follows it is scanned whole
        out.units += first
        found: list[Finding] = []
        if reply.ok and reply.type == "blob" and first:  # too large: path-only rules (a key file's name) still apply
            found = _DETECTOR.scan(Chunk(text="", path=path, blob_id=reply.oid)).findings
        return (index, False, found, None), None
    lfs = data.startswith(LFS_POINTER_PREFIX) and len(data) < 1024
    if first:
        summary.blobs_scanned += 1
        out.units += 1
        out.bytes += len(data)
        out.lfs += lfs
    focused = keywords = None
    if previous is not None and previous.data is not None and previous.type == "blob" and _POLICY is not None:
        focused, keywords = focus_carrying(_POLICY, previous.data, data, path, previous_keywords)
    # nothing a rule looks for near the changes (clean when its predecessor is), or in a small whole blob
    if focused == NOTHING or (focused is None and _nothing_to_find(data, path)):
        if first:
            summary.bytes_scanned += len(data)
        return (index, focused is not None, [], CACHE_LFS if lfs else 0), keywords
    result = BatchResult(summary=summary if first else ScanSummary())
    covered, timeouts = result.summary.bytes_scanned, len(result.summary.rule_timeouts)
    is_text = scan_bytes(_DETECTOR, data if focused is None else focused, path, result, blob_id=reply.oid)
    if is_text:  # the summary counts the bytes each blob covers, once
        result.summary.bytes_scanned = covered + (len(data) if first else 0)
    complete = len(result.summary.rule_timeouts) == timeouts
    if not first:  # a second, whole reading: only its rule timeouts are news
        summary.rule_timeouts.extend(result.summary.rule_timeouts)
    flags = ((0 if is_text else CACHE_BINARY) | (CACHE_LFS if lfs else 0)) if complete else None
    return (index, focused is not None, result.findings, flags), keywords


def _nothing_to_find(data: bytes, path: str) -> bool:
    """True when a whole scan of ``data`` would find nothing, told by one Hyperscan pass
    (``Detector.may_find``): worth asking only for small blobs (a scan's fixed cost is most of theirs),
    and only of plain text (the detector reads notebooks and UTF-16 after converting them)."""
    assert _DETECTOR is not None
    return len(data) <= GATE_WHOLE_BELOW and is_plain_text(data, path) and not _DETECTOR.may_find(data, path)


def _usable(reply: GitObject, path: str, commit: str, summary: ScanSummary) -> bytes | None:
    if not reply.ok:
        unreadable(reply, path, commit, summary)
        return None
    if reply.type != "blob":
        summary.skipped_other += 1
        return None
    if reply.data is None:
        summary.skipped_too_large += 1
        return None
    return reply.data


def unreadable(reply: GitObject, path: str, commit: str, summary: ScanSummary) -> None:
    where = path + (f" in commit {commit[:12]}" if commit else "")
    why = reply.error or ("the object is missing or corrupt" if reply.type == "missing" else "unreadable")
    summary.warnings.append(f"object {reply.oid} ({where}) could not be read: {why}")
    summary.skipped_other += 1
    summary.incomplete = True


# A blob's predecessor, per job index (one ``array`` of them, not a dict: 4 bytes a blob): the index of
# the version it replaced, read earlier in the scan; -1 when that version is known clean; NO_PREDECESSOR
# when it is scanned whole.
NO_PREDECESSOR = -2
_UNSETTLED, _CLEAN, _DIRTY, _PENDING = 0, 1, 2, 3


class _Verdicts:
    """Settles blobs in history order (see the module docstring) and hands on their findings."""

    def __init__(self, predecessor: array[int], emit: Callable[[int, list[Finding]], None]) -> None:
        self.predecessor = predecessor  # see NO_PREDECESSOR
        self.emit = emit
        self.state = bytearray()  # per job index, grown as blobs are offered
        self.waiting: dict[int, list[BlobOutcome]] = {}
        self.again: dict[int, bool] = {}  # blobs to read again: True whole, False focused (they waited)
        self.clean: list[tuple[int, int]] = []  # (index, cache flags) settled clean since last taken

    def offer(self, blob: BlobOutcome) -> None:
        if blob.focused:
            before = self.predecessor[blob.index]
            verdict = _CLEAN if before < 0 else self._state(before)
            if verdict != _CLEAN:
                self._set_state(blob.index, _PENDING)
                if verdict == _PENDING:
                    self.waiting.setdefault(before, []).append(blob)
                else:
                    self._read_again(blob.index)
                return
        self._settle(blob)

    def _state(self, index: int) -> int:
        """A blob's state; one never settled counts as dirty (its successor is read again whole)."""
        state = self.state[index] if index < len(self.state) else _UNSETTLED
        return _DIRTY if state == _UNSETTLED else state

    def _set_state(self, index: int, value: int) -> None:
        if index >= len(self.state):
            self.state.extend(bytes(index + 1 - len(self.state)))
        self.state[index] = value

    def _read_again(self, index: int) -> None:
        """Read ``index`` again whole, and the versions that waited on it again with it (focused, one
        pass: a chain of versions carrying a secret settles in one more reading, not one per version)."""
        self.again[index] = True
        stack = [index]
        while stack:
            for waiter in self.waiting.pop(stack.pop(), ()):
                self.again.setdefault(waiter.index, False)
                stack.append(waiter.index)

    def _settle(self, first: BlobOutcome) -> None:
        stack = [first]
        while stack:
            blob = stack.pop()
            dirty = bool(blob.findings) or blob.flags is None
            self._set_state(blob.index, _DIRTY if dirty else _CLEAN)
            if blob.findings:
                self.emit(blob.index, blob.findings)
            elif blob.flags is not None:
                self.clean.append((blob.index, blob.flags))
            for waiter in self.waiting.pop(blob.index, ()):
                if dirty:
                    self._read_again(waiter.index)
                else:
                    stack.append(waiter)


class _Workers:
    """In-process or a fork pool, with a bounded number of batches in flight (flat memory).

    Results are absorbed in submission order; a worker that dies raises ``WorkerDied`` (exit 3)."""

    def __init__(self, jobs: int, absorb: Callable[[_BatchOutcome], None]) -> None:
        self.jobs = jobs
        self.absorb = absorb
        self._pool: WorkerPool | None = None
        self._window: OrderedWindow | None = None

    def __enter__(self) -> _Workers:
        if self.jobs > 1:
            self._pool = WorkerPool(self.jobs, _init_pool_worker, (_DETECTOR, _REPO, _MAKE_POLICY)).__enter__()
            self._window = self._pool.ordered()
        return self

    def submit(self, batch: list[_Item]) -> None:
        if self._window is None:
            interrupts.check()  # a Ctrl-C swallowed by a __del__ still stops the scan
            self.absorb(_scan_batch(batch))
            return
        self._window.submit(_scan_batch, batch, self.absorb)

    def drain(self) -> None:
        if self._window is not None:
            self._window.drain(self.absorb)

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.__exit__(*exc_info)


def scan_blobs(detector: Detector, repo: str, jobs_list: Sequence[BlobJob],
               on_findings: Callable[[int, list[Finding]], None], *, jobs: int, progress: bool,
               cache: ScanCache | None = None, policy: Callable[[], DeltaPolicy] | None = None,
               clean_outside: Collection[str] = (), commits: CommitLog | None = None) -> ScanSummary:
    """Scan each blob of ``jobs_list`` once (see ``BlobScan``, which this runs over the whole list)."""
    with BlobScan(detector, repo, jobs_list, on_findings, jobs=jobs, progress=progress, cache=cache,
                  policy=policy, clean_outside=clean_outside, commits=commits) as scan:
        scan.extend(len(jobs_list))
        return scan.finish()


class BlobScan:
    """Scan each blob once; ``on_findings(index, findings)`` receives a blob's findings by its index.

    Fed as a history walk goes: ``extend(n)`` says ``jobs_list[:n]`` is known (the list may grow
    between calls), ``finish()`` that it is complete.  Once ``STREAM_FROM`` blobs are to be read the
    workers start and get each stretch of ``LINEAGE_STRETCH`` blobs while the walk is still running,
    so the cores are not idle while git lists the history; a history with fewer blobs than that is
    scanned when the walk is done, exactly as before.

    With a ``cache``, blobs it knows as clean are not read (counted as ``skipped_cached``), and the
    blobs found clean are recorded.  With a ``policy`` (made, by each worker, when there are at least
    ``FOCUS_FROM_BLOBS`` blobs to read), blobs are scanned as their changes where that gives the same
    answer (module docstring); ``clean_outside`` names predecessors outside ``jobs_list`` to treat as
    clean (a range's base, whose secrets the range does not report).  ``commits`` holds the commits
    the jobs' ``commit`` indexes name (it may be set later, before the first ``extend``)."""

    def __init__(self, detector: Detector, repo: str, jobs_list: Sequence[BlobJob],
                 on_findings: Callable[[int, list[Finding]], None], *, jobs: int, progress: bool,
                 cache: ScanCache | None = None, policy: Callable[[], DeltaPolicy] | None = None,
                 clean_outside: Collection[str] = (), commits: CommitLog | None = None) -> None:
        self.detector, self.repo, self.jobs_list, self.commits = detector, repo, jobs_list, commits
        self.jobs, self.progress, self.cache = jobs, progress, cache
        self.policy, self.clean_outside = policy, clean_outside
        self.summary = ScanSummary()
        self.lfs = 0
        self.seen = 0  # jobs_list[:seen] looked at
        self.waiting: list[int] = []  # to read, not handed out yet
        self.handed = 0  # blobs handed out so far
        # per job index, as arrays (a few bytes a blob; dicts and sets of ints cost ~70-100)
        self.to_read = bytearray()  # 1: the blob is to be read (not answered by the cache)
        self.reading = 0  # how many are
        self.position: dict[str, int] = {}  # blob id -> index, for a plain list (a BlobTable has its own)
        self.predecessor = array("i")  # see NO_PREDECESSOR
        self.lineage = array("i")  # see _in_lineage_order
        self.focused = False
        self.verdicts = _Verdicts(self.predecessor, on_findings)
        self.scanned_bytes = 0
        self.bar: Any = None
        self.workers: _Workers | None = None

    def __enter__(self) -> BlobScan:
        return self

    def use_jobs(self, jobs_list: Sequence[BlobJob], commits: CommitLog | None) -> None:
        """Go on with another list whose first ``seen`` jobs are the same (a history walk started again)."""
        self.jobs_list, self.commits = jobs_list, commits

    def extend(self, known: int) -> None:
        """``jobs_list[:known]`` is known: sort out what to read, hand out whole stretches if started."""
        jobs_list, first = self.jobs_list, self.seen
        if not isinstance(jobs_list, BlobTable):
            for index in range(first, known):
                self.position.setdefault(jobs_list[index].oid, index)
        self.to_read.extend(bytes(known - first))
        self.predecessor.extend(repeat(NO_PREDECESSOR, known - first))
        self.lineage.extend(range(first, known))
        if self.cache is not None:
            todo, lfs = cached_blobs(self.cache, jobs_list[first:known], self.summary)
            self.lfs += lfs
            new = [first + index for index in todo]
        else:
            new = list(range(first, known))
        self.seen = known
        self.waiting.extend(new)
        to_read = self.to_read
        for index in new:
            to_read[index] = 1
        self.reading += len(new)
        if self.workers is None and self.reading >= max(1, STREAM_FROM):
            self._start(complete=False)
        if self.workers is not None:
            self._hand_out(everything=False)

    def finish(self) -> ScanSummary:
        """The list is complete: scan what is left, then what must be read again; the summary."""
        if self.workers is None:
            if not self.reading:
                _note_lfs(self.summary, self.lfs)
                return self.summary
            self._start(complete=True)
        assert self.workers is not None and self.bar is not None
        self.bar.total = self.reading
        self.bar.refresh()
        self._hand_out(everything=True)
        workers, verdicts, predecessor = self.workers, self.verdicts, self.predecessor
        workers.drain()
        while verdicts.again:  # blobs whose predecessor had findings, and the versions after them
            again, verdicts.again = verdicts.again, {}
            focused = array("i", repeat(NO_PREDECESSOR, len(predecessor)))
            for index, whole in again.items():
                if not whole:
                    focused[index] = predecessor[index]
            order = _in_lineage_order(sorted(again), focused, array("i", range(len(predecessor))))
            _submit(workers, self.jobs_list, self.commits, order, focused, first=False)
            workers.drain()
        _note_lfs(self.summary, self.lfs)
        return self.summary

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self.workers is not None:
                self.workers.__exit__(*exc_info)
        finally:
            if self.bar is not None:
                self.bar.close()
            _close_reader()
            if self.cache is not None:
                self.cache.flush()

    def _start(self, *, complete: bool) -> None:
        """Decide (from the blobs to read so far) whether to focus and how many workers; start them.
        ``complete``: the list is whole (else the progress bar counts without a total for now)."""
        count = self.reading
        self.focused = self.policy is not None and count >= FOCUS_FROM_BLOBS
        jobs = 1 if count < SERIAL_BELOW else max(1, self.jobs)
        self.bar = progress_bar(count if complete else None, "blob", self.progress)
        # The workers build the focus policy themselves (~0.2 s, both at once, while the walk goes on).
        _init_worker(self.detector, self.repo, self.policy if self.focused else None)
        workers = _Workers(jobs, self._absorb)
        workers.__enter__()  # forks now: before this process starts any cat-file
        self.workers = workers

    def _hand_out(self, *, everything: bool) -> None:
        """Hand out whole stretches (all that is left when ``everything``).  Stretches start at
        ``FIRST_STRETCH`` and double up to ``LINEAGE_STRETCH``: the workers start early, most blobs
        still go out in long stretches."""
        assert self.workers is not None
        while True:
            size = min(LINEAGE_STRETCH, max(FIRST_STRETCH, self.handed))
            if not (len(self.waiting) >= size or (everything and self.waiting)):
                break
            stretch, self.waiting = self.waiting[:size], self.waiting[size:]
            self.handed += len(stretch)
            if self.focused:
                self._predecessors(stretch)
            order = _in_lineage_order(stretch, self.predecessor, self.lineage)
            _submit(self.workers, self.jobs_list, self.commits, order, self.predecessor, first=True,
                    last=everything and not self.waiting)

    def _predecessors(self, stretch: list[int]) -> None:
        """For each blob to read that replaced another: the index of that predecessor when it is read
        earlier in this run, or -1 when it is known clean (cached, or outside the scan and declared so).
        (A predecessor too large to read turns out unknown, so the blob after it is read again whole.)"""
        jobs_list, to_read, predecessor = self.jobs_list, self.to_read, self.predecessor
        found = (jobs_list.predecessors(stretch) if isinstance(jobs_list, BlobTable)
                 else [self.position.get(base, NOT_HERE) if base else NEW_FILE
                       for base in (jobs_list[i].base for i in stretch)])
        for index, before in zip(stretch, found, strict=True):
            if before == NEW_FILE:
                continue
            if before < 0:
                if self.clean_outside and jobs_list[index].base in self.clean_outside:
                    predecessor[index] = -1
            elif to_read[before] and before < index:
                predecessor[index] = before
            elif not to_read[before]:  # the cache knows it as clean
                predecessor[index] = -1

    def _absorb(self, part: _BatchOutcome) -> None:
        self.summary.merge(part.summary)
        self.lfs += part.lfs
        verdicts, jobs_list, commits = self.verdicts, self.jobs_list, self.commits
        for index, focused, findings, flags in part.blobs:
            commit = jobs_list[index].commit if findings else -1
            if commit >= 0 and commits is not None:  # the worker had only the commit id
                provenance = commits.provenance(commit)
                findings = [finding.replace(commit=provenance.commit, author=provenance.author,
                                            email=provenance.email, date=provenance.date,
                                            subject=provenance.subject) for finding in findings]
            verdicts.offer(BlobOutcome(index, focused, findings, flags))
        if self.cache is not None and verdicts.clean:
            record_blobs(self.cache, self.jobs_list, verdicts.clean)
        verdicts.clean = []
        self.scanned_bytes += part.bytes
        self.bar.update(part.units)
        self.bar.set_postfix_str(f"{self.scanned_bytes / 1e6:.1f} MB", refresh=False)


def _submit(workers: _Workers, jobs_list: Sequence[BlobJob], commits: CommitLog | None, indexes: list[int],
            predecessor: array[int], *, first: bool, last: bool = False) -> None:
    """Hand ``indexes`` out in batches of ``BATCH_BLOBS``; the ``last`` ones of a scan's first reading end
    in batches of ``TAIL_BATCH``, so no worker is left with a long batch while the others idle."""
    batch: list[_Item] = []
    tail_from = len(indexes) - TAIL_BLOBS if last else len(indexes)
    for position, index in enumerate(indexes):
        job = jobs_list[index]
        commit = commits.id(job.commit) if job.commit >= 0 and commits is not None else ""
        base = job.base if predecessor[index] != NO_PREDECESSOR else ""
        batch.append((index, job.path, commit, job.oid, base, first))
        if len(batch) >= (BATCH_BLOBS if position < tail_from else TAIL_BATCH):
            workers.submit(batch)
            batch = []
    if batch:
        workers.submit(batch)


def _in_lineage_order(indexes: Sequence[int], predecessor: array[int], lineage: array[int]) -> list[int]:
    """One stretch of blob indexes (ascending), each file's versions together, each after the version it
    replaced (verdicts still settle predecessors first); ``lineage`` (per job index, each index's own
    until set) carries each blob's first version from stretch to stretch.

    Whole-history grouping read packs written by ``git fast-import`` (deltas in stream order, not by
    path) four times slower; stretches keep git's reads near history order."""
    for index in indexes:  # ascending: a predecessor's lineage is known before its successor's
        before = predecessor[index]
        lineage[index] = lineage[before] if before >= 0 else index
    return sorted(indexes, key=lambda i: (lineage[i], i))


def _note_lfs(summary: ScanSummary, lfs: int) -> None:
    if lfs:
        summary.notes.append(f"{lfs} Git LFS pointer file(s) scanned as the small text they are; "
                             "the large files they point to are not in git and were not scanned")
