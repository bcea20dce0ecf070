"""The GitHub Action: ``python -m keyscan.ci.github`` run as the runner runs it, on real repositories.

Each test builds a scripted git repository (a clone, like actions/checkout with
``fetch-depth: 0``, where the event needs one), writes an event payload from
``tests/fixtures/events`` with the real commit ids, runs the module with the
``GITHUB_*`` variables, and checks the exit code, the ``$GITHUB_OUTPUT`` and
``$GITHUB_STEP_SUMMARY`` files, the annotations on stdout, the SARIF file and
the exact range scanned.  No output may hold a raw secret.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import string
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from keyscan.cache import FILE_NAME
from keyscan.ci.events import EventError, plan_for
from keyscan.ci.workflow import (
    annotation,
    command,
    escape_data,
    escape_property,
    set_outputs,
    summary_markdown,
)
from keyscan.redact import fingerprint
from keyscan.settings import DEFAULT_FINGERPRINT_KEY
from tests.gitrepo import BOB, GitRepo
from tests.tokens import github_token, random_text

ROOT = Path(__file__).resolve().parent.parent
EVENTS = Path(__file__).parent / "fixtures" / "events"
SCHEMA = Path(__file__).parent / "data" / "sarif-2.1.0.json"
LOWER = string.ascii_lowercase + string.digits


@dataclass
class ActionRun:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    sarif: dict[str, Any] | None
    files: list[Path]

    def annotations(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith(("::error ", "::warning "))]

    def errors(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::error")]

    def leaked(self, *secrets: str) -> list[str]:
        """Which outputs hold one of ``secrets`` (or most of one)."""
        texts = {"stdout": self.stdout, "stderr": self.stderr, "summary": self.summary,
                 "outputs": json.dumps(self.outputs), "sarif": json.dumps(self.sarif)}
        return [name for name, text in texts.items() for s in secrets if s in text or s[-16:] in text]


def payload(name: str, **values: str) -> str:
    text = (EVENTS / f"{name}.json").read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    assert "@" not in re.sub(r"[\w.-]+@example\.com", "", text), "a placeholder was left unfilled"
    return text


def run_action(tmp_path: Path, repo: Path, event: str, event_json: str, **inputs: str) -> ActionRun:
    work = tmp_path / "runner"
    work.mkdir(exist_ok=True)
    event_path, outputs, summary = work / "event.json", work / "output.txt", work / "summary.md"
    for path in (outputs, summary):
        path.write_text("", encoding="utf-8")
    event_path.write_text(event_json, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "KEYSCAN_INPUT_"))}
    env.update(CI="true", GITHUB_ACTIONS="true", GITHUB_EVENT_NAME=event, GITHUB_EVENT_PATH=str(event_path),
               GITHUB_OUTPUT=str(outputs), GITHUB_STEP_SUMMARY=str(summary), GITHUB_WORKSPACE=str(repo),
               RUNNER_TEMP=str(work), KEYSCAN_INPUT_SARIF_FILE="keyscan.sarif",
               KEYSCAN_INPUT_FAIL_ON_FINDINGS="true")
    env.update({f"KEYSCAN_INPUT_{k.upper()}": v for k, v in inputs.items()})
    completed = subprocess.run([sys.executable, "-m", "keyscan.ci.github"], cwd=repo, env=env,
                               capture_output=True, text=True, timeout=300, check=False)
    assert "Traceback" not in completed.stdout + completed.stderr, completed.stdout + completed.stderr
    parsed = parse_outputs(outputs.read_text(encoding="utf-8"))
    sarif_path = repo / parsed["sarif-file"] if parsed.get("sarif-file") else None
    sarif = json.loads(sarif_path.read_text(encoding="utf-8")) if sarif_path else None
    leftovers = [p for p in work.iterdir() if p.name.startswith("keyscan-ci-")]
    return ActionRun(completed.returncode, completed.stdout, completed.stderr, parsed,
                     summary.read_text(encoding="utf-8"), sarif, leftovers)


def parse_outputs(text: str) -> dict[str, str]:
    """``name=value`` and ``name<<DELIMITER`` blocks, as the runner reads ``$GITHUB_OUTPUT``."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            for item in lines:
                if item == delimiter:
                    break
                body.append(item)
            values[name] = "\n".join(body)
        elif line:
            name, _, value = line.partition("=")
            values[name] = value
    return values


def sarif_results(run: ActionRun) -> list[dict[str, Any]]:
    assert run.sarif is not None
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(run.sarif)
    return run.sarif["runs"][0]["results"]


def token_line(token: str) -> str:
    return f'API_TOKEN = "{token}"\n'


def clone(origin: GitRepo, path: Path, *args: str) -> GitRepo:
    """A checkout as actions/checkout makes it: remote-tracking refs under refs/remotes/origin."""
    subprocess.run(["git", "clone", "-q", *args, f"file://{origin.path}", str(path)], check=True,
                   env=origin.env, capture_output=True)
    return GitRepo(path, init=False)


# -- one event type each ------------------------------------------------------------------------


def test_push_scans_before_to_after(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    old, new, newer = github_token(), github_token(), github_token()
    before = repo.commit("old leak", {"legacy.py": token_line(old)})
    repo.commit("leak one", {"src/app.py": "x = 1\n" + token_line(new)})
    after = repo.commit("leak two", {"deploy/values,prod.yaml": f"token: {newer}\n"}, author=BOB)

    run = run_action(tmp_path, repo.path, "push", payload("push", BEFORE=before, AFTER=after))

    assert run.code == 1
    assert run.outputs["scanned"] == f"range {before}..{after}"
    assert run.outputs["commits"] == "2"
    assert run.outputs["findings"] == "2"
    assert run.outputs["sarif-file"] == "keyscan.sarif"
    results = sarif_results(run)
    assert sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results) == \
        ["deploy/values%2Cprod.yaml", "src/app.py"]
    column = token_line(new).index(new) + 1
    assert (f"::error file=src/app.py,line=2,endLine=2,col={column},endColumn={column + len(new) - 1},"
            "title=keyscan%3A github-pat-classic::") in run.stdout
    assert any(a.startswith("::error file=deploy/values%2Cprod.yaml,line=1,") for a in run.annotations())
    assert len(run.annotations()) == 2
    assert "| Severity | Rule | Where |" in run.summary and "`src/app.py:2`" in run.summary
    assert f"range {before}..{after}" in run.summary
    assert run.leaked(old, new, newer) == []
    assert run.files == [], "the temporary directory is removed"


def test_new_branch_push_scans_only_the_commits_no_other_ref_has(tmp_path: Path) -> None:
    origin = GitRepo(tmp_path / "origin")
    on_main, on_branch = github_token(), github_token()
    origin.commit("main work", {"main.py": token_line(on_main)})
    origin.checkout("-b", "feature/login")
    first = origin.commit("login form", {"login.py": token_line(on_branch)}, author=BOB)
    after = origin.commit("more login", {"login.py": token_line(on_branch) + "ok = True\n"}, author=BOB)
    origin.checkout("main")
    checkout = clone(origin, tmp_path / "checkout")  # main checked out; the branch is origin/feature/login

    run = run_action(tmp_path, checkout.path, "push", payload("push-new-branch", AFTER=after))

    assert run.code == 1
    assert run.outputs["scanned"] == "new-branch refs/remotes/origin/feature/login"
    assert run.outputs["commits"] == "2"
    assert run.outputs["findings"] == "1"
    (result,) = sarif_results(run)
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "login.py"
    assert first[:12] in result["message"]["text"] and result["properties"]["commit"] == first
    assert run.leaked(on_main, on_branch) == []


def test_pull_request_scans_base_to_head(tmp_path: Path) -> None:
    origin = GitRepo(tmp_path / "origin")
    on_main_before, on_main_after, in_pr = github_token(), github_token(), github_token()
    origin.commit("start", {"README.md": "hello\n", "old.py": token_line(on_main_before)})
    origin.checkout("-b", "feature/login")
    leak = origin.commit("login form", {"login.py": token_line(in_pr)}, author=BOB)
    head = origin.commit("tidy", {"README.md": "hello, login\n"}, author=BOB)
    origin.checkout("main")
    base = origin.commit("main moves on", {"main.py": token_line(on_main_after)})
    checkout = clone(origin, tmp_path / "checkout")

    run = run_action(tmp_path, checkout.path, "pull_request", payload("pull_request", BASE=base, HEAD=head))

    assert run.code == 1
    assert run.outputs["scanned"] == f"range {base}..{head}"
    assert run.outputs["commits"] == "2"
    assert run.outputs["findings"] == "1"
    (result,) = sarif_results(run)
    assert result["properties"]["commit"] == leak
    assert result["properties"]["status"] == "present"
    assert run.annotations()[0].startswith("::error file=login.py,line=1,")
    assert "the base commit" in run.summary  # where the config came from is said
    assert run.leaked(on_main_before, on_main_after, in_pr) == []


@pytest.mark.parametrize("event", ["schedule", "workflow_dispatch"])
def test_schedule_and_manual_runs_scan_the_whole_history(tmp_path: Path, event: str) -> None:
    repo = GitRepo(tmp_path / "repo")
    removed, present, elsewhere = github_token(), github_token(), github_token()
    repo.commit("leak", {"old.py": token_line(removed)})
    repo.commit("remove it", {"old.py": None})
    repo.commit("another", {"app.py": token_line(present)})
    repo.checkout("-b", "side")
    repo.commit("side work", {"side.py": token_line(elsewhere)})
    repo.checkout("main")

    run = run_action(tmp_path, repo.path, event, payload(event))

    assert run.code == 1
    assert run.outputs["scanned"] == "history (all refs)"
    assert run.outputs["commits"] == "4"
    assert run.outputs["findings"] == "3"
    statuses = sorted(r["properties"]["status"] for r in sarif_results(run))
    assert statuses == ["present", "removed", "removed"]  # side.py is not in HEAD's tree
    assert "removed since but still in the git history" in run.stdout
    assert run.leaked(removed, present, elsewhere) == []


def test_branch_deletion_scans_nothing(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    tip = repo.commit("leak", {"a.py": token_line(github_token())})

    run = run_action(tmp_path, repo.path, "push", payload("push-delete", BEFORE=tip))

    assert run.code == 0
    assert run.outputs == {"findings": "0", "sarif-file": "", "commits": "0",
                           "scanned": "nothing (refs/heads/feature/login was deleted)"}
    assert run.annotations() == []
    assert not (repo.path / "keyscan.sarif").exists()


def test_findings_do_not_fail_the_step_when_asked_not_to(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    base = repo.commit("start", {"README.md": "hi\n"})
    head = repo.commit("leak", {"a.py": token_line(github_token())})

    run = run_action(tmp_path, repo.path, "push", payload("push", BEFORE=base, AFTER=head),
                     fail_on_findings="false", sarif_file="reports/out/keyscan.sarif")

    assert run.code == 0
    assert run.outputs["findings"] == "1"
    assert run.outputs["sarif-file"] == "reports/out/keyscan.sarif"
    assert len(sarif_results(run)) == 1
    assert len(run.annotations()) == 1


def test_clean_push_passes_and_skipping_sarif_writes_none(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    base = repo.commit("start", {"README.md": "hi\n"})
    head = repo.commit("docs", {"README.md": "hello\n"})

    run = run_action(tmp_path, repo.path, "push", payload("push", BEFORE=base, AFTER=head), sarif_file="")

    assert run.code == 0
    assert run.outputs == {"findings": "0", "sarif-file": "", "scanned": f"range {base}..{head}",
                           "commits": "1"}
    assert "no leaked secrets found" in run.summary
    assert run.annotations() == []


# -- a pull request cannot allow-list its own leak ------------------------------------------------


def test_pull_request_cannot_allow_list_its_own_leak(tmp_path: Path) -> None:
    accepted, sneaky, in_docs = github_token(), github_token(), github_token()
    origin = GitRepo(tmp_path / "origin")
    # The base accepts one known value (ignore file) and everything under docs/ (config).
    base = origin.commit("policy", {
        ".keyscanignore": f"{fingerprint(accepted, DEFAULT_FINGERPRINT_KEY)}  # rotated test fixture\n",
        ".keyscan.yaml": "allow:\n  paths: ['docs/**']\n",
    })
    origin.checkout("-b", "sneaky")
    head = origin.commit("add tokens and allow them", {
        "fixture.py": token_line(accepted),
        "docs/example.md": f"token {in_docs}\n",
        "src/client.py": token_line(sneaky),
        ".keyscanignore": "".join(fingerprint(t, DEFAULT_FINGERPRINT_KEY) + "\n" for t in (accepted, sneaky)),
        ".keyscan.yaml": "allow:\n  paths: ['docs/**', 'src/**']\n  values: ['ghp_']\n",
    }, author=BOB)
    checkout = clone(origin, tmp_path / "checkout", "--branch", "sneaky")  # the pull request's files on disk

    run = run_action(tmp_path, checkout.path, "pull_request", payload("pull_request", BASE=base, HEAD=head))

    assert run.code == 1
    assert run.outputs["findings"] == "1"
    (result,) = sarif_results(run)
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/client.py"
    assert "ignore\\-file" in run.summary or "ignore-file" in run.summary  # the base's entry did apply
    assert "config\\-path" in run.summary or "config-path" in run.summary
    assert run.leaked(accepted, sneaky, in_docs) == []


def test_pull_request_uses_the_base_pyproject_and_its_extra_rules(tmp_path: Path) -> None:
    """``[tool.keyscan]`` in the base's pyproject.toml, with a custom rule file it names, is honoured even
    though the pull request deletes both."""
    key, *examples = ("acmekey_" + random_text(24, LOWER) for _ in range(3))
    custom = yaml.safe_dump({"schema": "keyscan/rules/v1", "rules": [{
        "id": "acme-internal-key", "name": "ACME internal key", "provider": "acme", "severity": "high",
        "confidence": "high", "keywords": ["acmekey_"], "regex": r"\b(acmekey_[a-z0-9]{24})\b",
        "references": ["https://example.com/acme"], "help": "**What it is.** An ACME key.\n",
        "examples": {"positive": [{"text": f"k = {e}", "secret": e} for e in examples],
                     "negative": ["k = acmekey_short", "k = xacmekey_" + random_text(24, LOWER)]}}]})
    origin = GitRepo(tmp_path / "origin")
    base = origin.commit("policy", {
        "pyproject.toml": "[project]\nname = 'x'\n\n[tool.keyscan]\nrules = {extra = ['ci/rules']}\n",
        "ci/rules/acme.yaml": custom,
    })
    origin.checkout("-b", "pr")
    head = origin.commit("drop the policy, add a key", {
        "pyproject.toml": "[project]\nname = 'x'\n", "ci/rules/acme.yaml": None,
        "app.py": f"KEY = '{key}'\n",
    }, author=BOB)
    checkout = clone(origin, tmp_path / "checkout", "--branch", "pr")

    run = run_action(tmp_path, checkout.path, "pull_request", payload("pull_request", BASE=base, HEAD=head))

    assert run.code == 1, run.stdout
    assert [r["ruleId"] for r in sarif_results(run)] == ["acme-internal-key"]
    assert "pyproject.toml" in run.stdout


# -- missing commits fail clearly ----------------------------------------------------------------


def _shallow_story(tmp_path: Path) -> tuple[GitRepo, str, str]:
    origin = GitRepo(tmp_path / "origin")
    base = origin.commit("one", {"a.txt": "1\n"})
    origin.commit("two", {"a.txt": "2\n"})
    origin.checkout("-b", "feature")
    for number in range(3):
        origin.commit(f"feature {number}", {"f.txt": f"{number}\n"})
    head = origin.head()
    origin.checkout("main")
    return origin, base, head


def test_shallow_clone_missing_the_base_fails_clearly(tmp_path: Path) -> None:
    origin, base, head = _shallow_story(tmp_path)
    checkout = clone(origin, tmp_path / "checkout", "--depth", "1", "--branch", "feature")

    run = run_action(tmp_path, checkout.path, "pull_request", payload("pull_request", BASE=base, HEAD=head))

    assert run.code == 2
    (error,) = run.stdout.splitlines()[-1:]
    assert run.errors() == [error]
    assert error.startswith("::error::") and "shallow" in error and "fetch-depth: 0" in error
    assert base in error
    assert run.outputs == {}


def test_shallow_boundary_inside_the_range_fails_clearly(tmp_path: Path) -> None:
    """Both ends are present, but the history between them is cut: scanning would miss commits."""
    origin, _, head = _shallow_story(tmp_path)
    checkout = clone(origin, tmp_path / "checkout", "--depth", "2", "--branch", "feature")
    checkout.git("fetch", "-q", "--depth", "1", "origin", "main")
    base = checkout.git("rev-parse", "FETCH_HEAD")

    run = run_action(tmp_path, checkout.path, "pull_request", payload("pull_request", BASE=base, HEAD=head))

    assert run.code == 2
    assert len(run.errors()) == 1
    assert "history stops at commit" in run.errors()[0] and "fetch-depth: 0" in run.errors()[0]


def test_force_push_in_a_full_clone_scans_the_branch_commits(tmp_path: Path) -> None:
    """``before`` is gone after a force push; a full clone says so and scans what only the branch has."""
    origin = GitRepo(tmp_path / "origin")
    origin.commit("start", {"README.md": "hi\n"})
    origin.checkout("-b", "topic")
    gone = origin.commit("to be rewritten", {"t.txt": "a\n"})
    origin.git("reset", "-q", "--hard", "HEAD~1")
    token = github_token()
    after = origin.commit("rewritten", {"t.py": token_line(token)})
    origin.git("reflog", "expire", "--expire=now", "--all")
    origin.git("gc", "-q", "--prune=now")
    origin.checkout("main")
    checkout = clone(origin, tmp_path / "checkout")
    event = payload("push", BEFORE=gone, AFTER=after).replace("refs/heads/main", "refs/heads/topic")

    run = run_action(tmp_path, checkout.path, "push", event)

    assert run.code == 1
    assert run.outputs["scanned"] == "new-branch refs/remotes/origin/topic"
    assert run.outputs["findings"] == "1"
    assert "force push" in run.stdout


# -- inputs and hostile content ---------------------------------------------------------------------


def test_bad_input_is_one_clear_error(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("start", {"README.md": "hi\n"})
    run = run_action(tmp_path, repo.path, "schedule", payload("schedule"), fail_on_findings="maybe")
    assert run.code == 2
    assert run.errors() == ["::error::keyscan: input 'fail-on-findings' must be true or false, not 'maybe'"]


def test_args_reach_keyscan(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    base = repo.commit("start", {"README.md": "hi\n"})
    head = repo.commit("leak", {"a.py": token_line(github_token())})
    event = payload("push", BEFORE=base, AFTER=head)

    quiet = run_action(tmp_path, repo.path, "push", event, args="--rules 'no such dir'")
    assert quiet.code == 2
    assert quiet.errors() and "no such dir" in quiet.stdout

    raised = run_action(tmp_path, repo.path, "push", event,
                        args="--min-severity critical --min-confidence high")
    assert raised.outputs["findings"] == "1"


def test_a_hostile_file_name_cannot_issue_workflow_commands(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    base = repo.commit("start", {"README.md": "hi\n"})
    token = github_token()
    head = repo.commit("evil", {"x\n::add-mask::y,z:%0A.py": token_line(token)})

    run = run_action(tmp_path, repo.path, "push", payload("push", BEFORE=base, AFTER=head))

    assert run.code == 1
    commands = [line for line in run.stdout.splitlines() if line.startswith("::")]
    tokens = re.findall(r"^::stop-commands::([0-9a-f]{32})$", run.stdout, re.M)
    assert len(tokens) == 1
    ours = ("::error ", f"::{tokens[0]}::", "::stop-commands::")
    assert [c for c in commands if not c.startswith(ours)] == []
    (hit,) = run.annotations()
    assert hit.startswith("::error file=x%0A%3A%3Aadd-mask%3A%3Ay%2Cz%3A%250A.py,line=1,")
    assert "| x ::add\\-mask::y" not in run.summary and "`x ::add-mask::y,z:%0A.py:1`" in run.summary
    assert run.leaked(token) == []


# -- event plans without a scan ------------------------------------------------------------------


def test_other_pull_request_events_and_merge_queues_scan_base_to_head(tmp_path: Path) -> None:
    base, head = "1" * 40, "2" * 40
    pull = {"pull_request": {"base": {"sha": base}, "head": {"sha": head}}}
    for event in ("pull_request_target", "pull_request_review"):
        plan = plan_for(event, pull, str(tmp_path))
        assert (plan.selection, plan.trusted_base) == (("--range", f"{base}..{head}"), base)
    group = plan_for("merge_group", {"merge_group": {"base_sha": base, "head_sha": head}}, str(tmp_path))
    assert (group.scanned, group.trusted_base) == (f"range {base}..{head}", base)
    assert plan_for("delete", {"ref": "x"}, str(tmp_path)).selection is None
    assert plan_for("release", {}, str(tmp_path)).selection == ()


@pytest.mark.parametrize("event, body", [
    ("pull_request", {}),
    ("pull_request", {"pull_request": {"base": {"sha": "main"}, "head": {"sha": "2" * 40}}}),
    ("push", {"before": "1" * 40, "after": "2" * 40}),
    ("push", {"ref": "refs/heads/x", "before": "1" * 40, "after": "--upload-pack=evil"}),
])
def test_a_payload_without_usable_commit_ids_is_refused(tmp_path: Path, event: str,
                                                        body: dict[str, Any]) -> None:
    with pytest.raises(EventError):
        plan_for(event, body, str(tmp_path))


# -- workflow command helpers ---------------------------------------------------------------------


def test_escaping_matches_the_actions_toolkit() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert command("error", "two\nlines", {"file": "a,b:c.py", "line": 3, "col": None}) == \
        "::error file=a%2Cb%3Ac.py,line=3::two%0Alines"


def test_annotation_levels_and_columns() -> None:
    base = {"rule_id": "r", "rule_name": "R", "path": "p.py", "secret": "abcd" * 5, "redacted": False,
            "fingerprint": "ks1:" + "0" * 24, "line": 4, "end_line": 4, "column": 5, "end_column": 25}
    high = annotation({**base, "severity": "high"})
    assert high.startswith("::error file=p.py,line=4,endLine=4,col=5,endColumn=24,"
                           "title=keyscan%3A r::R found: ")
    assert "abcdabcd" not in high  # redacted here when keyscan was told to show secrets
    assert annotation({**base, "severity": "medium"}).startswith("::warning ")
    multi = annotation({**base, "severity": "critical", "end_line": 9})
    assert "line=4,endLine=9,title=" in multi and "col=" not in multi


def test_outputs_use_a_delimiter_for_multiline_values(tmp_path: Path) -> None:
    path = tmp_path / "out"
    set_outputs(str(path), {"one": "1", "two": "a\nb"})
    assert parse_outputs(path.read_text()) == {"one": "1", "two": "a\nb"}
    assert re.search(r"^two<<ghadelimiter_[0-9a-f-]{36}$", path.read_text(), re.M)


def test_summary_is_capped_well_under_githubs_limit() -> None:
    finding = {"rule_id": "github-pat-classic", "severity": "critical", "path": "src/" + "d/" * 40 + "a.py",
               "line": 1, "secret": "ghp_****************abcd", "redacted": True,
               "fingerprint": "ks1:" + "0" * 24, "commit": "a" * 40, "status": "present"}
    report = {"findings": [finding] * 20000, "summary": {"commits_scanned": 3, "blobs_scanned": 9}}
    text = summary_markdown(report, "history (all refs)", ["a | note"])
    assert len(text.encode()) < 256 * 1024
    assert re.search(r"and \d+ more finding\(s\) not listed", text)
    assert "a \\| note" in text


# -- action.yml ---------------------------------------------------------------------------------------


def action() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def test_action_is_a_thin_composite_that_maps_inputs_into_env() -> None:
    spec = action()
    assert spec["runs"]["using"] == "composite"
    steps = spec["runs"]["steps"]
    assert all("${{" not in step.get("run", "") for step in steps), "no interpolation into scripts"
    assert '"$GITHUB_ACTION_PATH"' in steps[0]["run"]
    (scan,) = [s for s in steps if s.get("id") == "scan"]
    assert "keyscan.ci.github" in scan["run"]
    for name, declared in spec["inputs"].items():
        assert declared["description"]
        assert scan["env"][f"KEYSCAN_INPUT_{name.upper().replace('-', '_')}"] == f"${{{{ inputs.{name} }}}}"
    for name, declared in spec["outputs"].items():
        assert declared["value"] == f"${{{{ steps.scan.outputs.{name} }}}}"


def test_action_scan_step_runs_as_written(tmp_path: Path) -> None:
    """The scan step's script, with the env mapping of action.yml and the inputs' defaults, run by bash
    (the install step is replaced by a venv pointing at this interpreter: no network in tests)."""
    spec = action()
    (scan,) = [s for s in spec["runs"]["steps"] if s.get("id") == "scan"]
    defaults = {name: str(item.get("default", "")) for name, item in spec["inputs"].items()}
    pattern = re.compile(r"\$\{\{ inputs\.([\w-]+) \}\}")
    env_names = {key: pattern.fullmatch(value).group(1)  # type: ignore[union-attr]
                 for key, value in scan["env"].items()}
    repo = GitRepo(tmp_path / "repo")
    base = repo.commit("start", {"README.md": "hi\n"})
    head = repo.commit("leak", {"a.py": token_line(github_token())})
    runner = tmp_path / "runner"
    (runner / "keyscan-venv" / "bin").mkdir(parents=True)
    stand_in = runner / "keyscan-venv" / "bin" / "python"
    stand_in.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    stand_in.chmod(0o755)
    (runner / "event.json").write_text(payload("push", BEFORE=base, AFTER=head))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update({key: defaults[name] for key, name in env_names.items()})
    env.update(RUNNER_TEMP=str(runner), GITHUB_EVENT_NAME="push", GITHUB_OUTPUT=str(runner / "out"),
               GITHUB_EVENT_PATH=str(runner / "event.json"), CI="true")
    completed = subprocess.run(["bash", "-e", "-c", scan["run"]], cwd=repo.path, env=env, capture_output=True,
                               text=True, timeout=300, check=False)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    outputs = parse_outputs((runner / "out").read_text())
    assert set(outputs) >= set(spec["outputs"])
    assert outputs["sarif-file"] == defaults["sarif-file"] and (repo.path / defaults["sarif-file"]).is_file()


@pytest.mark.skipif(shutil.which("check-jsonschema") is None and
                    not (Path(sys.executable).parent / "check-jsonschema").exists(),
                    reason="check-jsonschema is not installed")
def test_action_yml_is_valid_for_github() -> None:
    tool = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    completed = subprocess.run([tool, "--builtin-schema", "vendor.github-actions", str(ROOT / "action.yml")],
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_scan_cache_is_kept_only_where_the_workflow_points_it(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A hosted runner is thrown away after the job: without KEYSCAN_CACHE_DIR the Action writes no
    cache (it would cost time and never be read); with it (restored by actions/cache) the cache is used."""
    repo = GitRepo(tmp_path / "repo")
    repo.commit("start", {"README.md": "hi\n"})
    monkeypatch.delenv("KEYSCAN_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert run_action(tmp_path, repo.path, "schedule", payload("schedule")).code == 0
    assert not [*tmp_path.glob(f"xdg/**/{FILE_NAME}"), *tmp_path.glob(f"home/**/{FILE_NAME}")]
    monkeypatch.setenv("KEYSCAN_CACHE_DIR", str(tmp_path / "kept"))
    assert run_action(tmp_path, repo.path, "schedule", payload("schedule")).code == 0
    assert (tmp_path / "kept" / FILE_NAME).is_file()
