"""Each built-in revocation hook against a stand-in of its issuer's documented API on 127.0.0.1."""

from __future__ import annotations

import json
import stat
from urllib.parse import parse_qs, quote

import pytest

from keyscan.revoke.settings import RevokeConfig
from tests.standins import StandIn, tokens
from tests.standins.harness import audit_records, context, execute, findings, load_rules
from tests.standins.issuers import Buildkite, DigitalOcean, GitHub, GitLab, Npm, Slack, Vault


@pytest.fixture(scope="module")
def rules(tmp_path_factory):  # type: ignore[no-untyped-def]
    return load_rules(tmp_path_factory.mktemp("rules"))


def _no_secret_in(path, *secrets: str) -> None:  # type: ignore[no-untyped-def]
    text = path.read_text(encoding="utf-8")
    for secret in secrets:
        assert secret not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_github_sends_one_unauthenticated_batch(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tokens_ = [tokens.github("ghp_"), tokens.github("gho_"), tokens.github("ghu_")]
    issuer = GitHub(*tokens_)
    with StandIn(issuer) as server:
        ctx = context({"KEYSCAN_ENDPOINT_GITHUB": server.url})
        code = execute(findings(*[("test-github", t) for t in tokens_]), rules, ctx, tmp_path / "a.jsonl")
    assert code == 0
    assert len(server.requests) == 1
    (request,) = server.requests
    assert (request.method, request.path) == ("POST", "/credentials/revoke")
    assert "authorization" not in request.headers
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {"credentials": tokens_}
    assert issuer.revoked == tokens_
    records = audit_records(tmp_path / "a.jsonl")
    assert [(r["action"], r["outcome"], r["status"]) for r in records] == [("revoke", "succeeded", 202)] * 3
    assert records[0]["request"] == {"method": "POST", "host": server.url.split("//")[1],
                                     "path": "/credentials/revoke"}
    _no_secret_in(tmp_path / "a.jsonl", *tokens_)


def test_github_batches_at_the_documented_limit_of_1000(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tokens_ = [tokens.github() for _ in range(1001)]
    with StandIn(GitHub(*tokens_)) as server:
        ctx = context({"KEYSCAN_ENDPOINT_GITHUB": server.url})
        assert execute(findings(*[("test-github", t) for t in tokens_]), rules, ctx, tmp_path / "a.jsonl") == 0
    sizes = [len(json.loads(r.body)["credentials"]) for r in server.requests]
    assert sizes == [1000, 1]


def test_github_installation_token_revokes_itself(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    token = tokens.github("ghs_")
    with StandIn(GitHub(token)) as server:
        ctx = context({"KEYSCAN_ENDPOINT_GITHUB": server.url})
        assert execute(findings(("test-github", token)), rules, ctx, tmp_path / "a.jsonl") == 0
    (request,) = server.requests
    assert (request.method, request.path) == ("DELETE", "/installation/token")
    assert request.headers["authorization"] == f"Bearer {token}"
    assert audit_records(tmp_path / "a.jsonl")[0]["status"] == 204


def test_github_validate_skips_dead_keys_and_verifies_live_ones(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    live, dead = tokens.github(), tokens.github()
    with StandIn(GitHub(live)) as server:
        ctx = context({"KEYSCAN_ENDPOINT_GITHUB": server.url})
        code = execute(findings(("test-github", live), ("test-github", dead)), rules, ctx, tmp_path / "a.jsonl",
                       validate=True)
    assert code == 0
    calls = [(r.method, r.path, r.bearer()) for r in server.requests]
    assert calls[:2] == [("GET", "/user", live), ("GET", "/user", dead)]
    assert calls[2][:2] == ("POST", "/credentials/revoke")
    assert json.loads(server.requests[2].body) == {"credentials": [live]}  # the dead key was never sent
    assert calls[3] == ("GET", "/user", live)  # verification after revoking
    records = audit_records(tmp_path / "a.jsonl")
    summary = [(r["action"], r["outcome"], r.get("liveness")) for r in records]
    assert ("revoke", "skipped", None) in summary
    assert summary[-1] == ("verify", "succeeded", "dead")


def test_gitlab_token_revokes_itself_with_private_token(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    token = tokens.gitlab()
    issuer = GitLab(token)
    with StandIn(issuer) as server:
        ctx = context({"KEYSCAN_ENDPOINT_GITLAB": server.url})
        assert execute(findings(("test-gitlab", token)), rules, ctx, tmp_path / "a.jsonl") == 0
    (request,) = server.requests
    assert (request.method, request.path) == ("DELETE", "/api/v4/personal_access_tokens/self")
    assert request.headers["private-token"] == token
    assert "authorization" not in request.headers
    assert request.body == b""
    assert issuer.revoked == [token]
    _no_secret_in(tmp_path / "a.jsonl", token)


def test_gitlab_self_managed_base_comes_from_the_operator_config(rules) -> None:  # type: ignore[no-untyped-def]
    from keyscan.revoke.plan import build_plan
    from keyscan.revoke.report_input import credentials_from_records

    ctx = context({}, RevokeConfig(gitlab_url="https://git.example.org/gitlab"), allow=False)
    (entry,) = build_plan(credentials_from_records(findings(("test-gitlab", tokens.gitlab())), "t"), rules, ctx)
    assert entry.step is not None and entry.step.request is not None
    assert entry.step.request.url == "https://git.example.org/gitlab/api/v4/personal_access_tokens/self"


def test_slack_success_is_judged_by_the_json_body(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    live, dead = tokens.slack_bot(), tokens.slack_bot()
    issuer = Slack(live)
    with StandIn(issuer) as server:
        ctx = context({"KEYSCAN_ENDPOINT_SLACK": server.url})
        code = execute(findings(("test-slack", live), ("test-slack", dead)), rules, ctx, tmp_path / "a.jsonl")
    assert code == 1  # the dead token failed although Slack answered HTTP 200
    assert [(r.method, r.path, r.bearer()) for r in server.requests] == [
        ("POST", "/api/auth.revoke", live), ("POST", "/api/auth.revoke", dead)]
    assert server.requests[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert server.requests[0].body == b""
    records = audit_records(tmp_path / "a.jsonl")
    assert [(r["status"], r["outcome"]) for r in records] == [(200, "succeeded"), (200, "failed")]
    assert "invalid_auth" in records[1]["detail"]


def test_slack_internal_error_is_unknown_not_failed(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.standins import Reply

    def handler(request):  # type: ignore[no-untyped-def]
        return Reply(200, b'{"ok": false, "error": "internal_error"}', {"Content-Type": "application/json"})

    with StandIn(handler) as server:
        ctx = context({"KEYSCAN_ENDPOINT_SLACK": server.url})
        execute(findings(("test-slack", tokens.slack_bot())), rules, ctx, tmp_path / "a.jsonl")
    assert len(server.requests) == 1
    assert audit_records(tmp_path / "a.jsonl")[0]["outcome"] == "unknown"


def test_buildkite_token_revokes_itself(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    token = tokens.buildkite()
    issuer = Buildkite(token)
    with StandIn(issuer) as server:
        ctx = context({"KEYSCAN_ENDPOINT_BUILDKITE": server.url})
        assert execute(findings(("test-buildkite", token)), rules, ctx, tmp_path / "a.jsonl", validate=True) == 0
    assert [(r.method, r.path) for r in server.requests] == [
        ("GET", "/v2/access-token"), ("DELETE", "/v2/access-token"), ("GET", "/v2/access-token")]
    assert all(r.headers["authorization"] == f"Bearer {token}" for r in server.requests)
    assert server.requests[1].body == b""
    assert issuer.revoked == [token]
    assert [r["outcome"] for r in audit_records(tmp_path / "a.jsonl")] == ["succeeded", "succeeded", "succeeded"]


def test_digitalocean_revokes_with_form_token_and_bearer(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    token = tokens.digitalocean()
    issuer = DigitalOcean(token)
    with StandIn(issuer) as oauth, StandIn(issuer) as api:
        ctx = context({"KEYSCAN_ENDPOINT_DIGITALOCEAN": oauth.url, "KEYSCAN_ENDPOINT_DIGITALOCEAN_API": api.url})
        assert execute(findings(("test-digitalocean", token)), rules, ctx, tmp_path / "a.jsonl",
                       validate=True) == 0
    (revoke,) = oauth.requests
    assert (revoke.method, revoke.path) == ("POST", "/v1/oauth/revoke")
    assert revoke.headers["authorization"] == f"Bearer {token}"
    assert revoke.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(revoke.body.decode()) == {"token": [token]}
    assert [(r.method, r.path) for r in api.requests] == [("GET", "/v2/account")] * 2
    assert issuer.revoked == [token]


def test_vault_address_only_from_config_and_revoke_self(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    token = tokens.vault()
    issuer = Vault(token)
    with StandIn(issuer) as server:
        unconfigured = context({}, allow=False)
        execute(findings(("test-vault", token)), rules, unconfigured, tmp_path / "none.jsonl")
        record = audit_records(tmp_path / "none.jsonl")[0]
        assert record["outcome"] == "skipped" and "vault.address" in record["detail"]
        ctx = context({"KEYSCAN_ENDPOINT_VAULT": server.url}, RevokeConfig(vault_namespace="team-a"))
        assert execute(findings(("test-vault", token)), rules, ctx, tmp_path / "a.jsonl") == 0
    (request,) = server.requests
    assert (request.method, request.path) == ("POST", "/v1/auth/token/revoke-self")
    assert request.headers["x-vault-token"] == token
    assert request.headers["x-vault-namespace"] == "team-a"
    assert "authorization" not in request.headers
    assert audit_records(tmp_path / "a.jsonl")[0]["status"] == 204
    _no_secret_in(tmp_path / "a.jsonl", token)


def test_npm_masks_the_token_in_the_path(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    token = tokens.npm()
    issuer = Npm(token)
    lines: list[str] = []
    with StandIn(issuer) as server:
        ctx = context({"KEYSCAN_ENDPOINT_NPM": server.url})
        assert execute(findings(("test-npm", token)), rules, ctx, tmp_path / "a.jsonl", lines=lines) == 0
    (request,) = server.requests
    assert (request.method, request.path) == ("DELETE", "/-/user/token/" + quote(token, safe=""))
    assert request.headers["authorization"] == f"Bearer {token}"
    assert issuer.revoked == [token]
    record = audit_records(tmp_path / "a.jsonl")[0]
    assert record["request"]["path"].startswith("/-/user/token/npm_") and "*" in record["request"]["path"]
    _no_secret_in(tmp_path / "a.jsonl", token)
    assert not any(token in line for line in lines)


def test_each_credential_gets_exactly_one_request(rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tokens_ = [tokens.gitlab() for _ in range(3)]
    records = findings(*[("test-gitlab", t) for t in tokens_]) + findings(("test-gitlab", tokens_[0]))
    with StandIn(GitLab(*tokens_)) as server:
        ctx = context({"KEYSCAN_ENDPOINT_GITLAB": server.url})
        assert execute(records, rules, ctx, tmp_path / "a.jsonl") == 0
    assert sorted(r.headers["private-token"] for r in server.requests) == sorted(tokens_)
    assert len(audit_records(tmp_path / "a.jsonl")) == 3
