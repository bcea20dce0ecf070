"""Where start-up work is memoised: parsed rule files, compiled Hyperscan databases, rules' regex reach.

``$XDG_CACHE_HOME/keyscan/<kind>`` (see ``cache_root``), else ``~/.cache/keyscan/<kind>``.  These hold
no scan result, only what keyscan rebuilds from its own inputs when an entry is missing or unreadable, so
they are not the scan cache (``KEYSCAN_CACHE_DIR`` does not move them) and every failure to read or
write one is silent.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def cache_root() -> Path:
    """``$XDG_CACHE_HOME`` when it is an absolute path (the XDG spec says to ignore a relative one: it
    would follow the current directory, which may be the repository being scanned), else ``~/.cache``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    return Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"


def memo_dir(kind: str) -> Path:
    return cache_root() / "keyscan" / kind


def read_memo(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def write_memo(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a concurrent reader never sees half a file)."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # as the scan cache's directory
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".memo-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
