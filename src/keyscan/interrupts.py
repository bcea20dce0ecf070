"""Ctrl-C that cannot get lost.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be.  Raised inside a
``__del__`` (the regex module has some, run whenever garbage is collected) it is printed and
dropped, and the scan would go on; with worker processes that ignore Ctrl-C, the parent would then
wait for them until they finish.  So the press is also recorded, and every long wait of keyscan's
checks the record at least a few times a second.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

_pressed = False


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    global _pressed
    _pressed = True
    raise KeyboardInterrupt


def install() -> None:
    """Record Ctrl-C from now on (main thread only; elsewhere Python's default stays).

    A SIGINT that was ignored when keyscan started (a job a script put in the background, some CI
    runners) stays ignored, as for any program: Ctrl-C was not meant for it."""
    global _pressed
    _pressed = False
    if threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGINT) in (signal.default_int_handler, _on_sigint):
        signal.signal(signal.SIGINT, _on_sigint)


def check() -> None:
    """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed, even when its first raise was swallowed."""
    if _pressed:
        raise KeyboardInterrupt
