"""Build real git repositories with scripted commits, for the history and staged tests.

Author, committer and dates are fixed through the environment, so every run
produces the same kind of history; the user's own git config is ignored.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ALICE = ("Alice Example", "alice@example.com")
BOB = ("Bob Example", "bob@example.com")


def git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, LC_ALL="C",
               GIT_TERMINAL_PROMPT="0", GIT_AUTHOR_NAME=ALICE[0], GIT_AUTHOR_EMAIL=ALICE[1],
               GIT_COMMITTER_NAME=ALICE[0], GIT_COMMITTER_EMAIL=ALICE[1],
               GIT_AUTHOR_DATE="2024-01-01T00:00:00+00:00", GIT_COMMITTER_DATE="2024-01-01T00:00:00+00:00")
    return env


class GitRepo:
    """A repository in ``path`` driven through the git command line."""

    def __init__(self, path: Path, *, bare: bool = False, branch: str = "main", init: bool = True) -> None:
        self.path = path
        self.clock = 0
        self.env = git_env(path.parent)
        if init:
            path.mkdir(parents=True, exist_ok=True)
            self.git("init", "-q", "-b", branch, *(["--bare"] if bare else []))

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        completed = subprocess.run(["git", "-C", str(self.path), *args], capture_output=True,
                                   env={**self.env, **(env or {})}, check=False)
        if completed.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {completed.stderr.decode(errors='replace')}")
        return completed.stdout.decode("utf-8", "replace").strip()

    def write(self, name: str, text: str | bytes) -> None:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")

    def _identity(self, author: tuple[str, str]) -> dict[str, str]:
        self.clock += 1
        date = f"2024-01-01T00:{self.clock // 60:02d}:{self.clock % 60:02d}+00:00"
        return {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": date,
                "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1], "GIT_COMMITTER_DATE": date}

    def commit(self, message: str, files: dict[str, str | bytes | None] | None = None,
               author: tuple[str, str] = ALICE) -> str:
        """Write (or delete, for None) ``files``, stage everything and commit; returns the commit id."""
        for name, text in (files or {}).items():
            if text is None:
                self.git("rm", "-q", "--", name)
            else:
                self.write(name, text)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "--no-verify", "-m", message, env=self._identity(author))
        return self.head()

    def merge(self, branch: str, message: str, author: tuple[str, str] = ALICE,
              resolve: dict[str, str] | None = None) -> str:
        """Merge ``branch`` with a merge commit.  With ``resolve``, stop before committing and
        write those files first: a conflict resolution, or an "evil merge" that adds content."""
        env = self._identity(author)
        args = ["merge", "-q", "--no-ff", "--no-edit", "-m", message, *(["--no-commit"] if resolve else []), branch]
        completed = subprocess.run(["git", "-C", str(self.path), *args], capture_output=True,
                                   env={**self.env, **env}, check=False)
        if resolve is None:
            if completed.returncode != 0:
                raise AssertionError(completed.stdout.decode() + completed.stderr.decode())
            return self.head()
        for name, text in resolve.items():
            self.write(name, text)
        self.git("add", "-A")
        self.git("commit", "-q", "--no-verify", "-m", message, env=env)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def checkout(self, *args: str) -> None:
        self.git("checkout", "-q", *args)
