"""Run a detector over many inputs, in parallel, with deterministic results.

Work is split into batches handed to a process pool (fork: the compiled
rules are inherited, not pickled; see ``keyscan.workers``).  Results are sorted, so the output does
not depend on the number of workers or on the order files were listed in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from keyscan import interrupts
from keyscan.cache import ScanCache, file_key
from keyscan.engine.detector import Detector
from keyscan.model import Chunk, Finding, ScanSummary
from keyscan.sources.content import decode_text, is_binary
from keyscan.sources.files import VANISHED, FileTarget, read_regular_file
from keyscan.sources.notebooks import notebook_chunks
from keyscan.workers import WorkerPool

T = TypeVar("T")

_DETECTOR: Detector | None = None
_CACHE: ScanCache | None = None


@dataclass
class BatchResult:
    findings: list[Finding] = field(default_factory=list)
    summary: ScanSummary = field(default_factory=ScanSummary)
    units: int = 0
    bytes: int = 0
    clean: list[bytes] = field(default_factory=list)  # cache keys of files scanned clean (working trees)


def scan_bytes(detector: Detector, data: bytes, path: str, result: BatchResult, **chunk_args: object) -> bool:
    """Scan one file's or blob's bytes: binary and notebook handling, then the detector.

    Returns False when the content was binary (only file-name rules ran)."""
    summary = result.summary
    if is_binary(data):
        summary.skipped_binary += 1
        result.findings.extend(detector.scan(Chunk(text="", path=path, **chunk_args)).findings)  # type: ignore[arg-type]
        return False
    text = decode_text(data)
    chunks = notebook_chunks(text, path, chunk_args) if path.endswith(".ipynb") else None
    for chunk in chunks or [Chunk(text=text, path=path, **chunk_args)]:  # type: ignore[arg-type]
        outcome = detector.scan(chunk)
        result.findings.extend(outcome.findings)
        for rule_id in outcome.timed_out:
            summary.rule_timeouts.append(f"{path}: rule {rule_id} exceeded its time budget; skipped for this file")
    summary.bytes_scanned += len(data)
    return True


def scan_file_batch(targets: Sequence[FileTarget]) -> BatchResult:
    """Worker entry point: read and scan a batch of files."""
    assert _DETECTOR is not None
    result = BatchResult()
    max_size = _DETECTOR.settings.max_file_size
    for target in targets:
        data, reason = read_regular_file(target.disk_path, max_size)
        result.units += 1
        if data is None:
            if reason == "too-large":
                result.summary.skipped_too_large += 1
                result.findings.extend(_DETECTOR.scan(Chunk(text="", path=target.display_path)).findings)
            elif reason == "not-regular":
                result.summary.skipped_other += 1
                result.summary.warnings.append(f"{target.display_path}: not a regular file (FIFO or device); skipped")
            else:
                result.summary.skipped_other += 1
                result.summary.warnings.append(f"{target.display_path}: {reason}")
                # a file that is gone holds nothing; one that could not be read may hold a secret
                result.summary.incomplete = result.summary.incomplete or reason != VANISHED
            continue
        result.bytes += len(data)
        cache = _CACHE
        key = file_key(data, target.display_path) if cache is not None and not is_binary(data) else None
        if key is not None and cache is not None and cache.is_clean(key):
            result.summary.skipped_cached += 1  # instead of files_scanned: the sum is the same without cache
            continue
        before = (len(result.findings), len(result.summary.rule_timeouts))
        if scan_bytes(_DETECTOR, data, target.display_path, result):
            result.summary.files_scanned += 1
            if key is not None and (len(result.findings), len(result.summary.rule_timeouts)) == before:
                result.clean.append(key)  # no finding, no rule cut short
    return result


def _init_worker(detector: Detector, cache: ScanCache | None = None) -> None:
    global _DETECTOR, _CACHE
    _DETECTOR = detector
    _CACHE = cache


def batched(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def run_batches(
    detector: Detector,
    batches: Iterable[list[T]],
    worker: Callable[[list[T]], BatchResult],
    jobs: int,
    on_progress: Callable[[BatchResult], None] | None = None,
    cache: ScanCache | None = None,
) -> BatchResult:
    """Run ``worker`` over batches, in a pool when ``jobs`` > 1, and merge the results.

    With a ``cache``, files it knows as clean are read but not scanned, and the clean ones are recorded."""
    total = BatchResult()

    def absorb(part: BatchResult) -> None:
        if cache is not None:
            cache.record((key, 0) for key in part.clean)
        total.findings.extend(part.findings)
        total.summary.merge(part.summary)
        total.units += part.units
        total.bytes += part.bytes
        if on_progress is not None:
            on_progress(part)

    try:
        if jobs <= 1:
            _init_worker(detector, cache)
            for batch in batches:
                interrupts.check()  # a Ctrl-C swallowed by a __del__ still stops the scan
                absorb(worker(batch))
        else:
            # a worker that dies raises WorkerDied (exit 3): never a hang, never a clean result
            with WorkerPool(jobs, _init_worker, (detector, cache)) as pool:
                for part in pool.map(worker, batches):
                    absorb(part)
    finally:
        _init_worker(detector)  # the cache is closed after the scan: forget it
    total.findings.sort(key=lambda f: f.sort_key())
    return total


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)
