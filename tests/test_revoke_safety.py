"""The safety rules of revocation: allowlisted hosts only, no redirects, no retries, no secret in the audit log."""

from __future__ import annotations

import json
import os
import socket
import stat

import pytest

from keyscan.errors import KeyscanError, RuleError
from keyscan.revoke.audit import AuditLog
from keyscan.revoke.endpoints import Endpoints, parse_config_base
from keyscan.revoke.execute import Runner, RunOptions
from keyscan.revoke.model import Refusal
from keyscan.revoke.plan import build_plan
from keyscan.revoke.ratelimit import Budget, RateLimited, RateLimiter
from keyscan.revoke.report_input import credentials_from_records, read_credentials
from keyscan.revoke.settings import RevokeConfig
from keyscan.rules.schema import build_rule
from tests.standins import Reply, StandIn, tokens
from tests.standins.harness import audit_records, context, execute, findings, load_rules
from tests.standins.issuers import GitHub, GitLab, Slack


@pytest.fixture(scope="module")
def rules(tmp_path_factory):  # type: ignore[no-untyped-def]
    return load_rules(tmp_path_factory.mktemp("rules"))


def _fixed(status: int, headers: dict[str, str] | None = None, delay: float = 0.0):  # type: ignore[no-untyped-def]
    return lambda request: Reply(status, b"{}", {"Content-Type": "application/json", **(headers or {})}, delay)


# -- plan mode sends nothing --------------------------------------------------------------------

def test_plan_mode_sends_no_request_at_all(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    records = findings(("test-github", tokens.github()), ("test-gitlab", tokens.gitlab()),
                       ("test-slack", tokens.slack_bot()), ("test-buildkite", tokens.buildkite()),
                       ("test-digitalocean", tokens.digitalocean()), ("test-vault", tokens.vault()),
                       ("test-npm", tokens.npm()))
    seen = []
    with StandIn(lambda r: seen.append(r) or Reply(500)) as server:
        names = ("GITHUB", "GITLAB", "SLACK", "BUILDKITE", "DIGITALOCEAN", "DIGITALOCEAN_API", "VAULT", "NPM")
        ctx = context({f"KEYSCAN_ENDPOINT_{n}": server.url for n in names})
        lines: list[str] = []
        assert execute(records, rules, ctx, tmp_path / "a.jsonl", lines=lines, execute=False, validate=True) == 0
    assert seen == [] and ctx.client.sent == []
    assert not (tmp_path / "a.jsonl").exists()
    text = "\n".join(lines)
    assert "7 to revoke" in text and "Nothing is sent without --execute." in text
    assert not any(r["secret"] in text for r in records)


# -- no retries, unknown outcomes -----------------------------------------------------------------

@pytest.mark.parametrize(("reply", "detail"), [
    (_fixed(500), "HTTP 500"),
    (_fixed(503), "HTTP 503"),
    (_fixed(429, {"Retry-After": "2"}), "HTTP 429"),
])
def test_server_errors_and_429_are_unknown_and_never_retried(rules, tmp_path, reply, detail) -> None:  # type: ignore[no-untyped-def]
    with StandIn(reply) as server:
        ctx = context({"KEYSCAN_ENDPOINT_GITLAB": server.url})
        assert execute(findings(("test-gitlab", tokens.gitlab())), rules, ctx, tmp_path / "a.jsonl") == 1
    assert len(server.requests) == 1
    (record,) = audit_records(tmp_path / "a.jsonl")
    assert record["outcome"] == "unknown" and detail in record["detail"] and "before retrying" in record["detail"]


def test_timeout_is_unknown_and_never_retried(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with StandIn(_fixed(204, delay=1.5)) as server:
        ctx = context({"KEYSCAN_ENDPOINT_BUILDKITE": server.url}, timeout=0.3)
        assert execute(findings(("test-buildkite", tokens.buildkite())), rules, ctx, tmp_path / "a.jsonl") == 1
    assert len(server.requests) == 1
    (record,) = audit_records(tmp_path / "a.jsonl")
    assert record["outcome"] == "unknown" and "timeout" in record["detail"]


def test_connection_refused_is_failed_not_sent(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctx = context({"KEYSCAN_ENDPOINT_BUILDKITE": f"http://127.0.0.1:{port}"})
    assert execute(findings(("test-buildkite", tokens.buildkite())), rules, ctx, tmp_path / "a.jsonl") == 1
    (record,) = audit_records(tmp_path / "a.jsonl")
    assert record["outcome"] == "failed" and record["detail"].startswith("not sent")


def test_a_redirect_is_not_followed_and_nothing_reaches_the_second_host(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    token = tokens.github()
    with StandIn(GitHub(token)) as elsewhere:
        redirect = _fixed(307, {"Location": f"{elsewhere.url}/credentials/revoke"})
        with StandIn(redirect) as server:
            ctx = context({"KEYSCAN_ENDPOINT_GITHUB": server.url})
            assert execute(findings(("test-github", token)), rules, ctx, tmp_path / "a.jsonl") == 1
    assert len(server.requests) == 1
    assert elsewhere.requests == []
    (record,) = audit_records(tmp_path / "a.jsonl")
    assert record["outcome"] == "unknown" and "not followed" in record["detail"]


def test_a_429_holds_back_the_next_request_to_that_issuer(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first, second = tokens.slack_bot(), tokens.slack_bot()
    with StandIn(_fixed(429, {"Retry-After": "3600"})) as server:
        ctx = context({"KEYSCAN_ENDPOINT_SLACK": server.url})
        execute(findings(("test-slack", first), ("test-slack", second)), rules, ctx, tmp_path / "a.jsonl")
    assert len(server.requests) == 1
    records = audit_records(tmp_path / "a.jsonl")
    assert [r["outcome"] for r in records] == ["unknown", "skipped"]
    assert "rate limited" in records[1]["detail"]


# -- what is sent, and where ----------------------------------------------------------------------

def test_a_tampered_secret_is_never_sent(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = tokens.github()
    tampered = good[:-1] + ("A" if good[-1] != "A" else "B")  # breaks the CRC32 checksum
    with StandIn(GitHub(good, tampered)) as server:
        ctx = context({"KEYSCAN_ENDPOINT_GITHUB": server.url})
        execute(findings(("test-github", tampered), ("test-gitlab", "glpat-short")), rules, ctx,
                tmp_path / "a.jsonl")
    assert server.requests == []
    details = [r["detail"] for r in audit_records(tmp_path / "a.jsonl")]
    assert "checksum" in details[0] and "pattern" in details[1]


def test_a_secret_matched_by_rules_with_different_hooks_is_refused(rules) -> None:  # type: ignore[no-untyped-def]
    token = tokens.github()
    records = [*findings(("test-github", token)), *findings(("test-manual", token))]
    (entry,) = build_plan(credentials_from_records(records, "t"), rules, context({}))
    assert entry.kind == "skip" and entry.refusal.startswith("ambiguous")


def test_test_endpoints_need_the_flag_and_a_loopback_address() -> None:
    environ = {"KEYSCAN_ENDPOINT_GITHUB": "http://127.0.0.1:9"}
    assert Endpoints(RevokeConfig(), False, environ).resolve("github").host == "api.github.com"
    assert Endpoints(RevokeConfig(), True, environ).resolve("github").source == "test"
    with pytest.raises(Refusal, match="loopback"):
        Endpoints(RevokeConfig(), True, {"KEYSCAN_ENDPOINT_GITHUB": "http://example.com"}).resolve("github")
    official = Endpoints(RevokeConfig(), False, {}).resolve("slack")
    assert (official.scheme, official.host, official.port) == ("https", "slack.com", 443)


@pytest.mark.parametrize("url", ["http://vault.example.com", "https://127.0.0.1:8200", "https://localhost",
                                 "https://user:pw@vault.example.com", "https://vault.example.com/?x=1",
                                 "https://169.254.169.254", "not a url"])
def test_operator_base_urls_must_be_https_and_not_this_machine(url: str) -> None:
    with pytest.raises(Refusal):
        parse_config_base(url, "vault.address")


def test_vault_has_no_default_address() -> None:
    with pytest.raises(Refusal, match=r"vault\.address"):
        Endpoints(RevokeConfig(), False, {}).resolve("vault")
    base = Endpoints(RevokeConfig(vault_address="https://vault.corp.example:8200"), False, {}).resolve("vault")
    assert (base.host, base.port, base.source) == ("vault.corp.example", 8200, "config")


def test_plugins_cannot_redefine_built_in_endpoints() -> None:
    endpoints = Endpoints(RevokeConfig(), False, {})
    with pytest.raises(Refusal):
        endpoints.add("github", "https://evil.example")
    with pytest.raises(Refusal):
        endpoints.add("corp", "http://rotate.corp.example")
    endpoints.add("corp", "https://rotate.corp.example")
    assert endpoints.resolve("corp").host == "rotate.corp.example"


# -- confirmation and caps ------------------------------------------------------------------------

def test_max_caps_the_number_of_revocations(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tokens_ = [tokens.gitlab() for _ in range(3)]
    with StandIn(GitLab(*tokens_)) as server:
        ctx = context({"KEYSCAN_ENDPOINT_GITLAB": server.url})
        execute(findings(*[("test-gitlab", t) for t in tokens_]), rules, ctx, tmp_path / "a.jsonl",
                max_revocations=2)
    assert len(server.requests) == 2
    assert [r["outcome"] for r in audit_records(tmp_path / "a.jsonl")] == ["succeeded", "succeeded", "skipped"]


def test_interactive_confirmation_per_credential(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tokens_ = [tokens.gitlab() for _ in range(4)]
    answers = iter(["no", "yes", "quit"])
    asked = []
    with StandIn(GitLab(*tokens_)) as server:
        ctx = context({"KEYSCAN_ENDPOINT_GITLAB": server.url})
        entries = build_plan(credentials_from_records(findings(*[("test-gitlab", t) for t in tokens_]), "t"),
                             rules, ctx)
        with AuditLog(tmp_path / "a.jsonl", tokens_) as audit:
            runner = Runner(ctx, RunOptions(interactive=True), audit,
                            lambda entry, check: asked.append(entry) or next(answers), lambda line: None)
            outcomes = runner.run(entries)
    assert len(asked) == 3  # the fourth is skipped after 'quit' without asking
    assert [r.headers["private-token"] for r in server.requests] == [tokens_[1]]
    assert [r.outcome.value for _, r in outcomes.results] == ["skipped", "succeeded", "skipped", "skipped"]
    records = audit_records(tmp_path / "a.jsonl")
    assert records[1]["confirmation"] == "interactive"
    assert [r["detail"] for r in records if r["outcome"] == "skipped"] == [
        "declined by the operator", "stopped by the operator", "stopped by the operator"]


# -- the audit log --------------------------------------------------------------------------------

def test_audit_log_is_private_append_only_and_secret_free(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "audit.jsonl"
    path.write_text('{"earlier": true}\n')
    os.chmod(path, 0o644)
    secret = tokens.slack_bot()
    with AuditLog(path, [secret]) as audit:
        audit.write({"detail": f"echoed {secret} back", "outcome": "failed"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text().splitlines()
    assert json.loads(lines[0]) == {"earlier": True}
    record = json.loads(lines[1])
    assert secret not in lines[1] and record["detail"] == "echoed [redacted] back"
    assert {"time", "keyscan", "operator"} <= set(record)


def test_audit_log_refuses_a_symlink(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "target").write_text("")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    with pytest.raises(KeyscanError, match="cannot open the audit log"):
        AuditLog(tmp_path / "link")


def test_audit_records_carry_the_required_fields(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    token = tokens.gitlab()
    with StandIn(GitLab(token)) as server:
        ctx = context({"KEYSCAN_ENDPOINT_GITLAB": server.url})
        execute(findings(("test-gitlab", token)), rules, ctx, tmp_path / "a.jsonl")
    (record,) = audit_records(tmp_path / "a.jsonl")
    assert record["rule"] == "test-gitlab" and record["issuer"] == "GitLab" and record["action"] == "revoke"
    assert record["fingerprint"] == "ks1:" + "0" * 24
    assert record["locations"] == [{"path": "src/0.env", "line": 1}]
    assert record["request"]["method"] == "DELETE" and record["status"] == 204
    assert record["outcome"] == "succeeded" and record["time"].endswith("+00:00")


# -- rate limits ----------------------------------------------------------------------------------

class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_budget_waits_briefly_and_refuses_long_waits() -> None:
    clock = _Clock()
    limiter = RateLimiter(clock, clock.sleep, lambda: 0.0, max_wait=60, budgets={"x": Budget(2, 10.0)})
    limiter.acquire("x")
    limiter.acquire("x")
    limiter.acquire("x")
    assert clock.slept == [pytest.approx(5.0)]
    slow = RateLimiter(clock, clock.sleep, lambda: 0.0, max_wait=60, budgets={"gh": Budget(1, 3600.0)})
    slow.acquire("gh")
    with pytest.raises(RateLimited):
        slow.acquire("gh")


def test_rate_limit_headers_are_honoured() -> None:
    clock = _Clock()
    limiter = RateLimiter(clock, clock.sleep, lambda: 5000.0, max_wait=60, budgets={})
    limiter.observe("a", 200, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "5020"})
    limiter.acquire("a")
    assert clock.slept == [pytest.approx(20.0)]
    limiter.observe("b", 429, {"retry-after": "120"})
    with pytest.raises(RateLimited):
        limiter.acquire("b")


# -- input ----------------------------------------------------------------------------------------

def test_redacted_reports_are_refused_with_one_line() -> None:
    report = json.dumps({"findings": [{"rule_id": "x", "secret": "ghp_****abcd", "redacted": True}]})
    with pytest.raises(KeyscanError, match="--show-secrets") as info:
        read_credentials(report, "r.json")
    assert "\n" not in info.value.format_message()
    with pytest.raises(KeyscanError, match="--show-secrets"):
        read_credentials(json.dumps({"findings": [{"rule_id": "x", "secret": "abc"}]}), "r.json")


def test_json_lines_reports_and_duplicates() -> None:
    token = tokens.gitlab()
    lines = [{"type": "finding", "rule_id": "r", "secret": token, "redacted": False, "path": "a", "line": 1},
             {"type": "finding", "rule_id": "r", "secret": token, "redacted": False, "path": "b", "line": 2,
              "commit": "c0ffee"},
             {"type": "summary", "findings": 2}]
    (credential,) = read_credentials("\n".join(json.dumps(x) for x in lines), "r.jsonl")
    assert [loc.label() for loc in credential.locations] == ["a:1", "b:2 (commit c0ffee)"]
    assert token not in repr(credential)


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", '{"findings": [{"redacted": false}]}'])
def test_bad_reports_are_one_line_errors(text: str) -> None:
    with pytest.raises(KeyscanError):
        read_credentials(text, "r.json")


# -- the rule schema ------------------------------------------------------------------------------

def _rule(revoke: object) -> dict[str, object]:
    return {"id": "x-token", "name": "x", "provider": "x", "severity": "high", "confidence": "high",
            "regex": "(x_[a-z]{10})", "references": ["https://example.com"], "help": "h", "revoke": revoke,
            "examples": {"positive": ["x_abcdefghij", "x_bcdefghijk"], "negative": ["y", "z"]}}


@pytest.mark.parametrize(("revoke", "problem"), [
    ({"hook": "stripe"}, "unknown hook"),
    ({"hook": "command"}, "needs 'name'"),
    ({"hook": "manual", "console": "http://x"}, "https"),
    ({"hook": "github", "url": "https://x"}, "unknown key"),
    ("github", "mapping"),
])
def test_schema_rejects_bad_revoke_blocks(revoke: object, problem: str) -> None:
    with pytest.raises(RuleError, match=problem):
        build_rule(_rule(revoke), "rules.yaml")


@pytest.mark.parametrize("revoke", [{"hook": "github"}, {"hook": "manual", "console": "https://x.example"},
                                    {"hook": "manual", "steps": ["a", "b"]}, {"hook": "command", "name": "rot"}])
def test_schema_accepts_good_revoke_blocks(revoke: object) -> None:
    assert build_rule(_rule(revoke), "rules.yaml").revoke == revoke


def test_slack_stand_in_rejects_a_missing_token() -> None:
    """The stand-ins enforce the contract too: they can make a wrong client fail."""
    from tests.standins import Recorded

    reply = Slack("xoxb-1")(Recorded("POST", "/api/auth.revoke", {}, b""))
    assert json.loads(reply.body) == {"ok": False, "error": "not_authed"}
