"""``keyscan revoke`` end to end: plan by default, --execute with --yes off a terminal, plugins, commands, manual."""

from __future__ import annotations

import hashlib
import json
import stat
import sys
from importlib import metadata

import pytest

from tests.clirun import run_cli
from tests.standins import StandIn, tokens
from tests.standins.harness import audit_records, findings, write_rules
from tests.standins.issuers import GitHub


@pytest.fixture(autouse=True)
def _no_operator_config(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state-home"))
    monkeypatch.delenv("KEYSCAN_REVOKE_CONFIG", raising=False)
    for name in ("GITHUB", "GITLAB", "SLACK", "NPM", "VAULT"):
        monkeypatch.delenv(f"KEYSCAN_ENDPOINT_{name}", raising=False)


def _report(tmp_path, *pairs):  # type: ignore[no-untyped-def]
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"schema_version": "1", "findings": findings(*pairs), "summary": {}}))
    return str(path)


def test_plan_is_the_default_and_sends_nothing(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    token = tokens.github()
    with StandIn(GitHub(token)) as server:
        monkeypatch.setenv("KEYSCAN_ENDPOINT_GITHUB", server.url)
        run = run_cli("revoke", "--from", _report(tmp_path, ("github-pat-classic", token)),
                      "--allow-test-endpoints", "--validate")
    assert run.code == 0, run.stderr
    assert server.requests == []
    assert "Nothing is sent without --execute." in run.stdout
    assert f"POST {server.url}/credentials/revoke" in run.stdout
    assert "reversible: no" in run.stdout and "Authorization" not in run.stdout.split("headers:")[1].split("\n")[0]
    assert token not in run.stdout + run.stderr


def test_execute_off_a_terminal_needs_yes(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    token = tokens.github()
    with StandIn(GitHub(token)) as server:
        monkeypatch.setenv("KEYSCAN_ENDPOINT_GITHUB", server.url)
        run = run_cli("revoke", "--from", _report(tmp_path, ("github-pat-classic", token)),
                      "--allow-test-endpoints", "--execute")
    assert run.code == 2
    assert "add --yes" in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert server.requests == []


def test_execute_with_yes_revokes_and_audits(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    token = tokens.github()
    issuer = GitHub(token)
    audit = tmp_path / "audit.jsonl"
    with StandIn(issuer) as server:
        monkeypatch.setenv("KEYSCAN_ENDPOINT_GITHUB", server.url)
        run = run_cli("revoke", "--from", _report(tmp_path, ("github-pat-classic", token)),
                      "--allow-test-endpoints", "--execute", "--yes", "--audit-log", str(audit))
    assert run.code == 0, run.stderr
    assert len(server.requests) == 1 and issuer.revoked == [token]
    assert "1 succeeded" in run.stdout
    assert stat.S_IMODE(audit.stat().st_mode) == 0o600
    assert token not in audit.read_text() + run.stdout + run.stderr
    assert audit_records(audit)[0]["confirmation"] == "--yes"


def test_default_audit_log_location(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    token = tokens.github()
    with StandIn(GitHub(token)) as server:
        monkeypatch.setenv("KEYSCAN_ENDPOINT_GITHUB", server.url)
        report = json.dumps({"findings": findings(("github-pat-classic", token))})
        run = run_cli("revoke", "--from", "-", "--allow-test-endpoints", "--execute", "--yes", stdin=report)
    assert run.code == 0, run.stderr
    default = tmp_path / "state-home" / "keyscan" / "revoke-audit.jsonl"
    assert audit_records(default)[0]["outcome"] == "succeeded"
    assert stat.S_IMODE(default.parent.stat().st_mode) == 0o700


def test_endpoint_override_is_ignored_without_the_flag(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KEYSCAN_ENDPOINT_GITHUB", "http://127.0.0.1:9")
    run = run_cli("revoke", "--from", _report(tmp_path, ("github-pat-classic", tokens.github())))
    assert run.code == 0
    assert "POST https://api.github.com/credentials/revoke" in run.stdout
    assert "ignored without --allow-test-endpoints" in run.stderr


def test_redacted_report_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"findings": [{"rule_id": "github-pat-classic", "secret": "ghp_****1234",
                                              "redacted": True}]}))
    run = run_cli("revoke", "--from", str(path))
    assert run.code == 2
    assert "--show-secrets" in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_manual_hook_prints_steps_and_console(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rules = write_rules(tmp_path)
    secret = "sk_live_" + tokens._random(tokens.ALNUM, 24)
    report = _report(tmp_path, ("test-manual", secret))
    plan = run_cli("revoke", "--from", report, "--rules", str(rules))
    assert plan.code == 0
    assert "console:    https://dashboard.stripe.com/apikeys" in plan.stdout
    assert "steps:      Roll it in the test console." in plan.stdout
    done = run_cli("revoke", "--from", report, "--rules", str(rules), "--execute", "--yes",
                   "--audit-log", str(tmp_path / "a.jsonl"))
    assert done.code == 0
    (record,) = audit_records(tmp_path / "a.jsonl")
    assert (record["action"], record["outcome"], record["issuer"]) == ("manual", "manual", "stripe")


def test_command_hook_gets_the_secret_on_stdin_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rules = write_rules(tmp_path)
    script = tmp_path / "rotate.py"
    script.write_text("import hashlib, sys\n"
                      "data = sys.stdin.read().strip()\n"
                      "open(sys.argv[1], 'w').write(hashlib.sha256(data.encode()).hexdigest())\n"
                      "sys.exit(int(sys.argv[2]))\n")
    secret = "corp_" + tokens._random("0123456789abcdef", 32)
    for status, outcome, code in ((0, "succeeded", 0), (3, "failed", 1)):
        out = tmp_path / f"seen-{status}"
        config = tmp_path / "revoke.yaml"
        argv = json.dumps([sys.executable, str(script), str(out), str(status)])
        config.write_text(f"commands:\n  rotate:\n    argv: {argv}\n")
        run = run_cli("revoke", "--from", _report(tmp_path, ("test-command", secret)), "--rules", str(rules),
                      "--revoke-config", str(config), "--execute", "--yes", "--audit-log", str(tmp_path / "a.jsonl"))
        assert run.code == code, run.stderr
        assert out.read_text() == hashlib.sha256(secret.encode()).hexdigest()
        assert audit_records(tmp_path / "a.jsonl")[-1]["outcome"] == outcome
    assert secret not in (tmp_path / "a.jsonl").read_text()


def test_command_hook_without_config_is_skipped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rules = write_rules(tmp_path)
    run = run_cli("revoke", "--from", _report(tmp_path, ("test-command", "corp_" + "a1" * 16)),
                  "--rules", str(rules))
    assert run.code == 0 and "no command named 'rotate'" in run.stdout


def test_plugin_hook_from_an_entry_point(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.standins import plugin

    original = metadata.entry_points

    def entry_points(**kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("group") == "keyscan.revokers":
            return [metadata.EntryPoint("corp-rotator", "tests.standins.plugin:RecordingHook", "keyscan.revokers")]
        return original(**kwargs)

    monkeypatch.setattr(metadata, "entry_points", entry_points)
    monkeypatch.setattr("keyscan.revoke.names.plugin_names", lambda: frozenset({"corp-rotator"}))
    rules = tmp_path / "corp.yaml"
    rules.write_text(
        "schema: keyscan/rules/v1\nrules:\n  - id: test-corp\n    name: corp\n    provider: corp\n"
        "    severity: high\n    confidence: high\n    regex: '(corp_[a-f0-9]{32})'\n"
        "    references: [https://example.com]\n    help: h\n    revoke: {hook: corp-rotator}\n"
        "    examples: {positive: [corp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, x corp_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb],"
        " negative: [a, b]}\n")
    plugin.CALLS.clear()
    run = run_cli("revoke", "--from", _report(tmp_path, ("test-corp", "corp_" + "c3" * 16)), "--rules", str(rules),
                  "--execute", "--yes", "--audit-log", str(tmp_path / "a.jsonl"))
    assert run.code == 0, run.stdout + run.stderr
    assert plugin.CALLS == ["ks1:" + "0" * 24]
    (record,) = audit_records(tmp_path / "a.jsonl")
    assert (record["issuer"], record["outcome"]) == ("Corp rotation service", "succeeded")


def test_unknown_plugin_name_is_a_rule_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "bad.yaml"
    rules.write_text(write_rules(tmp_path).read_text().replace("{hook: buildkite}", "{hook: no-such-hook}"))
    run = run_cli("revoke", "--from", _report(tmp_path, ("test-buildkite", tokens.buildkite())), "--rules", str(rules))
    assert run.code == 2 and "unknown hook 'no-such-hook'" in run.stderr


def test_scan_revoke_shows_the_plan_on_stderr_and_sends_nothing(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    token = tokens.github()
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "app.env").write_text(f"GITHUB_TOKEN={token}\n")
    with StandIn(GitHub(token)) as server:
        monkeypatch.setenv("KEYSCAN_ENDPOINT_GITHUB", server.url)  # ignored: scan --revoke never honours it
        run = run_cli("scan", "--no-git", "--no-cache", "-q", "-f", "json", "--revoke", str(tree))
    assert run.code == 1
    assert server.requests == []
    assert [f["rule_id"] for f in json.loads(run.stdout)["findings"]] == ["github-pat-classic"]
    assert "Revocation plan: 1 credential(s): 1 to revoke" in run.stderr
    assert "keyscan revoke --from report.json --execute" in run.stderr
    assert token not in run.stderr


@pytest.mark.parametrize(("typed", "answer"), [("y", "yes"), ("YES", "yes"), ("q", "quit"), ("", "no"),
                                               ("maybe", "no")])
def test_terminal_confirmation_answers(typed: str, answer: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from keyscan.revoke import flow
    from keyscan.revoke.model import Credential
    from keyscan.revoke.plan import Entry

    asked = []
    monkeypatch.setattr(flow.click, "prompt", lambda text, **kw: asked.append(text) or typed)
    entry = Entry(Credential(secret=tokens.github(), rule_ids=("github-pat-classic",), fingerprint="ks1:x"))
    assert flow.tty_confirm(entry, None) == answer
    assert asked == ["Revoke this credential? [yes/no/quit]"]
