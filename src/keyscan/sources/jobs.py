"""What a blob scan is asked to scan: one type for every git source (staged files, a range's base,
a history walk's blobs)."""

from __future__ import annotations

from typing import NamedTuple


class BlobJob(NamedTuple):
    """A blob to scan.  A tuple (cheap to make): a history walk makes one when the scan asks for a
    blob, instead of keeping an object per blob for the whole scan."""

    oid: str
    path: str
    commit: int = -1  # the introducing commit's index in the scan's CommitLog (-1: not from a history)
    base: str = ""  # the blob this one replaced at ``path`` ("" for a new file): its predecessor
