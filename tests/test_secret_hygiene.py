"""A secret never escapes: not in logs, warnings, tracebacks, crash reports or ``repr()``, and in a report
only where ``--show-secrets`` asked for it (then the file is private, and CI must say ``force``)."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from keyscan.report import REPORTERS
from tests.clirun import Run, run_cli
from tests.gitrepo import GitRepo
from tests.tokens import aws_key_id, aws_secret, github_token

FORMATS = sorted(REPORTERS)  # every registered format, html included once it exists
LEVELS = {"quiet": ["-q"], "default": [], "verbose": ["-v"]}


def _plant(root: Path) -> list[str]:
    """Several kinds of secret, some in base64, one in a notebook; returns the raw values."""
    import base64

    gh, key_id, key_secret, hidden = github_token(), aws_key_id(), aws_secret(), github_token("gho")
    root.mkdir(parents=True, exist_ok=True)
    (root / ".env").write_text(f"GITHUB_TOKEN={gh}\n")
    (root / "aws.ini").write_text(f"[default]\naws_access_key_id = {key_id}\n"
                                  f"aws_secret_access_key = {key_secret}\n")
    encoded = base64.b64encode(f"token: {hidden}".encode()).decode()
    (root / "secret.yaml").write_text(f"kind: Secret\ndata:\n  value: {encoded}\n")
    return [gh, key_id, key_secret, hidden]


def _leaks(text: str, planted: list[str]) -> list[str]:
    return [s for s in planted if s in text]


def _files_text(directory: Path) -> str:
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in directory.iterdir())


@pytest.mark.parametrize("level", list(LEVELS))
@pytest.mark.parametrize("fmt", FORMATS)
def test_no_secret_anywhere_without_show_secrets(tmp_path: Path, fmt: str, level: str) -> None:
    planted = _plant(tmp_path / "tree")
    out = tmp_path / "out"
    out.mkdir()
    to_stdout = run_cli("scan", str(tmp_path / "tree"), "--no-git", "-f", fmt, *LEVELS[level])
    to_file = run_cli("scan", str(tmp_path / "tree"), "--no-git", "-f", fmt, *LEVELS[level],
                      "-o", str(out / f"report.{fmt}"), "--sarif-output", str(out / "also.sarif"))
    for run in (to_stdout, to_file):
        assert run.code == 1, run.stderr
        assert _leaks(run.stdout + run.stderr, planted) == []
    assert _leaks(_files_text(out), planted) == []
    assert len(list(out.iterdir())) == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_show_secrets_reaches_only_the_report_which_is_private(tmp_path: Path, fmt: str) -> None:
    planted = _plant(tmp_path / "tree")
    report = tmp_path / f"report.{fmt}"
    sarif = tmp_path / "also.sarif"
    run = run_cli("scan", str(tmp_path / "tree"), "--no-git", "-f", fmt, "-v", "--show-secrets",
                  "-o", str(report), "--sarif-output", str(sarif))
    assert run.code == 1, run.stderr
    assert _leaks(run.stdout + run.stderr, planted) == []  # never the terminal's stderr
    assert _leaks(sarif.read_text(), planted) == []  # SARIF goes to code-scanning services: never raw
    if _leaks(report.read_text(), planted):
        assert stat.S_IMODE(report.stat().st_mode) == 0o600
    if fmt in ("json", "jsonl", "text"):
        assert set(_leaks(report.read_text(), planted)) == set(planted)


@pytest.mark.parametrize("variable", ["CI", "GITHUB_ACTIONS"])
def test_show_secrets_is_refused_under_ci_unless_forced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        variable: str) -> None:
    planted = _plant(tmp_path / "tree")
    monkeypatch.setenv(variable, "true")
    refused = run_cli("scan", str(tmp_path / "tree"), "--no-git", "-f", "json", "--show-secrets")
    assert refused.code == 2 and "refused" in refused.stderr
    assert _leaks(refused.stdout + refused.stderr, planted) == []
    report = tmp_path / "forced.json"
    forced = run_cli("scan", str(tmp_path / "tree"), "--no-git", "-f", "json", "--show-secrets=force",
                     "-o", str(report))
    assert forced.code == 1
    assert set(_leaks(report.read_text(), planted)) == set(planted)
    assert stat.S_IMODE(report.stat().st_mode) == 0o600


def test_a_commit_message_quoting_the_secret_is_redacted_too(tmp_path: Path) -> None:
    """History reports show commit subjects; a subject that pastes the token must not print it."""
    repo = GitRepo(tmp_path / "repo")
    token = github_token()
    repo.commit(f"use token {token} for CI", {"ci.env": f"TOKEN={token}\n"})
    for fmt in FORMATS:
        run = run_cli("history", str(repo.path), "-f", fmt, "-v")
        assert run.code == 1, run.stderr
        assert token not in run.stdout + run.stderr, fmt
    shown = run_cli("history", str(repo.path), "-f", "json", "--show-secrets", "-q")
    assert json.loads(shown.stdout)["findings"][0]["subject"] == f"use token {token} for CI"


def test_revocation_plan_and_baseline_hold_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    planted = _plant(tmp_path / "tree")
    report = tmp_path / "leak.json"
    run_cli("scan", str(tmp_path / "tree"), "--no-git", "-f", "json", "--show-secrets", "-o", str(report))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    plan = run_cli("revoke", "--from", str(report), "--audit-log", str(tmp_path / "audit.jsonl"))
    assert plan.code in (0, 1), plan.stderr
    assert plan.stdout.strip()  # a plan was printed
    assert _leaks(plan.stdout + plan.stderr, planted) == []
    monkeypatch.chdir(tmp_path / "tree")
    created = run_cli("baseline", "create", ".", "--no-git", "-o", str(tmp_path / "baseline.json"))
    assert created.code == 0, created.stderr
    assert _leaks((tmp_path / "baseline.json").read_text() + created.stdout + created.stderr, planted) == []


# -- internal errors ------------------------------------------------------------------------------

CRASH_LOG = re.compile(r"a redacted report is in (\S+);")


def _crash_log(stderr: str) -> Path:
    match = CRASH_LOG.search(stderr)
    assert match, stderr
    return Path(match.group(1))


def test_an_internal_error_quoting_the_secret_is_withheld(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from keyscan.engine.detector import Detector

    planted = _plant(tmp_path / "tree")
    original = Detector._check

    def explode(self, rule, chunk, text, lines, secret, start):  # type: ignore[no-untyped-def]
        note = f"while checking {secret!r}\n    {secret}\n  | {secret}"
        error = ValueError(f"bad value {secret}\n    {secret}")
        error.add_note(note)
        try:
            raise KeyError(secret)
        except KeyError:
            raise error from RuntimeError(secret)  # a chain, each link quoting the secret

    monkeypatch.setattr(Detector, "_check", explode)
    run = run_cli("scan", str(tmp_path / "tree"), "--no-git", "-j", "1")
    monkeypatch.setattr(Detector, "_check", original)
    assert run.code == 3
    assert "internal error (ValueError)" in run.stderr and run.stderr.count("\n") == 1
    log = _crash_log(run.stderr)
    try:
        text = log.read_text()
        assert "ValueError" in text and "explode" in text  # useful for a bug report...
        assert _leaks(run.stdout + run.stderr + text, planted) == []  # ...and never the secret
        assert stat.S_IMODE(log.stat().st_mode) == 0o600
    finally:
        log.unlink()


WORKER_CRASH = """
import sys
import keyscan.engine.detector as detector
def explode(self, rule, chunk, text, lines, secret, start):
    raise ValueError(f"bad value {secret}")
detector.Detector._check = explode
from keyscan.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_an_error_raised_in_a_worker_is_withheld_too(tmp_path: Path) -> None:
    """The pool ships a worker's exception back with its formatted traceback (message included) attached."""
    planted = _plant(tmp_path / "tree")
    for index in range(80):  # enough files for the pool
        (tmp_path / "tree" / f"filler{index}.txt").write_text("nothing\n")
    run = subprocess.run([sys.executable, "-c", WORKER_CRASH, "scan", str(tmp_path / "tree"), "--no-git",
                          "-j", "2", "--no-cache"], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 3, run.stderr
    log = _crash_log(run.stderr)
    try:
        text = log.read_text()
        assert "ValueError" in text
        assert _leaks(run.stdout + run.stderr + text, planted) == []
    finally:
        log.unlink()


# -- repr ---------------------------------------------------------------------------------------------


def test_no_keyscan_object_shows_a_secret_in_repr() -> None:
    from keyscan.engine.detector import ChunkResult, Detector
    from keyscan.model import Chunk, Finding, ScanSummary
    from keyscan.pipeline import CapturedScan
    from keyscan.report.context import ReportContext
    from keyscan.revoke.http import HttpRequest
    from keyscan.revoke.model import Credential, Location
    from keyscan.revoke.plan import Entry
    from keyscan.rules import load_builtin_rules
    from keyscan.rules.model import RuleSet
    from keyscan.scanner import BatchResult
    from keyscan.settings import Settings
    from keyscan.sources.catfile import GitObject

    token = github_token()
    key = "k" + github_token()[4:]
    rules = list(load_builtin_rules())
    detector = Detector(rules, Settings(fingerprint_key=key))
    chunk = Chunk(text=f"TOKEN={token}\n", path="a.env")
    result = detector.scan(chunk)
    assert [f.secret for f in result.findings] == [token]
    finding: Finding = result.findings[0]
    credential = Credential(secret=token, rule_ids=(finding.rule_id,), fingerprint=finding.fingerprint,
                            locations=(Location("a.env", 1),))
    objects = [
        chunk, finding, result, ChunkResult(findings=[finding]), BatchResult(findings=[finding]),
        Settings(fingerprint_key=key), credential, Entry(credential=credential),
        GitObject(oid="0" * 40, type="blob", size=10, data=f"TOKEN={token}".encode()),
        HttpRequest(endpoint="github", method="POST", path=f"/revoke/{token}",
                    headers={"Authorization": f"Bearer {token}"}, body=token.encode(),
                    shown_path="/revoke/***"),
        ReportContext([finding], ScanSummary(), RuleSet(rules)),
        CapturedScan([finding], [finding], ScanSummary(), None, "tree"),
    ]
    for item in objects:
        assert token not in repr(item) and key not in repr(item), type(item).__name__
        assert token not in str(item), type(item).__name__


def test_a_planted_secret_in_a_warning_path_is_only_its_name(tmp_path: Path) -> None:
    """Warnings name files, never their contents: an unreadable file full of secrets says only its name."""
    planted = _plant(tmp_path / "tree")
    os.mkfifo(tmp_path / "tree" / "pipe")
    run: Run = run_cli("scan", str(tmp_path / "tree"), "--no-git", "-f", "json", "-v")
    assert "pipe: not a regular file" in run.stdout
    assert _leaks(run.stdout + run.stderr, planted) == []
