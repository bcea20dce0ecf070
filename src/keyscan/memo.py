"""Where start-up work is memoised: parsed rule files, compiled Hyperscan databases, rules' regex reach.

``$XDG_CACHE_HOME/keyscan/<kind>``, else ``~/.cache/keyscan/<kind>``.  These hold no scan result, only
what keyscan rebuilds from its own inputs when an entry is missing or unreadable, so they are not the
scan cache (``KEYSCAN_CACHE_DIR`` does not move them) and every failure to read or write one is silent.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def memo_dir(kind: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "keyscan" / kind


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
