"""A process pool that notices a dead worker instead of waiting for it forever.

``multiprocessing.Pool`` quietly replaces a worker that dies (the OOM killer, a
crash in C code, a stray signal) and waits forever for the task it held.  The
``concurrent.futures`` pool breaks instead; keyscan turns that into an
incomplete scan (exit 3), never a hang and never a clean result it cannot vouch
for.  Workers are forked (the compiled rules are inherited, not pickled), ignore
Ctrl-C (the parent handles it and stops them), and are all started up front, so
none inherits a pipe the parent opens later (``git cat-file``).

Ctrl-C reaches the whole process group, workers included.  They are forked with SIGINT blocked and
unblock it only once they ignore it, so a press during start-up cannot raise ``KeyboardInterrupt``
in a half-started worker (a traceback, or a pool broken as if a worker had died).  On Ctrl-C the
parent kills the workers, whatever C code (a backtracking regex) they are running, instead of
waiting for them.

Every call into ``concurrent.futures`` runs inside ``interrupts.deferred()``: its code takes locks
(each future's, its queues'), and a ``KeyboardInterrupt`` raised between taking one and giving it
back would leave it taken; the pool's own thread would then wait for that lock forever, and Python,
which joins that thread at exit, would never exit.  A press there is raised when the call returns
(within ``POLL``).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from keyscan import interrupts
from keyscan.errors import IncompleteScanError

T = TypeVar("T")
R = TypeVar("R")
POLL = 0.25  # seconds between checks for a Ctrl-C whose KeyboardInterrupt was swallowed
MANAGER_GRACE = 5.0  # seconds a stopped pool's own thread gets to wind down


class WorkerDied(IncompleteScanError):
    """A worker process ended in the middle of the scan: what it held was not scanned."""


def _start_worker(initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _CAN_MASK:  # forked with SIGINT blocked (see _sigint_blocked): a press that came meanwhile is dropped
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    initializer(*initargs)


_CAN_MASK = hasattr(signal, "pthread_sigmask")


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT held back from this thread while it forks the workers (a fork inherits the mask), and
    from the pool's own threads started meanwhile.  Ctrl-C pressed meanwhile is delivered when the
    block ends: a ``KeyboardInterrupt`` here, as usual."""
    if not _CAN_MASK:
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _ready() -> bool:
    return True


class WorkerPool:
    """``jobs`` forked workers: a context manager; :meth:`submit` and :meth:`result`, or :meth:`map`."""

    def __init__(self, jobs: int, initializer: Callable[..., None], initargs: tuple[Any, ...] = ()) -> None:
        self.jobs = jobs
        self._processes: list[Any] = []
        self._executor = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                                             initializer=_start_worker, initargs=(initializer, initargs))

    def __enter__(self) -> WorkerPool:
        # With fork, the first submit starts every worker: do it now, before the caller opens pipes.
        # gc.freeze: the collector never walks the parent's objects in a worker, so it never writes to
        # (and copies) the pages a worker shares with its parent (a history walk's metadata, file lists).
        gc.freeze()
        try:
            with interrupts.deferred(), _sigint_blocked():
                ready = self._executor.submit(_ready)
            self._processes = self._live()
            self.result(ready)
        except BaseException:  # Ctrl-C while starting: no __exit__ will come, so stop the workers here
            self.stop()
            gc.unfreeze()
            raise
        return self

    def submit(self, fn: Callable[[T], R], item: T) -> Future[R]:
        try:
            with interrupts.deferred():
                return self._executor.submit(fn, item)
        except BrokenProcessPool:
            raise self._died() from None

    def result(self, future: Future[R]) -> R:
        while True:
            try:
                with interrupts.deferred():
                    return future.result(timeout=POLL)
            except FutureTimeout:
                interrupts.check()
            except BrokenProcessPool:
                raise self._died() from None

    def map(self, fn: Callable[[T], R], items: Iterable[T], window: int | None = None) -> Iterator[R]:
        """Results as they complete, with at most ``window`` items in flight (bounded memory)."""
        limit = window or 4 * self.jobs
        pending: set[Future[R]] = set()
        source = iter(items)
        exhausted = False
        while True:
            while not exhausted and len(pending) < limit:
                item = next(source, _END)
                if item is _END:
                    exhausted = True
                else:
                    pending.add(self.submit(fn, item))  # type: ignore[arg-type]
            if not pending:
                return
            with interrupts.deferred():  # then raises a press made meanwhile
                done, pending = wait(pending, timeout=POLL, return_when=FIRST_COMPLETED)
            for future in done:
                yield self.result(future)

    def ordered(self) -> OrderedWindow:
        return OrderedWindow(self)

    def __exit__(self, *exc_info: object) -> None:
        try:
            if exc_info[0] is None:
                with interrupts.deferred():  # the work is done: the idle workers exit at once
                    self._executor.shutdown(wait=True)
                return
            self.stop()
        finally:
            gc.unfreeze()

    def stop(self) -> None:
        """Stop now (Ctrl-C, an error): drop queued work and end the workers without waiting for them.

        A second Ctrl-C meanwhile is only recorded: stopping is bounded, and cut short it would leave the
        pool's thread (and so Python's exit) waiting."""
        with interrupts.deferred(check_after=False):
            self._stop()

    def _stop(self) -> None:
        manager = getattr(self._executor, "_executor_manager_thread", None)
        self._processes = list({id(p): p for p in [*self._processes, *self._live()]}.values())
        for process in self._processes:  # first: a worker stuck in C (a backtracking regex) is not waited for
            with contextlib.suppress(Exception):
                process.kill()
        self._executor.shutdown(wait=False, cancel_futures=True)
        for process in self._processes:
            with contextlib.suppress(Exception):
                process.join(timeout=2)
        # With its workers dead, the pool's own thread finds the pool broken and closes its pipes: let it
        # finish, or at exit Python wakes it through a pipe it may be closing meanwhile (a traceback,
        # "OSError: [Errno 9] Bad file descriptor").  Bounded: it must never hold up Ctrl-C for long.
        if manager is not None:
            manager.join(timeout=MANAGER_GRACE)

    def _live(self) -> list[Any]:
        return list((getattr(self._executor, "_processes", None) or {}).values())

    def _died(self) -> WorkerDied:
        deadline = time.monotonic() + 2  # the pool's own thread reaps the dead worker and ends the rest
        while time.monotonic() < deadline and any(p.exitcode is None for p in self._processes):
            time.sleep(0.05)
        codes = {p.exitcode for p in self._processes if p.exitcode not in (None, 0)}
        codes = sorted(codes - {-signal.SIGTERM} or codes)  # the pool itself ends the others with SIGTERM
        how = f" (exit status {', '.join(_describe(c) for c in codes)})" if codes else ""
        return WorkerDied(f"a worker process died during the scan{how}; what it was scanning was not "
                          "scanned, so the scan is incomplete (try fewer jobs with -j, or a lower "
                          "--max-file-size)")


class OrderedWindow:
    """Futures collected in submission order (deterministic merging), a bounded number in flight."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self._inflight: deque[Future[Any]] = deque()

    def submit(self, fn: Callable[[T], R], item: T, absorb: Callable[[R], None]) -> None:
        self._inflight.append(self.pool.submit(fn, item))
        while len(self._inflight) >= 8 * self.pool.jobs:
            absorb(self.pool.result(self._inflight.popleft()))

    def drain(self, absorb: Callable[[Any], None]) -> None:
        while self._inflight:
            absorb(self.pool.result(self._inflight.popleft()))


def _describe(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return str(code)


_END = object()
