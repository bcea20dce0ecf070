"""Baseline files: accepted findings, identified by rule, path and keyed fingerprint.

No line numbers (code moves) and never a secret (the file is committed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from keyscan.errors import ConfigError

BASELINE_VERSION = "1"


def load_baseline(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: baseline file not found") from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a keyscan baseline ({exc.__class__.__name__})") from None
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise ConfigError(f"{path}: not a keyscan baseline (no 'findings' list)")
    return document


def load_baseline_keys(path: Path) -> set[tuple[str, str, str]]:
    keys = set()
    for entry in load_baseline(path)["findings"]:
        if isinstance(entry, dict) and {"rule_id", "path", "fingerprint"} <= set(entry):
            keys.add((str(entry["rule_id"]), str(entry["path"]), str(entry["fingerprint"])))
    return keys
