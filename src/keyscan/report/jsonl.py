"""``--format jsonl``: one finding per line, then a summary record; each line flushed."""

from __future__ import annotations

import json
from typing import TextIO

from keyscan.report.context import ReportContext
from keyscan.report.serialize import SCHEMA_VERSION, finding_to_dict, summary_to_dict


def write(context: ReportContext, stream: TextIO) -> None:
    records = [("finding", f) for f in context.findings]
    if context.show_suppressed:
        records += [("suppressed", f) for f in context.suppressed]
    for kind, finding in records:
        record = {"type": kind, "schema_version": SCHEMA_VERSION, **finding_to_dict(finding, context.show_secrets)}
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        stream.flush()
    summary = {"type": "summary", "schema_version": SCHEMA_VERSION,
               **summary_to_dict(context.summary, len(context.findings))}
    stream.write(json.dumps(summary, ensure_ascii=False) + "\n")
    stream.flush()
