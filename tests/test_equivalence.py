"""Same answers: every speed-up finds exactly what the straightforward path finds.

The reference is the pure matcher, one process, no cache.  Every other way of running -- the Hyperscan
matcher, a worker pool, an empty cache, a warm cache, a cache filled by the other matcher -- must give
the same findings (secrets included) and the same summary, except the duration and the counts of work
done (``files_scanned``/``blobs_scanned`` plus ``skipped.cached`` is still the same, and
``bytes_scanned`` can only shrink).  Corpora: a working tree of more than 64 files (so the pool is
really used) and a scripted git history of more than 200 blobs (the history pool's threshold).
"""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from keyscan.sources.blobscan import SERIAL_BELOW
from tests.clirun import run_cli
from tests.gitrepo import BOB, GitRepo
from tests.tokens import aws_key_id, aws_secret, github_token, random_text

pytest.importorskip("hyperscan")

MATCHERS = {"fast": (), "pure": ("--pure",)}
JOBS = ("1", "2")
COMMON = ("-f", "json", "--show-secrets=force", "--show-suppressed", "-q", "--max-file-size", "64KiB")


def _clean_text(index: int) -> str:
    words = " ".join(random_text(8) for _ in range(40))
    return (f'"""Module {index}."""\n\nVALUE_{index} = {index}\n# {words}\n\n'
            f"def f{index}(x):\n    return x + {index}\n")


def _notebook(token: str) -> str:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# demo\n"]},
             {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
              "source": ["import os\n", f'os.environ["GITHUB_TOKEN"] = "{token}"\n']}]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def _secret_files() -> dict[str, str | bytes]:
    """Planted secrets of every kind the pipeline treats differently."""
    shared = github_token()
    encoded = base64.b64encode(f"token={github_token()}".encode()).decode()
    return {
        "config/app.env": f"APP=1\nGITHUB_TOKEN={github_token()}\n",
        "config/aws.ini": f"[default]\naws_access_key_id = {aws_key_id()}\n"
                          f"aws_secret_access_key = {aws_secret()}\n",
        "deploy/secret.yaml": f"apiVersion: v1\nkind: Secret\ndata:\n  token: {encoded}\n",
        "notebooks/demo.ipynb": _notebook(github_token()),
        "src/allowed.py": f'TOKEN = "{github_token()}"  # keyscan:allow\n',
        "copies/one.txt": f"t={shared}\n",
        "copies/two.txt": f"t={shared}\n",  # the same content at another path
        "wide.txt": f"T={github_token()}\n".encode("utf-16"),
        "assets/blob.bin": b"\x00\x01" + github_token().encode() + b"\x00" * 64,
        "certs/release.p12": b"\x30\x82" + secrets.token_bytes(200),  # a file-name rule on a binary
        "certs/copy.bin": b"",  # filled below: the same bytes as release.p12 under another name
        "big/huge.txt": "x" * (70 * 1024) + f"\nT={github_token()}\n",  # over --max-file-size
    }


def _planted() -> dict[str, str | bytes]:
    files = _secret_files()
    files["certs/copy.bin"] = files["certs/release.p12"]
    return files


def _answers(report: dict[str, Any]) -> tuple[Any, ...]:
    """What must not change, and the amount of content covered (scanned now or answered by the cache)."""
    summary = dict(report["summary"])
    skipped = dict(summary.pop("skipped"))
    cached = skipped.pop("cached")
    summary.pop("duration_seconds")
    summary.pop("bytes_scanned")
    covered = summary.pop("files_scanned") + summary.pop("blobs_scanned") + cached
    return report["findings"], report.get("suppressed"), summary, skipped, covered


def _run(command: str, target: str, *args: str) -> dict[str, Any]:
    result = run_cli(command, target, *COMMON, *args)
    assert "Traceback" not in result.stderr
    assert result.code == 1, result.stderr
    return json.loads(result.stdout)


def _matrix(command: str, target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Run every way and compare each with the reference; returns the reference report."""
    reference = _run(command, target, "--pure", "-j", "1", "--no-cache")
    expected = _answers(reference)
    assert reference["findings"], "the corpus must yield findings"
    if command == "history":  # every version whole, against each modified version as its changes
        assert _answers(_run(command, target, "--pure", "-j", "1", "--no-cache", "--full-blobs")) == expected
    for matcher, flags in MATCHERS.items():
        for jobs in JOBS:
            label = f"{matcher} -j {jobs}"
            monkeypatch.setenv("KEYSCAN_CACHE_DIR", str(tmp_path / f"cache-{matcher}-{jobs}"))
            plain = _run(command, target, *flags, "-j", jobs, "--no-cache")
            assert _answers(plain) == expected, f"{label}, no cache"
            cold = _run(command, target, *flags, "-j", jobs)
            assert _answers(cold) == expected, f"{label}, empty cache"
            assert cold["summary"]["skipped"]["cached"] == 0
            warm = _run(command, target, *flags, "-j", jobs)
            assert _answers(warm) == expected, f"{label}, warm cache"
            assert warm["summary"]["skipped"]["cached"] > 0, f"{label}: the warm run used no cache"
            assert warm["summary"]["bytes_scanned"] < cold["summary"]["bytes_scanned"]
    # a cache filled by the pure matcher in one process, read by Hyperscan in a pool
    monkeypatch.setenv("KEYSCAN_CACHE_DIR", str(tmp_path / "cache-pure-1"))
    crossed = _run(command, target, "-j", "2")
    assert _answers(crossed) == expected, "fast -j 2 reading the cache the pure matcher filled"
    return reference


def test_working_tree_same_answers_every_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "tree"
    for index in range(80):
        path = tree / f"pkg{index % 5}" / f"mod{index}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_clean_text(index))
    for name, content in _planted().items():
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    reference = _matrix("scan", str(tree), tmp_path, monkeypatch)
    assert reference["summary"]["files_scanned"] > 64
    paths = {Path(f["path"]).relative_to(tree).as_posix() for f in reference["findings"]}
    assert {"config/app.env", "deploy/secret.yaml", "notebooks/demo.ipynb", "copies/one.txt",
            "copies/two.txt", "wide.txt", "certs/release.p12"} <= paths
    assert "certs/copy.bin" not in paths  # same bytes, a name no rule knows: the path is part of the key


def _history(root: Path) -> GitRepo:
    repo = GitRepo(root / "history")
    planted = _planted()
    first = {f"src/pkg{i % 7}/mod{i}.py": _clean_text(i) for i in range(SERIAL_BELOW + 40)}
    repo.commit("initial import", {**first, **{k: v for k, v in planted.items()
                                               if not k.startswith("certs/")}})
    repo.commit("certificates", {k: v for k, v in planted.items() if k.startswith("certs/")}, author=BOB)
    repo.commit("rotate and move", {"config/app.env": "APP=1\nGITHUB_TOKEN=${GITHUB_TOKEN}\n",
                                    "copies/one.txt": None, "moved/one.txt": planted["copies/one.txt"],
                                    "big/huge.txt": None})
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("feature work", {"src/feature.py": f'KEY = "{github_token()}"\n',
                                 "media/logo.bin": b"\x00PNG" + secrets.token_bytes(64),
                                 "media/video.mp4": "version https://git-lfs.github.com/spec/v1\n"
                                                    "oid sha256:" + secrets.token_hex(32) + "\nsize 1234\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main work", {"src/pkg0/mod0.py": _clean_text(1000)})
    repo.merge("feature", "merge feature", resolve={"merged.env": f"T={github_token()}\n"})
    repo.git("tag", "v1")
    repo.commit("after the tag", {"later.txt": f"late={github_token()}\n"}, author=BOB)
    return repo


def test_git_history_same_answers_every_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _history(tmp_path)
    reference = _matrix("history", str(repo.path), tmp_path, monkeypatch)
    assert reference["summary"]["blobs_scanned"] > SERIAL_BELOW
    statuses = {f["status"] for f in reference["findings"]}
    assert statuses == {"present", "removed"}
    assert any(f["occurrences"] for f in reference["findings"])
    assert any("LFS" in note for note in reference["summary"]["notes"])


def test_history_range_same_answers_cold_and_warm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ranges walk with the paths each commit touched: the walk cache must rebuild those too."""
    repo = _history(tmp_path)
    repo.commit("edit a file that had a secret", {"config/aws.ini": f"[x]\nkey={github_token()}\n"})
    args = ("--range", "v1..HEAD")
    reference = _run("history", str(repo.path), *args, "--pure", "-j", "1", "--no-cache")
    monkeypatch.setenv("KEYSCAN_CACHE_DIR", str(tmp_path / "range-cache"))
    assert _run("history", str(repo.path), "--pure", "-j", "1")["findings"]  # fills the cache: whole history
    for _ in range(2):
        assert _answers(_run("history", str(repo.path), *args, "-j", "2")) == _answers(reference)
