"""The stylesheet and script inlined into ``--format html`` reports (kept as real .css/.js files so they
can be read and linted as such; nothing here is ever loaded from the network)."""

from __future__ import annotations

import functools
from importlib import resources


@functools.cache
def asset(name: str) -> str:
    """The text of ``report.css`` or ``report.js``, read once per process."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
