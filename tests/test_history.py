"""``keyscan history`` over scripted repositories: exact provenance, status, dedupe, and ranges."""

from __future__ import annotations

import json
import uuid
from array import array
from pathlib import Path
from typing import Any

import pytest

from keyscan import gitcmd
from keyscan.engine.prefilter import fast_matcher_available
from keyscan.sources import blobscan, catfile, history
from keyscan.sources.history import walk_history
from tests.clirun import run_cli
from tests.gitrepo import ALICE, BOB, GitRepo
from tests.tokens import github_token

RULE = "github-pat-classic"


def _column(text: str, token: str) -> int:
    line = next(line for line in text.splitlines() if token in line)
    return line.index(token) + 1


def history_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("history", *args, "-f", "json", "--show-secrets", "--pure", "-q")
    assert "Traceback" not in result.stderr
    return result.code, json.loads(result.stdout)


def by_secret(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    findings = [f for f in report["findings"] if f["rule_id"] == RULE]
    secrets = [f["secret"] for f in findings]
    assert len(secrets) == len(set(secrets)), "one secret must be one finding"
    return {f["secret"]: f for f in findings}


class Story:
    """A history with branches, a merge, an evil merge, a rename, a deletion, a tag and a remote ref."""

    def __init__(self, root: Path) -> None:
        self.repo = repo = GitRepo(root / "story")
        self.t = {name: github_token() for name in "ABDEFGH"}
        t = self.t
        self.config1 = f'DEBUG = True\nNAME = "app"\nTOKEN = "{t["A"]}"\n'
        self.settings1 = f"X=1\nGITHUB_TOKEN={t['B']}\n"
        self.settings2 = f"X=2\nY=3\nGITHUB_TOKEN={t['B']}\n"
        self.values = f'github:\n  token: "{t["B"]}"\n'
        self.old = f"legacy notes\nkey {t['D']}\n"
        self.feature = f'def f():\n    return "{t["E"]}"\n'
        self.merged = f"TOKEN={t['G']}\n"
        self.vendor = f"key={t['F']}\n"
        self.wip = f"\n\n  wip = '{t['H']}'\n"
        self.c1 = repo.commit("initial", {"README.md": "hello\n", "config.py": self.config1})
        self.c2 = repo.commit("add settings", {"settings.env": self.settings1, "notes/old.txt": self.old})
        self.c3 = repo.commit("read the token from the environment", {
            "config.py": 'DEBUG = True\nNAME = "app"\nTOKEN = os.environ["TOKEN"]\n',
            "settings.env": self.settings2}, author=BOB)
        self.c4 = repo.commit("deploy values", {"deploy/values.yaml": self.values})
        self.c5 = repo.commit("drop old notes", {"notes/old.txt": None})
        repo.git("mv", "settings.env", "conf.env")
        self.c6 = repo.commit("rename settings")
        repo.checkout("-b", "feature")
        self.f1 = repo.commit("feature work", {"feature.py": self.feature}, author=BOB)
        repo.checkout("main")
        self.c7 = repo.commit("main moves on", {"README.md": "hello again\n"})
        self.m1 = repo.merge("feature", "Merge branch 'feature'")
        repo.checkout("-b", "side")
        self.s1 = repo.commit("side work", {"side.txt": "side\n"})
        repo.checkout("main")
        self.c8 = repo.commit("other work", {"other.txt": "other\n"})
        self.m2 = repo.merge("side", "Merge branch 'side'", resolve={"merged.cfg": self.merged})
        # a commit reachable only from a tag
        repo.checkout("--orphan", "vendor")
        repo.git("rm", "-rfq", ".")
        self.t1 = repo.commit("vendor drop", {"vendor.txt": self.vendor})
        repo.git("tag", "-a", "-m", "old vendor drop", "vendor-2019")
        # a commit reachable only from a remote-tracking ref
        repo.checkout("-b", "wip", "main")
        self.w1 = repo.commit("wip", {"wip.txt": self.wip}, author=BOB)
        repo.git("update-ref", "refs/remotes/origin/wip", self.w1)
        repo.checkout("main")
        repo.git("branch", "-D", "vendor", "wip")


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    return Story(tmp_path_factory.mktemp("history"))


@pytest.fixture(scope="module")
def story_report(story: Story) -> tuple[int, dict[str, Any]]:
    return history_json(str(story.repo.path), "-j", "1")


def test_every_secret_is_found_once_with_its_introducing_commit(story: Story, story_report) -> None:  # type: ignore[no-untyped-def]
    code, report = story_report
    assert code == 1
    found = by_secret(report)
    assert set(found) == set(story.t.values())
    t = story.t
    expected = {
        # secret: (commit, path, line, column, status, author, subject)
        t["A"]: (story.c1, "config.py", 3, _column(story.config1, t["A"]), "removed", ALICE, "initial"),
        t["B"]: (story.c2, "settings.env", 2, _column(story.settings1, t["B"]), "present", ALICE, "add settings"),
        t["D"]: (story.c2, "notes/old.txt", 2, 5, "removed", ALICE, "add settings"),
        t["E"]: (story.f1, "feature.py", 2, _column(story.feature, t["E"]), "present", BOB, "feature work"),
        t["G"]: (story.m2, "merged.cfg", 1, 7, "present", ALICE, "Merge branch 'side'"),
        t["F"]: (story.t1, "vendor.txt", 1, 5, "removed", ALICE, "vendor drop"),
        t["H"]: (story.w1, "wip.txt", 3, _column(story.wip, t["H"]), "removed", BOB, "wip"),
    }
    for secret, (commit, path, line, column, status, author, subject) in expected.items():
        finding = found[secret]
        got = (finding["commit"], finding["path"], finding["line"], finding["column"], finding["status"],
               (finding["author"], finding["email"]), finding["subject"])
        assert got == (commit, path, line, column, status, author, subject), secret[-4:]
        assert finding["date"].startswith("2024-01-01T00:")


def test_dates_follow_the_commit_order(story: Story, story_report) -> None:  # type: ignore[no-untyped-def]
    found = by_secret(story_report[1])
    assert found[story.t["A"]]["date"] == "2024-01-01T00:00:01+00:00"
    assert found[story.t["A"]]["date"] < found[story.t["B"]]["date"] < found[story.t["G"]]["date"]


def test_same_secret_in_edits_renames_and_another_file_is_one_finding_with_occurrences(
        story: Story, story_report) -> None:  # type: ignore[no-untyped-def]
    finding = by_secret(story_report[1])[story.t["B"]]
    column2 = _column(story.settings2, story.t["B"])
    assert finding["occurrences"] == [
        {"commit": story.c3, "path": "settings.env", "line": 3, "column": column2},
        {"commit": story.c4, "path": "deploy/values.yaml", "line": 2, "column": _column(story.values, story.t["B"])},
        {"commit": story.c6, "path": "conf.env", "line": 3, "column": column2},
    ]
    assert by_secret(story_report[1])[story.t["A"]]["occurrences"] == []


def test_summary_counts_commits_and_blobs(story: Story, story_report) -> None:  # type: ignore[no-untyped-def]
    summary = story_report[1]["summary"]
    commits = int(story.repo.git("rev-list", "--all", "--count"))
    assert summary["commits_scanned"] == commits == 14
    blobs = set(story.repo.git("rev-list", "--all", "--objects").split("\n"))
    listed = story.repo.git("cat-file", "--batch-check", "--batch-all-objects")
    all_blobs = {line.split()[0] for line in listed.splitlines() if line.split()[1] == "blob"}
    reachable = {line.split()[0] for line in blobs} & all_blobs
    assert summary["blobs_scanned"] == len(reachable)
    assert summary["complete"] is True


def test_parallel_workers_give_the_same_report(story: Story, story_report, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from keyscan.sources import blobscan

    monkeypatch.setattr(blobscan, "SERIAL_BELOW", 0)
    monkeypatch.setattr(blobscan, "BATCH_BLOBS", 2)
    code, report = history_json(str(story.repo.path), "-j", "2")
    assert code == story_report[0]
    assert report["findings"] == story_report[1]["findings"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_scanning_while_the_walk_goes_on_gives_the_report_of_a_scan_after_it(
        story: Story, monkeypatch: pytest.MonkeyPatch, jobs: str) -> None:
    """The workers start on the first blobs while git still lists the history (``BlobScan``): findings,
    introducing commits, status, occurrences and counts are those of a scan started after the walk,
    with stretches so small that predecessors and carried secrets cross from stretch to stretch."""
    monkeypatch.setattr(blobscan, "SERIAL_BELOW", 0)
    monkeypatch.setattr(blobscan, "BATCH_BLOBS", 2)
    monkeypatch.setattr(blobscan, "STREAM_FROM", 10**9)  # not before the walk is complete
    code, after_walk = history_json(str(story.repo.path), "-j", jobs, "--no-cache")
    started: list[tuple[int, int]] = []  # (blobs known, commits walked) when the workers started
    real_start = blobscan.BlobScan._start

    def spy(self: blobscan.BlobScan, *, complete: bool) -> None:
        started.append((self.seen, int(complete)))
        real_start(self, complete=complete)

    monkeypatch.setattr(blobscan.BlobScan, "_start", spy)
    monkeypatch.setattr(blobscan, "STREAM_FROM", 1)
    monkeypatch.setattr(blobscan, "LINEAGE_STRETCH", 3)
    monkeypatch.setattr(history, "FEED_EVERY", 1)
    streamed_code, streamed = history_json(str(story.repo.path), "-j", jobs, "--no-cache")
    assert streamed_code == code == 1
    assert streamed["findings"] == after_walk["findings"]
    ignore = {"duration_seconds"}
    assert {k: v for k, v in streamed["summary"].items() if k not in ignore} == \
        {k: v for k, v in after_walk["summary"].items() if k not in ignore}
    assert len(started) == 1 and started[0][1] == 0  # started while the walk was going on...
    assert started[0][0] < streamed["summary"]["blobs_scanned"]  # ...with only some of the blobs known


def test_branch_limits_the_walk_and_status_follows_that_branch(story: Story) -> None:
    code, report = history_json(str(story.repo.path), "--branch", "feature")
    assert code == 1
    found = by_secret(report)
    # feature branched at c6: A, B and D are in its history; E is its own; nothing from later main
    assert set(found) == {story.t[k] for k in "ABDE"}
    assert found[story.t["E"]]["status"] == "present"
    assert found[story.t["D"]]["status"] == "removed"
    assert report["summary"]["commits_scanned"] == 7


def test_one_cat_file_process_streams_every_blob(story: Story, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    started: list[list[str]] = []
    real = catfile.popen_git

    def counting(repo, args):  # type: ignore[no-untyped-def]
        started.append(list(args))
        return real(repo, args)

    monkeypatch.setattr(catfile, "popen_git", counting)
    code, report = history_json(str(story.repo.path), "-j", "1")
    assert code == 1
    assert report["summary"]["blobs_scanned"] > 10
    assert sorted(a[a.index("cat-file") + 1] for a in started) == ["--batch", "--batch-check"]


def test_the_walk_sees_merge_created_blobs_and_root_files(story: Story) -> None:
    walk = walk_history(str(story.repo.path), ["--all"])
    order = walk.commits.ids()
    assert order.index(story.c1) < order.index(story.c2) < order.index(story.m1)
    assert order.index(story.f1) < order.index(story.m1)
    paths = {job.path for job in walk.blobs}
    assert {"README.md", "config.py", "merged.cfg", "vendor.txt"} <= paths
    merged = next(job for job in walk.blobs if job.path == "merged.cfg")
    assert walk.commits.id(merged.commit) == story.m2


# -- ranges ---------------------------------------------------------------------------------


class PullRequest:
    """main with old secrets; a PR branch that adds two, merges main, renames and edits old files."""

    def __init__(self, root: Path) -> None:
        self.repo = repo = GitRepo(root / "pr")
        self.t = {name: github_token() for name in ("old", "main_later", "pr1", "pr2", "in_merge")}
        t = self.t
        self.b1 = repo.commit("base", {"app.py": f"A = 1\nKEY = '{t['old']}'\n", "lib.py": "x = 1\n"})
        self.base = repo.commit("base 2", {"docs.md": "docs\n"})
        repo.checkout("-b", "pr")
        self.pr_text1 = f"import os\nTOKEN = '{t['pr1']}'\n"
        self.p1 = repo.commit("pr: add client", {"client.py": self.pr_text1}, author=BOB)
        repo.checkout("main")
        self.main_text = f"LATER = '{t['main_later']}'\n"
        self.main2 = repo.commit("main: later work", {"later.py": self.main_text})
        repo.checkout("pr")
        self.pm = repo.merge("main", "Merge main into pr", author=BOB)
        repo.git("mv", "app.py", "application.py")  # a rename that carries the old secret along
        self.p2 = repo.commit("pr: rename app", author=BOB)
        self.pr_text2 = self.pr_text1 + f"OTHER = '{t['pr2']}'\n"
        self.p3 = repo.commit("pr: second token; edit a file holding an old secret", {
            "client.py": self.pr_text2,
            "application.py": f"A = 2\nKEY = '{t['old']}'\n"}, author=BOB)
        repo.checkout("-b", "pr2")
        self.evil = repo.merge("main", "Merge main again", author=BOB,
                               resolve={"later.py": self.main_text + f"MORE = '{t['in_merge']}'\n"})
        repo.checkout("pr")
        repo.checkout("main")


@pytest.fixture(scope="module")
def pull_request(tmp_path_factory: pytest.TempPathFactory) -> PullRequest:
    return PullRequest(tmp_path_factory.mktemp("range"))


def test_range_reports_only_what_the_range_added(pull_request: PullRequest) -> None:
    pr, t = pull_request, pull_request.t
    code, report = history_json(str(pr.repo.path), "--range", "main..pr")
    assert code == 1
    found = by_secret(report)
    assert set(found) == {t["pr1"], t["pr2"]}
    first = found[t["pr1"]]
    assert (first["commit"], first["path"], first["line"], first["column"]) == (pr.p1, "client.py", 2, 10)
    assert first["occurrences"] == [{"commit": pr.p3, "path": "client.py", "line": 2, "column": 10}]
    second = found[t["pr2"]]
    assert (second["commit"], second["path"], second["line"]) == (pr.p3, "client.py", 3)
    # status is relative to the tip of the range (pr), not the checked-out main
    assert first["status"] == second["status"] == "present"
    assert report["summary"]["commits_scanned"] == 4


def test_range_from_an_older_base_includes_the_merged_main_commits(pull_request: PullRequest) -> None:
    pr, t = pull_request, pull_request.t
    code, report = history_json(str(pr.repo.path), "--range", f"{pr.base}..pr")
    assert code == 1
    assert set(by_secret(report)) == {t["pr1"], t["pr2"], t["main_later"]}


def test_a_merge_that_adds_content_is_blamed_in_a_range(pull_request: PullRequest) -> None:
    pr, t = pull_request, pull_request.t
    code, report = history_json(str(pr.repo.path), "--range", "pr..pr2")
    assert code == 1
    found = by_secret(report)
    assert set(found) == {t["in_merge"]}
    assert (found[t["in_merge"]]["commit"], found[t["in_merge"]]["path"]) == (pr.evil, "later.py")


def test_since_scans_from_a_ref_to_head(pull_request: PullRequest) -> None:
    pr = pull_request
    pr.repo.checkout("pr")
    try:
        code, report = history_json(str(pr.repo.path), "--since", "main")
    finally:
        pr.repo.checkout("main")
    assert code == 1
    assert set(by_secret(report)) == {pr.t["pr1"], pr.t["pr2"]}


def test_new_branch_scans_commits_no_other_ref_has(pull_request: PullRequest) -> None:
    pr = pull_request
    pr.repo.git("update-ref", "refs/remotes/origin/pr", pr.p3)  # the pushed branch's own remote copy
    pr.repo.checkout("pr")  # HEAD on the branch itself must not hide it
    try:
        code, report = history_json(str(pr.repo.path), "--new-branch", "pr")
    finally:
        pr.repo.checkout("main")
        pr.repo.git("update-ref", "-d", "refs/remotes/origin/pr")
    # pr2 contains all of pr, so only a branch that nothing else contains has new commits
    assert (code, by_secret(report)) == (0, {})
    code, report = history_json(str(pr.repo.path), "--new-branch", "pr2")
    assert code == 1
    assert set(by_secret(report)) == {pr.t["in_merge"]}


def test_empty_range_is_clean_with_a_note(pull_request: PullRequest) -> None:
    code, report = history_json(str(pull_request.repo.path), "--range", "main..main")
    assert code == 0
    assert report["findings"] == []
    assert any("no commits in the range" in n for n in report["summary"]["notes"])


@pytest.mark.parametrize(("args", "message"), [
    (("--range", "main"), "BASE..HEAD"),
    (("--range", "main..nosuchref"), "unknown revision"),
    (("--branch", "--all"), "not a usable revision"),
    (("--branch", "main", "--since", "main"), "cannot be combined"),
])
def test_bad_selections_are_one_clear_error(pull_request: PullRequest, args, message) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("history", str(pull_request.repo.path), *args, "--pure", "-q")
    assert result.code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


# -- versions scanned as their changes ------------------------------------------------------------


class Edits:
    """One long file edited many times: a secret arrives in an edit, survives edits elsewhere, moves,
    is removed; an AWS secret key becomes reportable only when its key id arrives seven lines away
    (further than the context kept around a change); a Codecov token only when ``codecov:`` is
    written six lines above it."""

    def __init__(self, root: Path) -> None:
        from tests.tokens import aws_key_id, aws_secret

        self.repo = repo = GitRepo(root / "edits")
        body = [f"setting_{i} = {i}  # a line of configuration that stays" for i in range(300)]
        self.token, self.secret_key, self.key_id = github_token(), aws_secret(), aws_key_id()
        self.codecov = str(uuid.uuid4())

        def text(lines: list[str]) -> str:
            return "\n".join(lines) + "\n"

        self.versions = []
        lines = list(body)
        self.versions.append(repo.commit("v1", {"settings.py": text(lines)}))
        lines[150] = f'GITHUB_TOKEN = "{self.token}"'
        self.versions.append(repo.commit("v2: add a token", {"settings.py": text(lines)}))
        for step in range(3):
            lines[10 + step] = f"setting_edit_{step} = True"
            lines[280 - step] = f"setting_tail_{step} = True"
            self.versions.append(repo.commit(f"edit {step}", {"settings.py": text(lines)}))
        lines.insert(20, "# a new line above moves the token down")
        self.versions.append(repo.commit("move", {"settings.py": text(lines)}))
        lines[151] = "GITHUB_TOKEN = os.environ['GITHUB_TOKEN']"
        self.versions.append(repo.commit("remove the token", {"settings.py": text(lines)}))
        lines[200] = f"secret_key = {self.secret_key}"
        self.versions.append(repo.commit("a value without its key id", {"settings.py": text(lines)}))
        lines[193] = f"access_key_id = {self.key_id}"
        self.versions.append(repo.commit("its key id, seven lines up", {"settings.py": text(lines)}))
        yaml = ["coverage:", "  precision: 2", "  round: down", "  range: 70..100", f"  token: {self.codecov}"]
        self.versions.append(repo.commit("coverage settings", {"codecov.yml": text(yaml)}))
        yaml[0:1] = ["codecov:", "  notify:", "    wait_for_ci: true"]
        self.versions.append(repo.commit("now under codecov:", {"codecov.yml": text(yaml)}))


@pytest.fixture(scope="module")
def edits(tmp_path_factory: pytest.TempPathFactory) -> Edits:
    return Edits(tmp_path_factory.mktemp("edits"))


def test_changed_lines_scanning_gives_the_whole_scan_answers(edits: Edits) -> None:
    code, focused = history_json(str(edits.repo.path), "-j", "1")
    _, whole = history_json(str(edits.repo.path), "-j", "1", "--full-blobs")
    assert code == 1
    assert focused["findings"] == whole["findings"]
    found = {f["secret"]: f for f in focused["findings"]}
    token = found[edits.token]
    assert (token["commit"], token["line"], token["status"]) == (edits.versions[1], 151, "removed")
    # every version that still held it is an occurrence, though only the first one changed that line
    assert [(o["commit"], o["line"]) for o in token["occurrences"]] == \
        [(commit, 151) for commit in edits.versions[2:5]] + [(edits.versions[5], 152)]
    assert found[edits.secret_key]["commit"] == edits.versions[8]
    assert found[edits.codecov]["commit"] == edits.versions[10]
    assert found[edits.codecov]["status"] == "present"


def test_full_blobs_is_a_separate_cache_answer(edits: Edits, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYSCAN_CACHE_DIR", str(tmp_path / "cache"))
    run_cli("history", str(edits.repo.path), "-q", "-f", "json", "--pure")
    result = run_cli("history", str(edits.repo.path), "-q", "-f", "json", "--pure", "--full-blobs")
    assert json.loads(result.stdout)["summary"]["skipped"]["cached"] == 0


def test_a_small_history_is_scanned_whole_without_building_the_focus(edits: Edits,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Under ``FOCUS_FROM_BLOBS`` blobs (a push's range, a pre-push check) nothing is focused: the rule
    reach analysis is not even built, and the answers are those of a focused scan."""
    _, focused = history_json(str(edits.repo.path), "-j", "1", "--no-cache")
    monkeypatch.setattr(blobscan, "FOCUS_FROM_BLOBS", 1000)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the focus policy was built for a small history")

    monkeypatch.setattr(history.DeltaPolicy, "for_rules", refuse)
    _, small = history_json(str(edits.repo.path), "-j", "1", "--no-cache")
    assert small["findings"] == focused["findings"] and small["findings"]


def test_changed_lines_on_awkward_files_match_whole_scans(tmp_path: Path) -> None:
    """A 2 MB one-line minified file, CRLF line ends, invalid UTF-8 and a file that turns binary, each
    modified over several commits with a secret arriving late: the same answers both ways, no traceback."""
    repo = GitRepo(tmp_path / "awkward")
    minified = "var a=" + ";".join(f"f{i}(x{i})" for i in range(200_000)) + ";\n"
    crlf = "".join(f"line {i}\r\n" for i in range(500))
    latin = b"".join(b"caf\xe9 %d\n" % i for i in range(500))
    tokens = [github_token() for _ in range(4)]
    repo.commit("start", {"app.min.js": minified, "win.txt": crlf, "latin.txt": latin, "data.txt": "plain\n" * 300})
    repo.commit("edit", {"app.min.js": minified.replace("f100(x100)", "f100(y)"),
                         "win.txt": crlf.replace("line 250\r\n", "line 250 edited\r\n"),
                         "latin.txt": latin.replace(b"caf\xe9 250\n", b"caf\xe9 edited\n")})
    repo.commit("secrets", {"app.min.js": minified.replace("f100(x100)", f'f100("{tokens[0]}")'),
                            "win.txt": crlf.replace("line 300\r\n", f"token = {tokens[1]}\r\n"),
                            "latin.txt": latin.replace(b"caf\xe9 300\n", f"caf\xe9 {tokens[2]}\n".encode("latin-1")),
                            "data.txt": "plain\n" * 150 + f"key={tokens[3]}\n" + "\x00binary now\n"})
    code, focused = history_json(str(repo.path), "-j", "1")
    _, whole = history_json(str(repo.path), "-j", "1", "--full-blobs")
    assert code == 1 and focused["findings"] == whole["findings"]
    found = {f["secret"] for f in focused["findings"]}
    assert set(tokens[:3]) <= found  # the fourth is in a file git would call binary: not scanned as text


@pytest.mark.parametrize("chunked", [False, True])
def test_the_walk_first_git_command_is_started_once_before_the_rules_load(story: Story,
                                                                         monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: Path, chunked: bool) -> None:
    """``keyscan history`` starts its walk's first git command (``git log``, or in a large repository
    ``rev-list``, the walk's order) before loading the rules (git sorts the history meanwhile); the walk
    takes that process instead of starting another, with or without the cache: a history new to the
    cache is walked once (and stored), a known one starts with the commit list."""
    from keyscan import pipeline

    events: list[str] = []
    real_popen, real_prepare = history.popen_git, pipeline.prepare

    def popen(repo: str, args: list[str]):  # type: ignore[no-untyped-def]
        events.append(" ".join([gitcmd.subcommand(args)] + [a for a in args if a == "--raw"]))
        return real_popen(repo, args)

    def prepare(*args, **kwargs):  # type: ignore[no-untyped-def]
        events.append("rules")
        return real_prepare(*args, **kwargs)

    monkeypatch.setattr(history, "popen_git", popen)
    monkeypatch.setattr("keyscan.commands.history.prepare", prepare)
    monkeypatch.setenv("KEYSCAN_CACHE_DIR", str(tmp_path / "cache"))
    if chunked:
        monkeypatch.setattr(history, "CHUNKS_FROM_OBJECTS", 0)
    walk = ["rev-list", "rules", "log --raw"] if chunked else ["log --raw", "rules"]
    code, report = history_json(str(story.repo.path), "--no-cache")
    assert code == 1 and events == walk
    events.clear()
    code, first = history_json(str(story.repo.path))  # new to the cache: one walk, stored as it goes
    assert code == 1 and events == walk
    events.clear()
    code, cached = history_json(str(story.repo.path))  # known: the cache's walk starts with the commit list
    assert code == 1 and events[:2] == ["log", "rules"] and events.count("log") == 1
    assert "log --raw" not in events  # every commit's diff came from the cache
    assert cached["findings"] == first["findings"] == report["findings"]


def test_an_early_git_command_nobody_takes_is_ended(story: Story) -> None:
    early = history.EarlyStart(str(story.repo.path), history.order_args(["--all"]))
    proc = early.proc
    assert early.take(str(story.repo.path), ["log", "--other"]) is None
    early.close()
    assert proc is not None and proc.returncode is not None and early.proc is None


def test_small_blobs_with_nothing_a_rule_looks_for_skip_the_detector(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A small blob scanned whole is first asked whether any rule can match (``Detector.may_find``):
    plain code never reaches the detector, the file with a token does, and is reported."""
    repo = GitRepo(tmp_path / "small")
    token = github_token()
    repo.commit("code", {"calc.py": "def add(a, b):\n    return a + b\n", "notes.txt": "nothing here\n",
                         "app.env": f"GITHUB_TOKEN={token}\n"})
    scanned: list[str] = []
    real = blobscan.scan_bytes

    def spy(detector, data, path, result, **kwargs):  # type: ignore[no-untyped-def]
        scanned.append(path)
        return real(detector, data, path, result, **kwargs)

    monkeypatch.setattr(blobscan, "scan_bytes", spy)
    for mode in ([] if fast_matcher_available() else ["--pure"]), ["--pure"]:
        scanned.clear()
        result = run_cli("history", str(repo.path), "-j", "1", "--no-cache", "-f", "json", "--show-secrets", "-q",
                         *mode)
        report = json.loads(result.stdout)
        assert result.code == 1 and set(by_secret(report)) == {token}
        assert report["summary"]["blobs_scanned"] == 3
        # with --pure the keyword-less token rules run on every text, so nothing can be skipped
        assert sorted(scanned) == (["app.env", "calc.py", "notes.txt"] if mode else ["app.env"])


def test_a_scan_ends_in_small_batches_so_the_workers_finish_together() -> None:
    """The last ``TAIL_BLOBS`` of a first reading go out ``TAIL_BATCH`` at a time; every blob once."""

    class Collect:
        def __init__(self) -> None:
            self.batches: list[list[Any]] = []

        def submit(self, batch: list[Any]) -> None:
            self.batches.append(batch)

    jobs = [blobscan.BlobJob(f"{i:040x}", f"file{i % 7}.txt") for i in range(3000)]
    sizes = {}
    for last in (False, True):
        collect = Collect()
        none = array("i", [blobscan.NO_PREDECESSOR]) * 3000
        blobscan._submit(collect, jobs, None, list(range(3000)), none, first=True, last=last)  # type: ignore[arg-type]
        assert [item[0] for batch in collect.batches for item in batch] == list(range(3000))  # each once
        sizes[last] = [len(batch) for batch in collect.batches]
    assert sizes[False] == [blobscan.BATCH_BLOBS] * 11 + [3000 - 11 * blobscan.BATCH_BLOBS]
    assert max(sizes[True]) <= blobscan.BATCH_BLOBS
    tail = [size for size in sizes[True] if size <= blobscan.TAIL_BATCH]
    assert sizes[True][-len(tail):] == tail and sum(tail) >= blobscan.TAIL_BLOBS - blobscan.TAIL_BATCH


@pytest.mark.parametrize(("loose", "packed", "chunked"), [(5, 199_995, True), (5, 199_994, False), (0, 0, False)])
def test_a_repository_walks_in_chunks_from_its_object_count(monkeypatch: pytest.MonkeyPatch, loose: int,
                                                            packed: int, chunked: bool) -> None:
    out = (f"count: {loose}\nsize: 1\nin-pack: {packed}\npacks: 1\nsize-pack: 9\nprune-packable: 0\n"
           "garbage: 0\nsize-garbage: 0\n").encode()
    monkeypatch.setattr(history, "run_git", lambda repo, args, check=True: out if args[0] == "count-objects" else b"")
    assert history.walks_in_chunks("/anywhere") is chunked
