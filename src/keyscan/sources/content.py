"""Turn raw bytes into text the detector can read, or say why not."""

from __future__ import annotations

import codecs

BINARY_SNIFF = 8000


def is_utf16(data: bytes) -> bool:
    """UTF-16 text, as its byte order mark says."""
    return data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def is_binary(data: bytes) -> bool:
    """NUL in the first 8000 bytes, as git decides; UTF-16 with a BOM is text."""
    return not is_utf16(data) and _nul_sniffed(data)


def is_plain_text(data: bytes, path: str) -> bool:
    """Text the detector reads as it is: not binary, not UTF-16 and not a notebook (those it converts
    first), so a look at the raw bytes sees what the detector sees."""
    return not path.endswith(".ipynb") and not is_utf16(data) and not _nul_sniffed(data)


def _nul_sniffed(data: bytes) -> bool:
    return data.find(b"\x00", 0, BINARY_SNIFF) >= 0  # (no copy of the first bytes)


def decode_text(data: bytes) -> str:
    """UTF-16 when a BOM says so; otherwise lenient UTF-8 (bad bytes become U+FFFD)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace")
    if is_utf16(data):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8", "replace")
