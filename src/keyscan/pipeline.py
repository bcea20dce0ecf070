"""Shared steps of every scan command: load rules and config, detect, suppress, report, exit."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from keyscan.config import Config, check_rule_references, discover, env_config_path, load_config
from keyscan.engine.detector import Detector
from keyscan.errors import EXIT_CLEAN, EXIT_FINDINGS, IncompleteScanError
from keyscan.model import Confidence, Finding, ScanSummary, Severity
from keyscan.output import report_stream, warn
from keyscan.redact import scrub_metadata
from keyscan.report import REPORTERS, ReportContext
from keyscan.rules.loader import builtin_rules_dir, load_rules
from keyscan.rules.model import RuleSet
from keyscan.settings import DEFAULT_MAX_FILE_SIZE, Settings, fingerprint_key_from_env
from keyscan.suppression import IGNORE_FILE, IgnoreFile, Suppressor, read_ignore_file

if TYPE_CHECKING:
    from keyscan.cache import ScanCache


@dataclass
class ScanOptions:
    """Options common to ``scan`` and ``history``."""

    format: str = "text"
    output: str | None = None
    show_secrets: bool = False
    show_suppressed: bool = False
    quiet: bool = False
    verbose: bool = False
    color: bool | None = None
    config_path: Path | None = None
    rule_files: tuple[Path, ...] = ()
    max_file_size: int | None = None
    min_confidence: Confidence = Confidence.LOW
    min_severity: Severity = Severity.LOW
    jobs: int = 0
    regex_timeout: float | None = None
    baseline: Path | None = None
    ignore_file: Path | None = None  # instead of .keyscanignore at the repository root
    sarif_output: Path | None = None  # a SARIF report as well, from the same scan
    no_cache: bool = False
    use_fast: bool | None = None
    full_blobs: bool = False  # history: every version of every file scanned whole
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class Prepared:
    rules: RuleSet
    config: Config
    settings: Settings
    detector: Detector
    ruleset_hash: str


def resolve_config(options: ScanOptions, root: Path) -> Config:
    path = options.config_path or env_config_path()
    if path is None:
        from keyscan.gitcmd import work_tree_root

        top = work_tree_root(str(root if root.is_dir() else root.parent))
        path = discover(root, Path(top) if top else root if root.is_dir() else root.parent)
    config = load_config(path)
    if options.verbose:
        warn(f"config: {config.source or 'none found, using defaults'}")
    return config


def prepare(options: ScanOptions, root: Path) -> Prepared:
    config = resolve_config(options, root)
    rules = load_rules([builtin_rules_dir(), *config.extra_rule_files, *options.rule_files])
    check_rule_references(config, {r.id for r in rules}, {t for r in rules for t in r.tags})
    rules = rules.without(set(config.disabled_rules), set(config.disabled_tags))
    if config.entropy:
        rules = RuleSet([dataclasses.replace(r, min_entropy={**r.min_entropy, **config.entropy})
                         if r.generic else r for r in rules])
    settings = Settings(
        max_file_size=options.max_file_size or config.max_file_size or DEFAULT_MAX_FILE_SIZE,
        regex_timeout=options.regex_timeout or config.regex_timeout or 2.0,
        fingerprint_key=fingerprint_key_from_env(),
        min_confidence=options.min_confidence,
        min_severity=options.min_severity,
        entropy_overrides=tuple(sorted(config.entropy.items())),  # applied to the rules above; hashed (cache)
        jobs=options.jobs,
        full_blobs=options.full_blobs,
    )
    digest = hashlib.sha256()
    for rule in rules:
        digest.update(Path(rule.source_file).read_bytes() if Path(rule.source_file).is_file() else b"")
        digest.update(rule.id.encode())
    return Prepared(rules, config, settings, Detector(list(rules), settings, use_fast=options.use_fast),
                    digest.hexdigest())


@contextlib.contextmanager
def scan_cache(options: ScanOptions, prepared: Prepared) -> Iterator[ScanCache | None]:
    """The re-scan cache for these rules and settings (None with ``--no-cache`` or when unusable).

    After Ctrl-C, what was found clean is still written, but without waiting long for another scan's
    write lock: Ctrl-C must stop keyscan promptly."""
    from keyscan.cache import BUSY_SECONDS, INTERRUPTED_BUSY_SECONDS, ScanCache

    cache = None if options.no_cache else ScanCache.open(prepared.settings.answer_hash(prepared.ruleset_hash))
    busy_seconds = BUSY_SECONDS
    try:
        yield cache
    except KeyboardInterrupt:
        busy_seconds = INTERRUPTED_BUSY_SECONDS
        raise
    finally:
        if cache is not None:
            cache.close(busy_seconds)


def build_suppressor(prepared: Prepared, options: ScanOptions, repo_root: Path | None) -> Suppressor:
    """Config allowlists, ``.keyscanignore`` at ``repo_root`` (or ``--ignore-file``) and ``--baseline``;
    paths are matched relative to ``repo_root``.  A baseline made with another fingerprint key is warned
    about.  ``--ignore-file`` lets CI read the file from a trusted commit (a pull request's base), so a
    pull request cannot ignore its own leak."""
    from keyscan.baseline import load_baseline

    if options.ignore_file is not None:
        ignore = read_ignore_file(options.ignore_file)
    else:
        ignore = read_ignore_file(repo_root / IGNORE_FILE) if repo_root is not None else IgnoreFile()
    notes = list(ignore.notes)
    keys: frozenset[tuple[str, str, str]] = frozenset()
    if options.baseline is not None:
        baseline = load_baseline(options.baseline)
        keys = baseline.keys()
        mismatch = baseline.key_mismatch(prepared.settings.fingerprint_key, options.baseline)
        if mismatch:
            warn(f"warning: {mismatch}")
            notes.append(mismatch)
    return Suppressor(prepared.config, ignore.fingerprints, keys, repo_root, notes)


@dataclass
class CapturedScan:
    """What one scan command found, taken instead of a report (see ``capture_scans``)."""

    reported: list[Finding]
    suppressed: list[Finding]
    summary: ScanSummary
    root: Path | None
    kind: str


_CAPTURE: ContextVar[list[CapturedScan] | None] = ContextVar("keyscan_capture", default=None)


@contextlib.contextmanager
def capture_scans() -> Iterator[list[CapturedScan]]:
    """Run ``scan`` or ``history`` for their findings instead of a report (``keyscan baseline``), so a
    baseline holds exactly what the same scan would report."""
    captured: list[CapturedScan] = []
    token = _CAPTURE.set(captured)
    try:
        yield captured
    finally:
        _CAPTURE.reset(token)


def finish(
    options: ScanOptions,
    prepared: Prepared,
    findings: list[Finding],
    summary: ScanSummary,
    suppressor: Suppressor,
    kind: str,
) -> int:
    """Suppress, report and choose the exit code."""
    reported, suppressed = suppressor.split(findings)
    summary.notes.extend(suppressor.notes)
    for finding in suppressed:
        summary.suppressed[finding.suppressed_by] = summary.suppressed.get(finding.suppressed_by, 0) + 1
    captured = _CAPTURE.get()
    if captured is not None:
        if summary.incomplete:
            for note in summary.notes + summary.warnings:
                warn(f"note: {note}")
            raise IncompleteScanError("the scan is incomplete (see the notes above); nothing was written")
        captured.append(CapturedScan(reported, suppressed, summary, suppressor.root, kind))
        return EXIT_CLEAN
    color = _color(options)
    # a commit message may paste the very secret the report redacts
    scrubbed, scrubbed_suppressed = scrub_metadata(reported), scrub_metadata(suppressed)
    shown, shown_suppressed = (reported, suppressed) if options.show_secrets else (
        scrubbed, scrubbed_suppressed)
    context = ReportContext(shown, summary, prepared.rules, options.show_secrets, color, kind,
                            shown_suppressed, options.show_suppressed, root=suppressor.root)
    with report_stream(options.output, private=options.show_secrets) as stream:
        REPORTERS[options.format](context, stream)
    if options.sarif_output is not None:
        sarif_context = dataclasses.replace(context, color=False, findings=scrubbed,
                                            suppressed=scrubbed_suppressed)
        with report_stream(str(options.sarif_output), private=False) as stream:
            REPORTERS["sarif"](sarif_context, stream)
    if options.format != "text" and not options.quiet:
        from keyscan.report.text import summary_lines

        click.echo(summary_lines(summary, len(reported), kind), err=True)
    if options.extra.get("revoke"):
        from keyscan.revoke.flow import offer_after_scan

        offer_after_scan(reported, prepared.rules)
    if summary.incomplete:
        raise IncompleteScanError("the scan is incomplete (see the notes above); no clean result is claimed")
    failing = [f for f in reported if f.severity >= prepared.config.fail_min_severity
               and f.confidence >= prepared.config.fail_min_confidence]
    return EXIT_FINDINGS if failing else EXIT_CLEAN


def _color(options: ScanOptions) -> bool:
    from keyscan.output import use_color

    if options.format != "text":
        return False
    if options.output not in (None, "-"):
        return bool(options.color)
    return use_color(options.color, sys.stdout)
