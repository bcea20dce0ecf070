"""Reporters: one module per output format, registered in one explicit dict."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from keyscan.report import html, json_report, jsonl, sarif, text
from keyscan.report.context import ReportContext

Reporter = Callable[[ReportContext, TextIO], None]

REPORTERS: dict[str, Reporter] = {
    "html": html.write,
    "json": json_report.write,
    "jsonl": jsonl.write,
    "sarif": sarif.write,
    "text": text.write,
}


def register(name: str, reporter: Reporter) -> None:
    REPORTERS[name] = reporter


__all__ = ["REPORTERS", "ReportContext", "Reporter", "register"]
