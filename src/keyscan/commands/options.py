"""Options shared by the scanning commands, declared once."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from keyscan.config import parse_size
from keyscan.errors import KeyscanError
from keyscan.model import Confidence, Severity
from keyscan.pipeline import ScanOptions
from keyscan.report import REPORTERS

FORMATS = sorted(REPORTERS)


class SizeParam(click.ParamType):
    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        size = parse_size(value if not str(value).isdigit() else int(value))
        if size is None:
            self.fail(f"{value!r} is not a size (e.g. 10MiB)", param, ctx)
        return size


def scan_options(function: Callable[..., Any]) -> Callable[..., Any]:
    decorators = [
        click.option("-f", "--format", "format_", type=click.Choice(FORMATS), default="text", show_default=True,
                     help="Report format."),
        click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default=None,
                     help="Write the report to FILE (default: stdout)."),
        click.option("--show-secrets", type=click.Choice(["yes", "force"]), is_flag=False, flag_value="yes",
                     default=None,
                     help="Print secrets in clear (refused under CI unless =force)."),
        click.option("--show-suppressed", is_flag=True, help="Also list suppressed findings, with the reason."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary on stderr."),
        click.option("-v", "--verbose", is_flag=True, help="Say which config file is used, and more."),
        click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="Config file (default: .keyscan.yaml or [tool.keyscan] found from the root)."),
        click.option("--rules", "rule_files", multiple=True, type=click.Path(exists=True, path_type=Path),
                     help="Extra rule file or directory (repeatable)."),
        click.option("--max-file-size", type=SizeParam(), default=None, help="Skip files larger than this (10MiB)."),
        click.option("--min-confidence", type=click.Choice(["low", "medium", "high"]), default="low",
                     show_default=True, help="Report only findings at least this confident."),
        click.option("--min-severity", type=click.Choice(["low", "medium", "high", "critical"]), default="low",
                     show_default=True, help="Report only findings at least this severe."),
        click.option("-j", "--jobs", type=click.IntRange(0, 256), default=0,
                     help="Worker processes (0: one per core)."),
        click.option("--regex-timeout", type=click.FloatRange(0.01, 3600), default=None,
                     help="Seconds a rule may spend on one 4 MB of text before it is skipped there."),
        click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Report only findings not in this baseline file."),
        click.option("--ignore-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                     help="Read ignored fingerprints from FILE instead of .keyscanignore at the repository root."),
        click.option("--sarif-output", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Also write a SARIF report to FILE, from the same scan."),
        click.option("--no-cache", is_flag=True, help="Do not read or write the scan cache."),
        click.option("--pure", is_flag=True, help="Do not use the optional fast matcher even if installed."),
        click.option("--revoke", is_flag=True,
                     help="Then show the revocation plan for the findings (stderr); on a terminal, offer to run it."),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


def build_options(ctx: click.Context, **kwargs: Any) -> ScanOptions:
    show = kwargs.pop("show_secrets")
    if show == "yes" and (os.environ.get("CI") or os.environ.get("GITHUB_ACTIONS")):
        raise KeyscanError("--show-secrets is refused when CI is set (secrets would reach CI logs); "
                           "use --show-secrets=force if you really mean it")
    return ScanOptions(
        format=kwargs.pop("format_"),
        output=kwargs.pop("output"),
        show_secrets=show is not None,
        show_suppressed=kwargs.pop("show_suppressed"),
        quiet=kwargs.pop("quiet"),
        verbose=kwargs.pop("verbose"),
        color=(ctx.obj or {}).get("color"),
        config_path=kwargs.pop("config_path"),
        rule_files=tuple(kwargs.pop("rule_files")),
        max_file_size=kwargs.pop("max_file_size"),
        min_confidence=Confidence.parse(kwargs.pop("min_confidence")),
        min_severity=Severity.parse(kwargs.pop("min_severity")),
        jobs=kwargs.pop("jobs"),
        regex_timeout=kwargs.pop("regex_timeout"),
        baseline=kwargs.pop("baseline"),
        ignore_file=kwargs.pop("ignore_file"),
        sarif_output=kwargs.pop("sarif_output"),
        no_cache=kwargs.pop("no_cache"),
        use_fast=False if kwargs.pop("pure") else None,
        extra=kwargs,
    )
