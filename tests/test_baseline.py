"""Baselines: create, scan/history against one, update, import from detect-secrets and gitleaks."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from keyscan.baseline import Baseline, Entry, dump_baseline, key_id, parse_baseline
from tests.clirun import run_cli
from tests.tokens import aws_key_id, github_token


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    return repo


def _json_scan(*args: str) -> tuple[int, dict, str]:
    result = run_cli("scan", "--pure", "-f", "json", "--show-suppressed", "--show-secrets=yes", *args)
    assert result.code in (0, 1), result.stderr
    return result.code, json.loads(result.stdout), result.stderr


def _create(repo: Path, *args: str) -> Path:
    target = repo / ".keyscan-baseline.json"
    result = run_cli("baseline", "create", "--pure", str(repo), "-o", str(target), *args)
    assert result.code == 0, result.stderr
    return target


def test_scan_with_a_baseline_reports_only_new_findings_even_after_code_moves(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    old = github_token()
    (repo / "app.py").write_text(f"TOKEN = '{old}'\n")
    baseline = _create(repo)
    code, report, _ = _json_scan(str(repo), "--baseline", str(baseline))
    assert code == 0
    assert report["findings"] == []
    assert report["summary"]["suppressed"] == {"baseline": 1}

    # Code moves above the baselined secret, and a new secret is added right next to it.
    new = github_token()
    (repo / "app.py").write_text("import os\n\n\ndef f():\n    pass\n\n\n" + f"TOKEN = '{old}'\nOTHER = '{new}'\n")
    code, report, _ = _json_scan(str(repo), "--baseline", str(baseline))
    assert code == 1
    assert [(f["secret"], f["line"]) for f in report["findings"]] == [(new, 9)]
    assert [(f["secret"], f["line"], f["suppressed_by"]) for f in report["suppressed"]] == [(old, 8, "baseline")]


def test_baseline_file_is_stable_sorted_and_holds_no_secret_or_line(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    secrets = [github_token(), github_token(), aws_key_id()]
    (repo / "b.py").write_text(f"A = '{secrets[0]}'\n")
    (repo / "a").mkdir()
    (repo / "a" / "c.env").write_text(f"T={secrets[1]}\nK={secrets[2]}\n")
    first = _create(repo).read_bytes()
    second = _create(repo).read_bytes()
    assert first == second
    text = first.decode()
    assert not any(secret in text for secret in secrets)
    document = json.loads(text)
    assert set(document) == {"keyscan_baseline", "fingerprint_key_id", "scan", "findings"}
    assert [sorted(e) for e in document["findings"]] == [["fingerprint", "path", "rule_id"]] * 3
    paths = [e["path"] for e in document["findings"]]
    assert paths == sorted(paths) == ["a/c.env", "a/c.env", "b.py"]
    assert document["fingerprint_key_id"] == key_id("keyscan-default-fingerprint-key-v1")
    # One entry per line, so concurrent additions merge like lines of code.
    assert len([line for line in text.splitlines() if '"fingerprint"' in line]) == 3


def test_baseline_matches_whatever_directory_keyscan_runs_from(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path)
    (repo / "pkg").mkdir()
    (repo / "pkg" / "settings.py").write_text(f"T = '{github_token()}'\n")
    baseline = _create(repo)
    assert json.loads(baseline.read_text())["findings"][0]["path"] == "pkg/settings.py"
    monkeypatch.chdir(repo / "pkg")
    assert run_cli("scan", "--pure", ".", "--baseline", str(baseline)).code == 0
    monkeypatch.chdir(tmp_path)
    assert run_cli("scan", "--pure", "repo", "--baseline", str(baseline)).code == 0


def test_the_same_secret_in_another_file_is_not_covered(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    token = github_token()
    (repo / "a.py").write_text(f"T = '{token}'\n")
    baseline = _create(repo)
    (repo / "b.py").write_text(f"T = '{token}'\n")
    code, report, _ = _json_scan(str(repo), "--baseline", str(baseline))
    assert code == 1
    assert [f["path"].rsplit("/", 1)[-1] for f in report["findings"]] == ["b.py"]


def test_update_adds_new_findings_drops_gone_ones_and_keeps_notes(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    stays, goes, arrives = github_token(), github_token(), github_token()
    (repo / "keep.py").write_text(f"T = '{stays}'\n")
    (repo / "gone.py").write_text(f"T = '{goes}'\n")
    baseline = _create(repo)
    document = json.loads(baseline.read_text())
    for entry in document["findings"]:
        if entry["path"] == "keep.py":
            entry["note"] = "test fixture, revoked 2024-01"
    baseline.write_text(json.dumps(document))
    (repo / "gone.py").unlink()
    (repo / "new.py").write_text(f"T = '{arrives}'\n")
    result = run_cli("baseline", "update", "--pure", str(repo), "-b", str(baseline))
    assert result.code == 0, result.stderr
    assert "1 added, 1 dropped, 1 kept" in result.stderr
    entries = json.loads(baseline.read_text())["findings"]
    assert [(e["path"], e.get("note")) for e in entries] == [("keep.py", "test fixture, revoked 2024-01"),
                                                            ("new.py", None)]
    assert run_cli("scan", "--pure", str(repo), "--baseline", str(baseline)).code == 0


def test_update_of_a_subdirectory_keeps_entries_elsewhere(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "src").mkdir()
    (repo / "docs").mkdir()
    (repo / "src" / "a.py").write_text(f"T = '{github_token()}'\n")
    (repo / "docs" / "b.md").write_text(f"T = {github_token()}\n")
    baseline = _create(repo)
    (repo / "src" / "a.py").write_text("T = None\n")
    result = run_cli("baseline", "update", "--pure", str(repo / "src"), "-b", str(baseline))
    assert result.code == 0, result.stderr
    assert [e["path"] for e in json.loads(baseline.read_text())["findings"]] == ["docs/b.md"]


def test_a_baseline_made_with_another_key_is_warned_about(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path)
    (repo / "a.py").write_text(f"T = '{github_token()}'\n")
    baseline = _create(repo)
    monkeypatch.setenv("KEYSCAN_FINGERPRINT_KEY", "the-ci-secret-key")
    result = run_cli("scan", "--pure", str(repo), "--baseline", str(baseline))
    assert result.code == 1
    assert "made with fingerprint key" in result.stderr
    assert "built-in default key" in result.stderr
    refused = run_cli("baseline", "update", "--pure", str(repo), "-b", str(baseline))
    assert refused.code == 2
    # With the key the team uses everywhere, create and scan agree again; the key itself is never written.
    keyed = _create(repo)
    assert "the-ci-secret-key" not in keyed.read_text()
    assert run_cli("scan", "--pure", str(repo), "--baseline", str(keyed)).code == 0


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not json", "not a keyscan baseline"),
        ('{"findings": []}', "no 'keyscan_baseline'"),
        ('{"keyscan_baseline": 7, "fingerprint_key_id": "x", "findings": []}', "unsupported version"),
        ('{"keyscan_baseline": 1, "fingerprint_key_id": "x", "findings": [{"path": "a"}]}',
         "findings[0].rule_id"),
        ('{"keyscan_baseline": 1, "fingerprint_key_id": "x", "findings": [], "extra": 1}', "'extra'"),
    ],
)
def test_an_invalid_baseline_is_one_error_line_and_exit_2(tmp_path: Path, content: str, problem: str) -> None:
    (tmp_path / "a.py").write_text(f"T = '{github_token()}'\n")
    baseline = tmp_path / "bad.json"
    baseline.write_text(content)
    result = run_cli("scan", "--pure", "--no-git", str(tmp_path), "--baseline", str(baseline))
    assert result.code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("keyscan: error:")
    assert problem.replace("'extra'", "extra") in lines[0]


def test_missing_baseline_file_is_an_error(tmp_path: Path) -> None:
    result = run_cli("scan", "--pure", "--no-git", str(tmp_path), "--baseline", str(tmp_path / "none.json"))
    assert result.code == 2
    assert "baseline file not found" in result.stderr


def test_dump_and_parse_round_trip() -> None:
    baseline = Baseline("abc", "tree", {Entry("z.py", "r-1", "ks1:" + "1" * 24): "",
                                        Entry("a.py", "r-2", "ks1:" + "2" * 24): "why"})
    text = dump_baseline(baseline)
    again = parse_baseline(json.loads(text), "mem")
    assert again.entries == baseline.entries
    assert dump_baseline(again) == text
    assert text.index("a.py") < text.index("z.py")
    assert json.loads(dump_baseline(Baseline("abc")))["findings"] == []


# --- importers -------------------------------------------------------------------------------------------


def test_import_from_detect_secrets_matches_by_sha1_and_keeps_no_hash(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    known, new = github_token(), github_token()
    (repo / "conf.py").write_text(f"A = '{known}'\nB = '{new}'\n")
    ds = {
        "version": "1.5.0",
        "plugins_used": [{"name": "GitHubTokenDetector"}],
        "results": {
            "conf.py": [
                {"type": "GitHub Token", "filename": "conf.py", "is_verified": False, "line_number": 1,
                 "hashed_secret": hashlib.sha1(known.encode()).hexdigest()},
            ],
            "old.py": [
                {"type": "Secret Keyword", "filename": "old.py", "is_verified": False, "line_number": 3,
                 "hashed_secret": hashlib.sha1(b"hunter2").hexdigest()},
            ],
        },
        "generated_at": "2024-01-01T00:00:00Z",
    }
    report = tmp_path / ".secrets.baseline"
    report.write_text(json.dumps(ds))
    target = repo / ".keyscan-baseline.json"
    result = run_cli("baseline", "import", "--pure", "--from", "detect-secrets", str(report), str(repo),
                     "-o", str(target))
    assert result.code == 0, result.stderr
    assert "1 entry imported from 2" in result.stderr
    assert "old.py:3 (Secret Keyword)" in result.stderr  # not carried over, and said so
    text = target.read_text()
    assert hashlib.sha1(known.encode()).hexdigest() not in text and known not in text
    assert [(e["path"], e["rule_id"]) for e in json.loads(text)["findings"]] == [("conf.py", "github-pat-classic")]
    code, scanned, _ = _json_scan(str(repo), "--baseline", str(target))
    assert code == 1
    assert [f["secret"] for f in scanned["findings"]] == [new]


def test_import_from_gitleaks_by_secret_and_by_line_when_redacted(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    clear, redacted, other = github_token(), aws_key_id(), github_token()
    (repo / "a.env").write_text(f"GH={clear}\n\nAWS={redacted}\nOTHER={other}\n")
    report = tmp_path / "gitleaks.json"
    report.write_text(json.dumps([
        {"RuleID": "github-pat", "File": "a.env", "StartLine": 1, "Secret": clear, "Match": f"GH={clear}",
         "Commit": "", "Fingerprint": "a.env:github-pat:1"},
        {"RuleID": "aws-access-token", "File": "./a.env", "StartLine": 3, "Secret": "REDACTED",
         "Match": "AWS=REDACTED", "Commit": "", "Fingerprint": "a.env:aws-access-token:3"},
    ]))
    target = repo / ".keyscan-baseline.json"
    result = run_cli("baseline", "import", "--pure", "--from", "gitleaks", str(report), str(repo), "-o", str(target))
    assert result.code == 0, result.stderr
    assert clear not in target.read_text()
    assert sorted(e["rule_id"] for e in json.loads(target.read_text())["findings"]) == [
        "aws-access-key-id", "github-pat-classic"]
    _, scanned, _ = _json_scan(str(repo), "--baseline", str(target))
    assert [f["secret"] for f in scanned["findings"]] == [other]


def test_import_from_betterleaks_by_sha256_of_a_redacted_value_adds_to_an_existing_baseline(
        tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    first, second = github_token(), github_token()
    (repo / "one.py").write_text(f"T = '{first}'\n")
    target = _create(repo)
    (repo / "two.py").write_text(f"T = '{second}'\n")
    report = tmp_path / "betterleaks.jsonl"
    finding = {"rule_id": "github-pat", "match": {"full": "REDACTED", "value": "REDACTED",
                                                  "fingerprint": hashlib.sha256(second.encode()).hexdigest()},
               "location": {"path": "two.py", "start_line": 1, "end_line": 1}}
    report.write_text(json.dumps({"schema_version": "1", "finding": finding}) + "\n"
                      + json.dumps({"scan": {"state": "complete"}}) + "\n")
    result = run_cli("baseline", "import", "--pure", "--from", "betterleaks", str(report), str(repo),
                     "-o", str(target))
    assert result.code == 0, result.stderr
    assert [e["path"] for e in json.loads(target.read_text())["findings"]] == ["one.py", "two.py"]
    assert run_cli("scan", "--pure", str(repo), "--baseline", str(target)).code == 0


def test_import_of_a_file_that_is_not_a_report_is_exit_2(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    bad = tmp_path / "x.json"
    bad.write_text('{"something": "else"}')
    result = run_cli("baseline", "import", "--pure", "--from", "detect-secrets", str(bad), str(repo),
                     "-o", str(repo / "b.json"))
    assert result.code == 2
    assert "not a detect-secrets baseline" in result.stderr


# --- history ---------------------------------------------------------------------------------------------


def test_history_baseline_reports_only_secrets_committed_later(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    old, new = github_token(), github_token()
    (repo / "a.py").write_text(f"T = '{old}'\n")
    _git(repo, "add", "a.py")
    _git(repo, "commit", "-q", "-m", "first")
    (repo / "a.py").write_text("T = None\n")
    _git(repo, "commit", "-q", "-am", "remove it")
    baseline = tmp_path / "history-baseline.json"
    created = run_cli("baseline", "create", "--pure", "--history", str(repo), "-o", str(baseline))
    assert created.code == 0, created.stderr
    assert json.loads(baseline.read_text())["scan"] == "history"
    clean = run_cli("history", "--pure", str(repo), "--baseline", str(baseline), "-f", "json")
    assert clean.code == 0, clean.stderr
    (repo / "b.py").write_text(f"T = '{new}'\n")
    _git(repo, "add", "b.py")
    _git(repo, "commit", "-q", "-m", "second")
    result = run_cli("history", "--pure", str(repo), "--baseline", str(baseline), "-f", "json", "--show-secrets=yes")
    assert result.code == 1
    assert [f["secret"] for f in json.loads(result.stdout)["findings"]] == [new]
    updated = run_cli("baseline", "update", "--pure", str(repo), "-b", str(baseline))
    assert updated.code == 0, updated.stderr
    assert "1 added, 0 dropped, 1 kept" in updated.stderr


def test_create_never_replaces_something_that_is_not_a_regular_file(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "a.py").write_text(f"T = '{github_token()}'\n")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = run_cli("baseline", "create", "--pure", str(repo), "-o", str(fifo))
    assert result.code == 2
    assert "not a regular file" in result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
