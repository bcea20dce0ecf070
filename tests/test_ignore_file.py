"""``.keyscanignore``: fingerprints copied from keyscan's own output, one per line, '#' for the reason."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from keyscan.suppression import read_ignore_file
from tests.clirun import run_cli
from tests.tokens import github_token


def _git_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def _fingerprints_from_text_output(stdout: str) -> list[str]:
    return re.findall(r"fingerprint (ks1:[0-9a-f]{24})", stdout)


def test_fingerprint_copied_from_the_output_suppresses_the_finding_even_after_code_moves(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path / "repo")
    accepted, other = github_token(), github_token()
    (repo / "fixtures.py").write_text(f"FAKE = '{accepted}'\n")
    (repo / "app.py").write_text(f"REAL = '{other}'\n")
    first = run_cli("scan", "--pure", str(repo))
    assert first.code == 1
    files = re.findall(r"^(\S+\.py)$", first.stdout, re.M)
    by_file = dict(zip(files, _fingerprints_from_text_output(first.stdout), strict=True))
    assert set(by_file) == {str(repo / "app.py"), str(repo / "fixtures.py")}
    (repo / ".keyscanignore").write_text(f"# fixture token of the test suite, revoked\n"
                                         f"{by_file[str(repo / 'fixtures.py')]}  # accepted by the security team\n")
    # Code above the accepted secret moves: the ignore file is keyed on the secret, not the line.
    (repo / "fixtures.py").write_text("import os\n\n\n" + "X = 1\n" * 20 + f"FAKE = '{accepted}'\n")
    second = run_cli("scan", "--pure", str(repo), "-f", "json", "--show-suppressed", "--show-secrets=yes")
    assert second.code == 1
    report = json.loads(second.stdout)
    assert [f["secret"] for f in report["findings"]] == [other]
    assert [(f["secret"], f["line"], f["suppressed_by"]) for f in report["suppressed"]] == [
        (accepted, 24, "ignore-file")]
    assert report["summary"]["suppressed"] == {"ignore-file": 1}


def test_ignore_file_at_the_repository_root_applies_when_scanning_a_subdirectory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _git_repo(tmp_path / "repo")
    (repo / "pkg").mkdir()
    (repo / "pkg" / "conf.py").write_text(f"T = '{github_token()}'\n")
    fingerprint = _fingerprints_from_text_output(run_cli("scan", "--pure", str(repo)).stdout)[0]
    (repo / ".keyscanignore").write_text(fingerprint + "\n")
    monkeypatch.chdir(repo / "pkg")
    result = run_cli("scan", "--pure", ".")
    assert result.code == 0
    assert "suppressed: 1 by ignore-file" in result.stdout


def test_a_bad_line_is_noted_and_the_good_ones_still_apply(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path / "repo")
    (repo / "a.py").write_text(f"T = '{github_token()}'\n")
    fingerprint = _fingerprints_from_text_output(run_cli("scan", "--pure", str(repo)).stdout)[0]
    (repo / ".keyscanignore").write_text(f"ghp_this_is_not_a_fingerprint\n\n   # only a comment\n{fingerprint}\n")
    result = run_cli("scan", "--pure", str(repo))
    assert result.code == 0
    assert ".keyscanignore line 1: not a keyscan fingerprint" in result.stdout
    assert "ghp_this_is_not" not in result.stdout + result.stderr


def test_ignore_file_entries_depend_on_the_fingerprint_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _git_repo(tmp_path / "repo")
    (repo / "a.py").write_text(f"T = '{github_token()}'\n")
    fingerprint = _fingerprints_from_text_output(run_cli("scan", "--pure", str(repo)).stdout)[0]
    (repo / ".keyscanignore").write_text(fingerprint + "\n")
    assert run_cli("scan", "--pure", str(repo)).code == 0
    monkeypatch.setenv("KEYSCAN_FINGERPRINT_KEY", "a-different-team-key")
    assert run_cli("scan", "--pure", str(repo)).code == 1


def test_read_ignore_file_parses_comments_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / ".keyscanignore"
    good = "ks1:" + "0123456789abcdef01234567"
    path.write_text(f"# header\n\n{good} # reason\n  {good}\nks1:XYZ\n")
    parsed = read_ignore_file(path)
    assert parsed.fingerprints == {good}
    assert len(parsed.notes) == 1 and "line 5" in parsed.notes[0]
    assert read_ignore_file(tmp_path / "missing").fingerprints == frozenset()
