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
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    # Exception messages may quote scanned text: keep only the exception types.
    scrubbed = [line for line in lines if line.startswith(("Traceback", "  File", "    "))]
    scrubbed.append(f"{type(exc).__module__}.{type(exc).__qualname__}: <message withheld>\n")
    header = f"keyscan {__version__}, Python {sys.version.split()[0]}, {platform.platform()}\n"
    fd, path = tempfile.mkstemp(prefix="keyscan-crash-", suffix=".log")
    with os.fdopen(fd, "w") as handle:
        handle.write(header + "".join(scrubbed))
    print(f"keyscan: internal error ({type(exc).__name__}); a redacted report is in {path}; "
          "please attach it to a bug report", file=sys.stderr)
    return EXIT_INTERNAL
