"""Score secret scanners against a labelled corpus (made by generate.py), or count their findings
on clean code.

    python benchmarks/corpus/score.py CORPUS_DIR [--tools keyscan,betterleaks,kingfisher,detect-secrets]
    python benchmarks/corpus/score.py --clean [DIR ...]        # findings per MB on real, clean code

CORPUS_DIR holds labels.jsonl and the tree to scan (CORPUS_DIR/files, or CORPUS_DIR itself).  A
planted positive counts as found when a finding on the same path and line (a multi-line finding:
any of its lines) has a secret equal to, containing, or contained in (5+ characters) the planted
value or one of its ``alt`` values (e.g. the decoded value of a base64 Kubernetes secret); a
multi-line block (PEM) is found by any finding whose line range overlaps it (or starts on the line
before: the YAML key of a block scalar); a file-name label by any finding in that file.
detect-secrets stores only a SHA-1 of the secret, so its findings are matched by path and line,
or by that hash anywhere in the file.

Every finding (deduplicated by path, line and secret) is a true positive, a hit on a hard negative,
a match on an ``ignore`` label (a companion value such as an account SID: not counted), a planted
secret reported on the wrong line (not counted, shown as "wrong line"), or a false positive on
unlabelled text.  Precision = true / (true + hard-negative hits + other false).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS = HERE.parent / ".peers" / "bin"
OUT = HERE.parent / "out" / "score"
STDLIB = Path("/root/.pyenv/versions/3.11.7/lib/python3.11")
ALL_TOOLS = ("keyscan", "betterleaks", "kingfisher", "detect-secrets")
JOBS = "2"


@dataclass
class Finding:
    path: str
    line: int
    end_line: int
    secret: str | None  # None when the tool only gives a hash
    hashed: str | None = None
    rule: str = ""
    severity: str = ""
    cell: int | None = None


@dataclass
class Result:
    found: set[int] = field(default_factory=set)  # indexes of positive labels found
    true: list[tuple[Finding, int]] = field(default_factory=list)
    hard_negative: list[tuple[Finding, int]] = field(default_factory=list)
    ignored: list[tuple[Finding, int]] = field(default_factory=list)
    misplaced: list[Finding] = field(default_factory=list)  # a planted secret, reported on another line
    false: list[Finding] = field(default_factory=list)

    @property
    def findings(self) -> int:
        return len(self.true) + len(self.hard_negative) + len(self.false)

    @property
    def precision(self) -> float:
        return len(self.true) / self.findings if self.findings else 0.0


# --- matching -----------------------------------------------------------------------------------


MIN_PART = 5  # a reported secret shorter than this must equal the planted value


def related(secret: str, value: str) -> bool:
    """Same secret, or one contains the other (a tool may report user:password or just the key)."""
    if not value or not secret:
        return False
    return (
        secret == value or value in secret or (secret in value and len(secret) >= min(MIN_PART, len(value)))
    )


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def _values(label: dict) -> list[str]:
    return [label["value"], *label.get("alt", [])]


def _candidates(label: dict, finding: Finding) -> bool:
    """Where a finding may claim a label: the same line (a finding spanning several lines claims
    any of them); any line of a multi-line block, or the line before it (a YAML key holding a
    block scalar); anywhere in the file for a file-name label."""
    if label["path"] != finding.path:
        return False
    if label.get("match") == "path":
        return True
    if finding.cell is not None:
        return label.get("cell") == finding.cell and label.get("cell_line") == finding.line
    if label.get("match") == "range":
        return finding.line <= label["end_line"] and finding.end_line >= label["line"] - 1
    return finding.line <= label["line"] <= max(finding.line, finding.end_line)


def _value_match(label: dict, finding: Finding) -> bool:
    if label.get("match") in ("range", "path"):
        return True
    if finding.secret is None:  # detect-secrets: its hash, else path and line alone
        return True
    return any(related(finding.secret, v) for v in _values(label))


_PREFERENCE = {"positive": 0, "ignore": 1, "negative": 2}


def _claim(labels: list[dict], finding: Finding, candidates: list[int], result: Result) -> list[int]:
    hits = [i for i in candidates if _value_match(labels[i], finding)]
    if finding.secret is None and finding.hashed:
        exact = [i for i in candidates if finding.hashed in {_sha1(v) for v in _values(labels[i])}]
        if exact:
            return exact
        hits.sort(key=lambda i: i in result.found)  # two findings on a line find two secrets
    return hits


def match(labels: list[dict], findings: Iterable[Finding]) -> Result:
    by_path: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_path[label["path"]].append(i)
    result = Result()
    for finding in findings:
        in_file = by_path.get(finding.path, [])
        hits = _claim(labels, finding, [i for i in in_file if _candidates(labels[i], finding)], result)
        if not hits and finding.hashed:  # the same SHA-1 elsewhere in the file: the tool's line is off
            hits = [i for i in in_file if finding.hashed in {_sha1(v) for v in _values(labels[i])}]
        if not hits:
            misplaced = finding.secret is not None and any(
                labels[i]["kind"] == "positive"
                and labels[i].get("match") == "value"
                and any(related(finding.secret, v) and len(finding.secret) >= 8 for v in _values(labels[i]))
                for i in in_file
            )
            (result.misplaced if misplaced else result.false).append(finding)
            continue
        best = min(hits, key=lambda i: _PREFERENCE[labels[i]["kind"]])
        kind = labels[best]["kind"]
        if kind == "positive":
            result.found.add(best)
            result.true.append((finding, best))
        elif kind == "ignore":
            result.ignored.append((finding, best))
        else:
            result.hard_negative.append((finding, best))
    return result


# --- running the tools ----------------------------------------------------------------------------


def _bin(name: str) -> str:
    for candidate in (PEERS / name, Path(sys.prefix) / "bin" / name, Path("/work/venv/bin") / name):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found (peers: python benchmarks/run.py setup)")
    return found


def command(tool: str, target: Path, out: Path, empty_config: Path) -> list[str]:
    if tool == "keyscan":
        # An empty config: keyscan's own .keyscan.yaml allow-lists benchmarks/, where corpora live.
        return [
            _bin("keyscan"),
            "scan",
            "--no-git",
            str(target),
            "-f",
            "json",
            "--show-secrets=force",
            "-o",
            str(out),
            "-q",
            "--no-cache",
            "-j",
            JOBS,
            "-c",
            str(empty_config),
        ]
    if tool == "betterleaks":
        return [
            _bin("betterleaks"),
            "fs",
            str(target),
            "-j",
            JOBS,
            "--no-banner",
            "--log-level",
            "error",
            "--exit-code",
            "0",
            "-o",
            str(out),
        ]
    if tool == "kingfisher":
        return [
            _bin("kingfisher"),
            "--no-update-check",
            "-q",
            "scan",
            str(target),
            "--no-validate",
            "-j",
            JOBS,
            "--git-history",
            "none",
            "--format",
            "json",
            "-o",
            str(out),
        ]
    if tool == "detect-secrets":
        # detect-secrets needs the tree as its cwd and a relative '.', else it silently finds nothing.
        return [
            "sh",
            "-c",
            f'"{_bin("detect-secrets")}" -C "{target}" -c {JOBS} scan --all-files . > "{out}"',
        ]
    raise SystemExit(f"unknown tool {tool}")


def run_tool(tool: str, target: Path, out: Path) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        empty = Path(scratch) / "keyscan.yaml"
        empty.write_text("{}\n")
        started = time.perf_counter()
        proc = subprocess.run(command(tool, target, out, empty), capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1, 200, 205) or not out.exists():  # kingfisher: 200 = findings
        raise SystemExit(f"{tool} failed (exit {proc.returncode}): {proc.stderr.strip()[-400:]}")
    return elapsed


def _rel(path: str, root: Path) -> str:
    """Paths relative to the scanned tree, whether a tool printed them absolute, relative to the
    current directory, or relative to the tree (detect-secrets)."""
    p = Path(path)
    for candidate in (p, Path.cwd() / p):
        if candidate.is_absolute():
            try:
                return candidate.resolve().relative_to(root).as_posix()
            except ValueError:
                continue
    text = p.as_posix()
    return text[2:] if text.startswith("./") else text


def parse(tool: str, out: Path, root: Path) -> list[Finding]:
    data = json.loads(out.read_text() or "{}")
    findings: list[Finding] = []
    if tool == "keyscan":
        for f in data.get("findings", []):
            findings.append(
                Finding(
                    _rel(f["path"], root),
                    f["line"],
                    f.get("end_line") or f["line"],
                    f["secret"],
                    rule=f["rule_id"],
                    severity=f.get("severity", ""),
                    cell=f.get("cell"),
                )
            )
    elif tool == "betterleaks":
        for f in data.get("findings", []):
            loc = f["location"]
            start = loc.get("start_line") or 1  # file-name rules give a path only
            match_ = f.get("match") or {}
            findings.append(
                Finding(
                    _rel(loc["path"], root),
                    start,
                    loc.get("end_line") or start,
                    match_.get("value") or match_.get("full") or "",
                    rule=f["rule_id"],
                )
            )
    elif tool == "kingfisher":
        for f in data.get("findings", []):
            body = f["finding"]
            secret = body.get("snippet") or ""
            end = body["line"] + secret.count("\n")
            findings.append(
                Finding(_rel(body["path"], root), body["line"], end, secret, rule=f["rule"]["id"])
            )
    elif tool == "detect-secrets":
        for path, items in data.get("results", {}).items():
            for f in items:
                findings.append(
                    Finding(
                        _rel(path, root),
                        f["line_number"],
                        f["line_number"],
                        None,
                        hashed=f.get("hashed_secret"),
                        rule=f.get("type", ""),
                    )
                )
    return dedupe(findings)


def dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple] = set()
    out = []
    for f in findings:
        key = (f.path, f.line, f.cell, f.secret if f.secret is not None else f.hashed)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


# --- reports -----------------------------------------------------------------------------------------


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def report(labels: list[dict], results: dict[str, Result], times: dict[str, float]) -> str:
    positives = [i for i, lab in enumerate(labels) if lab["kind"] == "positive"]
    negatives = [i for i, lab in enumerate(labels) if lab["kind"] == "negative"]
    tools = list(results)
    out = [
        f"Corpus: {len({lab['path'] for lab in labels})} labelled files, {len(positives)} positives "
        f"({len({labels[i]['format'] for i in positives})} formats), {len(negatives)} hard negatives.",
        "",
    ]
    out += [
        "| tool | recall | precision | findings | true | false (hard negatives) | false (other) | wrong line "
        "| seconds |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for tool in tools:
        res = results[tool]
        seconds = f"{times[tool]:.1f}" if tool in times else "-"
        out.append(
            f"| {tool} | {pct(len(res.found), len(positives))} ({len(res.found)}/{len(positives)}) | "
            f"{pct(len(res.true), res.findings)} | {res.findings} | {len(res.true)} | "
            f"{len(res.hard_negative)} | {len(res.false)} | {len(res.misplaced)} | {seconds} |"
        )
    families = sorted({labels[i]["family"] for i in positives})
    out += [
        "",
        "Recall per family:",
        "",
        "| family | positives | " + " | ".join(tools) + " |",
        "|---|---|" + "---|" * len(tools),
    ]
    for fam in families:
        members = [i for i in positives if labels[i]["family"] == fam]
        cells = [pct(len(results[t].found & set(members)), len(members)) for t in tools]
        out.append(f"| {fam} | {len(members)} | " + " | ".join(cells) + " |")
    neg_families = sorted({labels[i]["family"] for i in negatives})
    out += [
        "",
        "Hard-negative hits per kind (findings):",
        "",
        "| negative kind | labels | " + " | ".join(tools) + " |",
        "|---|---|" + "---|" * len(tools),
    ]
    for fam in neg_families:
        members = {i for i in negatives if labels[i]["family"] == fam}
        cells = [str(sum(1 for _, i in results[t].hard_negative if i in members)) for t in tools]
        out.append(f"| {fam} | {len(members)} | " + " | ".join(cells) + " |")
    if "keyscan" in results:
        res = results["keyscan"]
        low = [i for i in positives if labels[i]["severity"] == "low"]
        low_found = {i for _, i in res.true if i in low}
        low_ok = {i for f, i in res.true if i in low and f.severity == "low"}
        high_as_low = {i for f, i in res.true if labels[i]["severity"] != "low" and f.severity == "low"}
        out += [
            "",
            f"keyscan severity: {len(low_ok)}/{len(low_found)} found test/sandbox credentials reported at "
            f"low ({len(low)} planted); {len(high_as_low)} other positives reported at low.",
        ]
    return "\n".join(out)


def details(labels: list[dict], result: Result, tool: str) -> dict:
    positives = [i for i, lab in enumerate(labels) if lab["kind"] == "positive"]
    missed = [labels[i] for i in positives if i not in result.found]
    by_format = Counter(lab["format"] for lab in missed)
    totals = Counter(labels[i]["format"] for i in positives)
    return {
        "tool": tool,
        "missed_by_format": {k: f"{v}/{totals[k]}" for k, v in by_format.most_common()},
        "missed": missed,
        "hard_negative_hits": [{"finding": vars(f), "label": labels[i]} for f, i in result.hard_negative],
        "false": [vars(f) for f in result.false],
        "wrong_line": [vars(f) for f in result.misplaced],
    }


# --- clean code ----------------------------------------------------------------------------------


SITE_PACKAGES = (
    Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
)


def copy_python(
    source: Path, dest: Path, skip: set[str], keep: Callable[[Path], bool] = lambda p: True
) -> Path:
    """The ``.py`` files of a tree (no bytecode, no skipped directories), copied once."""
    if dest.exists():
        return dest
    for directory, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d not in skip and not d.startswith("keyscan"))
        for name in files:
            src = Path(directory) / name
            if name.endswith(".py") and keep(src):
                target = dest / src.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, target)
    return dest


def default_clean_trees(base: Path) -> list[Path]:
    """Real code nobody planted secrets in: the standard library, its test suite, and the
    site-packages of this virtualenv (keyscan itself left out: its rules are full of examples)."""
    skip = {"__pycache__", "site-packages", "lib-dynload", "idle_test"}
    trees = [
        copy_python(STDLIB, base / "clean-stdlib", skip | {"test", "tests"}),
        copy_python(STDLIB / "test", base / "clean-stdlib-tests", skip),
    ]
    if SITE_PACKAGES.is_dir():
        trees.append(copy_python(SITE_PACKAGES, base / "clean-site-packages", skip | {"tests", "test"}))
    return trees


def tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def clean_mode(dirs: list[Path], tools: list[str], out_dir: Path) -> str:
    lines = [
        "| tree | MB | " + " | ".join(f"{t} findings (per MB)" for t in tools) + " |",
        "|---|---|" + "---|" * len(tools),
    ]
    for root in dirs:
        size = tree_size(root) / 1e6
        cells = []
        for tool in tools:
            out = out_dir / f"clean-{root.name}-{tool}.json"
            run_tool(tool, root, out)
            n = len(parse(tool, out, root))
            cells.append(f"{n} ({n / size:.2f})")
            print(f"  {root.name}: {tool} {n} findings", file=sys.stderr)
        lines.append(f"| {root} | {size:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def load_labels(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", nargs="?", type=Path, help="directory with labels.jsonl and files/")
    parser.add_argument("--tools", default=",".join(ALL_TOOLS))
    parser.add_argument("--out", type=Path, default=OUT, help="where tool outputs and details go")
    parser.add_argument("--reuse", action="store_true", help="reuse tool outputs already in --out")
    parser.add_argument(
        "--clean",
        nargs="*",
        type=Path,
        default=None,
        help="count findings per MB on these clean trees (default: a copy of the stdlib)",
    )
    args = parser.parse_args(argv)
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    for tool in tools:
        if tool not in ALL_TOOLS:
            parser.error(f"unknown tool {tool!r}; known: {', '.join(ALL_TOOLS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    if args.clean is not None:
        dirs = [d.resolve() for d in args.clean] or [
            d.resolve() for d in default_clean_trees(args.out.parent)
        ]
        print(clean_mode(dirs, tools, args.out))
        return 0
    if args.corpus is None:
        parser.error("give a corpus directory, or --clean")
    labels_path = args.corpus / "labels.jsonl"
    if not labels_path.exists():
        parser.error(f"{labels_path} not found")
    labels = load_labels(labels_path)
    tree = (args.corpus / "files" if (args.corpus / "files").is_dir() else args.corpus).resolve()
    results: dict[str, Result] = {}
    times: dict[str, float] = {}
    for tool in tools:
        out = args.out / f"{tool}.json"
        if not (args.reuse and out.exists()):
            times[tool] = run_tool(tool, tree, out)
            print(f"  {tool}: {times[tool]:.1f} s", file=sys.stderr)
        findings = [f for f in parse(tool, out, tree) if f.path != "labels.jsonl"]
        results[tool] = match(labels, findings)
        (args.out / f"{tool}-details.json").write_text(
            json.dumps(details(labels, results[tool], tool), indent=1)
        )
    print(report(labels, results, times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
