"""The real pre-commit, driving keyscan's hooks from this checkout in throw-away git repositories.

Slow-ish (pre-commit builds a virtualenv and pip-installs keyscan), so each
environment is built once per module where pre-commit allows it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tokens import github_token

KEYSCAN_REPO = Path(__file__).resolve().parents[1]


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)


def _pre_commit(repo: Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    env.pop("PRE_COMMIT", None)
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo, capture_output=True, text=True,
                          env=env, timeout=600)


@pytest.fixture
def consumer(tmp_path: Path) -> Path:
    repo = tmp_path / "consumer"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "README.md").write_text("consumer\n")
    _git(repo, "add", "README.md")
    _git(repo, "commit", "-q", "-m", "initial")
    return repo


def test_manifest_is_valid() -> None:
    result = subprocess.run([sys.executable, "-m", "pre_commit", "validate-manifest",
                             str(KEYSCAN_REPO / ".pre-commit-hooks.yaml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_try_repo_refuses_staged_secret_and_ignores_unstaged_one(consumer: Path, tmp_path: Path) -> None:
    home = tmp_path / "pc-home"
    token = github_token()
    # A tracked file whose staged version is clean but whose working copy holds a secret.
    (consumer / "settings.py").write_text("DEBUG = True\n")
    _git(consumer, "add", "settings.py")
    (consumer / "settings.py").write_text(f"DEBUG = True\nTOKEN = '{token}'\n")
    clean = _pre_commit(consumer, "try-repo", str(KEYSCAN_REPO), "keyscan", home=home)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    # Now stage a file that adds a secret.
    (consumer / "leak.env").write_text(f"GITHUB_TOKEN={github_token()}\n")
    _git(consumer, "add", "leak.env")
    refused = _pre_commit(consumer, "try-repo", str(KEYSCAN_REPO), "keyscan", home=home)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "leak.env" in refused.stdout and "github-pat-classic" in refused.stdout
    assert "keyscan:allow" in refused.stdout  # tells the user how to accept a false positive
    assert token not in refused.stdout and "settings.py" not in refused.stdout


def test_installed_hook_blocks_commit_and_lets_clean_commit_through(consumer: Path, tmp_path: Path) -> None:
    home = tmp_path / "pc-home"
    rev = subprocess.run(["git", "-C", str(KEYSCAN_REPO), "rev-parse", "HEAD"], capture_output=True, text=True,
                         check=True).stdout.strip()
    (consumer / ".pre-commit-config.yaml").write_text(
        f"repos:\n-   repo: {KEYSCAN_REPO}\n    rev: {rev}\n    hooks:\n    -   id: keyscan\n"
    )
    _git(consumer, "add", ".pre-commit-config.yaml")
    installed = _pre_commit(consumer, "install", home=home)
    assert installed.returncode == 0, installed.stderr
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    (consumer / "app.py").write_text("print('hello')\n")
    _git(consumer, "add", "app.py")
    ok = subprocess.run(["git", "-C", str(consumer), "commit", "-q", "-m", "clean"], capture_output=True,
                        text=True, env=env, timeout=600)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    (consumer / "deploy.yaml").write_text(f"token: {github_token()}\n")
    _git(consumer, "add", "deploy.yaml")
    blocked = subprocess.run(["git", "-C", str(consumer), "commit", "-q", "-m", "leak"], capture_output=True,
                             text=True, env=env, timeout=600)
    assert blocked.returncode == 1
    assert "deploy.yaml" in blocked.stdout + blocked.stderr
    log = _git(consumer, "log", "--format=%s").stdout.split()
    assert log == ["clean", "initial"]
