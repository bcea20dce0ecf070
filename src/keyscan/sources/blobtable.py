"""Every blob a history walk saw, once, packed into arrays: a blob costs ~70 bytes, not ~350.

A walk must remember each blob it has seen (to scan it once) with the commit and path that introduced
it, the blob it replaced there (its predecessor, for the focused scan) and its later places (for a
finding's occurrences).  As a dict of Python objects that was ~300 bytes a blob, and the scan's own
id -> index dict ~55 more: the largest part of keyscan's memory that grows with the history.  Here a
blob is its binary id and its predecessor's in two byte arrays, its commit and path as numbers, and
one slot of an open-addressing index; the rare blob seen in more than one place keeps those places in a
side dict.  Rows come out as ``BlobJob`` values, made when asked for.
"""

from __future__ import annotations

import sys
from array import array
from binascii import unhexlify
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

from keyscan.sources.jobs import BlobJob

MAX_LOCATIONS = 100  # later places kept per blob (the count stays exact)
_EMPTY = -1
NOT_HERE, NEW_FILE = -1, -3  # answers of ``predecessors`` besides an index
_new_tuple = tuple.__new__  # a NamedTuple made without its Python-level __new__ (hot: one a blob handed out)
_FIRST_SLOTS = 1 << 16  # 256 KiB: no re-hashing below 32,768 blobs
_FS_ENCODING, _FS_ERRORS = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()


class BlobTable(Sequence[BlobJob]):
    """Blobs in order of first sighting; index ``i`` is the ``i``-th blob the walk met.

    Ids go in and come out as hex (a SHA-1 or SHA-256 repository: all ids of one table have one
    width).  Paths are numbered once each (``path_number``), so a file's thousand versions share one
    string."""

    def __init__(self) -> None:
        self._width = 0  # bytes per id, set by the first blob
        self._ids = bytearray()
        self._bases = bytearray()  # the predecessor's id, or zeros for none
        self._commits = array("i")
        self._paths = array("i")
        self._slots = array("i", [_EMPTY]) * _FIRST_SLOTS  # index of the blob whose id hashes there
        self._mask = _FIRST_SLOTS - 1
        self._more: dict[int, list[tuple[int, int]]] = {}  # blob -> later (commit, path number)
        self._totals: dict[int, int] = {}  # blob -> count of places, where more than one
        self.path_names: list[str] = []
        self._path_numbers: dict[bytes, int] = {}
        self._none = b""  # an all-zero id: "no predecessor"

    # -- filling ------------------------------------------------------------------------------

    def path_number(self, raw: bytes) -> int:
        """The number of path ``raw`` (its bytes as git printed them), numbered at first sight."""
        number = self._path_numbers.get(raw)
        if number is None:
            number = self._path_numbers[raw] = len(self.path_names)
            self.path_names.append(raw.decode(_FS_ENCODING, _FS_ERRORS))  # os.fsdecode, without its wrapper
        return number

    def sight(self, commit: int, path: int, oid: bytes, base: bytes) -> bool:
        """Blob ``oid`` (hex bytes) seen at path number ``path`` in ``commit``, replacing ``base``
        (hex bytes, b"" for none).  True when the blob is new to the table.  (Hot: one call per blob
        a commit leaves, so the lookup is written out here rather than split into helpers.)"""
        key = unhexlify(oid)
        slots, ids, width, mask = self._slots, self._ids, self._width, self._mask
        slot = hash(key) & mask
        while True:  # open addressing, linear probing: ids are hashes already, so clusters stay short
            found = slots[slot]
            if found == _EMPTY:
                break
            start = found * width
            if ids[start:start + width] == key:
                return self._seen_again(found, commit, path)
            slot = (slot + 1) & mask
        if len(key) != width:
            if width:
                raise ValueError(f"not a blob id of this repository's kind: {oid[:80]!r}")
            self._set_width(key)
        index = len(self._commits)
        ids += key
        self._bases += unhexlify(base) if base else self._none
        self._commits.append(commit)
        self._paths.append(path)
        slots[slot] = index
        if 2 * index >= len(slots):  # keep at most half the slots taken: short probes
            self._grow()
        return True

    def _set_width(self, key: bytes) -> None:
        if len(key) not in (20, 32):
            raise ValueError(f"not a blob id: {key.hex()[:80]}")
        self._width, self._none = len(key), bytes(len(key))

    def _seen_again(self, found: int, commit: int, path: int) -> bool:
        if self._paths[found] == path:
            return False  # the same content at the same path again (a revert, a merge): not a new place
        places = self._more.get(found)
        if places is not None and any(p == path for _, p in places):
            return False
        self._totals[found] = self._totals.get(found, 1) + 1
        if places is None:
            places = self._more[found] = []
        if len(places) < MAX_LOCATIONS:
            places.append((commit, path))
        return False

    def _probe(self, key: bytes) -> int:
        """The index of the blob with binary id ``key``, or -1."""
        slots, ids, width, mask = self._slots, self._ids, self._width, self._mask
        slot = hash(key) & mask
        while True:
            found = slots[slot]
            if found == _EMPTY:
                return -1
            start = found * width
            if ids[start:start + width] == key:
                return found
            slot = (slot + 1) & mask

    def _grow(self) -> None:
        size = 2 * len(self._slots)
        slots, mask, ids, width = array("i", [_EMPTY]) * size, size - 1, self._ids, self._width
        for index in range(len(self._commits)):
            slot = hash(bytes(ids[index * width:(index + 1) * width])) & mask
            while slots[slot] != _EMPTY:
                slot = (slot + 1) & mask
            slots[slot] = index
        self._slots, self._mask = slots, mask

    # -- reading ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._commits)

    @overload
    def __getitem__(self, index: int) -> BlobJob: ...

    @overload
    def __getitem__(self, index: slice) -> list[BlobJob]: ...

    def __getitem__(self, index: int | slice) -> BlobJob | list[BlobJob]:
        """The blob at ``index`` as a scan job (made now: the table keeps no per-blob objects)."""
        if type(index) is not int:
            assert isinstance(index, slice)
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        commit = self._commits[index]  # (first: raises IndexError past the end)
        width = self._width
        start = index * width
        base = self._bases[start:start + width]
        return _new_tuple(BlobJob, (self._ids[start:start + width].hex(), self.path_names[self._paths[index]],
                                    commit, base.hex() if base != self._none else ""))

    def predecessors(self, indexes: Iterable[int]) -> list[int]:
        """For each of ``indexes``: the index of the blob it replaced, ``NOT_HERE`` when that blob is not
        in the table, ``NEW_FILE`` when it replaced none (``self[i].base``, without making the rows)."""
        bases, width, none, probe = self._bases, self._width, self._none, self._probe
        out = []
        for index in indexes:
            base = bytes(bases[index * width:(index + 1) * width])
            out.append(NEW_FILE if base == none else probe(base))
        return out

    def find(self, oid: str) -> int:
        """The index of blob ``oid`` (hex), or -1."""
        try:
            key = unhexlify(oid)
        except ValueError:
            return -1
        if len(key) != self._width:
            return -1
        return self._probe(key)

    def __contains__(self, oid: object) -> bool:
        return isinstance(oid, str) and self.find(oid) >= 0

    def oid(self, index: int) -> str:
        width = self._width
        return self._ids[index * width:(index + 1) * width].hex()

    def oids(self) -> Iterator[str]:
        for index in range(len(self)):
            yield self.oid(index)

    def commit(self, index: int) -> int:
        return self._commits[index]

    def path(self, index: int) -> str:
        return self.path_names[self._paths[index]]

    def total(self, index: int) -> int:
        """How many places (commit, path) the blob was seen in: exact, though at most
        ``MAX_LOCATIONS`` later ones are kept."""
        return self._totals.get(index, 1)

    def later_places(self, index: int) -> list[tuple[int, str]]:
        """The kept places after the first: (commit index, path)."""
        names = self.path_names
        return [(commit, names[path]) for commit, path in self._more.get(index, ())]

    def places(self, index: int) -> list[tuple[int, str]]:
        return [(self.commit(index), self.path(index)), *self.later_places(index)]
