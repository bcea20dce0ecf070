"""Stream many git objects through one long-lived ``git cat-file`` process.

A process per object costs milliseconds each, and a history holds tens of
thousands of blobs.  Requests are written a bounded window ahead of the
replies: the outstanding request bytes always fit in the pipe buffer, so
neither side can block the other and no thread is needed.  Only one object's
bytes are held at a time.

A corrupt object makes ``cat-file`` answer "missing" or die mid-object: that
object is reported as unreadable (with git's own message) and a fresh process
picks up the requests still outstanding, so one bad object never hides the rest.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from keyscan.errors import GitError
from keyscan.gitcmd import popen_git

# Requests in flight.  128 object names (at most 65 bytes each with SHA-256)
# stay far below the smallest pipe buffer (4 KiB pages, 16 KiB on macOS).
WINDOW = 128
_READ_CHUNK = 1 << 20
MAX_CONSECUTIVE_FAILURES = 10

# git keeps up to 96 MiB of unpacked delta bases by default; a whole-history read in walk order made
# cat-file the largest process of a scan (~175 MiB).  Each history worker now runs its own reader and
# reads a file's versions together: 16 MiB each took pytest's history from 403 to 296 MiB PSS, no slower.
# 4 MiB: each reader's PSS on pytest's history 47 -> 22 MiB, CPU median 1.08 -> 1.09 s (6 runs each;
# synthetic 20,000 commits 0.64 -> 0.62 s).  (Mapping the pack in small windows as well saved more but
# cost 15% of its CPU, so the readers keep git's default windows.)
DELTA_BASE_CACHE = "4m"


@dataclass(frozen=True)
class GitObject:
    """One reply.  ``type`` is git's object type, or ``missing`` / ``unreadable``.

    ``data`` is None in check mode, for a problem, and for a blob over the size cap.
    """

    oid: str
    type: str
    size: int = 0
    data: bytes | None = field(default=None, repr=False)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.type not in ("missing", "unreadable")


class StderrTail:
    """Drain a process's stderr in a thread (a full pipe would stall git); keep the last lines."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.lines: deque[str] = deque(maxlen=20)
        self._thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self._thread.start()

    def _drain(self, stream: IO[bytes]) -> None:
        with contextlib.suppress(OSError, ValueError):
            for raw in stream:
                self.lines.append(raw.decode("utf-8", "replace").rstrip())

    def message(self, wait: float = 1.0) -> str:
        self._thread.join(wait)
        meaningful = [line for line in self.lines if line.startswith(("fatal", "error"))]
        return (meaningful or list(self.lines) or [""])[-1]


class CatFile:
    """``git cat-file --batch`` (contents) or ``--batch-check`` (type and size only).

    Use as a context manager; :meth:`objects` may be called more than once and
    reuses the same process.
    """

    def __init__(self, repo: str, *, contents: bool = True, max_size: int | None = None) -> None:
        self.repo = repo
        self.contents = contents
        self.max_size = max_size
        self.processes_started = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: StderrTail | None = None

    def __enter__(self) -> CatFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def objects(self, oids: Iterable[str]) -> Iterator[GitObject]:
        """One reply per requested object name, in request order."""
        source = iter(oids)
        pending: deque[str] = deque()
        exhausted = False
        failures = 0
        while True:
            if not exhausted and len(pending) <= WINDOW // 2:
                exhausted = self._send(source, pending)
            if not pending:
                return
            reply = self._receive(pending)
            if reply.type == "unreadable":
                failures += 1
                if failures > MAX_CONSECUTIVE_FAILURES:
                    raise GitError(f"git cat-file keeps failing ({reply.error}); the repository may be damaged")
            else:
                failures = 0
            yield reply

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError, ValueError):
            assert proc.stdin is not None
            proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        with contextlib.suppress(OSError, ValueError):
            assert proc.stdout is not None
            proc.stdout.close()

    # -- internals ---------------------------------------------------------------

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            mode = "--batch" if self.contents else "--batch-check"
            self._proc = popen_git(self.repo, ["-c", f"core.deltaBaseCacheLimit={DELTA_BASE_CACHE}", "cat-file", mode])
            assert self._proc.stderr is not None
            self._stderr = StderrTail(self._proc.stderr)
            self.processes_started += 1
        return self._proc

    def _send(self, source: Iterator[str], pending: deque[str]) -> bool:
        """Queue requests up to the window; True when the source is used up."""
        proc = self._process()
        assert proc.stdin is not None
        lines = []
        exhausted = False
        while len(pending) < WINDOW:
            oid = next(source, None)
            if oid is None:
                exhausted = True
                break
            if not oid.isalnum() and (not oid or any(c in oid for c in " \n\r\t")):  # (hot: ids are hex)
                raise GitError(f"invalid object name {oid!r}")
            pending.append(oid)
            lines.append(oid)
        if lines:
            try:
                proc.stdin.write(("\n".join(lines) + "\n").encode("ascii", "replace"))
                proc.stdin.flush()
            except (BrokenPipeError, OSError):
                pass  # the process died; _receive sees EOF, reports and restarts
        return exhausted

    def _receive(self, pending: deque[str]) -> GitObject:
        proc = self._process()
        assert proc.stdout is not None
        oid = pending[0]
        header = proc.stdout.readline()
        if not header.endswith(b"\n"):
            return self._died(pending)
        parts = header.decode("ascii", "replace").split()
        if len(parts) == 2 and parts[1] == "missing":
            pending.popleft()
            return GitObject(oid, "missing")
        if len(parts) != 3 or not parts[2].isdigit():
            self.close()
            raise GitError(f"git cat-file answered {header[:80]!r} for object {oid}")
        if parts[0] != oid and not parts[0].startswith(oid):
            self.close()
            raise GitError(f"git cat-file is out of step: asked for {oid}, got {parts[0]}")
        kind, size = parts[1], int(parts[2])
        if not self.contents:
            pending.popleft()
            return GitObject(oid, kind, size)
        keep = self.max_size is None or size <= self.max_size
        data = self._read_exact(proc.stdout, size, keep)
        if data is None or proc.stdout.read(1) != b"\n":  # each reply ends with a line break
            return self._died(pending)
        pending.popleft()
        return GitObject(oid, kind, size, data if keep else None)

    @staticmethod
    def _read_exact(stream: IO[bytes], count: int, keep: bool) -> bytes | None:
        """``count`` bytes (or b"\\n" when not kept: read in pieces and dropped), None on a short read.

        A kept object is one ``read`` (the buffered reader loops in C), not pieces joined and copied."""
        if keep:
            data = stream.read(count)
            return data if len(data) == count else None
        remaining = count
        while remaining:
            piece = stream.read(min(remaining, _READ_CHUNK))
            if not piece:
                return None
            remaining -= len(piece)
        return b"\n"

    def _died(self, pending: deque[str]) -> GitObject:
        """The process ended mid-reply: blame the object being read, restart for the rest."""
        oid = pending.popleft()
        proc = self._proc
        message = self._stderr.message() if self._stderr is not None else ""
        if proc is not None:
            with contextlib.suppress(OSError, ValueError):
                assert proc.stdin is not None
                proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self._proc = None
        if pending:
            self._resend(pending)
        return GitObject(oid, "unreadable", error=message or "git cat-file stopped while reading it")

    def _resend(self, pending: deque[str]) -> None:
        proc = self._process()
        assert proc.stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError):
            proc.stdin.write(("\n".join(pending) + "\n").encode("ascii", "replace"))
            proc.stdin.flush()
