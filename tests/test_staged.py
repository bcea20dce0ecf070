"""``keyscan scan --staged``: the index version of each staged file, limited by explicit paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.clirun import run_cli
from tests.gitrepo import GitRepo
from tests.tokens import github_token


def staged_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("scan", "--staged", *args, "-f", "json", "--show-secrets", "--pure", "-q")
    assert "Traceback" not in result.stderr
    assert result.code in (0, 1), result.stderr
    return result.code, json.loads(result.stdout)


def secrets_at(report: dict[str, Any]) -> dict[str, tuple[str, int, int]]:
    return {f["secret"]: (f["path"], f["line"], f["column"]) for f in report["findings"]
            if f["rule_id"] == "github-pat-classic"}


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("initial", {"README.md": "hello\n", "app.py": "x = 1\n", "old.py": "y = 2\n"})
    monkeypatch.chdir(repo.path)
    return repo


def test_the_index_version_is_scanned_not_the_working_copy(repo: GitRepo) -> None:
    staged, unstaged = github_token(), github_token()
    repo.write("app.py", f"x = 1\nTOKEN = '{staged}'\n")
    repo.git("add", "app.py")
    repo.write("app.py", "x = 1\nTOKEN = os.environ['TOKEN']\n")  # fixed on disk, but not staged
    repo.write("README.md", f"hello\n{unstaged}\n")  # a secret on disk that is not staged
    code, report = staged_json()
    assert code == 1
    assert secrets_at(report) == {staged: ("app.py", 2, 10)}
    assert report["summary"]["files_scanned"] == 1


def test_added_renamed_and_modified_files_are_scanned_deleted_ones_are_not(repo: GitRepo) -> None:
    added, moved = github_token(), github_token()
    repo.write("new/added.env", f"A=1\nKEY={added}\n")
    repo.git("mv", "README.md", "docs.md")
    repo.write("docs.md", f"hello\nsee {moved}\n")
    repo.git("rm", "-q", "old.py")
    repo.git("add", "-A")
    code, report = staged_json()
    assert code == 1
    assert secrets_at(report) == {added: ("new/added.env", 2, 5), moved: ("docs.md", 2, 5)}


def test_explicit_paths_limit_the_scan(repo: GitRepo) -> None:
    first, second = github_token(), github_token()
    repo.write("a.py", f"A = '{first}'\n")
    repo.write("sub/b.py", f"B = '{second}'\n")
    repo.git("add", "-A")
    _, report = staged_json("a.py")
    assert secrets_at(report) == {first: ("a.py", 1, 6)}
    _, report = staged_json("sub")
    assert secrets_at(report) == {second: ("sub/b.py", 1, 6)}
    _, report = staged_json("a.py", "sub/b.py")
    assert set(secrets_at(report)) == {first, second}


def test_nothing_staged_is_clean(repo: GitRepo) -> None:
    repo.write("app.py", f"T = '{github_token()}'\n")  # modified but not staged
    code, report = staged_json()
    assert code == 0
    assert report["findings"] == []


def test_first_commit_of_a_new_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = GitRepo(tmp_path / "fresh")
    token = github_token()
    repo.write("settings.py", f"KEY = '{token}'\n")
    repo.git("add", "-A")
    monkeypatch.chdir(repo.path)
    code, report = staged_json()
    assert code == 1
    assert secrets_at(report) == {token: ("settings.py", 1, 8)}


def test_repository_given_as_an_argument(repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = github_token()
    repo.write("app.py", f"T = '{token}'\n")
    repo.git("add", "app.py")
    monkeypatch.chdir(tmp_path)
    code, report = staged_json(str(repo.path))
    assert code == 1
    assert secrets_at(report) == {token: ("repo/app.py", 1, 6)}


def test_outside_a_work_tree_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    result = run_cli("scan", "--staged", "--pure", "-q")
    assert result.code == 2
    assert "not inside" in result.stderr
    assert "Traceback" not in result.stderr
