from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CI/pre-commit/colour/config leaking in from the environment running the tests."""
    for name in ("CI", "GITHUB_ACTIONS", "PRE_COMMIT", "NO_COLOR", "KEYSCAN_CONFIG", "KEYSCAN_FINGERPRINT_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "author@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Committer")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "committer@example.com")
    monkeypatch.setenv("XDG_CACHE_HOME", os.path.join(os.environ.get("TMPDIR", "/tmp"), "keyscan-test-cache"))
