"""``--format json``: one document with findings and a summary."""

from __future__ import annotations

import json
from typing import TextIO

from keyscan.report.context import ReportContext
from keyscan.report.serialize import SCHEMA_VERSION, finding_to_dict, summary_to_dict


def write(context: ReportContext, stream: TextIO) -> None:
    document = {
        "schema_version": SCHEMA_VERSION,
        "findings": [finding_to_dict(f, context.show_secrets) for f in context.findings],
        "summary": summary_to_dict(context.summary, len(context.findings)),
    }
    if context.show_suppressed:
        document["suppressed"] = [finding_to_dict(f, context.show_secrets) for f in context.suppressed]
    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")
