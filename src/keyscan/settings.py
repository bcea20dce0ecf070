"""Scan settings: one frozen object passed explicitly, never a global."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field

from keyscan.model import Confidence, Severity

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
DEFAULT_FINGERPRINT_KEY = "keyscan-default-fingerprint-key-v1"


@dataclass(frozen=True)
class Settings:
    """What changes a scan's answers (hashed into the cache key) plus how to run it."""

    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    regex_timeout: float = 2.0
    fingerprint_key: str = field(default=DEFAULT_FINGERPRINT_KEY, repr=False)
    min_confidence: Confidence = Confidence.LOW
    min_severity: Severity = Severity.LOW
    entropy_overrides: tuple[tuple[str, float], ...] = ()
    decode_base64: bool = True
    full_blobs: bool = False  # history: scan every version of a file whole, not what it changed
    jobs: int = 0  # 0: all cores

    def answer_hash(self, ruleset_hash: str) -> str:
        """Hash of everything that changes which findings a blob yields (for the cache)."""
        data = asdict(self)
        data.pop("jobs")
        data["fingerprint_key"] = hashlib.sha256(self.fingerprint_key.encode()).hexdigest()
        data["min_confidence"] = int(self.min_confidence)
        data["min_severity"] = int(self.min_severity)
        payload = json.dumps(data, sort_keys=True) + ruleset_hash
        return hashlib.sha256(payload.encode()).hexdigest()


def fingerprint_key_from_env() -> str:
    """``KEYSCAN_FINGERPRINT_KEY`` when set (recommended), else the documented default."""
    return os.environ.get("KEYSCAN_FINGERPRINT_KEY") or DEFAULT_FINGERPRINT_KEY
