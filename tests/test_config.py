"""The config file: discovery, every setting it offers, and one-line errors for invalid configs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from keyscan.suppression import path_matches
from tests.clirun import run_cli
from tests.tokens import aws_key_id, github_token


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def _scan(repo: Path, *args: str) -> tuple[int, dict, str]:
    result = run_cli("scan", "--pure", str(repo), "-f", "json", "--show-suppressed", "--show-secrets=yes", *args)
    assert result.code in (0, 1), result.stderr
    return result.code, json.loads(result.stdout), result.stderr


def _rules(report: dict) -> set[str]:
    return {f["rule_id"] for f in report["findings"]}


def _plant(repo: Path) -> tuple[str, str]:
    token, key_id = github_token(), aws_key_id()
    (repo / "app.py").write_text(f"TOKEN = '{token}'\n")
    (repo / "tests").mkdir()
    (repo / "tests" / "fixtures.env").write_text(f"AWS_ACCESS_KEY_ID={key_id}\n")
    return token, key_id


# --- invalid configs: exit 2 and one line naming the key ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("allowlist:\n  paths: [x]\n", "allowlist"),
        ("rules:\n  disabled: [github-pat-classic]\n", "rules.disabled"),
        ("allow:\n  values: ['(unclosed']\n", "allow.values"),
        ("allow:\n  paths: tests/\n", "allow.paths"),
        ("fail:\n  min_severity: severe\n", "fail.min_severity"),
        ("fail:\n  min_confidence: 3\n", "fail.min_confidence"),
        ("max_file_size: 10 parsecs\n", "max_file_size"),
        ("max_file_size: 0\n", "max_file_size"),
        ("entropy:\n  hex: 9\n", "entropy.hex"),
        ("entropy:\n  hexadecimal: 3\n", "entropy.hexadecimal"),
        ("rules:\n  disable: [githb-pat-classic]\n", "rules.disable"),
        ("rules:\n  disable_tags: [no-such-tag]\n", "rules.disable_tags"),
        ("rules:\n  extra: [missing-rules.yaml]\n", "rules.extra"),
        ("regex_timeout: -1\n", "regex_timeout"),
        ("1: 2\n", "1"),
    ],
)
def test_invalid_config_is_exit_2_with_one_line_naming_the_key(tmp_path: Path, text: str, key: str) -> None:
    repo = _repo(tmp_path)
    _plant(repo)
    (repo / ".keyscan.yaml").write_text(text)
    result = run_cli("scan", "--pure", str(repo))
    assert result.code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("keyscan: error:") and ".keyscan.yaml" in lines[0]
    assert f"'{key}'" in lines[0]


@pytest.mark.parametrize("text", ["rules: [unclosed\n", "- a\n- b\n", "allow: {paths: [a]}\n\tbad: tab\n"])
def test_unparsable_config_is_one_line(tmp_path: Path, text: str) -> None:
    repo = _repo(tmp_path)
    (repo / ".keyscan.yaml").write_text(text)
    result = run_cli("scan", "--pure", str(repo))
    assert result.code == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_invalid_pyproject_table_and_missing_config_file(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n\n[tool.keyscan]\nfail_on = 'high'\n")
    result = run_cli("scan", "--pure", str(repo))
    assert result.code == 2
    assert "pyproject.toml: key 'fail_on': unknown key" in result.stderr
    missing = run_cli("scan", "--pure", str(repo), "--config", str(tmp_path / "nope.yaml"))
    assert missing.code == 2
    assert "config file not found" in missing.stderr


# --- what a config can do -------------------------------------------------------------------------------


def test_disable_rules_by_id_and_by_tag(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _plant(repo)
    (repo / ".keyscan.yaml").write_text("rules:\n  disable: [github-pat-classic]\n")
    _, report, _ = _scan(repo)
    assert "github-pat-classic" not in _rules(report) and "aws-access-key-id" in _rules(report)
    (repo / ".keyscan.yaml").write_text("rules:\n  disable_tags: [cloud]\n")
    _, report, _ = _scan(repo)
    assert "github-pat-classic" in _rules(report) and "aws-access-key-id" not in _rules(report)


def test_path_and_value_allowlists_suppress_with_their_reason(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    token, key_id = _plant(repo)
    (repo / ".keyscan.yaml").write_text("allow:\n  paths: ['tests/']\n")
    code, report, _ = _scan(repo)
    assert code == 1
    assert [f["secret"] for f in report["findings"]] == [token]
    assert [(f["secret"], f["suppressed_by"]) for f in report["suppressed"]] == [(key_id, "config-path")]
    (repo / ".keyscan.yaml").write_text(f"allow:\n  values: ['^{token[:12]}']\n")
    code, report, _ = _scan(repo)
    assert [f["secret"] for f in report["findings"]] == [key_id]
    assert [(f["secret"], f["suppressed_by"]) for f in report["suppressed"]] == [(token, "config-value")]
    assert report["summary"]["suppressed"] == {"config-value": 1}


def test_path_allowlist_is_relative_to_the_repository_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path)
    _plant(repo)
    (repo / ".keyscan.yaml").write_text("allow:\n  paths: ['/tests/*.env', 'app.py']\n")
    monkeypatch.chdir(repo / "tests")
    code, report, _ = _scan(Path("."))
    assert code == 0
    assert [f["suppressed_by"] for f in report["suppressed"]] == ["config-path"]
    monkeypatch.chdir(tmp_path)
    code, report, _ = _scan(Path("repo"))
    assert code == 0
    assert len(report["suppressed"]) == 2


def test_fail_thresholds_decide_the_exit_code_not_what_is_reported(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "a.env").write_text(f"AWS_ACCESS_KEY_ID={aws_key_id()}\n")  # severity high
    (repo / ".keyscan.yaml").write_text("fail:\n  min_severity: critical\n")
    code, report, _ = _scan(repo)
    assert code == 0
    assert len(report["findings"]) == 1
    (repo / "b.env").write_text(f"GITHUB_TOKEN={github_token()}\n")  # severity critical
    code, _, _ = _scan(repo)
    assert code == 1
    (repo / ".keyscan.yaml").write_text("fail:\n  min_confidence: high\n  min_severity: low\n")
    code, _, _ = _scan(repo)
    assert code == 1


def test_size_cap_from_the_config(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "big.txt").write_text("x" * 3000 + f"\nT={github_token()}\n")
    (repo / ".keyscan.yaml").write_text("max_file_size: 2KiB\n")
    code, report, _ = _scan(repo)
    assert code == 0
    assert report["summary"]["skipped"]["too_large"] == 1


def test_custom_rule_file_from_the_config(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "ci").mkdir()
    (repo / "ci" / "rules.yaml").write_text(
        "schema: keyscan/rules/v1\n"
        "rules:\n"
        "  - id: acme-internal-token\n"
        "    name: ACME internal token\n"
        "    provider: acme\n"
        "    severity: high\n"
        "    confidence: high\n"
        "    keywords: [acme_]\n"
        "    regex: '(?<![A-Za-z0-9_])(acme_[a-z0-9]{24})(?![A-Za-z0-9_])'\n"
        "    references: [https://acme.invalid/docs/tokens]\n"
        "    help: 'Internal token.'\n"
        "    examples:\n"
        "      positive:\n"
        "        - 'token = acme_q8w7e6r5t4y3u2i1o9p8a7s6'\n"
        "        - 'ACME=acme_z1x2c3v4b5n6m7l8k9j0h1g2'\n"
        "      negative:\n"
        "        - 'acme_short'\n"
        "        - 'xacme_q8w7e6r5t4y3u2i1o9p8a7s6'\n"
    )
    (repo / "pyproject.toml").write_text("[tool.keyscan]\nrules = {extra = ['ci/rules.yaml']}\n")
    (repo / "svc.cfg").write_text("token = acme_f0e1d2c3b4a5968778695a4b\n")
    code, report, stderr = _scan(repo, "--verbose")
    assert code == 1
    assert [f["rule_id"] for f in report["findings"] if f["path"].endswith("svc.cfg")] == ["acme-internal-token"]
    assert f"config: {repo / 'pyproject.toml'}" in stderr


def test_config_option_overrides_discovery_and_verbose_names_the_file(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _plant(repo)
    (repo / ".keyscan.yaml").write_text("rules:\n  disable: [github-pat-classic]\n")
    other = tmp_path / "strict.yaml"
    other.write_text("rules:\n  disable: [aws-access-key-id]\n")
    _, report, stderr = _scan(repo, "--config", str(other), "-v")
    assert "aws-access-key-id" not in _rules(report) and "github-pat-classic" in _rules(report)
    assert f"config: {other}" in stderr
    _, report, stderr = _scan(repo, "-v")
    assert "github-pat-classic" not in _rules(report) and "aws-access-key-id" in _rules(report)
    assert f"config: {repo / '.keyscan.yaml'}" in stderr


def test_config_in_the_root_applies_to_a_scan_of_a_subdirectory(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path)
    _plant(repo)
    (repo / ".keyscan.yaml").write_text("rules:\n  disable_tags: [cloud]\n")
    monkeypatch.chdir(repo / "tests")
    code, report, _ = _scan(Path("."))
    assert code == 0 and report["findings"] == []


def test_an_empty_config_and_empty_sections_are_valid(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    _plant(repo)
    (repo / ".keyscan.yaml").write_text("# nothing yet\nallow:\nrules:\n  disable:\n")
    code, report, _ = _scan(repo)
    assert code == 1 and len(report["findings"]) == 2


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("tests/", "tests/a/b.py", True),
        ("tests", "src/tests/b.py", True),
        ("/tests", "src/tests/b.py", False),
        ("*.md", "docs/deep/readme.md", True),
        ("docs/*.md", "docs/deep/readme.md", False),
        ("docs/**/*.md", "docs/deep/readme.md", True),
        ("docs/**", "docs/a", True),
        ("**/fixtures/*", "a/b/fixtures/x.json", True),
        ("src/*.py", "src/a/b.py", False),
        ("app.py", "app.pyc", False),
        ("test_?.py", "t/test_1.py", True),
        ("[ab].txt", "c.txt", False),
        ("./build/", "build/out/x", True),
    ],
)
def test_path_glob_semantics(pattern: str, path: str, matches: bool) -> None:
    assert path_matches(path, pattern) is matches
