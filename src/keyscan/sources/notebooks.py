"""Jupyter notebooks: scan each cell's code, outputs and metadata as its own chunk.

Scanning the raw JSON would report a line inside an escaped string; users
want "cell 4, line 2".  A notebook that is not valid JSON is scanned as text.
"""

from __future__ import annotations

import json
from typing import Any

from keyscan.model import Chunk


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return value if isinstance(value, str) else ""


def _output_text(output: dict[str, Any]) -> str:
    parts = [_text(output.get("text"))]
    data = output.get("data")
    if isinstance(data, dict):
        for mime, value in data.items():
            if mime.startswith("text/") or mime.endswith("json"):
                parts.append(_text(value) if not isinstance(value, dict) else json.dumps(value))
    return "\n".join(p for p in parts if p)


def notebook_chunks(text: str, path: str, chunk_args: dict[str, Any]) -> list[Chunk] | None:
    """One chunk per cell (numbered from 1) plus one for notebook metadata; None if not a notebook."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        return None
    chunks = []
    for number, cell in enumerate(document["cells"], start=1):
        if not isinstance(cell, dict):
            continue
        pieces = [_text(cell.get("source"))]
        pieces += [_output_text(o) for o in cell.get("outputs", []) if isinstance(o, dict)]
        if cell.get("metadata"):
            pieces.append(json.dumps(cell["metadata"]))
        chunks.append(Chunk(text="\n".join(pieces), path=path, cell=number, **chunk_args))
    if document.get("metadata"):
        chunks.append(Chunk(text=json.dumps(document["metadata"], indent=1), path=path, cell=0, **chunk_args))
    return chunks
