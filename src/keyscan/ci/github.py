"""``python -m keyscan.ci.github``: the logic of the GitHub Action (``action.yml`` stays thin).

The event decides the commits (see ``keyscan.ci.events``); one ``keyscan
history`` run writes the JSON report (for annotations and the job summary) and
the SARIF report; for a pull request the config, ignore file and baseline come
from its base (``keyscan.ci.trusted``).  Then: annotations on stdout, a table in
``$GITHUB_STEP_SUMMARY``, and the outputs ``findings``, ``sarif-file``,
``scanned`` and ``commits`` in ``$GITHUB_OUTPUT``.

The inputs arrive as environment variables that action.yml maps from
``inputs`` (never interpolated into script text): ``KEYSCAN_INPUT_ARGS``,
``KEYSCAN_INPUT_SARIF_FILE``, ``KEYSCAN_INPUT_FAIL_ON_FINDINGS``,
``KEYSCAN_INPUT_BASELINE``, ``KEYSCAN_INPUT_CONFIG`` and ``KEYSCAN_INPUT_PATH``.

Exit codes: 0 clean (or findings with fail-on-findings false), 1 findings,
2 the event cannot be scanned (shallow checkout, bad input), 3 the scan failed
or is incomplete.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keyscan.ci.events import EventError, Plan, check_available, plan_for
from keyscan.ci.trusted import as_given, from_base
from keyscan.ci.workflow import annotations, command, set_outputs, summary_markdown
from keyscan.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_INTERNAL, EXIT_USAGE, KeyscanError
from keyscan.gitcmd import run_git

_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")


@dataclass(frozen=True)
class Inputs:
    args: tuple[str, ...] = ()
    sarif_file: str = "keyscan.sarif"
    fail_on_findings: bool = True
    baseline: str = ""
    config: str = ""
    path: str = "."


def read_inputs(env: Mapping[str, str]) -> Inputs:
    """Validate the action's inputs (``required: true`` is not enforced by GitHub)."""
    try:
        args = tuple(shlex.split(env.get("KEYSCAN_INPUT_ARGS", "")))
    except ValueError as exc:
        raise KeyscanError(f"input 'args' cannot be split like a shell command line: {exc}") from None
    fail = env.get("KEYSCAN_INPUT_FAIL_ON_FINDINGS", "true").strip() or "true"
    if fail not in _TRUE + _FALSE:
        raise KeyscanError(f"input 'fail-on-findings' must be true or false, not {fail[:40]!r}")
    return Inputs(
        args=args,
        sarif_file=env.get("KEYSCAN_INPUT_SARIF_FILE", "keyscan.sarif").strip(),
        fail_on_findings=fail in _TRUE,
        baseline=env.get("KEYSCAN_INPUT_BASELINE", "").strip(),
        config=(env.get("KEYSCAN_INPUT_CONFIG", "").strip() or env.get("KEYSCAN_CONFIG", "").strip()),
        path=env.get("KEYSCAN_INPUT_PATH", "").strip() or ".",
    )


def read_payload(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            payload = json.load(handle)
    except (OSError, ValueError) as exc:
        raise EventError(f"cannot read the event payload {path}: {exc.__class__.__name__}") from None
    if not isinstance(payload, dict):
        raise EventError(f"the event payload {path} is not a JSON object")
    return payload


def main() -> int:
    env = os.environ
    try:
        inputs = read_inputs(env)
        if run_git(inputs.path, ["rev-parse", "--git-dir"], check=False).strip() == b"":
            raise EventError(f"{inputs.path} is not a git repository; run actions/checkout (with "
                             "'fetch-depth: 0') before keyscan")
        event = env.get("GITHUB_EVENT_NAME", "")
        plan = plan_for(event, read_payload(env.get("GITHUB_EVENT_PATH")), inputs.path)
        check_available(inputs.path, plan)
    except KeyscanError as exc:
        print(command("error", f"keyscan: {exc.format_message()}"), flush=True)
        return EXIT_USAGE
    print(f"keyscan: event '{event or 'unknown'}': scanning {plan.scanned}", flush=True)
    if plan.selection is None:
        _publish(env, {"findings": [], "summary": {}}, plan, [], sarif="")
        return EXIT_CLEAN
    with tempfile.TemporaryDirectory(prefix="keyscan-ci-", dir=env.get("RUNNER_TEMP") or None) as temporary:
        return _scan(env, inputs, plan, Path(temporary))


def _scan(env: Mapping[str, str], inputs: Inputs, plan: Plan, work: Path) -> int:
    try:
        if plan.trusted_base:
            files = from_base(inputs.path, plan.trusted_base, work, config=inputs.config,
                              baseline=inputs.baseline)
        else:
            files = as_given(inputs.config, inputs.baseline)
    except KeyscanError as exc:
        print(command("error", f"keyscan: cannot read the base commit's files: {exc.format_message()}"))
        return EXIT_USAGE
    notes = [*plan.notes, *files.notes]
    for note in notes:
        print(f"keyscan: note: {note}")
    report_path = work / "report.json"
    argv = ["history", *inputs.args, *plan.selection, *files.args, "--format", "json",
            "--output", str(report_path)]
    if not env.get("KEYSCAN_CACHE_DIR"):  # a hosted runner starts empty and is thrown away: writing a
        argv.append("--no-cache")        # cache no later run reads only costs time (README: keep one)
    if inputs.sarif_file:
        Path(inputs.sarif_file).absolute().parent.mkdir(parents=True, exist_ok=True)
        argv += ["--sarif-output", inputs.sarif_file]
    code, error = _run_keyscan([*argv, inputs.path])
    report = _read_report(report_path)
    if report is None:
        print(command("error", f"keyscan: the scan failed (exit {code}): {error or 'see the log above'}"))
        return code if code not in (EXIT_CLEAN, EXIT_FINDINGS) else EXIT_INTERNAL
    for line in annotations(report["findings"]):
        print(line)
    sarif = inputs.sarif_file if inputs.sarif_file and os.path.isfile(inputs.sarif_file) else ""
    _publish(env, report, plan, notes, sarif)
    if code not in (EXIT_CLEAN, EXIT_FINDINGS):
        why = error or "see the notes above"
        print(command("error", f"keyscan: the scan is incomplete (exit {code}): {why}"))
        return code
    count = len(report["findings"])
    if code == EXIT_FINDINGS and inputs.fail_on_findings:
        print(f"keyscan: {count} finding(s); failing the step (fail-on-findings: true)")
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _run_keyscan(argv: list[str]) -> tuple[int, str]:
    """Run ``keyscan`` with its output relayed between ``::stop-commands::`` markers, so a path or note
    from the scanned repository cannot issue a workflow command.  Returns the exit code and the
    last error line."""
    token = secrets.token_hex(16)
    print(f"::stop-commands::{token}", flush=True)
    error = ""
    try:
        process = subprocess.Popen([sys.executable, "-m", "keyscan", *argv], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line.startswith("keyscan: error:"):
                error = line[len("keyscan: error:"):].strip()
            print(line, flush=True)
        code = process.wait()
    finally:
        print(f"::{token}::", flush=True)
    return code, error


def _read_report(path: Path) -> dict[str, Any] | None:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(report, dict) or not isinstance(report.get("findings"), list):
        return None
    return report


def _publish(env: Mapping[str, str], report: dict[str, Any], plan: Plan, notes: list[str],
             sarif: str) -> None:
    summary_file = env.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(summary_markdown(report, plan.scanned, notes))
    output_file = env.get("GITHUB_OUTPUT")
    if output_file:
        commits = report.get("summary", {}).get("commits_scanned", 0)
        set_outputs(output_file, {"findings": str(len(report["findings"])), "sarif-file": sarif,
                                  "scanned": plan.scanned, "commits": str(commits)})


if __name__ == "__main__":
    sys.exit(main())
