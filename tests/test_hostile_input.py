"""Input that tries to hurt: backtracking, huge lines, many lines, deep trees, odd file names, symlink
loops, files that change or vanish, broken git objects.  Each gives a result or one clear line, in
bounded time and memory (measured on a real keyscan process with ``os.wait4``)."""

from __future__ import annotations

import json
import os
import random
import secrets
import string
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.clirun import run_cli
from tests.gitrepo import GitRepo
from tests.tokens import github_token

WALL_LIMIT = 60.0  # seconds: generous, the suite runs two at a time on two cores
RSS_LIMIT_MB = 512


@dataclass
class Measured:
    code: int
    seconds: float
    rss_mb: float
    stdout: str
    stderr: str

    def report(self) -> dict[str, Any]:
        return json.loads(self.stdout)


def measured(args: list[str], cwd: Path, *, limit: float = WALL_LIMIT) -> Measured:
    """Run keyscan in a child process; its wall time and peak RSS (``wait4``: that child only)."""
    out_path, err_path = cwd / ".measured.out", cwd / ".measured.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "keyscan", *args, "--no-cache"], cwd=cwd,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > limit:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                raise AssertionError(f"keyscan {' '.join(args)} ran for more than {limit}s")
            time.sleep(0.05)
    seconds = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    out_path.unlink()
    err_path.unlink()
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    return Measured(proc.returncode, seconds, usage.ru_maxrss / 1024, stdout, stderr)


def _secrets_of(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["secret"]: f for f in report["findings"]}


# -- the regex time budget --------------------------------------------------------------------

SLOW_RULE = (
    "rules:\n  - id: slow-rule\n    name: slow\n    provider: test\n    severity: low\n"
    "    confidence: low\n    keywords: [slowpoke]\n    regex: '(\\w+\\s?)+=\\s*(\\w+)*!'\n"
    "    references: [https://example.invalid/doc]\n    help: test rule\n"
    "    examples:\n      positive: ['ab = cd! slowpoke', 'a=b! slowpoke']\n      negative: [c, d]\n"
)


def test_a_backtracking_rule_is_stopped_by_its_budget_and_the_other_rules_still_run(tmp_path: Path) -> None:
    """The crafted line costs this rule minutes; its budget stops it, and the token after it is found."""
    token = github_token()
    (tmp_path / "slow.yaml").write_text(SLOW_RULE)
    (tmp_path / "input.txt").write_text("slowpoke\n" + "a b" * 5000 + "=" + "x" * 30 + "?\n" + f"T={token}\n")
    run = measured(["scan", "input.txt", "--rules", "slow.yaml", "--regex-timeout", "0.5", "-f", "json",
                    "--show-secrets", "-j", "1"], tmp_path)
    assert run.code == 1, run.stderr
    report = run.report()
    assert set(_secrets_of(report)) == {token}
    assert report["summary"]["rule_timeouts"] == [
        "input.txt: rule slow-rule exceeded its time budget; skipped for this file"]
    assert run.seconds < WALL_LIMIT


# -- size and shape ------------------------------------------------------------------------------


def _minified(size: int, seed: int) -> str:
    """Minified-looking JavaScript: one line, short identifiers, the odd 'token' or 'apiKey' word."""
    rnd = random.Random(seed)
    names = ["".join(rnd.choices(string.ascii_letters, k=rnd.randint(1, 3))) for _ in range(300)]
    words = ["click", "token", "apiKey", "secret", "hidden", "input", "password", "auth", "data"]
    shapes = ("function {a}({b},{c}){{return {b}+{c}*{n}}}",
              "var {a}={b}.map(function({c}){{return {c}.{d}}});",
              "{a}.prototype.{b}=function(){{this.{c}=!0}};", 'if({a}==="{w}"){{{b}({n})}}',
              "{a}[{n}]={b}||{{}};", 'const {a}={{key:"{w}",value:{n}}};')
    block = "".join(rnd.choice(shapes).format(a=rnd.choice(names), b=rnd.choice(names), c=rnd.choice(names),
                                              d=rnd.choice(names), n=rnd.randint(0, 999), w=rnd.choice(words))
                    for _ in range(20000))
    return (block * (size // len(block) + 1))[:size]


def test_a_50_mb_single_line_minified_file(tmp_path: Path) -> None:
    token = github_token()
    body = _minified(50_000_000, seed=1)
    half = len(body) // 2
    (tmp_path / "app.min.js").write_text(body[:half] + f'var t="{token}";' + body[half:])
    skipped = measured(["scan", "app.min.js", "-f", "json", "-j", "1"], tmp_path)
    assert skipped.code == 0 and skipped.report()["summary"]["skipped"]["too_large"] == 1
    run = measured(["scan", "app.min.js", "--max-file-size", "64MiB", "-f", "json", "--show-secrets",
                    "-j", "1"], tmp_path)
    assert run.code == 1, run.stderr
    found = _secrets_of(run.report())
    assert set(found) == {token}
    assert (found[token]["line"], found[token]["column"]) == (1, half + len('var t="') + 1)
    assert run.report()["summary"]["rule_timeouts"] == []
    assert run.rss_mb < 1024, f"{run.rss_mb:.0f} MB for a 50 MB file"


def test_100000_short_lines(tmp_path: Path) -> None:
    token = github_token()
    lines = [f"x{i}" for i in range(100_000)]
    lines[77_776] = f"GITHUB_TOKEN={token}"
    (tmp_path / "many.txt").write_text("\n".join(lines) + "\n")
    run = measured(["scan", "many.txt", "-f", "json", "--show-secrets", "-j", "1"], tmp_path)
    found = _secrets_of(run.report())
    assert set(found) == {token} and found[token]["line"] == 77_777
    assert run.rss_mb < RSS_LIMIT_MB


def test_100000_lines_that_all_look_like_secrets(tmp_path: Path) -> None:
    """Thousands of findings in one file: overlap resolution and reporting stay linear."""
    alphabet = string.ascii_letters + string.digits
    rnd = random.Random(secrets.randbits(64))  # filler values: random, but cheap to make
    with open(tmp_path / "dense.env", "w") as handle:
        for index in range(100_000):
            handle.write(f'api_key_{index} = "{"".join(rnd.choices(alphabet, k=32))}"\n')
    run = measured(["scan", "dense.env", "-f", "jsonl", "-j", "1"], tmp_path)
    assert run.code == 1
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(records) > 1000  # findings up to the rule's budget (then a reported timeout)
    assert run.rss_mb < RSS_LIMIT_MB


def test_a_4_mb_json_line_holding_hundreds_of_credentials(tmp_path: Path) -> None:
    """Filters look at the neighbourhood of a match, not the whole megabyte line, so every credential
    is checked well within the rule's budget."""
    alphabet = string.ascii_letters + string.digits
    rnd = random.Random(secrets.randbits(64))
    values = {f"api_key_{i}": "".join(rnd.choices(alphabet, k=32)) for i in range(600)}
    document = {**{f"field{i}": i for i in range(200_000)}, **values}
    (tmp_path / "dump.json").write_text(json.dumps(document, separators=(",", ":")))
    run = measured(["scan", "dump.json", "-f", "json", "--show-secrets", "-j", "1"], tmp_path)
    report = run.report()
    assert report["summary"]["rule_timeouts"] == []
    found = set(values.values()) & set(_secrets_of(report))
    assert len(found) > 0.95 * len(values)  # a few random values look like words or sequences: filtered
    assert run.rss_mb < RSS_LIMIT_MB


def _deep(root: Path, levels: int, name: str = "d") -> None:
    """``levels`` nested directories, created relative to each other (the full path may exceed PATH_MAX)."""
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(levels):
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
    finally:
        os.close(fd)


def _write_at_depth(root: Path, levels: int, name: str, text: str) -> None:
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(levels):
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        leaf = os.open("deep.env", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(leaf, text.encode())
        os.close(leaf)
    finally:
        os.close(fd)


@pytest.mark.parametrize("use_git", [False, True], ids=["plain", "git"])
def test_200_nested_directories(tmp_path: Path, use_git: bool) -> None:
    token = github_token()
    root = tmp_path / "tree"
    root.mkdir()
    _deep(root, 200)
    _write_at_depth(root, 200, "d", f"TOKEN={token}\n")
    if use_git:
        GitRepo(root).commit("deep")
    plain = [] if use_git else ["--no-git"]
    run = measured(["scan", "tree", "-f", "json", "--show-secrets", "-j", "1", *plain], tmp_path)
    assert run.code == 1, run.stderr
    found = _secrets_of(run.report())
    assert set(found) == {token}
    assert found[token]["path"] == "tree/" + "d/" * 200 + "deep.env"
    assert run.rss_mb < RSS_LIMIT_MB


def test_a_path_longer_than_path_max_is_named_and_the_scan_is_incomplete(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    name = "n" * 200
    _deep(root, 25, name)  # 25 * 201 characters: beyond Linux's 4096
    _write_at_depth(root, 25, name, f"TOKEN={github_token()}\n")
    (root / "shallow.txt").write_text("fine\n")
    run = measured(["scan", "tree", "--no-git", "-f", "json", "-j", "1"], tmp_path)
    assert run.code == 3, run.stderr
    warnings = run.report()["summary"]["warnings"]
    assert any("unreadable" in w and "too long" in w for w in warnings), warnings
    assert "incomplete" in run.stderr


# -- file names --------------------------------------------------------------------------------

ODD_NAMES = [b"new\nline.env", b"quo'te\".env", b"-rf.env", b"--help", b"bad\xff\xfe.env", b"tab\there.env",
             b"\x1b[2Kerase.env", b" space .env"]


def _display(name: bytes) -> str:
    return os.fsdecode(name)


def _plant_odd_names(directory: Path) -> dict[str, str]:
    """One secret per odd name; returns the path keyscan should report -> secret."""
    planted = {}
    for name in ODD_NAMES:
        token = github_token()
        with open(os.path.join(os.fsencode(directory), name), "wb") as handle:
            handle.write(f"TOKEN={token}\n".encode())
        planted[_display(name)] = token
    return planted


def _paths_to_secrets(report: dict[str, Any], prefix: str = "") -> dict[str, str]:
    return {f["path"].removeprefix(prefix): f["secret"] for f in report["findings"]}


@pytest.mark.parametrize("fmt", ["json", "jsonl", "sarif", "text"])
def test_odd_file_names_in_a_plain_directory(tmp_path: Path, fmt: str) -> None:
    root = tmp_path / "names"
    root.mkdir()
    planted = _plant_odd_names(root)
    report_file = tmp_path / f"report.{fmt}"
    result = run_cli("scan", str(root), "--no-git", "-f", fmt, "-o", str(report_file), "--show-secrets", "-q")
    assert result.code == 1, result.stderr
    text = report_file.read_text(encoding="utf-8")  # valid UTF-8, whatever the names
    if fmt == "json":
        assert _paths_to_secrets(json.loads(text), f"{root}/") == planted
    elif fmt == "jsonl":
        records = [json.loads(line) for line in text.splitlines()]
        assert {r["path"].removeprefix(f"{root}/"): r["secret"] for r in records if "secret" in r} == planted
    elif fmt == "sarif":
        uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for r in json.loads(text)["runs"][0]["results"]]
        assert len(uris) == len(planted) and any(u.endswith("bad%FF%FE.env") for u in uris)
    else:
        assert "\x1b" not in text  # no terminal escape sequence reaches the screen
        assert "new\\x0aline.env" in text and "\\x1b[2Kerase.env" in text and "bad\\udcff\\udcfe.env" in text
        assert all(token in text for token in planted.values())


def test_odd_file_names_in_a_git_work_tree_history_and_index(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    planted = _plant_odd_names(repo.path)
    repo.commit("odd names")
    tree = run_cli("scan", str(repo.path), "-f", "json", "--show-secrets", "-q")
    assert tree.code == 1, tree.stderr
    assert _paths_to_secrets(json.loads(tree.stdout), f"{repo.path}/") == planted
    history = run_cli("history", str(repo.path), "-f", "json", "--show-secrets", "-q")
    assert history.code == 1, history.stderr
    assert _paths_to_secrets(json.loads(history.stdout)) == planted
    staged = {}
    for name in ODD_NAMES:
        token = github_token()
        with open(os.path.join(os.fsencode(repo.path), name), "ab") as handle:
            handle.write(f"MORE={token}\n".encode())
        staged[_display(name)] = token
    repo.git("add", "-A")
    here = os.getcwd()
    os.chdir(repo.path)
    try:
        result = run_cli("scan", "--staged", ".", "-f", "json", "--show-secrets", "-q")
    finally:
        os.chdir(here)
    assert result.code == 1, result.stderr
    found: dict[str, set[str]] = {}
    for finding in json.loads(result.stdout)["findings"]:
        found.setdefault(finding["path"], set()).add(finding["secret"])
    assert found == {path: {planted[path], staged[path]} for path in planted}


# -- links, FIFOs, moving targets --------------------------------------------------------------


def test_symlink_loops_and_directory_cycles(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "sub").mkdir(parents=True)
    (root / "self").symlink_to(root / "self")
    (root / "a").symlink_to(root / "b")
    (root / "b").symlink_to(root / "a")
    (root / "sub" / "up").symlink_to(root)  # a directory cycle: never followed
    token = github_token()
    (root / "sub" / "real.env").write_text(f"TOKEN={token}\n")
    run = measured(["scan", "tree", "--no-git", "-f", "json", "--show-secrets", "-j", "1"], tmp_path)
    assert run.code == 1, run.stderr
    report = run.report()
    assert list(_secrets_of(report)) == [token]
    warnings = "\n".join(report["summary"]["warnings"])
    assert "self" in warnings and "tree/a" in warnings and "tree/b" in warnings


def test_a_file_rewritten_while_it_is_scanned(tmp_path: Path) -> None:
    """Each scan sees one version or the other, whole: a finding or none, never an error."""
    token = github_token()
    target = tmp_path / "moving.env"
    versions = [f"TOKEN={token}\n".encode(), b"nothing to see\n" * 5000]
    target.write_bytes(versions[0])
    stop = threading.Event()

    def churn() -> None:
        index = 0
        while not stop.is_set():
            index += 1
            temporary = tmp_path / ".moving.tmp"
            temporary.write_bytes(versions[index % 2])
            os.replace(temporary, target)
            with open(target, "r+b") as handle:  # and in place, shorter and longer
                handle.truncate(len(versions[index % 2]) // 2)

    thread = threading.Thread(target=churn, daemon=True)
    thread.start()
    outcomes = set()
    try:
        for _ in range(15):
            result = run_cli("scan", str(target), "-f", "json", "--show-secrets", "-q", "-j", "1")
            assert result.code in (0, 1), result.stderr
            assert json.loads(result.stdout)["summary"]["complete"] is True
            outcomes.add(result.code)
    finally:
        stop.set()
        thread.join()
    assert outcomes  # both are fine; what matters is that every run ended cleanly


# -- broken git objects ---------------------------------------------------------------------------


def _object_path(repo: GitRepo, oid: str) -> Path:
    return Path(repo.git("rev-parse", "--absolute-git-dir")) / "objects" / oid[:2] / oid[2:]


def test_a_missing_blob_in_history_is_named_and_the_scan_is_incomplete(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    good = github_token()
    repo.commit("two files", {"good.env": f"TOKEN={good}\n", "lost.env": f"TOKEN={github_token()}\n"})
    lost = repo.git("rev-parse", "HEAD:lost.env")
    _object_path(repo, lost).unlink()
    run = measured(["history", "repo", "-f", "json", "--show-secrets", "-j", "1"], tmp_path)
    assert run.code == 3, run.stderr
    report = run.report()
    assert set(_secrets_of(report)) == {good}
    assert any(lost in w and "lost.env" in w for w in report["summary"]["warnings"])


def test_a_missing_staged_blob_is_named_and_the_scan_is_incomplete(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("base", {"a.txt": "a\n"})
    repo.write("staged.env", f"TOKEN={github_token()}\n")
    repo.git("add", "staged.env")
    _object_path(repo, repo.git("rev-parse", ":staged.env")).unlink()
    result = run_cli("scan", "--staged", str(repo.path), "-f", "json", "-q")
    assert result.code == 3, result.stderr
    assert any("staged.env" in w for w in json.loads(result.stdout)["summary"]["warnings"])


def test_a_missing_commit_is_one_clear_line(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("one", {"a.txt": "a\n"})
    repo.commit("two", {"b.txt": "b\n"})
    _object_path(repo, repo.git("rev-parse", "HEAD~1")).unlink()
    result = run_cli("history", str(repo.path), "-q")
    assert result.code == 2, result.stderr
    assert result.stderr.startswith("keyscan: error: ") and result.stderr.count("\n") == 1
