"""The crash handler: one line for the user, a redacted report for the bug tracker."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import traceback

from keyscan import __version__
from keyscan.errors import EXIT_INTERNAL


def report_crash(exc: BaseException) -> int:
    """Write the traceback without local values (which may hold secrets) and return exit 3."""
    scrubbed = redacted_traceback(exc)
    header = f"keyscan {__version__}, Python {sys.version.split()[0]}, {platform.platform()}\n"
    fd, path = tempfile.mkstemp(prefix="keyscan-crash-", suffix=".log")
    with os.fdopen(fd, "w") as handle:
        handle.write(header + "".join(scrubbed))
    print(f"keyscan: internal error ({type(exc).__name__}); a redacted report is in {path}; "
          "please attach it to a bug report", file=sys.stderr)
    return EXIT_INTERNAL


def redacted_traceback(exc: BaseException) -> list[str]:
    """Each exception of the chain as its type and its frames (file, line, function, source line).

    Built from the frames, never from the formatted text: messages, notes and arguments may quote
    scanned text, and so may a worker's traceback that the process pool attaches as text."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    lines: list[str] = []
    for index, item in enumerate(reversed(chain)):
        if index:
            lines.append("\nwhich led to:\n\n")
        lines.append("Traceback (most recent call last):\n")
        for frame in traceback.extract_tb(item.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n')
            if frame.line:
                lines.append(f"    {frame.line.strip()}\n")
        lines.append(f"{type(item).__module__}.{type(item).__qualname__}: <message withheld>\n")
    return lines
