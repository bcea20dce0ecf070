"""``keyscan baseline create|update|import``: accept today's findings so scans report only new ones.

Each sub-command runs the real ``scan`` (or ``history``) command in-process and
takes its findings instead of a report, so a baseline holds exactly what the
same scan reports: inline allows, config allowlists and ``.keyscanignore``
apply first, and an existing baseline does not.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from keyscan.baseline import (
    DEFAULT_BASELINE_NAME,
    Baseline,
    describe_key,
    entries_for,
    key_id,
    load_baseline,
    updated,
    write_baseline,
)
from keyscan.errors import ConfigError, KeyscanError
from keyscan.gitcmd import work_tree_root
from keyscan.output import warn
from keyscan.pipeline import CapturedScan, capture_scans
from keyscan.settings import DEFAULT_FINGERPRINT_KEY, fingerprint_key_from_env
from keyscan.suppression import repo_relative, tree_relative


def _scan_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options passed on to ``scan`` / ``history`` (report options make no sense here)."""
    decorators = [
        click.argument("paths", nargs=-1, type=click.Path(exists=True)),
        click.option("--history", is_flag=True, help="Baseline the git history (keyscan history) instead of "
                                                     "the working tree."),
        click.option("--no-git", is_flag=True, help="Walk every file, ignoring .gitignore (tree scans)."),
        click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False),
                     help="Config file (default: .keyscan.yaml or [tool.keyscan] found from the root)."),
        click.option("--rules", "rule_files", multiple=True, type=click.Path(exists=True),
                     help="Extra rule file or directory (repeatable)."),
        click.option("--max-file-size", default=None, help="Skip files larger than this (10MiB)."),
        click.option("--min-confidence", type=click.Choice(["low", "medium", "high"]), default=None,
                     help="Baseline only findings at least this confident."),
        click.option("--min-severity", type=click.Choice(["low", "medium", "high", "critical"]), default=None,
                     help="Baseline only findings at least this severe."),
        click.option("-j", "--jobs", type=click.IntRange(0, 256), default=None, help="Worker processes."),
        click.option("--pure", is_flag=True, help="Do not use the optional fast matcher."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar; only errors and warnings."),
        click.option("-v", "--verbose", is_flag=True, help="Say which config file is used, and more."),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


@click.group()
def baseline() -> None:
    """Accept the current findings so that scans report only new ones.

    \b
    Examples:
      keyscan baseline create                      # writes .keyscan-baseline.json
      keyscan scan --baseline .keyscan-baseline.json
      keyscan baseline update                      # add new findings, drop those gone
      keyscan baseline import --from detect-secrets .secrets.baseline
    """


@baseline.command("create")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"Baseline file to write (default: {DEFAULT_BASELINE_NAME} at the repository root).")
@_scan_options
def create(output: Path | None, **kwargs: Any) -> int:
    """Write every finding the scan would report to a baseline file.

    Example: keyscan baseline create -o .keyscan-baseline.json
    """
    scan = _run_scan(kwargs)
    target = output or _default_path(kwargs["paths"])
    result = Baseline(key_id(fingerprint_key_from_env()), scan.kind)
    result.entries = dict.fromkeys(entries_for(scan.reported, scan.root), "")
    write_baseline(target, result)
    _tell(kwargs, f"baseline {target}: {len(result.entries)} entr{'y' if len(result.entries) == 1 else 'ies'} "
                  f"written{_suppressed_text(scan)}")
    _key_advice(kwargs)
    return 0


@baseline.command("update")
@click.option("-b", "--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"Baseline file to update (default: {DEFAULT_BASELINE_NAME} at the repository root).")
@_scan_options
def update(baseline_path: Path | None, **kwargs: Any) -> int:
    """Add the findings that are new and drop the entries whose finding is gone.

    Only entries under the scanned PATHS are dropped; notes on entries are kept.

    Example: keyscan baseline update -b .keyscan-baseline.json
    """
    target = baseline_path or _default_path(kwargs["paths"])
    old = load_baseline(target)
    current_key = key_id(fingerprint_key_from_env())
    if old.entries and old.key_id != current_key:
        raise ConfigError(f"{target}: made with fingerprint key {describe_key(old.key_id)}, but the current key "
                          f"is {describe_key(current_key)}; set KEYSCAN_FINGERPRINT_KEY to the key that made it, "
                          "or re-create it with 'keyscan baseline create'")
    kwargs["history"] = kwargs["history"] or old.scan == "history"
    scan = _run_scan(kwargs)
    old.key_id = current_key
    scopes = [tree_relative(p, scan.root) for p in kwargs["paths"]] if scan.kind == "tree" else []
    outcome = updated(old, entries_for(scan.reported, scan.root), scopes or [""])
    outcome.baseline.scan = scan.kind
    write_baseline(target, outcome.baseline)
    _tell(kwargs, f"baseline {target}: {outcome.added} added, {outcome.dropped} dropped, {outcome.kept} kept"
                  f"{_suppressed_text(scan)}")
    return 0


@baseline.command("import")
@click.option("--from", "source_format", type=click.Choice(["detect-secrets", "gitleaks", "betterleaks"]),
              required=True, help="The tool that wrote REPORT (gitleaks covers Betterleaks JSON too).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"Baseline file to write or add to (default: {DEFAULT_BASELINE_NAME} at the repository root).")
@click.argument("report_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_scan_options
def import_(source_format: str, output: Path | None, report_file: Path, **kwargs: Any) -> int:
    """Carry over another scanner's accepted findings (REPORT) into a keyscan baseline.

    Scans, then keeps each keyscan finding that an entry of REPORT describes (same
    file, and the same secret by value, SHA-1 or SHA-256, or by line when REPORT
    is redacted).  Entries that match no keyscan finding are counted, not kept.

    \b
    Examples:
      keyscan baseline import --from detect-secrets .secrets.baseline
      keyscan baseline import --from gitleaks gitleaks-report.json
    """
    from keyscan.baseline_import import match_foreign, read_foreign

    target = output or _default_path(kwargs["paths"])
    scan = _run_scan(kwargs)
    entries = read_foreign(source_format, report_file, scan.root)
    paths = [repo_relative(finding, scan.root) for finding in scan.reported]
    match = match_foreign(entries, scan.reported, paths)
    current_key = key_id(fingerprint_key_from_env())
    result = Baseline(current_key, scan.kind)
    if target.exists():
        result = load_baseline(target)
        if result.entries and result.key_id != current_key:
            raise ConfigError(f"{target}: made with fingerprint key {describe_key(result.key_id)}, not the "
                              f"current key {describe_key(current_key)}; cannot add to it")
        result.key_id = current_key
    before = len(result.entries)
    for entry in entries_for(match.findings, scan.root):
        result.entries.setdefault(entry, f"imported from {source_format}")
    write_baseline(target, result)
    _tell(kwargs, f"baseline {target}: {len(result.entries) - before} entr"
                  f"{'y' if len(result.entries) - before == 1 else 'ies'} imported from {len(entries)} in "
                  f"{report_file}")
    if match.unmatched:
        warn(f"{len(match.unmatched)} {source_format} entr{'y' if len(match.unmatched) == 1 else 'ies'} matched "
             "no keyscan finding and were not carried over (keyscan does not report that value, or it is gone):")
        for entry in match.unmatched[:20]:
            warn(f"  {entry.path}" + (f":{entry.line}" if entry.line else "") + (f" ({entry.rule})" if entry.rule
                                                                                 else ""))
        if len(match.unmatched) > 20:
            warn(f"  ... and {len(match.unmatched) - 20} more")
    _key_advice(kwargs)
    return 0


def _run_scan(options: dict[str, Any]) -> CapturedScan:
    """Run ``keyscan scan`` or ``keyscan history`` in-process and take its findings."""
    from keyscan.cli import cli

    argv = _argv(options)
    with capture_scans() as captured:
        cli.main(args=argv, prog_name="keyscan", standalone_mode=False)
    if len(captured) != 1:
        raise KeyscanError(f"'keyscan {argv[0]}' produced no result to baseline")
    return captured[0]


def _argv(options: dict[str, Any]) -> list[str]:
    from keyscan.commands import COMMANDS

    if options["history"]:
        if "history" not in COMMANDS:
            raise KeyscanError("history scanning is not available in this keyscan ('keyscan history' is missing)")
        if options["no_git"]:
            raise click.UsageError("--no-git cannot be combined with --history")
        argv = ["history"]
    else:
        argv = ["scan"]
        if options["no_git"]:
            argv.append("--no-git")
    for flag, name in (("--config", "config_path"), ("--max-file-size", "max_file_size"),
                       ("--min-confidence", "min_confidence"), ("--min-severity", "min_severity"),
                       ("--jobs", "jobs")):
        if options.get(name) is not None:
            argv += [flag, str(options[name])]
    for rule_file in options["rule_files"]:
        argv += ["--rules", rule_file]
    for flag, name in (("--pure", "pure"), ("--quiet", "quiet"), ("--verbose", "verbose")):
        if options[name]:
            argv.append(flag)
    return [*argv, "--no-cache", *options["paths"]]


def _default_path(paths: tuple[str, ...]) -> Path:
    start = Path(paths[0]) if paths else Path(".")
    directory = start if start.is_dir() else start.parent
    top = work_tree_root(str(directory))
    return Path(top or ".") / DEFAULT_BASELINE_NAME


def _suppressed_text(scan: CapturedScan) -> str:
    if not scan.suppressed:
        return ""
    counts: dict[str, int] = {}
    for finding in scan.suppressed:
        counts[finding.suppressed_by] = counts.get(finding.suppressed_by, 0) + 1
    return " (not baselined, already suppressed: " + ", ".join(f"{n} by {k}" for k, n in sorted(counts.items())) + ")"


def _tell(options: dict[str, Any], message: str) -> None:
    click.echo(f"keyscan: {message}", err=True)


def _key_advice(options: dict[str, Any]) -> None:
    if fingerprint_key_from_env() == DEFAULT_FINGERPRINT_KEY and not options["quiet"]:
        warn("note: fingerprints use the built-in default key; set KEYSCAN_FINGERPRINT_KEY (kept out of the "
             "repository, e.g. a CI secret) so a leaked baseline cannot be checked against guessed values")
