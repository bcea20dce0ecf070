"""Read the findings to revoke from a keyscan JSON or JSON Lines report (or from a scan in memory).

The secret comes only from a report's ``secret`` field, and only when the
report says ``"redacted": false`` (made with ``--show-secrets``).  Findings of
the same secret are merged into one credential, so one credential leads to
exactly one action however often it was committed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from keyscan.errors import KeyscanError
from keyscan.model import Finding
from keyscan.redact import fingerprint as make_fingerprint
from keyscan.revoke.model import Credential, Location
from keyscan.settings import fingerprint_key_from_env

REDACTED_HELP = ("the report's secrets are redacted; re-run the scan with --show-secrets "
                 "(e.g. keyscan scan -f json --show-secrets -o report.json) and keep that file private")


def parse_report(text: str, source: str) -> list[dict[str, Any]]:
    """The finding records of a JSON report (``findings`` list) or a JSON Lines report."""
    stripped = text.strip()
    if not stripped:
        raise KeyscanError(f"{source}: the report is empty")
    try:
        document = json.loads(stripped)
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("findings"), list):
        records = document["findings"]
    elif isinstance(document, list):
        records = document
    elif isinstance(document, dict) and document.get("type") in ("finding", "summary"):
        records = [document] if document.get("type") == "finding" else []
    else:
        records = _json_lines(stripped, source)
    if not all(isinstance(r, dict) for r in records):
        raise KeyscanError(f"{source}: every finding must be a JSON object")
    return records


def _json_lines(text: str, source: str) -> list[dict[str, Any]]:
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise KeyscanError(f"{source}: not a keyscan JSON or JSON Lines report (line {number})") from None
        if not isinstance(record, dict):
            raise KeyscanError(f"{source}: line {number} is not a JSON object")
        if record.get("type", "finding") == "finding":
            records.append(record)
    return records


def credentials_from_records(records: Iterable[dict[str, Any]], source: str) -> list[Credential]:
    merged: dict[str, dict[str, Any]] = {}
    for index, record in enumerate(records, 1):
        if record.get("redacted") is not False:
            raise KeyscanError(f"{source}: {REDACTED_HELP}")
        secret, rule_id = record.get("secret"), record.get("rule_id")
        if not isinstance(secret, str) or not secret or not isinstance(rule_id, str) or not rule_id:
            raise KeyscanError(f"{source}: finding {index} has no 'secret' or 'rule_id'")
        fp = record.get("fingerprint")
        entry = merged.setdefault(secret, {"rules": [], "fingerprint": fp if isinstance(fp, str) else "",
                                           "locations": []})
        if rule_id not in entry["rules"]:
            entry["rules"].append(rule_id)
        for location in _locations(record):
            if location not in entry["locations"]:
                entry["locations"].append(location)
    key = fingerprint_key_from_env()
    return [
        Credential(secret=secret, rule_ids=tuple(entry["rules"]),
                   fingerprint=entry["fingerprint"] or make_fingerprint(secret, key),
                   locations=tuple(entry["locations"]))
        for secret, entry in merged.items()
    ]


def _locations(record: dict[str, Any]) -> list[Location]:
    found = []
    for item in [record, *[o for o in record.get("occurrences") or [] if isinstance(o, dict)]]:
        path = item.get("path", record.get("path"))
        line = item.get("line", record.get("line", 0))
        commit = item.get("commit", record.get("commit", ""))
        if isinstance(path, str) and path:
            found.append(Location(path, line if isinstance(line, int) else 0,
                                  commit if isinstance(commit, str) else ""))
    return found


def read_credentials(text: str, source: str) -> list[Credential]:
    return credentials_from_records(parse_report(text, source), source)


def credentials_from_findings(findings: Iterable[Finding]) -> list[Credential]:
    """For ``scan --revoke``: the findings are in memory, with their secrets, so no report is needed."""
    records = [{"rule_id": f.rule_id, "secret": f.secret, "redacted": False, "fingerprint": f.fingerprint,
                "path": f.path, "line": f.line, "commit": f.commit, "occurrences": f.occurrences}
               for f in findings]
    return credentials_from_records(records, "scan")
