"""The re-scan cache: what was already scanned, so a second scan reads only what changed.

One SQLite file in the user's cache directory (``$XDG_CACHE_HOME/keyscan``, default
``~/.cache/keyscan``), in WAL mode with a busy timeout, so scans running at once are safe.

- ``clean``: content that yielded no finding, keyed by the *answer* (the hash of the rules, the
  settings and keyscan's own code) and a hash of the content's identity (a git blob id, or a file's
  SHA-256) together with its path, since path rules and notebooks make the path part of the answer.
  Content with findings is never recorded: it is read and scanned again (it is rare), so no secret,
  not even a fingerprint, is written.  Content that timed out on a rule is not recorded either.
- ``commit_blobs``: the blobs (with the blobs they replaced) and paths each commit's raw diff lists
  (see ``keyscan.sources.walkcache``).

A cache that cannot be opened or written never fails a scan: keyscan warns once and scans without it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sqlite3
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import regex

from keyscan.memo import cache_root
from keyscan.model import ScanSummary
from keyscan.output import warn

SCHEMA = 1
FILE_NAME = f"scan-cache-v{SCHEMA}.sqlite3"
_FS_ENCODING, _FS_ERRORS = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()
BUSY_SECONDS = 20.0
INTERRUPTED_BUSY_SECONDS = 0.5  # after Ctrl-C, the last write waits this long for another scan's lock
FLUSH_EVERY = 4096
KEEP_DAYS = 60  # an answer (rules + settings + code) unused this long is dropped
QUERY_CHUNK = 500

BINARY = 1  # the content was binary: only file-name rules ran (history counts it as skipped binary)
LFS = 2  # a Git LFS pointer (history notes how many)

_TABLES = (
    "CREATE TABLE IF NOT EXISTS answers (id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE,"
    " used INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS clean (answer INTEGER NOT NULL, key BLOB NOT NULL, flags INTEGER NOT NULL,"
    " PRIMARY KEY (answer, key)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS commit_blobs (id TEXT PRIMARY KEY, entries BLOB NOT NULL)",
)


def cache_dir() -> Path:
    """``$KEYSCAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/keyscan`` (an absolute path only, as the XDG spec
    says), else ``~/.cache/keyscan``."""
    own = os.environ.get("KEYSCAN_CACHE_DIR", "")
    if own:
        return Path(own).absolute()
    return cache_root() / "keyscan"


# keyscan's modules that decide what a piece of content yields (reports, revocation, CI glue do not)
CODE_PARTS = ("engine", "rules", "sources", "scanner.py", "model.py", "settings.py", "pipeline.py",
              "cache.py")


@functools.lru_cache(maxsize=1)
def code_hash() -> str:
    """Hash of keyscan's scanning code and the regex engine: a changed detector (even in an editable
    install) must not be answered by results of the old one."""
    digest = hashlib.sha256(f"python {sys.version_info[:2]} regex {regex.__version__}".encode())
    package = Path(__file__).parent
    for part in CODE_PARTS:
        for path in [package / part] if part.endswith(".py") else sorted((package / part).rglob("*.py")):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def blob_key(oid: str, path: str) -> bytes:
    """Key of a git blob scanned under ``path``."""
    return hashlib.sha256(b"blob\0" + oid.encode("ascii") + b"\0" + path.encode(_FS_ENCODING, _FS_ERRORS)
                          ).digest()[:16]  # (os.fsencode without its Python wrapper: one call per blob)


def file_key(data: bytes, path: str) -> bytes:
    """Key of a working-tree file's content under ``path`` (SHA-256: the key must not collide)."""
    return hashlib.sha256(b"file\0" + hashlib.sha256(data).digest() + os.fsencode(path)).digest()[:16]


class _Job(Protocol):
    @property
    def oid(self) -> str: ...

    @property
    def path(self) -> str: ...


class ScanCache:
    """One open cache for one answer hash.  Reads from any process (each opens its own connection: a
    SQLite connection must not cross a fork); writes are buffered and made by the process that opened it."""

    def __init__(self, path: Path, answer: str) -> None:
        self.path = path
        self.answer = answer
        self.broken = False
        self._answer_id = 0
        self._owner = os.getpid()
        self._connections: dict[int, sqlite3.Connection] = {}
        self._pending: list[tuple[int, bytes, int]] = []
        # whether anything was recorded for this answer before this cache was opened (see cached_blobs)
        self.answers_before = True

    @classmethod
    def open(cls, answer_hash: str, directory: Path | None = None) -> ScanCache | None:
        """The cache for scans whose answers ``answer_hash`` determines; None (with a warning) when
        it cannot be used."""
        answer = hashlib.sha256(f"{answer_hash}\0{code_hash()}".encode()).hexdigest()
        cache = cls((directory or cache_dir()) / FILE_NAME, answer)
        try:
            cache._setup()
        except (OSError, sqlite3.Error) as exc:
            cache.close()
            warn(f"warning: scan cache {cache.path} is not usable ({_reason(exc)}); scanning without it")
            return None
        return cache

    def _setup(self) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))  # private before SQLite creates it
        connection = self._connection()
        mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()
        if mode is None:
            raise sqlite3.DatabaseError("no journal mode")
        now = int(time.time())
        with _transaction(connection):
            for statement in _TABLES:
                connection.execute(statement)
            if connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'commits'").fetchone():
                connection.execute("DROP TABLE commits")  # the walk cache before it listed replaced blobs
            connection.execute("INSERT OR IGNORE INTO answers (hash, used) VALUES (?, ?)", (self.answer, now))
            connection.execute("UPDATE answers SET used = ? WHERE hash = ?", (now, self.answer))
            self._answer_id = connection.execute("SELECT id FROM answers WHERE hash = ?",
                                                 (self.answer,)).fetchone()[0]
            stale = [row[0] for row in connection.execute(
                "SELECT id FROM answers WHERE used < ?", (now - KEEP_DAYS * 86400,))]
            for answer_id in stale:
                connection.execute("DELETE FROM clean WHERE answer = ?", (answer_id,))
                connection.execute("DELETE FROM answers WHERE id = ?", (answer_id,))
            self.answers_before = connection.execute("SELECT 1 FROM clean WHERE answer = ? LIMIT 1",
                                                     (self._answer_id,)).fetchone() is not None

    def _connection(self) -> sqlite3.Connection:
        pid = os.getpid()
        connection = self._connections.get(pid)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None,
                                         check_same_thread=False)
            connection.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")
            connection.execute("PRAGMA synchronous = NORMAL")
            self._connections[pid] = connection
        return connection

    def _fail(self, exc: Exception) -> None:
        if not self.broken:
            warn(f"warning: scan cache {self.path} failed ({_reason(exc)}); continuing without it")
        self.broken = True
        self._pending.clear()

    # -- clean content ---------------------------------------------------------------------

    def lookup(self, keys: Sequence[bytes]) -> dict[bytes, int]:
        """Flags of the keys recorded as clean."""
        found: dict[bytes, int] = {}
        if self.broken:
            return found
        try:
            connection = self._connection()
            for start in range(0, len(keys), QUERY_CHUNK):
                part = keys[start : start + QUERY_CHUNK]
                marks = ",".join("?" * len(part))
                found.update(connection.execute(
                    f"SELECT key, flags FROM clean WHERE answer = ? AND key IN ({marks})",
                    (self._answer_id, *part)))
        except sqlite3.Error as exc:
            self._fail(exc)
            return {}
        return found

    def is_clean(self, key: bytes) -> bool:
        """One lookup, from whichever process asks (working-tree workers)."""
        if self.broken:
            return False
        try:
            row = self._connection().execute("SELECT 1 FROM clean WHERE answer = ? AND key = ?",
                                             (self._answer_id, key)).fetchone()
        except sqlite3.Error:
            return False  # a worker cannot disable the cache for the others; it just scans
        return row is not None

    def record(self, items: Iterable[tuple[bytes, int]]) -> None:
        """Remember clean content (written in batches; only by the process that opened the cache)."""
        if self.broken or os.getpid() != self._owner:
            return
        self._pending.extend((self._answer_id, key, flags) for key, flags in items)
        if len(self._pending) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if not self._pending or self.broken or os.getpid() != self._owner:
            return
        rows, self._pending = self._pending, []
        try:
            connection = self._connection()
            with _transaction(connection):
                connection.executemany(
                    "INSERT OR REPLACE INTO clean (answer, key, flags) VALUES (?, ?, ?)", rows)
        except sqlite3.Error as exc:
            self._fail(exc)

    # -- commit diffs ----------------------------------------------------------------------

    def known_commits(self, ids: Sequence[str]) -> set[str]:
        known: set[str] = set()
        if self.broken:
            return known
        try:
            connection = self._connection()
            for start in range(0, len(ids), QUERY_CHUNK):
                part = ids[start : start + QUERY_CHUNK]
                marks = ",".join("?" * len(part))
                known.update(row[0] for row in connection.execute(
                    f"SELECT id FROM commit_blobs WHERE id IN ({marks})", part))
        except sqlite3.Error as exc:
            self._fail(exc)
            return set()
        return known

    def commit_entries(self, ids: Sequence[str]) -> dict[str, bytes]:
        """Stored diffs of ``ids`` (a missing one is simply absent)."""
        if self.broken:
            return {}
        marks = ",".join("?" * len(ids))
        try:
            rows = self._connection().execute(
                f"SELECT id, entries FROM commit_blobs WHERE id IN ({marks})", tuple(ids))
            return {row[0]: bytes(row[1]) for row in rows}
        except sqlite3.Error as exc:
            self._fail(exc)
            return {}

    def store_commits(self, items: Sequence[tuple[str, bytes]]) -> None:
        if self.broken or not items or os.getpid() != self._owner:
            return
        try:
            connection = self._connection()
            with _transaction(connection):
                connection.executemany("INSERT OR IGNORE INTO commit_blobs (id, entries) VALUES (?, ?)", items)
        except sqlite3.Error as exc:
            self._fail(exc)

    # -- the end ---------------------------------------------------------------------------

    def close(self, busy_seconds: float = BUSY_SECONDS) -> None:
        """Write what is pending and close this process's connection; if another scan holds the write
        lock longer than ``busy_seconds``, what is pending is dropped (with the usual warning)."""
        if busy_seconds != BUSY_SECONDS and self._pending and not self.broken and os.getpid() == self._owner:
            try:
                self._connection().execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
            except sqlite3.Error as exc:
                self._fail(exc)
        self.flush()
        connection = self._connections.pop(os.getpid(), None)
        if connection is not None:
            connection.close()

    def __enter__(self) -> ScanCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (or ``ROLLBACK``): the write lock is taken up front, so a
    concurrent writer waits for the busy timeout instead of failing half-way."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.connection.execute("COMMIT")
        elif self.connection.in_transaction:
            self.connection.execute("ROLLBACK")


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return str(exc) or type(exc).__name__


def knows_any_commit(ids: Sequence[str], directory: Path | None = None) -> bool:
    """Whether the cache file holds the walk entries of any of ``ids`` (at most ``QUERY_CHUNK``), read
    without opening the cache: it decides which git command a history scan starts before its rules load.
    True when it cannot tell: the cache itself decides later, and that answer is always right."""
    path = (directory or cache_dir()) / FILE_NAME
    if not ids or not path.exists():
        return False
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=1.0)
        try:
            part = list(ids[:QUERY_CHUNK])
            marks = ",".join("?" * len(part))
            return connection.execute(f"SELECT 1 FROM commit_blobs WHERE id IN ({marks}) LIMIT 1",
                                      part).fetchone() is not None
        finally:
            connection.close()
    except sqlite3.Error:
        return True


def open_for(no_cache: bool, answer_hash: str) -> ScanCache | None:
    """The cache a scan should use: none with ``--no-cache``."""
    return None if no_cache else ScanCache.open(answer_hash)


# -- history blobs ---------------------------------------------------------------------------


def cached_blobs(cache: ScanCache, jobs: Sequence[_Job], summary: ScanSummary) -> tuple[list[int], int]:
    """Indexes of the blobs still to scan, and how many answered ones are LFS pointers.

    A blob answered by the cache counts as ``skipped_cached`` (instead of ``blobs_scanned``: the sum of
    the two is the same as without the cache), and a binary one also as ``skipped_binary``, as before.

    A cache that held nothing for these rules when it was opened (a first scan, or new rules) is not
    asked: a history scan asks about each blob once, before scanning it, so only an earlier scan's
    records could answer (40,000 lookups and their keys cost ~0.3 s on pytest's history)."""
    if not cache.answers_before:
        return list(range(len(jobs))), 0
    keys = [blob_key(job.oid, job.path) for job in jobs]
    known = cache.lookup(keys)
    todo: list[int] = []
    lfs = 0
    for index, key in enumerate(keys):
        flags = known.get(key)
        if flags is None:
            todo.append(index)
            continue
        summary.skipped_cached += 1
        if flags & BINARY:
            summary.skipped_binary += 1
        if flags & LFS:
            lfs += 1
    return todo, lfs


def record_blobs(cache: ScanCache, jobs: Sequence[_Job], done: Iterable[tuple[int, int]]) -> None:
    """Remember blobs scanned to the end without a finding: ``done`` holds (index in ``jobs``, flags)."""
    cache.record((blob_key(jobs[index].oid, jobs[index].path), flags) for index, flags in done)
