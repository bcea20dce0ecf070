"""A synthetic git history, the same for the same arguments: a large repeatable case for history scans.

    python benchmarks/synthetic_history.py OUT.git --commits 20000 [--files 400] [--seed 1]

Writes a bare repository through one ``git fast-import`` stream (seconds, not minutes). Each commit edits
one to three of ``--files`` source files (changed lines, inserted lines, deletions), now and then adds or
deletes a file; every 500th commit starts a side branch that is merged back 20 commits later; a tag every
1,000 commits; then ``git repack -adf``, as a server or ``git gc`` would. Every 250th commit plants a fake
GitHub token (random, never a real one; the line says ``synthetic-fake``) in a file, and a later edit
removes it again half of the time. Run it at two sizes to
see whether a scanner's memory grows with the number of commits:

    python benchmarks/synthetic_history.py /tmp/syn5k.git --commits 5000
    python benchmarks/synthetic_history.py /tmp/syn20k.git --commits 20000
    python benchmarks/run.py history /tmp/syn5k.git --runs 1
    python benchmarks/run.py history /tmp/syn20k.git --runs 1
"""

from __future__ import annotations

import argparse
import random
import string
import subprocess
import sys
import zlib
from pathlib import Path

WORDS = ("value", "result", "items", "config", "request", "handler", "cache", "index", "parser", "client",
         "buffer", "record", "session", "context", "payload", "limit", "offset", "status", "source", "target")
BASE62 = string.digits + string.ascii_letters


def fake_github_token(rng: random.Random) -> str:
    """A token of GitHub's documented classic-PAT shape (ghp_ + 30 random base62 + CRC32 in base62):
    random, so it grants nothing; the line that holds it says synthetic-fake."""
    body = "".join(rng.choice(BASE62) for _ in range(30))
    crc = zlib.crc32(body.encode()) & 0xFFFFFFFF
    digits = ""
    while crc:
        crc, rest = divmod(crc, 62)
        digits = BASE62[rest] + digits
    return "ghp_" + body + digits.rjust(6, "0")


def source_line(rng: random.Random) -> str:
    a, b = rng.sample(WORDS, 2)
    return f"    {a}_{rng.randrange(1000)} = compute_{b}({a}, limit={rng.randrange(10_000)})"


def new_file(rng: random.Random) -> list[str]:
    lines = [f'"""Module {rng.randrange(10**6)}."""', "", "def run(value, limit):"]
    lines += [source_line(rng) for _ in range(rng.randrange(40, 400))]
    return [*lines, "    return value", ""]


class History:
    def __init__(self, files: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.files: dict[str, list[str]] = {f"src/pkg{i % 20}/mod{i}.py": new_file(self.rng) for i in range(files)}
        self.next_file = files
        self.planted: list[tuple[str, str]] = []  # (path, token) still in the tree
        self.mark = 0
        self.out: list[bytes] = []

    def blob(self, text: str) -> bytes:
        data = text.encode()
        return b"data %d\n%s\n" % (len(data), data)

    def commit(self, ref: str, number: int, changes: dict[str, list[str] | None], merge: int | None = None,
               parent: int | None = None) -> int:
        self.mark += 1
        message = f"change {number}".encode()
        stamp = 1_600_000_000 + number * 600
        self.out.append(b"commit %s\nmark :%d\n" % (ref.encode(), self.mark))
        self.out.append(b"author Dev <dev@example.com> %d +0000\n" % stamp)
        self.out.append(b"committer Dev <dev@example.com> %d +0000\n" % stamp)
        self.out.append(b"data %d\n%s\n" % (len(message), message))
        if parent is not None:
            self.out.append(b"from :%d\n" % parent)
        if merge is not None:
            self.out.append(b"merge :%d\n" % merge)
        for path, lines in changes.items():
            if lines is None:
                self.out.append(b"D %s\n" % path.encode())
            else:
                self.out.append(b"M 100644 inline %s\n" % path.encode())
                self.out.append(self.blob("\n".join(lines)))
        self.out.append(b"\n")
        return self.mark

    def edit(self, number: int) -> dict[str, list[str] | None]:
        rng = self.rng
        changes: dict[str, list[str] | None] = {}
        for path in rng.sample(sorted(self.files), rng.randint(1, 3)):
            lines = self.files[path]
            for _ in range(rng.randint(1, 4)):
                at = rng.randrange(3, len(lines) - 1)
                roll = rng.random()
                if roll < 0.5:
                    lines[at] = source_line(rng)
                elif roll < 0.8:
                    lines.insert(at, source_line(rng))
                elif len(lines) > 20:
                    del lines[at]
            changes[path] = lines
        if number % 250 == 0:
            path = rng.choice(sorted(self.files))
            token = fake_github_token(rng)
            self.files[path].insert(4, f'    token = "{token}"  # synthetic-fake, not a credential')
            self.planted.append((path, token))
            changes[path] = self.files[path]
        elif self.planted and number % 250 == 125 and rng.random() < 0.5:
            path, token = self.planted.pop(0)
            if path in self.files:
                self.files[path] = [line for line in self.files[path] if token not in line]
                changes[path] = self.files[path]
        if rng.random() < 0.01:
            path = f"src/pkg{self.next_file % 20}/mod{self.next_file}.py"
            self.next_file += 1
            self.files[path] = new_file(rng)
            changes[path] = self.files[path]
        if rng.random() < 0.005 and len(self.files) > 10:
            path = rng.choice(sorted(self.files))
            del self.files[path]
            changes[path] = None
            self.planted = [(p, t) for p, t in self.planted if p != path]
        return changes

    def build(self, commits: int) -> bytes:
        main = self.commit("refs/heads/main", 0, dict(self.files))
        side: int | None = None
        side_from = 0
        side_changed: set[str] = set()
        for number in range(1, commits):
            if number % 500 == 0 and side is None:
                side, side_from, side_changed = main, number, set()
            if side is not None and number % 3 == 0:
                changes = self.edit(number)
                side_changed.update(changes)
                side = self.commit("refs/heads/side", number, changes, parent=side)
            else:
                main = self.commit("refs/heads/main", number, self.edit(number), parent=main)
            if side is not None and number - side_from >= 20:  # the merge takes the side's files as they are
                merged = {path: self.files.get(path) for path in sorted(side_changed)}
                main = self.commit("refs/heads/main", number, merged, merge=side, parent=main)
                side = None
            if number % 1000 == 0:
                self.out.append(b"reset refs/tags/v%d\nfrom :%d\n\n" % (number // 1000, main))
        return b"".join(self.out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the bare repository to create (must not exist)")
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-repack", action="store_true",
                        help="keep the pack git fast-import wrote (deltas in stream order: slow to read by file)")
    args = parser.parse_args()
    if args.out.exists():
        print(f"{args.out} exists; choose a new path", file=sys.stderr)
        return 2
    subprocess.run(["git", "init", "-q", "--bare", str(args.out)], check=True)
    stream = History(args.files, args.seed).build(args.commits)
    subprocess.run(["git", "-C", str(args.out), "fast-import", "--quiet"], input=stream, check=True)
    subprocess.run(["git", "-C", str(args.out), "symbolic-ref", "HEAD", "refs/heads/main"], check=True)
    if not args.no_repack:  # as a server or git gc leaves a repository: deltas by path, not stream order
        subprocess.run(["git", "-C", str(args.out), "repack", "-a", "-d", "-f", "-q"], check=True)
    count = subprocess.run(["git", "-C", str(args.out), "rev-list", "--all", "--count"], capture_output=True,
                           text=True, check=True).stdout.strip()
    print(f"{args.out}: {count} commits")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
