"""Run git safely against repositories nobody has vetted.

Every invocation pins the settings through which a repository's own
``.git/config`` could run a command (fsmonitor, pager, external diff,
hooks, ssh, credential helpers, signature programs) and never asks for a
prompt.  Drivers named by ``.gitattributes`` (filters, textconv, diff and
merge drivers) have repository-chosen names, so the ones the configuration
defines are looked up first and each is overridden to run nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence

from keyscan.errors import GitError

SAFE_CONFIG = (
    "core.fsmonitor=false",
    "core.pager=cat",
    "core.hooksPath=/dev/null",
    "core.sshCommand=false",
    "core.askPass=",
    "credential.helper=",
    "diff.external=",
    "protocol.ext.allow=never",
    "uploadpack.packObjectsHook=",
    "core.alternateRefsCommand=",
    "log.showSignature=false",
    "gpg.program=false",
    "gpg.openpgp.program=false",
    "gpg.ssh.program=false",
    "gpg.x509.program=false",
    "gc.auto=0",
    "maintenance.auto=false",
    "safe.directory=*",
)


def git_executable() -> str:
    path = shutil.which("git")
    if path is None:
        raise GitError("git was not found on PATH; install git or scan with --no-git")
    return path


def safe_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in _PASS_THROUGH}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_PAGER="cat",
        PAGER="cat",
        GIT_OPTIONAL_LOCKS="0",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_ATTR_NOSYSTEM="1",
        GIT_NO_REPLACE_OBJECTS="1",
        LC_ALL="C",
    )
    return env


_PASS_THROUGH = frozenset({"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"})


def git_command(repo: str, args: Sequence[str]) -> list[str]:
    command = _pinned(repo)
    for item in driver_overrides(repo):
        command += ["-c", item]
    return command + list(args)


def _pinned(repo: str) -> list[str]:
    command = [git_executable(), "--no-pager", "-C", repo]
    for item in SAFE_CONFIG:
        command += ["-c", item]
    return command


# Driver settings that name a command; an attribute such as ``filter=x`` selects ``filter.x.*``.
_DRIVER_KEYS = r"^(filter|diff|merge)\..+\.(clean|smudge|process|required|textconv|command|driver)$"
_NAME_OK = re.compile(r"[^=\n\0]+")


def driver_overrides(repo: str) -> list[str]:
    """``-c`` values that disarm every filter, textconv, diff and merge driver ``repo``'s config defines.

    Git itself reuses a checked-out file (and so runs its clean filter) even for ``log -p``; an
    empty command runs nothing and makes git fail instead.  A name ``-c`` cannot express is refused.
    """
    try:
        completed = subprocess.run([*_pinned(repo), "config", "--null", "--get-regexp", _DRIVER_KEYS],
                                   capture_output=True, env=safe_env(), check=False)
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror}") from None
    overrides = []
    for entry in completed.stdout.split(b"\0"):
        key = entry.partition(b"\n")[0].decode("utf-8", "surrogateescape")
        if not key:
            continue
        if not _NAME_OK.fullmatch(key):
            raise GitError(f"{repo}: the git config defines a driver keyscan cannot disarm: {key!r}")
        overrides.append(f"{key}=false" if key.endswith(".required") else f"{key}=")
    return overrides


def run_git(repo: str, args: Sequence[str], *, check: bool = True, input_bytes: bytes | None = None) -> bytes:
    """Run git and return stdout; a failure raises ``GitError`` with git's first error line."""
    try:
        completed = subprocess.run(
            git_command(repo, args), input=input_bytes, capture_output=True, env=safe_env(), check=False
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror}") from None
    if check and completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        first = next((m for m in message if m.startswith(("fatal", "error"))), message[0] if message else "")
        raise GitError(f"git {subcommand(args)} failed: {first or 'exit ' + str(completed.returncode)}")
    return completed.stdout


def subcommand(args: Sequence[str]) -> str:
    """The git command ``args`` run, after any ``-c NAME=VALUE`` settings (for error messages)."""
    at = 0
    while at < len(args) - 1 and args[at] == "-c":
        at += 2
    return args[at] if at < len(args) else "?"


PIPE_BUFFER = 1 << 18  # many small replies per read system call (the default is 8 KiB)


def popen_git(repo: str, args: Sequence[str]) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            git_command(repo, args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=safe_env(), bufsize=PIPE_BUFFER,
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror}") from None


def work_tree_root(path: str) -> str | None:
    """The top of the git work tree containing ``path``, or None when not in one."""
    if shutil.which("git") is None:
        return None
    out = run_git(path, ["rev-parse", "--show-toplevel"], check=False)
    root = out.decode("utf-8", "surrogateescape").strip()
    return root or None
