"""Ctrl-C and partial failure: exit 130 promptly with no half-written report and no stray workers; a
worker that dies makes the scan incomplete (exit 3), never a hang and never a clean exit."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.clirun import run_cli
from tests.gitrepo import GitRepo
from tests.tokens import github_token

# They signal and kill process groups: README's test command (.ci/run) runs them on their own, after the
# parallel batch.
pytestmark = pytest.mark.serial

# Runs the real CLI; a worker (never the parent) that meets a file named "poison" dies the way KS_DIE says.
DYING_WORKER = """
import os, signal, sys
import keyscan.engine.detector as detector
parent = os.getpid()
original = detector.Detector.scan
def scan(self, chunk):
    if os.getpid() != parent and "poison" in chunk.path:
        if os.environ["KS_DIE"] == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if os.environ["KS_DIE"] == "exit":
            os._exit(7)
    return original(self, chunk)
detector.Detector.scan = scan
from keyscan.cli import main
sys.exit(main(sys.argv[1:]))
"""

# A rule that backtracks on every input file (seconds to minutes of CPU each), with a budget so long
# that the scan runs until it is stopped.
SLOW_RULE = (
    "rules:\n  - id: slow-rule\n    name: slow\n    provider: test\n    severity: low\n"
    "    confidence: low\n    keywords: [slowpoke]\n    regex: '(\\w+\\s?)+=\\s*(\\w+)*!'\n"
    "    references: [https://example.invalid/doc]\n    help: test rule\n"
    "    examples:\n      positive: ['ab = cd! slowpoke', 'a=b! slowpoke']\n      negative: [c, d]\n"
)
SLOW_INPUT = "slowpoke\n" + "a b" * 2000 + "=" + "x" * 30 + "?\n"


def _as_from_a_terminal() -> None:
    """Popen's ``preexec_fn``: SIGINT at its default, as a program started from a terminal has it.

    An ignored signal stays ignored across exec, and a CI runner (or a script that starts jobs with ``&``)
    may run the tests with SIGINT ignored; keyscan, like any program, then keeps ignoring it, and no
    Ctrl-C test could pass."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# Runs the real CLI; says on stderr when a process (the parent or a worker) starts scanning a slow file:
# from then on the slow rule runs, in C, until it is stopped.
SCANNING = "keyscan-test: scanning a slow file"
ANNOUNCE_SCANNING = f"""
import os, sys
import keyscan.engine.detector as detector
original = detector.Detector.scan
announced = []
def scan(self, chunk):
    if os.path.basename(chunk.path).startswith("slow") and not announced:
        announced.append(True)
        os.write(2, b"{SCANNING}\\n")
    return original(self, chunk)
detector.Detector.scan = scan
from keyscan.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _run_alone(argv: list[str], timeout: float, cwd: Path | None = None,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run in a process group of its own, SIGINT at its default; whatever of the group outlives it (or the
    timeout) is killed, so a failing test leaves no workers behind, and fails."""
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_as_from_a_terminal)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
        stray = _outlived(proc.pid)
    assert not stray, "worker processes outlived keyscan"
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)


def _outlived(pgid: int) -> bool:
    """Whether processes of the group are left 10 s after its leader ended (then killed)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _group_alive(pgid):
        time.sleep(0.1)
    if not _group_alive(pgid):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    return True


def _dying_run(args: list[str], how: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run_alone([sys.executable, "-c", DYING_WORKER, *args, "--no-cache"], 120, cwd,
                      {**os.environ, "KS_DIE": how})


def _tree(root: Path, files: int) -> None:
    root.mkdir()
    for index in range(files):
        (root / f"file{index:03}.txt").write_text(f"value = {index}\n")
    (root / "poison.txt").write_text(f"TOKEN={github_token()}\n")


def _assert_incomplete(result: subprocess.CompletedProcess[str], report: Path, how: str) -> None:
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "worker process died" in result.stderr and "incomplete" in result.stderr
    if how == "kill":
        assert "SIGKILL" in result.stderr
    assert not report.exists()


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_a_worker_that_dies_in_a_tree_scan_makes_it_incomplete(tmp_path: Path, how: str) -> None:
    _tree(tmp_path / "tree", 100)
    report = tmp_path / "report.json"
    result = _dying_run(["scan", "tree", "--no-git", "-j", "2", "-q", "-f", "json", "-o", str(report)], how,
                        tmp_path)
    _assert_incomplete(result, report, how)


@pytest.fixture(scope="module")
def big_repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """Enough blobs (> SERIAL_BELOW) for history and --staged to use the pool; a poisoned one committed
    and one staged."""
    repo = GitRepo(tmp_path_factory.mktemp("interrupt") / "repo")
    files: dict[str, str | bytes | None] = {f"f{i:03}.txt": f"value = {i}\n" for i in range(250)}
    files["poison.txt"] = f"TOKEN={github_token()}\n"
    repo.commit("many", files)
    for index in range(250):
        repo.write(f"f{index:03}.txt", f"value = {index + 1}\n")
    repo.write("poison.txt", f"TOKEN={github_token()}\n")
    repo.git("add", "-A")
    return repo


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_a_worker_that_dies_in_a_history_scan_makes_it_incomplete(big_repo: GitRepo, tmp_path: Path,
                                                                    how: str) -> None:
    report = tmp_path / "report.json"
    result = _dying_run(["history", str(big_repo.path), "-j", "2", "-q", "-f", "json", "-o", str(report)],
                        how, tmp_path)
    _assert_incomplete(result, report, how)


def test_a_worker_that_dies_in_a_staged_scan_makes_it_incomplete(big_repo: GitRepo, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = _dying_run(["scan", "--staged", ".", "-j", "2", "-q", "-f", "json", "-o", str(report)], "exit",
                        big_repo.path)
    _assert_incomplete(result, report, "exit")


def test_the_same_scans_without_a_dying_worker_are_complete(big_repo: GitRepo, tmp_path: Path) -> None:
    """The control: the harness itself does not break the pool."""
    _tree(tmp_path / "tree", 100)
    for args, cwd in ((["scan", "tree", "--no-git", "-j", "2"], tmp_path),
                      (["history", str(big_repo.path), "-j", "2"], tmp_path),
                      (["scan", "--staged", ".", "-j", "2"], big_repo.path)):
        result = _dying_run([*args, "-q", "-f", "json"], "never", cwd)
        assert result.returncode == 1, result.stderr
        assert json.loads(result.stdout)["summary"]["complete"] is True


# -- Ctrl-C --------------------------------------------------------------------------------------


def _interrupt(args: list[str], cwd: Path, cache: Path | None = None) -> tuple[int, float, str]:
    """Start keyscan in its own process group, wait until the slow rule runs, press Ctrl-C (SIGINT to the
    whole group, as a terminal does); return the exit code, the seconds it took to exit, and stderr."""
    env = {**os.environ, "KEYSCAN_CACHE_DIR": str(cache)} if cache else None
    cache_option = [] if cache else ["--no-cache"]
    proc = subprocess.Popen([sys.executable, "-c", ANNOUNCE_SCANNING, *args, "-v", *cache_option],
                            cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_as_from_a_terminal)
    lines: list[str] = []
    scanning = threading.Event()

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if line.startswith(SCANNING):
                scanning.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        # start-up, rule loading, listing and the pool take well under a second alone, more beside a busy
        # parallel batch on a small machine: wait for the slow rule to run rather than a fixed time
        started = scanning.wait(timeout=60)
        assert proc.poll() is None, f"the scan ended before it could be interrupted: {''.join(lines)}"
        assert started, f"the slow rule never started: {''.join(lines)}"
        os.killpg(proc.pid, signal.SIGINT)
        pressed = time.monotonic()
        code = proc.wait(timeout=30)
        elapsed = time.monotonic() - pressed
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    reader.join(timeout=10)
    assert not _outlived(proc.pid), "worker or git processes outlived keyscan"
    return code, elapsed, "".join(lines)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _slow_tree(root: Path, files: int) -> Path:
    root.mkdir()
    for index in range(files):
        (root / f"slow{index:03}.txt").write_text(SLOW_INPUT)
    rules = root.parent / "slow.yaml"
    rules.write_text(SLOW_RULE)
    return rules


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()
                  if p.name.startswith(".keyscan-") or p.name == "report.json")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_exits_130_promptly_and_leaves_no_report(tmp_path: Path, jobs: str) -> None:
    rules = _slow_tree(tmp_path / "tree", 80)
    out = tmp_path / "out"
    out.mkdir()
    code, elapsed, stderr = _interrupt(["scan", str(tmp_path / "tree"), "--no-git", "--rules", str(rules),
                                        "--regex-timeout", "600", "--pure", "-j", jobs, "-f", "json",
                                        "-o", str(out / "report.json")], tmp_path)
    assert code == 130, stderr
    assert elapsed < 10, f"took {elapsed:.1f}s to stop"
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert _leftovers(out) == []


def test_ctrl_c_leaves_the_cache_whole_and_never_records_an_unfinished_file(tmp_path: Path) -> None:
    from keyscan.cache import FILE_NAME, file_key

    rules = _slow_tree(tmp_path / "tree", 40)
    for index in range(40):  # listed first, scanned at once: these may be recorded as clean
        (tmp_path / "tree" / f"fast{index:03}.txt").write_text(f"value = {index}\n")
    cache = tmp_path / "cache"
    args = ["scan", str(tmp_path / "tree"), "--no-git", "--rules", str(rules), "--regex-timeout", "600",
            "--pure", "-j", "2", "-f", "json"]
    code, elapsed, stderr = _interrupt(args, tmp_path, cache)
    assert code == 130, stderr
    assert elapsed < 10, f"took {elapsed:.1f}s to stop"
    assert "Traceback" not in stderr
    with sqlite3.connect(cache / FILE_NAME) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM answers").fetchone()[0] == 1  # the cache was in use
        recorded = {bytes(row[0]) for row in db.execute("SELECT key FROM clean")}
    slow = {file_key(path.read_bytes(), os.path.normpath(path)) for path in (tmp_path / "tree").glob("slow*")}
    assert len(slow) == 40 and not recorded & slow  # none of the interrupted files counts as clean


def test_ctrl_c_during_history_exits_130_and_stops_git_and_workers(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("slow", {f"slow{i:03}.txt": f"{i}\n{SLOW_INPUT}" for i in range(210)})
    rules = tmp_path / "slow.yaml"
    rules.write_text(SLOW_RULE)
    code, elapsed, stderr = _interrupt(["history", str(repo.path), "--rules", str(rules), "--regex-timeout",
                                        "600", "--pure", "-j", "2", "-f", "json",
                                        "-o", str(tmp_path / "report.json")], tmp_path)
    assert code == 130, stderr
    assert elapsed < 10, f"took {elapsed:.1f}s to stop"
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert _leftovers(tmp_path) == []



# Ctrl-C while the parent is inside the pool's own locking: concurrent.futures' wait() takes each future's
# lock in turn.  A KeyboardInterrupt raised there leaves a lock taken: the pool's thread then waits for it
# forever (cancelling or finishing that future), and so does Python at exit, joining that thread.  A real
# press lands there now and then; here it does every time.
CTRL_C_IN_A_POOL_LOCK = """
import signal, sys
from concurrent.futures import _base
original = _base._AcquireFutures.__enter__
pressed = []
def enter(self):
    if len(self.futures) < 2 or pressed:
        return original(self)
    pressed.append(True)
    self.futures[0]._condition.acquire()
    signal.raise_signal(signal.SIGINT)  # its handler runs here, one lock taken
    for future in self.futures[1:]:
        future._condition.acquire()
_base._AcquireFutures.__enter__ = enter
from keyscan.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_while_the_parent_holds_a_pool_lock_still_exits_promptly(tmp_path: Path) -> None:
    rules = _slow_tree(tmp_path / "tree", 80)
    args = ["scan", str(tmp_path / "tree"), "--no-git", "--rules", str(rules), "--regex-timeout", "600",
            "--pure", "-j", "2", "-f", "json"]
    started = time.monotonic()
    result = _run_alone([sys.executable, "-c", CTRL_C_IN_A_POOL_LOCK, *args], 30,
                        env={**os.environ, "KEYSCAN_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == 130, result.stderr
    assert time.monotonic() - started < 20
    assert "interrupted" in result.stderr and "Traceback" not in result.stderr

# Ctrl-C pressed while Python runs a __del__: the KeyboardInterrupt is printed as "ignored" and dropped.
SWALLOWED_CTRL_C = """
import importlib, os, signal, sys
scan_command = importlib.import_module("keyscan.commands.scan")
class Swallow:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(100000):
            pass
original = scan_command.run_batches
def run_batches(*args, **kwargs):
    Swallow()  # dropped at once: its __del__ swallows the KeyboardInterrupt
    return original(*args, **kwargs)
scan_command.run_batches = run_batches
from keyscan.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_ctrl_c_swallowed_by_a_destructor_still_stops_the_scan(tmp_path: Path, jobs: str) -> None:
    rules = _slow_tree(tmp_path / "tree", 80)
    started = time.monotonic()
    args = ["scan", str(tmp_path / "tree"), "--no-git", "--rules", str(rules), "--regex-timeout", "600",
            "--pure", "-j", jobs, "--no-cache"]
    result = _run_alone([sys.executable, "-c", SWALLOWED_CTRL_C, *args], 90)
    assert "KeyboardInterrupt" in result.stderr and "ignored" in result.stderr  # it really was swallowed
    assert result.returncode == 130, result.stderr
    assert time.monotonic() - started < 60


# Ctrl-C while the worker pool is still starting: the workers are forked and the parent waits for them to
# report ready, which they are slow to do (the first one presses Ctrl-C, then takes a minute).
CTRL_C_AT_START = """
import os, signal, sys, time
import keyscan.workers as workers
def slow_ready():
    os.kill(os.getppid(), signal.SIGINT)
    time.sleep(60)
    return True
workers._ready = slow_ready
from keyscan.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_while_the_pool_starts_stops_its_workers(tmp_path: Path) -> None:
    _tree(tmp_path / "tree", 100)
    args = ["scan", str(tmp_path / "tree"), "--no-git", "-j", "2", "--no-cache", "-q"]
    result = _run_alone([sys.executable, "-c", CTRL_C_AT_START, *args], 30)  # not the workers' minute
    assert result.returncode == 130, result.stderr
    assert "Traceback" not in result.stderr


def test_interrupted_while_writing_the_report_leaves_no_partial_file(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from keyscan.report import REPORTERS

    def half_then_ctrl_c(context, stream) -> None:  # type: ignore[no-untyped-def]
        stream.write('{"findings": [')
        stream.flush()
        raise KeyboardInterrupt

    (tmp_path / "a.env").write_text(f"TOKEN={github_token()}\n")
    out = tmp_path / "out"
    out.mkdir()
    previous = out / "report.json"
    previous.write_text('{"previous": true}\n')
    monkeypatch.setitem(REPORTERS, "json", half_then_ctrl_c)
    result = run_cli("scan", str(tmp_path / "a.env"), "-f", "json", "-o", str(previous), "-q")
    assert result.code == 130
    assert previous.read_text() == '{"previous": true}\n'  # the last complete report is still whole
    assert _leftovers(out) == ["report.json"]
    previous.unlink()
    result = run_cli("scan", str(tmp_path / "a.env"), "-f", "json", "-o", str(previous), "-q")
    assert result.code == 130
    assert _leftovers(out) == []


def test_a_file_that_cannot_be_read_makes_the_scan_incomplete(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Exit 0 means every file in scope was read: one that could not be (EACCES, EIO) is not clean."""
    import keyscan.sources.files as files

    (tmp_path / "fine.txt").write_text("nothing here\n")
    (tmp_path / "locked.env").write_text("TOKEN=unknown\n")
    real_open = os.open

    def guarded_open(path, flags, *args):  # type: ignore[no-untyped-def]
        if str(path).endswith("locked.env"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(files.os, "open", guarded_open)
    result = run_cli("scan", str(tmp_path), "--no-git", "-f", "json", "-q", "-j", "1")
    assert result.code == 3, result.stderr
    summary = json.loads(result.stdout)["summary"]
    assert summary["complete"] is False
    assert any("locked.env: unreadable: Permission denied" in w for w in summary["warnings"])


def test_an_unreadable_directory_makes_the_scan_incomplete(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import keyscan.sources.files as files

    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "a.txt").write_text("a\n")
    (tmp_path / "closed").mkdir()
    real_scandir = os.scandir

    def guarded_scandir(path):  # type: ignore[no-untyped-def]
        if str(path).endswith("closed"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(files.os, "scandir", guarded_scandir)
    result = run_cli("scan", str(tmp_path), "--no-git", "-f", "json", "-q", "-j", "1")
    assert result.code == 3, result.stderr
    summary = json.loads(result.stdout)["summary"]
    assert any("closed: unreadable directory" in w for w in summary["warnings"])


def test_a_file_that_vanishes_is_a_warning_not_a_failure(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Deleted between listing and reading: there is nothing left to leak, so the scan stays complete."""
    import keyscan.sources.files as files

    (tmp_path / "stays.txt").write_text("a\n")
    (tmp_path / "goes.txt").write_text("b\n")
    real_open = os.open

    def vanishing_open(path, flags, *args):  # type: ignore[no-untyped-def]
        if str(path).endswith("goes.txt") and os.path.exists(path):
            os.unlink(path)
        return real_open(path, flags, *args)

    monkeypatch.setattr(files.os, "open", vanishing_open)
    result = run_cli("scan", str(tmp_path), "--no-git", "-f", "json", "-q", "-j", "1")
    assert result.code == 0, result.stderr
    summary = json.loads(result.stdout)["summary"]
    assert summary["complete"] is True
    assert any("goes.txt: unreadable: it disappeared" in w for w in summary["warnings"])
