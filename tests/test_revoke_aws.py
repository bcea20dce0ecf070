"""The AWS hook: deactivate (or, with --aws-delete, delete) a key through IAM's Query API with an admin profile.

The IAM stand-in accepts only requests SigV4-signed by the admin profile's key,
so the tests also prove the leaked key is never used to sign anything.
"""

from __future__ import annotations

import sys

import pytest

from keyscan.revoke.hooks.aws import MISSING_BOTOCORE
from keyscan.revoke.plan import build_plan
from keyscan.revoke.report_input import credentials_from_records
from keyscan.revoke.settings import RevokeConfig
from tests.standins import Reply, StandIn, tokens
from tests.standins.harness import audit_records, context, execute, findings, load_rules
from tests.standins.issuers import Iam

pytest.importorskip("botocore")

PROFILE = "keyscan-test-admin"


@pytest.fixture(scope="module")
def rules(tmp_path_factory):  # type: ignore[no-untyped-def]
    return load_rules(tmp_path_factory.mktemp("rules"))


@pytest.fixture
def admin(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """A throwaway AWS profile (random dummy keys) and no other credential source."""
    key_id = tokens.aws_key_id()
    (tmp_path / "credentials").write_text(
        f"[{PROFILE}]\naws_access_key_id = {key_id}\naws_secret_access_key = {tokens.aws_secret()}\n")
    (tmp_path / "config").write_text(f"[profile {PROFILE}]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    return key_id


def _ctx(server, **kwargs):  # type: ignore[no-untyped-def]
    return context({"KEYSCAN_ENDPOINT_AWS": server.url}, RevokeConfig(aws_profile=PROFILE), **kwargs)


def test_deactivates_the_key_of_its_owner_with_the_admin_profile(rules, admin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    leaked = tokens.aws_key_id()
    iam = Iam(admin, {leaked: ("build-bot", "Active")})
    with StandIn(iam) as server:
        assert execute(findings(("test-aws", leaked)), rules, _ctx(server), tmp_path / "a.jsonl") == 0
    assert [a["Action"] for a in iam.actions] == ["GetAccessKeyLastUsed", "UpdateAccessKey"]
    update = iam.actions[1]
    assert (update["AccessKeyId"], update["UserName"], update["Status"]) == (leaked, "build-bot", "Inactive")
    assert iam.keys[leaked] == ("build-bot", "Inactive")
    assert all(r.method == "POST" and r.path == "/" for r in server.requests)
    assert not any(leaked in r.headers.get("authorization", "") for r in server.requests)
    (record,) = audit_records(tmp_path / "a.jsonl")
    assert record["outcome"] == "succeeded" and record["step"] == "deactivate" and record["status"] == 200
    assert leaked not in (tmp_path / "a.jsonl").read_text()


def test_delete_only_with_the_explicit_flag(rules, admin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    leaked = tokens.aws_key_id()
    iam = Iam(admin, {leaked: ("build-bot", "Active")})
    with StandIn(iam) as server:
        plan = build_plan(credentials_from_records(findings(("test-aws", leaked)), "t"), rules, _ctx(server))
        assert plan[0].step is not None and plan[0].step.reversible and plan[0].step.action == "deactivate"
        assert execute(findings(("test-aws", leaked)), rules, _ctx(server, aws_delete=True),
                       tmp_path / "a.jsonl") == 0
    assert [a["Action"] for a in iam.actions] == ["GetAccessKeyLastUsed", "DeleteAccessKey"]
    assert leaked not in iam.keys


def test_validate_skips_an_inactive_key(rules, admin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    leaked = tokens.aws_key_id()
    iam = Iam(admin, {leaked: ("build-bot", "Inactive")})
    with StandIn(iam) as server:
        execute(findings(("test-aws", leaked)), rules, _ctx(server), tmp_path / "a.jsonl", validate=True)
    assert "UpdateAccessKey" not in [a["Action"] for a in iam.actions]
    records = audit_records(tmp_path / "a.jsonl")
    assert (records[0]["action"], records[0]["liveness"]) == ("validate", "dead")
    assert (records[1]["action"], records[1]["outcome"]) == ("revoke", "skipped")


def test_unknown_key_fails_without_any_mutation(rules, admin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    iam = Iam(admin, {})
    with StandIn(iam) as server:
        assert execute(findings(("test-aws", tokens.aws_key_id())), rules, _ctx(server), tmp_path / "a.jsonl") == 1
    assert [a["Action"] for a in iam.actions] == ["GetAccessKeyLastUsed"]
    (record,) = audit_records(tmp_path / "a.jsonl")
    assert record["outcome"] == "failed" and "NoSuchEntity" in record["detail"]


def test_a_server_error_on_the_update_is_unknown_and_not_retried(rules, admin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    leaked = tokens.aws_key_id()
    iam = Iam(admin, {leaked: ("build-bot", "Active")})

    def flaky(request):  # type: ignore[no-untyped-def]
        reply = iam(request)
        return Reply(500, b"<ErrorResponse><Error><Code>ServiceFailure</Code></Error></ErrorResponse>") \
            if b"Action=UpdateAccessKey" in request.body else reply

    with StandIn(flaky) as server:
        assert execute(findings(("test-aws", leaked)), rules, _ctx(server), tmp_path / "a.jsonl") == 1
    assert [a["Action"] for a in iam.actions] == ["GetAccessKeyLastUsed", "UpdateAccessKey"]
    assert audit_records(tmp_path / "a.jsonl")[0]["outcome"] == "unknown"


def test_temporary_keys_and_missing_profile_are_refused(rules) -> None:  # type: ignore[no-untyped-def]
    temporary = "ASIA" + tokens.aws_key_id()[4:]
    records = findings(("test-aws", tokens.aws_key_id()))
    (entry,) = build_plan(credentials_from_records(records, "t"), rules, context({}))
    assert entry.kind == "skip" and "aws.profile" in entry.refusal
    from keyscan.revoke.hooks.aws import AwsHook

    ctx = context({}, RevokeConfig(aws_profile=PROFILE))
    (credential,) = credentials_from_records(findings(("test-aws", temporary)), "t")
    with pytest.raises(Exception, match="ASIA"):
        AwsHook({"hook": "aws"}).plan(credential, ctx)


def test_missing_botocore_is_one_clear_line(rules, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name in [m for m in sys.modules if m == "botocore" or m.startswith("botocore.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "botocore", None)
    ctx = context({}, RevokeConfig(aws_profile=PROFILE))
    (entry,) = build_plan(credentials_from_records(findings(("test-aws", tokens.aws_key_id())), "t"), rules, ctx)
    assert entry.refusal == MISSING_BOTOCORE == "the AWS hook needs botocore: pip install 'keyscan[aws]'"
