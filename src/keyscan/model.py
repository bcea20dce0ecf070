"""The data that flows through keyscan: chunks in, findings out.

One ``Finding`` type crosses every boundary (detector, suppression, reporters,
revokers).  Secrets are kept out of ``repr()`` so a stray log line or a
traceback cannot print them.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    """How much damage the leaked credential can do."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, value: str) -> Severity:
        return cls[value.strip().upper()]

    @property
    def label(self) -> str:
        return self.name.lower()


class Confidence(enum.IntEnum):
    """How sure keyscan is that the match is a real credential."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @classmethod
    def parse(cls, value: str) -> Confidence:
        return cls[value.strip().upper()]

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)  # one per commit in a history walk: no __dict__
class Provenance:
    """Where a chunk came from in git; empty for plain files."""

    commit: str = ""
    author: str = ""
    email: str = ""
    date: str = ""
    subject: str = ""


@dataclass(frozen=True)
class Chunk:
    """A piece of text to scan, with the location it came from.

    ``line_offset`` is added to line numbers (a chunk that starts mid-file);
    ``encoding_note`` records a decoding keyscan applied (for example base64).
    """

    text: str = field(repr=False)
    path: str
    provenance: Provenance | None = None
    line_offset: int = 0
    blob_id: str = ""
    cell: int | None = None
    decoded_from: str = ""


@dataclass
class Finding:
    """One reported secret.  ``secret`` is excluded from repr on purpose."""

    rule_id: str
    rule_name: str
    provider: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    secret: str = field(repr=False)
    fingerprint: str
    entropy: float
    severity: Severity
    confidence: Confidence
    checksum: str = "n/a"  # valid | n/a (invalid look-alikes are dropped)
    decoded_from: str = ""
    cell: int | None = None
    # git provenance (history scans)
    commit: str = ""
    author: str = ""
    email: str = ""
    date: str = ""
    subject: str = ""
    status: str = ""  # present | removed (history) or "" for tree scans
    occurrences: list[dict[str, Any]] = field(default_factory=list)
    suppressed_by: str = ""  # reason when suppressed (inline, ignore-file, baseline, config)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.rule_id, self.commit)

    def replace(self, **changes: Any) -> Finding:
        return dataclasses.replace(self, **changes)


@dataclass
class ScanSummary:
    """Counts that every report prints, so a skip is never silent."""

    files_scanned: int = 0
    bytes_scanned: int = 0
    blobs_scanned: int = 0
    commits_scanned: int = 0
    skipped_binary: int = 0
    skipped_too_large: int = 0
    skipped_other: int = 0
    skipped_cached: int = 0
    warnings: list[str] = field(default_factory=list)
    rule_timeouts: list[str] = field(default_factory=list)
    suppressed: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    incomplete: bool = False
    duration_seconds: float = 0.0

    def merge(self, other: ScanSummary) -> None:
        for name in (
            "files_scanned",
            "bytes_scanned",
            "blobs_scanned",
            "commits_scanned",
            "skipped_binary",
            "skipped_too_large",
            "skipped_other",
            "skipped_cached",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.warnings.extend(other.warnings)
        self.rule_timeouts.extend(other.rule_timeouts)
        self.notes.extend(other.notes)
        for key, count in other.suppressed.items():
            self.suppressed[key] = self.suppressed.get(key, 0) + count
        self.incomplete = self.incomplete or other.incomplete
