"""The append-only audit log: one JSON line per attempt, never the secret.

Opened with O_APPEND and O_NOFOLLOW, created 0600 (and tightened to 0600 if it
already existed with looser bits).  Every line is checked for the secrets of
the run before it is written, as a last guard against a hook that echoes one.
"""

from __future__ import annotations

import datetime
import getpass
import json
import os
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from keyscan import __version__
from keyscan.errors import KeyscanError


def default_audit_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "keyscan" / "revoke-audit.jsonl"


def _operator() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


class AuditLog:
    def __init__(self, path: Path, secrets: Iterable[str] = ()) -> None:
        self.path = path
        forms = {form for s in secrets if s for form in (s, json.dumps(s, ensure_ascii=False)[1:-1])}
        self._secrets = sorted(forms, key=len, reverse=True)
        self._operator = _operator()
        try:
            if not path.parent.exists():
                path.parent.mkdir(parents=True, mode=0o700)
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
            self._fd = os.open(path, flags, 0o600)
            if os.fstat(self._fd).st_mode & 0o077:
                os.fchmod(self._fd, 0o600)
        except OSError as exc:
            raise KeyscanError(f"cannot open the audit log {path}: {exc.__class__.__name__}") from None

    def write(self, record: dict[str, Any]) -> None:
        entry = {
            "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "keyscan": __version__,
            "operator": self._operator,
            **record,
        }
        line = json.dumps(entry, ensure_ascii=False, sort_keys=False)
        for secret in self._secrets:
            line = line.replace(secret, "[redacted]")
        try:
            os.write(self._fd, (line + "\n").encode("utf-8"))
        except OSError as exc:
            raise KeyscanError(f"cannot write the audit log {self.path}: {exc.__class__.__name__}") from None

    def sync(self) -> None:
        """Flush to disk; called after each request's records and on close (not per line: 1000 fsyncs hurt)."""
        try:
            os.fsync(self._fd)
        except OSError as exc:
            raise KeyscanError(f"cannot write the audit log {self.path}: {exc.__class__.__name__}") from None

    def close(self) -> None:
        try:
            self.sync()
        finally:
            os.close(self._fd)

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
