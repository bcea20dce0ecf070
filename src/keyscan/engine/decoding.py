"""Find base64-encoded text inside a chunk so secrets hidden by encoding are seen.

Kubernetes ``Secret`` manifests, ``.dockerconfigjson`` and many CI files
store credentials base64-encoded.  Only segments that decode to printable
UTF-8 text are returned; images and binary payloads are ignored.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Sequence

# A base64 run that is a value: after ':', '=', or a quote.  Anchoring on those characters keeps this
# pass fast (the engine skips ahead to them) and skips base64 inside identifiers and prose.
# ASCII: \s is [ \t\n\r\f\v], as in Hyperscan, so both find the same candidates in any text.
_CANDIDATE = re.compile(r"[:=\"'`]\s{0,3}[\"'`]?([A-Za-z0-9+/]{20,4096}={0,2})(?![A-Za-z0-9+/=_-])", re.ASCII)
MAX_SEGMENTS = 500
# The start of every candidate, for Hyperscan (``keyscan.engine.prefilter``): it reports where this
# ends, so a candidate lies within [end - BEFORE, end + AFTER] and the pattern above need only run there.
CANDIDATE_START = rb"[:=\x22\x27\x60]\s{0,3}[\x22\x27\x60]?[A-Za-z0-9+/]{20}"
_CANDIDATE_BYTES = re.compile(CANDIDATE_START)
BEFORE = 1 + 3 + 1 + 20
AFTER = 4096 + 2 + 1


def decoded_segments(text: str, windows: Sequence[tuple[int, int]] | None = None) -> Iterator[tuple[int, int, str]]:
    """(start, end, decoded text) for base64 runs that decode to printable text, searched in ``windows``
    (the merged neighbourhoods of CANDIDATE_START hits) or, when None, in the whole text."""
    if len(text) < 20:
        return
    count = 0
    matches = _CANDIDATE.finditer(text) if windows is None else \
        (m for start, end in windows for m in _CANDIDATE.finditer(text, start, end))
    for match in matches:
        value = match.group(1)
        if len(value) % 4 or value.isalpha() or value.isdigit() or _preceded_by_data_uri(text, match.start(1)):
            continue
        decoded = decode_base64_text(value)
        if decoded is None:
            continue
        yield match.start(1), match.end(1), decoded
        count += 1
        if count >= MAX_SEGMENTS:
            return


def decodes_any(data: bytes) -> bool:
    """Whether ``decoded_segments`` finds any segment in ``data`` read as UTF-8 (as the detector reads
    it): a candidate that does not decode gives the scan nothing to look at."""
    return next(decoded_segments(data.decode("utf-8", "replace")), None) is not None


def has_candidate(data: bytes) -> bool:
    """Whether ``data`` holds the start of a base64 candidate (what ``decoded_segments`` looks at)."""
    return _CANDIDATE_BYTES.search(data) is not None


def _preceded_by_data_uri(text: str, start: int) -> bool:
    return text[max(0, start - 8) : start].endswith("base64,")


def decode_base64_text(value: str, min_length: int = 8, printable: float = 0.95) -> str | None:
    """``value`` decoded when it is strict base64 of UTF-8 text of at least ``min_length`` characters,
    at least the ``printable`` fraction of them printable (line breaks and tabs count as printable)."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    shown = sum(1 for c in decoded if c.isprintable() or c in "\r\n\t")
    if len(decoded) < min_length or shown < len(decoded) * printable:
        return None
    return decoded
