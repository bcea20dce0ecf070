"""Terminal decisions in one place: colour, progress bars, writing reports safely."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Any, TextIO


def use_color(flag: bool | None, stream: TextIO) -> bool:
    """--color/--no-color wins, then NO_COLOR, then TERM=dumb, then "is it a TTY"."""
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


def progress_enabled(quiet: bool) -> bool:
    """A progress bar only for a person watching: not under pre-commit, CI or --quiet."""
    if quiet or os.environ.get("PRE_COMMIT") or os.environ.get("CI"):
        return False
    return sys.stderr.isatty()


class _NoBar:
    """What a disabled progress bar is asked, answered with nothing: tqdm (and the importlib.metadata
    it pulls in, ~35 ms of every start) is imported only when a bar is shown."""

    total: int | None = None

    def update(self, count: int = 1) -> None:
        pass

    def refresh(self) -> None:
        pass

    def set_postfix_str(self, text: str = "", refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int | None, unit: str, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True, smoothing=0.1)


def warn(message: str) -> None:
    print(f"keyscan: {message}", file=sys.stderr)


UNENCODABLE = "backslashreplace"  # undecodable bytes of a file name (surrogate escapes) in a report


@contextlib.contextmanager
def report_stream(path: str | None, private: bool) -> Iterator[TextIO]:
    """stdout, or a file written to a temporary name and renamed when complete.

    ``private`` (the report holds raw secrets) creates the file with mode 0600.
    An interrupted run leaves no half-written report behind.  A file name that is not
    valid UTF-8 is written as ``\\udcXX`` escapes (valid JSON, readable text), never a crash.
    """
    if path is None or path == "-":
        reconfigure = getattr(sys.stdout, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors=UNENCODABLE)
        yield sys.stdout
        sys.stdout.flush()
        return
    if os.path.exists(path) and not os.path.isfile(path):
        # /dev/null, a FIFO, /dev/stdout: write straight through; renaming over it would replace it.
        with open(path, "w", encoding="utf-8", errors=UNENCODABLE, newline="\n") as handle:
            yield handle
        return
    with atomic_text_file(path, 0o600 if private else 0o644 & ~current_umask()) as handle:
        yield handle


@contextlib.contextmanager
def atomic_text_file(path: str | os.PathLike[str], mode: int, prefix: str = ".keyscan-") -> Iterator[TextIO]:
    """A UTF-8 text file written under a temporary name beside ``path`` (created with ``mode``) and
    renamed over ``path`` when complete: an interrupted run leaves neither half a file nor the
    temporary one."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)
    try:
        os.chmod(temporary, mode)
        with os.fdopen(fd, "w", encoding="utf-8", errors=UNENCODABLE, newline="\n") as handle:
            yield handle
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def current_umask() -> int:
    """The process umask (reading it means setting it, so set it straight back)."""
    current = os.umask(0)
    os.umask(current)
    return current
