"""Run the real CLI in-process and capture stdout, stderr and the exit code."""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass

from keyscan.cli import main


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, stdin: str = "") -> Run:
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        sys.stdin = old_stdin
    return Run(code, out.getvalue(), err.getvalue())
