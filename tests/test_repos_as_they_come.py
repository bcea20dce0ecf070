"""``keyscan history`` on repositories as they come: bare, worktrees, submodules, shallow, empty,
detached, LFS pointers, huge and binary blobs, corruption, and no git at all.  Never a traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.clirun import Run, run_cli
from tests.gitrepo import GitRepo
from tests.tokens import github_token


def history(*args: str) -> Run:
    result = run_cli("history", *args, "-f", "json", "--show-secrets", "--pure", "-q", "-j", "1")
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    return result


def report_of(result: Run) -> dict[str, Any]:
    return json.loads(result.stdout)


def found(result: Run) -> dict[str, dict[str, Any]]:
    return {f["secret"]: f for f in report_of(result)["findings"] if f["rule_id"] == "github-pat-classic"}


def notes(result: Run) -> str:
    summary = report_of(result)["summary"]
    return "\n".join(summary["notes"] + summary["warnings"])


@pytest.fixture()
def origin(tmp_path: Path) -> tuple[GitRepo, str, str]:
    """A repository where one secret was removed in a later commit and one is still there."""
    repo = GitRepo(tmp_path / "origin")
    removed, present = github_token(), github_token()
    repo.commit("add old key", {"old.env": f"KEY={removed}\n"})
    repo.commit("add config", {"config.py": f"TOKEN = '{present}'\n"})
    repo.commit("remove old key", {"old.env": None})
    return repo, removed, present


def test_bare_repository(origin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo, removed, present = origin
    bare = tmp_path / "bare.git"
    repo.git("clone", "-q", "--bare", str(repo.path), str(bare))
    result = history(str(bare))
    assert result.code == 1
    assert {s: f["status"] for s, f in found(result).items()} == {removed: "removed", present: "present"}


def test_linked_worktree_sees_all_branches_and_its_own_head(origin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo, removed, present = origin
    linked = tmp_path / "linked"
    repo.git("worktree", "add", "-q", "-b", "topic", str(linked))
    extra = github_token()
    topic = GitRepo(linked, init=False)
    topic.commit("topic work", {"topic.txt": f"t {extra}\n", "config.py": "TOKEN = None\n"})
    result = history(str(linked))
    statuses = {s: f["status"] for s, f in found(result).items()}
    # status follows the worktree's HEAD (topic), where config.py no longer has the token
    assert statuses == {removed: "removed", present: "removed", extra: "present"}


def test_submodules_are_listed_and_entered_only_on_request(origin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sub, removed, present = origin
    parent = GitRepo(tmp_path / "parent")
    own = github_token()
    parent.commit("parent", {"main.py": f"K = '{own}'\n"})
    parent.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), "libs/sub")
    parent.commit("add submodule")
    result = history(str(parent.path))
    assert set(found(result)) == {own}
    assert "libs/sub" in notes(result) and "--recurse-submodules" in notes(result)
    result = history(str(parent.path), "--recurse-submodules")
    assert result.code == 1, result.stderr
    secrets = found(result)
    assert set(secrets) == {own, removed, present}
    assert secrets[present]["path"] == "libs/sub/config.py"
    assert secrets[present]["commit"] == sub.git("rev-parse", "HEAD~1")
    assert secrets[removed]["status"] == "removed"


def test_submodule_not_checked_out_is_noted(origin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sub, _, _ = origin
    parent = GitRepo(tmp_path / "parent")
    parent.commit("parent", {"main.py": "x = 1\n"})
    parent.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), "libs/sub")
    parent.commit("add submodule")
    clone = tmp_path / "clone"
    parent.git("clone", "-q", str(parent.path), str(clone))  # submodules not initialised
    result = history(str(clone), "--recurse-submodules")
    assert result.code == 0
    assert "submodule libs/sub is not checked out" in notes(result)


def test_shallow_clone_scans_what_exists_and_says_history_is_cut(origin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo, removed, present = origin
    assert removed != present
    shallow = tmp_path / "shallow"
    repo.git("clone", "-q", "--depth", "1", f"file://{repo.path}", str(shallow))
    result = history(str(shallow))
    assert result.code == 1
    assert set(found(result)) == {present}  # the removed key is in a commit the clone does not have
    assert "shallow clone" in notes(result)
    assert report_of(result)["summary"]["commits_scanned"] == 1


def test_empty_repository_is_clean_with_a_note(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "empty")
    result = history(str(repo.path))
    assert result.code == 0
    assert report_of(result)["findings"] == []
    assert "no commits yet" in notes(result)


def test_sha256_repository_names_full_commit_ids(tmp_path: Path) -> None:
    """A repository made with ``--object-format=sha256`` (64-hex ids) is walked like any other."""
    repo = GitRepo(tmp_path / "sha256", init=False)
    repo.path.mkdir()
    repo.git("init", "-q", "-b", "main", "--object-format=sha256")
    removed, present = github_token(), github_token()
    first = repo.commit("add old key", {"old.env": f"KEY={removed}\n"})
    second = repo.commit("add config", {"config.py": f"TOKEN = '{present}'\n"})
    repo.commit("remove old key", {"old.env": None})
    result = history(str(repo.path))
    assert result.code == 1 and len(first) == 64
    assert {s: (f["commit"], f["status"]) for s, f in found(result).items()} == {
        removed: (first, "removed"), present: (second, "present")}


def test_detached_head_decides_status(origin) -> None:  # type: ignore[no-untyped-def]
    repo, removed, present = origin
    repo.checkout("--detach", "HEAD~1")  # old.env still exists here
    result = history(str(repo.path))
    assert {s: f["status"] for s, f in found(result).items()} == {removed: "present", present: "present"}


def test_lfs_pointer_files_are_scanned_as_text_and_noted(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "lfs")
    token = github_token()
    pointer = ("version https://git-lfs.github.com/spec/v1\n"
               "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n")
    repo.commit("track assets", {".gitattributes": "*.bin filter=lfs diff=lfs merge=lfs -text\n",
                                 "assets/model.bin": pointer, "app.py": f"T = '{token}'\n"})
    result = history(str(repo.path))
    assert set(found(result)) == {token}
    assert "1 Git LFS pointer file(s)" in notes(result)


def test_huge_and_binary_blobs_are_skipped_and_counted(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "blobs")
    small, big, binary = github_token(), github_token(), github_token()
    repo.commit("files", {
        "small.txt": f"K={small}\n",
        "big.txt": f"K={big}\n" + "x" * 5000 + "\n",
        "blob.bin": b"\x00\x01\x02" + f"K={binary}".encode() + b"\x00" * 100,
    })
    result = history(str(repo.path), "--max-file-size", "2KiB")
    assert set(found(result)) == {small}
    skipped = report_of(result)["summary"]["skipped"]
    assert (skipped["too_large"], skipped["binary"]) == (1, 1)


def test_too_large_blob_still_meets_path_rules_and_its_successor_is_read_whole(tmp_path: Path) -> None:
    """Sizes are checked by the workers now: a blob over the cap is never read, its file name still
    meets the path-only rules, and the next version of that file (whose predecessor was not read) is
    scanned whole, so a secret on a line it shares with the huge version is found."""
    repo = GitRepo(tmp_path / "sizes")
    kept = github_token()
    repo.commit("huge versions", {"certs/client.p12": b"\x30\x82" + b"\x00" * 5000,
                                  "conf/app.env": f"TOKEN={kept}\n" + "x = 1\n" * 1000})
    repo.commit("smaller", {"conf/app.env": f"TOKEN={kept}\n" + "x = 2\n" * 10})
    result = history(str(repo.path), "--max-file-size", "2KiB")
    rules = {f["rule_id"] for f in report_of(result)["findings"]}
    assert "private-key-pkcs12-file" in rules
    assert set(found(result)) == {kept}
    assert found(result)[kept]["commit"] == repo.git("rev-parse", "HEAD")
    assert report_of(result)["summary"]["skipped"]["too_large"] == 2


def _loose_object(repo: GitRepo, oid: str) -> Path:
    git_dir = Path(repo.git("rev-parse", "--absolute-git-dir"))
    return git_dir / "objects" / oid[:2] / oid[2:]


def test_corrupt_blob_is_named_and_the_scan_is_incomplete(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "corrupt")
    good = github_token()
    repo.commit("files", {"good.txt": f"K={good}\n", "bad.txt": "y" * 50000 + "\n"})
    bad = repo.git("rev-parse", "HEAD:bad.txt")
    path = _loose_object(repo, bad)
    data = path.read_bytes()
    os.chmod(path, 0o644)
    path.write_bytes(data[: len(data) // 2])  # a truncated object: the header reads, the body does not
    result = history(str(repo.path))
    assert result.code == 3
    assert bad in notes(result) and "bad.txt" in notes(result)
    assert report_of(result)["summary"]["complete"] is False
    assert set(found(result)) == {good}  # the rest of the history was still scanned
    assert "incomplete" in result.stderr


def test_corrupt_tree_is_one_clear_error(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "corrupt-tree")
    repo.commit("files", {"dir/a.txt": "a\n"})
    tree = repo.git("rev-parse", "HEAD:dir")
    path = _loose_object(repo, tree)
    os.chmod(path, 0o644)
    path.write_bytes(b"not zlib at all")
    result = run_cli("history", str(repo.path), "--pure", "-q")
    assert result.code == 2
    assert result.stderr.startswith("keyscan: error: git log failed")
    assert "Traceback" not in result.stderr


def test_git_missing_from_path_is_one_clear_error(origin, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    repo, _, _ = origin
    empty = tmp_path / "nobin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = run_cli("history", str(repo.path), "--pure", "-q")
    assert result.code == 2
    assert "git was not found on PATH" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("scan", "--staged", str(repo.path), "--pure", "-q")
    assert result.code == 2
    assert "git was not found on PATH" in result.stderr


def test_not_a_repository_is_one_clear_error(tmp_path: Path) -> None:
    result = run_cli("history", str(tmp_path), "--pure", "-q")
    assert result.code == 2
    assert "not a git repository" in result.stderr
