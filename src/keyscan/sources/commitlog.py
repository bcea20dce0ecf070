"""The commits of a history walk, packed: a commit costs its bytes, not five Python strings.

A walk keeps every commit's metadata until the end, because a finding names the commit that
introduced its secret; but only the few commits that a finding names are ever read back.  As
``Provenance`` objects they cost about 340 bytes a commit (6.7 MB for 20,000 commits); packed
into two byte arrays, about 130.
"""

from __future__ import annotations

from array import array
from binascii import unhexlify

from keyscan.model import Provenance

_ID_BYTES = (20, 32)  # SHA-1 and SHA-256 repositories


class CommitLog:
    """Commits in walk order: binary ids in one array, the other fields NUL-joined in another."""

    def __init__(self) -> None:
        self._width = 0  # bytes per id, set by the first commit
        self._ids = bytearray()
        self._fields = bytearray()
        self._ends = array("Q")  # where each commit's fields end in ``_fields``

    def append(self, sha: bytes, author: bytes, email: bytes, date: bytes, subject: bytes) -> int:
        """Add a commit (``sha`` in hex, the others as git printed them: NUL-free); its index."""
        try:
            binary = unhexlify(sha)
        except ValueError:  # (binascii.Error is one)
            binary = b""
        if len(binary) not in _ID_BYTES or len(binary) != (self._width or len(binary)):
            raise ValueError(f"not a commit id: {sha[:80]!r}")
        self._width = len(binary)
        self._ids += binary
        self._fields += b"\0".join((author, email, date, subject))
        self._ends.append(len(self._fields))
        return len(self._ends) - 1

    def __len__(self) -> int:
        return len(self._ends)

    def id(self, index: int) -> str:
        """The commit id (hex) at ``index``."""
        if not 0 <= index < len(self._ends):
            raise IndexError(index)
        return self._ids[index * self._width:(index + 1) * self._width].hex()

    def ids(self) -> list[str]:
        return [self.id(index) for index in range(len(self._ends))]

    def provenance(self, index: int) -> Provenance:
        """The commit at ``index`` with its metadata (invalid UTF-8 replaced, as the walk always did)."""
        sha = self.id(index)
        start = self._ends[index - 1] if index else 0
        author, email, date, subject = (
            field.decode("utf-8", "replace") for field in bytes(self._fields[start:self._ends[index]]).split(b"\0"))
        return Provenance(commit=sha, author=author, email=email, date=date, subject=subject)
