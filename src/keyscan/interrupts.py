"""Ctrl-C that cannot get lost.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be.  Raised inside a
``__del__`` (the regex module has some, run whenever garbage is collected) it is printed and
dropped, and the scan would go on; with worker processes that ignore Ctrl-C, the parent would then
wait for them until they finish.  So the press is also recorded, and every long wait of keyscan's
checks the record at least a few times a second.

Raised inside library code that takes locks (``concurrent.futures``: ``wait()`` takes every future's
lock, ``with condition:`` enters through Python code), a ``KeyboardInterrupt`` can leave a lock taken
for good: the process pool's own thread then blocks on it, and Python, which joins that thread at
exit, never exits.  Such code runs inside :class:`deferred`: a press there is only recorded, and
raised as soon as the section ends (its waits are short).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

_pressed = False
_deferring = 0  # depth of deferred sections the main thread is in


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    global _pressed
    _pressed = True
    if not _deferring:
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


class deferred:
    """A section of the main thread where Ctrl-C is recorded but not raised (see the module's notes);
    on leaving it normally, a press made meanwhile is raised (unless ``check_after`` is false).

    Keep the waits inside short (a timeout of a fraction of a second): Ctrl-C cannot cut them short."""

    def __init__(self, check_after: bool = True) -> None:
        self.check_after = check_after
        self._counted = False

    def __enter__(self) -> None:
        global _deferring
        if threading.current_thread() is threading.main_thread():  # the only thread signals reach
            self._counted = True
            _deferring += 1

    def __exit__(self, exc_type: object, *rest: object) -> None:
        global _deferring
        if self._counted:
            self._counted = False
            _deferring -= 1
        if exc_type is None and self.check_after:
            check()
