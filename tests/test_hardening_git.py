"""A scanned repository must never run a command: every way its config, attributes or hooks could
make git execute something is planted, each touching its own marker file, and every git-reading
command of keyscan is run against it.  A control run of plain git proves the traps are armed."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.clirun import Run, run_cli
from tests.gitrepo import GitRepo
from tests.tokens import github_token

HOOKS = (
    "applypatch-msg", "pre-applypatch", "post-applypatch", "pre-commit", "pre-merge-commit",
    "prepare-commit-msg", "commit-msg", "post-commit", "pre-rebase", "post-checkout", "post-merge",
    "pre-push", "pre-receive", "update", "proc-receive", "post-receive", "post-update",
    "reference-transaction", "push-to-checkout", "pre-auto-gc", "post-rewrite", "sendemail-validate",
    "fsmonitor-watchman", "post-index-change", "p4-changelist", "p4-prepare-changelist",
    "p4-post-changelist", "p4-pre-submit",
)

# git commands keyscan runs; an alias can never shadow a built-in, but a trap costs nothing
ALIASED = ("log", "cat-file", "ls-files", "ls-tree", "rev-parse", "rev-list", "diff", "status")


@dataclass
class Armed:
    repo: GitRepo
    markers: Path
    base: str
    head: str
    feature: str
    secrets: set[str]


def _trap(bin_dir: Path, markers: Path, name: str) -> str:
    """A script that records that it ran, then behaves like ``cat`` (a filter, textconv or pager)."""
    script = bin_dir / f"{name}.sh"
    script.write_text(f"#!/bin/sh\ntouch '{markers / name}'\nexec cat \"$@\" 2>/dev/null\n")
    script.chmod(0o755)
    return str(script)


def _arm(repo: GitRepo, tmp_path: Path) -> Path:
    """Plant every command-running setting in ``repo`` (after its commits, so setup runs none)."""
    markers = tmp_path / "markers"
    bin_dir = tmp_path / "bin"
    markers.mkdir()
    bin_dir.mkdir()

    def trap(name: str) -> str:
        return _trap(bin_dir, markers, name)

    settings = {
        "core.fsmonitor": trap("fsmonitor"),
        "core.pager": trap("core-pager"),
        "core.askPass": trap("askpass"),
        "core.sshCommand": trap("ssh-command"),
        "core.gitProxy": trap("git-proxy"),
        "core.editor": trap("editor"),
        "core.alternateRefsCommand": trap("alternate-refs"),
        "core.hooksPath": str(tmp_path / "hooks-path"),
        "sequence.editor": trap("sequence-editor"),
        "diff.external": trap("diff-external"),
        "diff.evil.textconv": trap("textconv"),
        "diff.evil.command": trap("diff-driver"),
        "filter.evil.clean": trap("filter-clean"),
        "filter.evil.smudge": trap("filter-smudge"),
        "filter.evil.process": trap("filter-process"),
        "filter.evil.required": "true",
        "merge.evil.driver": trap("merge-driver"),
        "credential.helper": trap("credential-helper"),
        "gpg.program": trap("gpg"),
        "gpg.ssh.program": trap("gpg-ssh"),
        "gpg.x509.program": trap("gpg-x509"),
        "log.showSignature": "true",
        "uploadpack.packObjectsHook": trap("pack-objects-hook"),
        "remote.origin.url": f"ext::{trap('ext-transport')}",
        "remote.origin.uploadpack": trap("uploadpack"),
        "protocol.ext.allow": "always",
        "include.path": str(tmp_path / "included.config"),
    }
    for command in ALIASED:
        settings[f"alias.{command}"] = f"!{trap('alias-' + command)}"
        settings[f"pager.{command}"] = trap("pager-" + command)
    # an included file may set what .git/config itself does not
    (tmp_path / "included.config").write_text(f"[core]\n\tfsmonitor = {trap('included-fsmonitor')}\n")
    for hooks_dir in (Path(repo.git("rev-parse", "--absolute-git-dir")) / "hooks", tmp_path / "hooks-path"):
        hooks_dir.mkdir(parents=True, exist_ok=True)
        for hook in HOOKS:
            target = hooks_dir / hook
            target.write_text(f"#!/bin/sh\ntouch '{markers / ('hook-' + hook)}'\n")
            target.chmod(0o755)
    for key, value in settings.items():
        repo.git("config", key, value)
    # last: includes of the included file come after the settings above, so it wins over them
    repo.git("config", "--add", "include.path", str(tmp_path / "included.config"))
    return markers


def _fake_signed_commit(repo: GitRepo) -> str:
    """A commit carrying a (bogus) PGP signature on branch ``signed``: showing it would run gpg.program."""
    tree = repo.git("rev-parse", "HEAD^{tree}")
    body = (f"tree {tree}\nparent {repo.head()}\nauthor A <a@example.com> 1700000000 +0000\n"
            "committer A <a@example.com> 1700000000 +0000\n"
            "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEEAAAA\n -----END PGP SIGNATURE-----\n"
            "\nsigned\n")
    completed = subprocess.run(["git", "-C", str(repo.path), "hash-object", "-t", "commit", "-w", "--stdin"],
                               input=body.encode(), capture_output=True, env=repo.env, check=True)
    oid = completed.stdout.decode().strip()
    repo.git("update-ref", "refs/heads/signed", oid)
    return oid


@pytest.fixture(autouse=True)
def _own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's own ~/.gitconfig stays out of it."""
    monkeypatch.setenv("HOME", str(tmp_path))


@pytest.fixture()
def armed(tmp_path: Path) -> Armed:
    repo = GitRepo(tmp_path / "repo")
    first, second, staged = github_token(), github_token(), github_token()
    attributes = "* diff=evil filter=evil merge=evil\n"
    base = repo.commit("base", {".gitattributes": attributes, "a.env": f"TOKEN={first}\n"})
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("side", {"side.txt": "side\n"})
    repo.checkout("main")
    repo.commit("second", {"b.env": f"TOKEN={second}\n"})
    repo.merge("side", "merge side")
    head = repo.head()
    repo.git("checkout", "-q", "-b", "feature")
    feature = github_token()
    feature_tip = repo.commit("feature", {"feature.env": f"TOKEN={feature}\n"})
    repo.checkout("main")
    _fake_signed_commit(repo)
    repo.write("staged.env", f"TOKEN={staged}\n")
    repo.git("add", "staged.env")
    repo.write("untracked.env", "NOTHING=1\n")
    markers = _arm(repo, tmp_path)
    return Armed(repo, markers, base, head, feature_tip, {first, second, staged, feature})


def _keyscan(args: list[str], cwd: Path, stdin: str = "") -> Run:
    here = os.getcwd()
    os.chdir(cwd)
    try:
        return run_cli(*args, "-f", "json", "--show-secrets", "-q", stdin=stdin)
    finally:
        os.chdir(here)


def _fired(markers: Path) -> list[str]:
    return sorted(p.name for p in markers.iterdir())


def test_the_traps_are_armed(armed: Armed) -> None:
    """Plain git, run the way a person would, does run the planted commands (so the test below can fail)."""
    env = {**armed.repo.env, "GIT_PAGER": ""}
    for args in (["status"], ["log", "-p", "-1", "--", "b.env"], ["diff", "HEAD~1", "--", "b.env"],
                 ["log", "-1", "signed"]):
        subprocess.run(["git", "-C", str(armed.repo.path), *args], env=env, capture_output=True, check=False)
    fired = set(_fired(armed.markers))
    assert {"fsmonitor", "included-fsmonitor", "textconv", "diff-external"} & fired, fired
    assert "filter-process" in fired or "filter-clean" in fired, fired
    assert "gpg" in fired, fired


COMMANDS = {
    "scan (git work tree listing)": (["scan", "."], None),
    "scan --staged": (["scan", "--staged", "."], None),
    "history": (["history", "."], None),
    "history -j 2 (pool)": (["history", ".", "-j", "2"], None),
    "history --branch": (["history", ".", "--branch", "main"], None),
    "history --range": (["history", ".", "--range", "{base}..{head}"], None),
    "history --since": (["history", ".", "--since", "{base}"], None),
    "history --new-branch": (["history", ".", "--new-branch", "feature"], None),
    "pre-push (update)": (["pre-push", "."], "refs/heads/main {head} refs/heads/main {base}\n"),
    "pre-push (new branch)": (["pre-push", "."],
                              "refs/heads/feature {feature} refs/heads/feature " + "0" * 40),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_no_planted_command_runs(armed: Armed, name: str) -> None:
    args, stdin = COMMANDS[name]
    revisions = {"base": armed.base, "head": armed.head, "feature": armed.feature}
    args = [a.format(**revisions) for a in args]
    stdin_text = (stdin or "").format(**revisions)
    result = _keyscan(args, armed.repo.path, stdin_text)
    assert _fired(armed.markers) == [], f"{name} let the repository run: {_fired(armed.markers)}"
    assert "Traceback" not in result.stderr, result.stderr
    assert result.code == 1, result.stderr  # the scan really ran: it found the planted secrets
    found = {f["secret"] for f in json.loads(result.stdout)["findings"]}
    assert found and found <= armed.secrets


def test_the_staged_version_is_read_without_the_clean_filter(armed: Armed) -> None:
    """The index blob is read as stored: no clean/smudge filter rewrites it on the way."""
    result = _keyscan(["scan", "--staged", "."], armed.repo.path)
    assert _fired(armed.markers) == []
    assert [f["path"] for f in json.loads(result.stdout)["findings"]] == ["staged.env"]


# The commands git runs when asked for more than keyscan asks for today: patches, blame, worktree status,
# signatures.  Through keyscan's own runner none of them may run a planted command either.
PORCELAIN = (
    ["status"], ["log", "-p"], ["log", "--show-signature", "signed"], ["log", "--format=%G?", "signed"],
    ["show", "HEAD"], ["diff", "HEAD~1"], ["diff"], ["blame", "a.env"], ["archive", "HEAD"],
    ["cat-file", "--textconv", "HEAD:a.env"], ["cat-file", "--filters", "HEAD:a.env"], ["grep", "TOKEN"],
)


def test_keyscans_git_runner_disarms_every_driver(armed: Armed) -> None:
    from keyscan.errors import GitError
    from keyscan.gitcmd import run_git

    armed.repo.write("a.env", "changed in the work tree\n")
    for args in PORCELAIN:
        try:
            run_git(str(armed.repo.path), args)
        except GitError:
            pass  # a disarmed driver makes git fail: fine, as long as nothing ran
        assert _fired(armed.markers) == [], f"git {' '.join(args)} ran {_fired(armed.markers)}"


def test_a_driver_name_that_cannot_be_disarmed_is_refused(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "odd")
    repo.commit("one", {".gitattributes": "* filter=a=b\n", "a.env": f"TOKEN={github_token()}\n"})
    markers = tmp_path / "markers"
    markers.mkdir()
    (tmp_path / "bin").mkdir()
    repo.git("config", "filter.a=b.clean", _trap(tmp_path / "bin", markers, "odd-filter"))
    for args in (["history", "."], ["scan", "."]):
        result = _keyscan(args, repo.path)
        assert result.code == 2, result.stderr
        assert result.stderr.startswith("keyscan: error:") and "cannot disarm" in result.stderr
        assert result.stderr.count("\n") == 1
    assert _fired(markers) == []
