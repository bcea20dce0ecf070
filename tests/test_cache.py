"""The re-scan cache: what a warm scan skips, what it must not skip, where it lives, what it never holds."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from keyscan.cache import BINARY, FILE_NAME, LFS, ScanCache, blob_key, cache_dir
from keyscan.engine.detector import ChunkResult, Detector
from keyscan.model import Chunk
from keyscan.redact import fingerprint
from keyscan.settings import DEFAULT_FINGERPRINT_KEY
from keyscan.sources import blobscan, catfile, history, walkcache
from keyscan.sources.history import walk_history
from keyscan.sources.walkcache import cached_walk
from tests.clirun import run_cli
from tests.gitrepo import BOB, GitRepo
from tests.tokens import github_token, random_text

EXTRA_RULE = """schema: keyscan/rules/v1
rules:
  - id: test-only-marker
    name: Test marker
    provider: test
    severity: low
    confidence: low
    keywords: [testmarker]
    regex: '(TESTMARKER-[0-9]{6})'
    references: [https://example.com/testmarker]
    help: A marker for tests only.
    examples:
      positive: ['x = TESTMARKER-482915', 'TESTMARKER-739164']
      negative: ['TESTMARKER-12', 'nothing here']
"""


def _json(*args: str) -> dict[str, Any]:
    result = run_cli(*args, "-f", "json", "--show-secrets=force", "-q", "--pure", "-j", "1")
    assert "Traceback" not in result.stderr
    assert result.code in (0, 1), result.stderr
    return json.loads(result.stdout)


def _repo(root: Path, files: int = 12) -> tuple[GitRepo, str]:
    repo = GitRepo(root / "repo")
    token = github_token()
    repo.commit("initial", {**{f"src/m{i}.py": f"X{i} = '{random_text(20)}'\n" for i in range(files)},
                            "app.env": f"GITHUB_TOKEN={token}\n"})
    repo.commit("second", {"src/m0.py": "X0 = 0\n", "logo.bin": b"\x00\x01\x02" * 50}, author=BOB)
    return repo, token


def _objects_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Ids of the objects each ``git cat-file --batch`` (contents) process is asked for."""
    asked: list[str] = []
    real = catfile.CatFile.objects

    def spy(self, oids):  # type: ignore[no-untyped-def]
        def tap():  # type: ignore[no-untyped-def]
            for oid in oids:
                if self.contents:
                    asked.append(oid)
                yield oid
        return real(self, tap())

    monkeypatch.setattr(catfile.CatFile, "objects", spy)
    return asked


# -- where it lives --------------------------------------------------------------------------


def test_cache_directory_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KEYSCAN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "keyscan"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")  # the XDG spec says: ignore a relative path
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "keyscan"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == tmp_path / "home" / ".cache" / "keyscan"
    monkeypatch.setenv("KEYSCAN_CACHE_DIR", str(tmp_path / "own"))
    assert cache_dir() == tmp_path / "own"


def test_start_up_memos_ignore_a_relative_xdg_cache_home_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A relative ``$XDG_CACHE_HOME`` would put the memos under the current directory (maybe the
    repository being scanned); the memos follow the scan cache and ignore it."""
    from keyscan.memo import memo_dir

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")
    assert memo_dir("rules") == tmp_path / "home" / ".cache" / "keyscan" / "rules"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert memo_dir("rules") == tmp_path / "xdg" / "keyscan" / "rules"


def test_cache_is_private_and_holds_no_secret(tmp_path: Path) -> None:
    repo, token = _repo(tmp_path)
    (repo.path / "tree.env").write_text(f"T={token}\n")
    for _ in range(2):
        assert _json("history", str(repo.path))["findings"]
        assert _json("scan", str(repo.path))["findings"]
    directory = Path(os.environ["KEYSCAN_CACHE_DIR"])
    assert os.stat(directory).st_mode & 0o777 == 0o700
    files = sorted(directory.iterdir())
    assert files and all(os.stat(f).st_mode & 0o077 == 0 for f in files)
    raw = b"".join(f.read_bytes() for f in files)
    assert len(raw) > 1000
    leaks = [token.encode(), token[:12].encode(), token[-8:].encode(),
             fingerprint(token, DEFAULT_FINGERPRINT_KEY).encode()]
    assert not [leak for leak in leaks if leak in raw]


# -- history ---------------------------------------------------------------------------------


def test_history_rescan_reads_only_blobs_with_findings(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    repo, token = _repo(tmp_path)
    asked = _objects_read(monkeypatch)
    cold = _json("history", str(repo.path))
    total = cold["summary"]["blobs_scanned"]
    assert total == len(asked) == 15 and cold["summary"]["skipped"]["cached"] == 0
    asked.clear()
    warm = _json("history", str(repo.path))
    env_blob = repo.git("rev-parse", "HEAD:app.env")
    assert asked == [env_blob]  # the one blob with a finding is read again, nothing else
    assert warm["findings"] == cold["findings"] and warm["findings"][0]["secret"] == token
    assert warm["summary"]["blobs_scanned"] == 1
    assert warm["summary"]["skipped"]["cached"] == total - 1
    assert warm["summary"]["skipped"]["binary"] == cold["summary"]["skipped"]["binary"] == 1


def test_history_after_a_new_commit_reads_only_its_blobs(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _ = _repo(tmp_path)
    _json("history", str(repo.path))
    new_token = github_token()
    repo.commit("third", {"src/new.py": "NEW = 1\n", "later.env": f"T={new_token}\n"})
    asked = _objects_read(monkeypatch)
    walked: list[list[str]] = []
    real = walkcache._fresh_diffs

    def spy(repo_path: str, commits: list[str]):  # type: ignore[no-untyped-def]
        walked.append(list(commits))
        return real(repo_path, commits)

    monkeypatch.setattr(walkcache, "_fresh_diffs", spy)
    after = _json("history", str(repo.path))
    assert walked == [[repo.head()]]  # only the new commit is diffed
    new = {repo.git("rev-parse", "HEAD:src/new.py"), repo.git("rev-parse", "HEAD:later.env")}
    assert set(asked) == new | {repo.git("rev-parse", "HEAD:app.env")}
    assert new_token in {f["secret"] for f in after["findings"]}
    assert after["findings"] == _json("history", str(repo.path), "--no-cache")["findings"]


def test_a_damaged_walk_entry_makes_the_scan_walk_again_with_the_same_findings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stored commit entry that is not what the walk wrote: the walk starts again the plain way, after
    the scan has been fed the first try's blobs, and the findings are a scan's without the cache."""
    repo = GitRepo(tmp_path / "repo")
    early, late = github_token(), github_token()
    repo.commit("first", {"early.env": f"T={early}\n"})
    for n in range(100):  # 300 blobs: the scan is fed (every 256) before the walk meets the damage
        repo.commit(f"c{n}", {f"src/f{n}_{k}.py": f"V = '{random_text(12)}'\n" for k in range(3)})
    repo.commit("late", {"late.env": f"T={late}\n", "early.env": "T=gone\n"})
    _json("history", str(repo.path))  # stores every commit's entries
    with sqlite3.connect(Path(os.environ["KEYSCAN_CACHE_DIR"]) / FILE_NAME) as connection:
        changed = connection.execute("UPDATE commit_blobs SET entries = ? WHERE id = ?",
                                     (b"zz\0\0src/x.py\0", repo.git("rev-parse", "HEAD~3"))).rowcount
    assert changed == 1
    plain_walks: list[str] = []
    real = walkcache.walk_history

    def spy(repo_path: str, *args: Any, **kwargs: Any) -> history.Walk:
        plain_walks.append(repo_path)
        return real(repo_path, *args, **kwargs)

    monkeypatch.setattr(walkcache, "walk_history", spy)
    again = _json("history", str(repo.path))
    assert len(plain_walks) == 1
    expected = _json("history", str(repo.path), "--no-cache")
    assert again["findings"] == expected["findings"]
    assert {f["secret"]: f["status"] for f in again["findings"]} == {early: "removed", late: "present"}


def test_no_cache_neither_reads_nor_writes(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path)
    directory = Path(os.environ["KEYSCAN_CACHE_DIR"])
    _json("history", str(repo.path), "--no-cache")
    _json("scan", str(repo.path), "--no-cache")
    assert not (directory / FILE_NAME).exists()
    _json("history", str(repo.path))
    again = _json("history", str(repo.path), "--no-cache")
    assert again["summary"]["skipped"]["cached"] == 0 and again["summary"]["blobs_scanned"] == 15


@pytest.mark.parametrize("change", [("--min-confidence", "medium"), ("--max-file-size", "1MiB"),
                                    ("--regex-timeout", "5"), ("--rules", "EXTRA")])
def test_other_rules_or_settings_do_not_reuse_answers(tmp_path: Path, change: tuple[str, str]) -> None:
    repo, _ = _repo(tmp_path)
    option, value = change
    if value == "EXTRA":
        extra = tmp_path / "extra.yaml"
        extra.write_text(EXTRA_RULE)
        value = str(extra)
    _json("history", str(repo.path))
    other = _json("history", str(repo.path), option, value)
    assert other["summary"]["skipped"]["cached"] == 0
    assert _json("history", str(repo.path), option, value)["summary"]["skipped"]["cached"] > 0


def test_config_entropy_changes_the_answer_hash(tmp_path: Path) -> None:
    repo, _ = _repo(tmp_path)
    _json("history", str(repo.path))
    (repo.path / ".keyscan.yaml").write_text("entropy:\n  alnum: 4.5\n")
    assert _json("history", str(repo.path))["summary"]["skipped"]["cached"] == 0


def test_same_blob_under_another_path_is_scanned_again(tmp_path: Path) -> None:
    """File-name rules make the path part of the answer: a clean 'data.bin' says nothing of 'x.p12'."""
    content = b"\x30\x82" + os.urandom(100)
    first, second = GitRepo(tmp_path / "a"), GitRepo(tmp_path / "b")
    first.commit("a", {"data.bin": content})
    second.commit("b", {"release.p12": content})
    assert _json("history", str(first.path))["findings"] == []
    found = _json("history", str(second.path))
    assert [f["path"] for f in found["findings"]] == ["release.p12"]


def test_lfs_pointers_and_binaries_are_counted_from_the_cache(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "lfs")
    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab" * 32 + "\nsize 99\n"
    repo.commit("lfs", {"video.mp4": pointer, "img.bin": b"\x00" * 10, "a.txt": "hello\n"})
    cold, warm = _json("history", str(repo.path)), _json("history", str(repo.path))
    assert warm["summary"]["skipped"]["cached"] == 3
    for key in ("notes", "warnings", "commits_scanned"):
        assert warm["summary"][key] == cold["summary"][key]
    assert warm["summary"]["skipped"]["binary"] == 1 and any("LFS" in n for n in warm["summary"]["notes"])


def test_batch_outcome_lists_only_clean_uncut_blobs(tmp_path: Path) -> None:
    from keyscan.rules import load_builtin_rules

    repo = GitRepo(tmp_path / "blobs")
    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n"
    files: dict[str, str | bytes] = {"a.txt": "clean text\n", "b.bin": b"\x00\x01",
                                     "c.env": f"T={github_token()}\n", "v.mp4": pointer}
    repo.commit("blobs", files)
    oids = [repo.git("rev-parse", f"HEAD:{name}").strip() for name in files]
    items = [(index, name, "", oid, "", True) for index, (name, oid) in enumerate(zip(files, oids, strict=True))]
    blobscan._init_worker(Detector(list(load_builtin_rules())), str(repo.path))
    try:
        out = blobscan._scan_batch(items)
    finally:
        blobscan._close_reader()
    blobs = [blobscan.BlobOutcome(*blob) for blob in out.blobs]  # sent as tuples
    assert [(blob.index, blob.flags) for blob in blobs if not blob.findings] == [(0, 0), (1, BINARY), (3, LFS)]
    assert [blob.index for blob in blobs if blob.findings] == [2]

    class Slow(Detector):
        def may_find(self, data: bytes, path: str) -> bool:
            return True  # a stand-in whose (unseen) rules look at every text

        def scan(self, chunk: Chunk) -> ChunkResult:
            return ChunkResult(findings=[], timed_out=["some-rule"] if chunk.text else [])

    blobscan._init_worker(Slow([]), str(repo.path))
    try:
        out = blobscan._scan_batch(items[:2])
    finally:
        blobscan._close_reader()
    assert [(index, flags) for index, _, _, flags in out.blobs] == [(0, None), (1, BINARY)]  # a.txt: cut short


# -- the walk --------------------------------------------------------------------------------


def _walk_signature(walk: history.Walk) -> tuple[Any, ...]:
    table = walk.blobs
    blobs = [(job, table.later_places(index), table.total(index)) for index, job in enumerate(table)]
    commits = [walk.commits.provenance(index) for index in range(len(walk.commits))]
    return commits, blobs, walk.touched


def _branchy_repo(root: Path) -> GitRepo:
    repo = GitRepo(root / "walk")
    repo.commit("one", {"a.txt": "a\n", "b.txt": "b\n", "dir/c.txt": "c\n"})
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("side one", {"a.txt": "a side\n", "side.txt": "s\n"}, author=BOB)
    repo.commit("side two", {"b.txt": "a\n", "dir/c.txt": None})  # b.txt now holds a.txt's first blob
    repo.git("checkout", "-q", "main")
    repo.commit("main one", {"b.txt": "b main\n"})
    repo.merge("side", "merge side", resolve={"b.txt": "resolved\n", "evil.txt": "evil\n"})
    os.symlink("a.txt", repo.path / "link")
    repo.commit("rename and link", {"a.txt": None, "renamed.txt": "a side\n"})
    repo.git("tag", "t1")
    return repo


@pytest.mark.parametrize("revisions", [("--all",), ("HEAD", "^HEAD~2")])
def test_cached_walk_is_the_plain_walk(tmp_path: Path, revisions: tuple[str, ...]) -> None:
    repo = _branchy_repo(tmp_path)
    path, ranged = str(repo.path), len(revisions) > 1
    with ScanCache.open("walk-test", tmp_path / "c") as cache:  # type: ignore[union-attr]
        for round_ in range(3):
            expected = _walk_signature(walk_history(path, revisions, track_paths=ranged))
            for state in ("new commits", "warm"):
                walk = cached_walk(cache, path, revisions, track_paths=ranged, shallow=False)
                assert _walk_signature(walk) == expected, f"round {round_}, {state}"
            repo.git("checkout", "-q", "-b", f"more{round_}", "HEAD~1")  # new commits on a side line
            repo.commit(f"more {round_}", {"b.txt": "b main\n", f"n{round_}.txt": f"{round_}\n"})
            repo.git("checkout", "-q", "main")


@pytest.mark.parametrize(("revisions", "shallow"), [(("--all",), False), (("HEAD", "^HEAD~2"), False),
                                                   (("--all",), True)])
def test_a_walk_in_many_git_processes_is_the_walk_in_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         revisions: tuple[str, ...], shallow: bool) -> None:
    """In a large repository the walk's diffs come from one ``git log --no-walk`` per ``WALK_CHUNK``
    commits (git keeps what it parsed until it exits): cut into chunks of two, the walk is the same as
    the one ``git log`` walk, commit for commit (in a shallow clone too: its oldest commits show
    everything, as roots do)."""
    repo = _branchy_repo(tmp_path)
    path, ranged = str(repo.path), len(revisions) > 1
    if shallow:
        path = str(tmp_path / "shallow")
        subprocess.run(["git", "clone", "-q", "--no-local", "--depth", "3", "--no-single-branch",
                        f"file://{repo.path}", path], check=True, capture_output=True)
    assert not history.walks_in_chunks(path)  # a small repository: one git log
    whole = walk_history(path, revisions, track_paths=ranged)
    logs: list[list[str]] = []
    real = history.popen_git

    def popen(repo_path: str, args: list[str]):  # type: ignore[no-untyped-def]
        if "log" in args:
            logs.append(args)
        return real(repo_path, args)

    monkeypatch.setattr(history, "popen_git", popen)
    monkeypatch.setattr(history, "WALK_CHUNK", 2)
    monkeypatch.setattr(history, "CHUNKS_FROM_OBJECTS", 0)
    chunked = walk_history(path, revisions, track_paths=ranged)
    assert _walk_signature(chunked) == _walk_signature(whole)
    assert len(whole.commits) > 2 and len(logs) == (len(whole.commits) + 1) // 2


def test_a_first_cached_walk_is_one_walk_that_stores_what_a_diff_walk_would(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A history the cache has never seen is walked once (no separate walk over every commit's diff),
    and each commit's stored entries are the bytes ``_fresh_diffs`` gives for it."""
    from keyscan.sources import walkcache

    repo = _branchy_repo(tmp_path)
    path = str(repo.path)
    fresh_walks: list[int] = []
    real_fresh = walkcache._fresh_diffs

    def counting(repo_path: str, commits: list[str]):  # type: ignore[no-untyped-def]
        fresh_walks.append(len(commits))
        return real_fresh(repo_path, commits)

    monkeypatch.setattr(walkcache, "_fresh_diffs", counting)
    with ScanCache.open("walk-test", tmp_path / "c") as cache:  # type: ignore[union-attr]
        walk = cached_walk(cache, path, ["--all"], track_paths=False, shallow=False)
        assert fresh_walks == []
        ids = walk.commits.ids()
        assert cache.known_commits(ids) == set(ids)
        stored = cache.commit_entries(ids)
        assert stored == dict(real_fresh(path, ids))
        assert any(b"\0" in entries for entries in stored.values())


def test_the_early_look_at_the_cache_reads_it_without_opening_it(tmp_path: Path) -> None:
    """``knows_any_commit`` (which git command a history scan starts first): no cache file, no answer;
    a known commit, yes; a file it cannot read, "cannot tell" (True), so the cache decides later."""
    from keyscan.cache import FILE_NAME, knows_any_commit

    directory = tmp_path / "c"
    assert knows_any_commit(["a" * 40], directory) is False
    with ScanCache.open("walk-test", directory) as cache:  # type: ignore[union-attr]
        cache.store_commits([("b" * 40, b"")])
    assert knows_any_commit(["a" * 40, "b" * 40], directory) is True
    assert knows_any_commit(["a" * 40], directory) is False
    assert knows_any_commit([], directory) is False
    (directory / FILE_NAME).write_bytes(b"not a database" * 100)
    assert knows_any_commit(["a" * 40], directory) is True


def test_walk_cache_is_not_used_for_shallow_clones_or_grafts(tmp_path: Path) -> None:
    repo = _branchy_repo(tmp_path)
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{repo.path}", str(shallow)], check=True,
                   capture_output=True)
    with ScanCache.open("walk-test", tmp_path / "c") as cache:  # type: ignore[union-attr]
        cached_walk(cache, str(shallow), ["--all"], track_paths=False, shallow=True)
        assert cache.known_commits([repo.head()]) == set()
        grafts = repo.path / ".git" / "info" / "grafts"
        grafts.parent.mkdir(exist_ok=True)
        grafts.write_text(repo.head() + "\n")
        cached_walk(cache, str(repo.path), ["--all"], track_paths=False, shallow=False)
        assert cache.known_commits([repo.head()]) == set()


# -- working trees ---------------------------------------------------------------------------


def test_tree_rescan_skips_clean_files_and_rescans_changed_ones(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    for i in range(10):
        (root / f"m{i}.py").write_text(f"X = {i}\n")
    token = github_token()
    (root / "app.env").write_text(f"T={token}\n")
    cold = _json("scan", str(root), "--no-git")
    assert cold["summary"]["files_scanned"] == 11
    warm = _json("scan", str(root), "--no-git")
    assert (warm["summary"]["files_scanned"], warm["summary"]["skipped"]["cached"]) == (1, 10)
    assert warm["findings"] == cold["findings"]
    newer = github_token()
    (root / "m3.py").write_text(f"X = '{newer}'\n")  # same size class, new content
    changed = _json("scan", str(root), "--no-git")
    assert {f["secret"] for f in changed["findings"]} == {token, newer}
    assert (changed["summary"]["files_scanned"], changed["summary"]["skipped"]["cached"]) == (2, 9)


# -- robustness ------------------------------------------------------------------------------


def test_unusable_cache_warns_and_scans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, token = _repo(tmp_path)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("KEYSCAN_CACHE_DIR", str(blocker))
    result = run_cli("history", str(repo.path), "-f", "json", "--show-secrets=force", "-q", "--pure")
    assert result.code == 1 and "scan cache" in result.stderr and "Traceback" not in result.stderr
    assert json.loads(result.stdout)["findings"][0]["secret"] == token
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / FILE_NAME).write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("KEYSCAN_CACHE_DIR", str(corrupt))
    result = run_cli("scan", str(repo.path), "-f", "json", "--show-secrets=force", "-q", "--pure")
    assert result.code == 1 and "scan cache" in result.stderr and "Traceback" not in result.stderr
    assert json.loads(result.stdout)["findings"][0]["secret"] == token


def _hammer(directory: str, worker: int, rounds: int) -> None:
    cache = ScanCache.open("concurrency", Path(directory))
    assert cache is not None
    for round_ in range(rounds):
        cache.record((blob_key(f"{worker:02d}{round_:06d}".ljust(40, "0"), f"p{i}"), 0) for i in range(50))
        cache.flush()
        cache.store_commits([(f"{worker:02d}{round_:06d}".ljust(40, "c"), b"x\0\0y\0")])
        assert cache.lookup([blob_key(f"{worker:02d}{round_:06d}".ljust(40, "0"), "p0")])
    assert not cache.broken
    cache.close()


def test_concurrent_writers_all_land(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_hammer, args=(str(tmp_path), worker, 40)) for worker in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [p.exitcode for p in processes] == [0, 0, 0, 0]
    with sqlite3.connect(tmp_path / FILE_NAME) as connection:
        assert connection.execute("SELECT count(*) FROM clean").fetchone()[0] == 4 * 40 * 50
        assert connection.execute("SELECT count(*) FROM commit_blobs").fetchone()[0] == 4 * 40


def test_two_scans_at_once_give_the_same_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _ = _repo(tmp_path, files=60)
    shared = str(tmp_path / "shared")
    env = {**os.environ, "KEYSCAN_CACHE_DIR": shared}
    command = [sys.executable, "-m", "keyscan", "history", str(repo.path), "-f", "json",
               "--show-secrets=force", "-q", "--pure"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [1, 1], [err.decode() for _, err in outputs]
    assert all(b"scan cache" not in err for _, err in outputs)
    findings = [json.loads(out)["findings"] for out, _ in outputs]
    assert findings[0] == findings[1]
    monkeypatch.setenv("KEYSCAN_CACHE_DIR", shared)
    warm = _json("history", str(repo.path))
    assert warm["findings"] == findings[0]
    assert warm["summary"]["skipped"]["cached"] > 60


def test_unused_answers_are_pruned(tmp_path: Path) -> None:
    old = ScanCache.open("old-rules", tmp_path)
    assert old is not None
    old.record([(b"k" * 16, 0)])
    old.close()
    with sqlite3.connect(tmp_path / FILE_NAME) as connection:
        connection.execute("UPDATE answers SET used = ?", (int(time.time()) - 400 * 86400,))
    ScanCache.open("new-rules", tmp_path).close()  # type: ignore[union-attr]
    with sqlite3.connect(tmp_path / FILE_NAME) as connection:
        assert connection.execute("SELECT count(*) FROM clean").fetchone()[0] == 0
        assert connection.execute("SELECT count(*) FROM answers").fetchone()[0] == 1
