from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Variables of the environment running the tests that change keyscan's behaviour (CI refuses
# --show-secrets, pre-commit changes the output, ...): no test may see them unless it sets them itself.
AMBIENT_VARIABLES = ("CI", "GITHUB_ACTIONS", "PRE_COMMIT", "NO_COLOR", "KEYSCAN_CONFIG", "KEYSCAN_FINGERPRINT_KEY")


@pytest.fixture(scope="module", autouse=True)
def _module_scan_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Module-scoped fixtures run before the per-test environment: give them an empty scan cache of their
    module's own, never the user's, and none of the ambient variables (CI sets CI=true)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in AMBIENT_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("KEYSCAN_CACHE_DIR", str(tmp_path_factory.mktemp("module-scan-cache")))
        yield


@pytest.fixture(autouse=True)
def _history_focus_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process history scans focus on changes however few blobs they hold, so the scripted histories
    exercise the focus (production scans small histories whole: see test_history's own test of that)..."""
    from keyscan.sources import blobscan, history

    monkeypatch.setattr(blobscan, "FOCUS_FROM_BLOBS", 0)
    # ... and start the scan while the walk goes on (blobs handed over after every commit), so the
    # streaming path is the one the scripted histories check (production: from 1,000 blobs to read;
    # test_history's streaming tests also cut the stretches small)
    monkeypatch.setattr(blobscan, "STREAM_FROM", 1)
    monkeypatch.setattr(history, "FEED_EVERY", 1)


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No CI/pre-commit/colour/config leaking in from the environment running the tests; each test starts
    with an empty scan cache (the rule-file memo stays shared)."""
    for name in AMBIENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "author@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Committer")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "committer@example.com")
    monkeypatch.setenv("XDG_CACHE_HOME", os.path.join(os.environ.get("TMPDIR", "/tmp"), "keyscan-test-cache"))
    monkeypatch.setenv("KEYSCAN_CACHE_DIR", str(tmp_path_factory.mktemp("scan-cache")))
