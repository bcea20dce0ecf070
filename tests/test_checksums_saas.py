"""Offline validators of the SaaS/observability family: Grafana service account tokens and
Sentry organization tokens.  Every token is generated here from random characters."""

from __future__ import annotations

import base64
import json
import secrets
import zlib

import pytest

from keyscan.engine.checksums import CHECKSUMS, grafana_service_account, sentry_org_token
from keyscan.engine.detector import Detector
from keyscan.model import Chunk
from keyscan.rules import load_builtin_rules
from keyscan.settings import Settings
from tests.tokens import random_text


def grafana_token() -> str:
    head = "glsa_" + random_text(32)
    return head + "_" + zlib.crc32(head.encode()).to_bytes(4, "little").hex()


def sentry_token(payload: dict[str, object] | None = None) -> str:
    if payload is None:
        payload = {"iat": 1_700_000_000.5 + secrets.randbelow(10**6), "url": "https://sentry.io",
                   "region_url": "https://us.sentry.io", "org": "org-" + random_text(6).lower()}
    body = base64.b64encode(json.dumps(payload).encode()).decode()
    return f"sntrys_{body}_" + base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def _flip_last(token: str) -> str:
    return token[:-1] + ("0" if token[-1] != "0" else "1")


def test_validators_are_registered_by_name() -> None:
    assert CHECKSUMS["grafana-sa-crc32"] is grafana_service_account
    assert CHECKSUMS["sentry-org-token"] is sentry_org_token


@pytest.mark.parametrize("_", range(20))
def test_grafana_accepts_generated_tokens(_: int) -> None:
    assert grafana_service_account(grafana_token())


def test_grafana_rejects_a_changed_checksum_or_body() -> None:
    token = grafana_token()
    assert not grafana_service_account(_flip_last(token))
    body_changed = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    assert not grafana_service_account(body_changed)


def test_grafana_checksum_is_little_endian_not_big_endian() -> None:
    head = "glsa_" + random_text(32)
    value = zlib.crc32(head.encode())
    if value.to_bytes(4, "big") == value.to_bytes(4, "little"):
        pytest.skip("palindromic checksum")
    assert not grafana_service_account(head + "_" + format(value, "08x"))


@pytest.mark.parametrize("token", ["", "glsa_", "glsa__", "glsa_abc_1234567", "glpat_" + "a" * 32 + "_00000000"])
def test_grafana_rejects_malformed_input(token: str) -> None:
    assert not grafana_service_account(token)


@pytest.mark.parametrize("_", range(20))
def test_sentry_accepts_generated_tokens(_: int) -> None:
    assert sentry_org_token(sentry_token())


@pytest.mark.parametrize(
    "token",
    [
        sentry_token({"url": "https://sentry.io", "org": "acme"}),  # no issue time
        sentry_token({"iat": 0, "org": "acme"}),  # empty issue time
        "sntrys_" + base64.b64encode(b"[1, 2, 3]").decode() + "_" + "A" * 43,  # not an object
        "sntrys_" + base64.b64encode(b"not json at all").decode() + "_" + "A" * 43,
        "sntrys_eyJ!!!!_" + "A" * 43,  # not base64
        "sntrys_" + "A" * 43,  # no payload
        "sntryu_" + "a" * 64,
    ],
    ids=["no-iat", "empty-iat", "not-object", "not-json", "not-base64", "no-payload", "user-token"],
)
def test_sentry_rejects_tokens_without_a_valid_payload(token: str) -> None:
    assert not sentry_org_token(token)


def _scan(rule_id: str, text: str) -> list[str]:
    rule = next(r for r in load_builtin_rules() if r.id == rule_id)
    findings = Detector([rule], Settings(decode_base64=False)).scan(Chunk(text=text, path="app.env")).findings
    return [f.checksum for f in findings]


def test_rules_report_only_tokens_whose_checksum_holds() -> None:
    grafana, sentry = grafana_token(), sentry_token()
    assert _scan("grafana-service-account-token", f"GRAFANA_TOKEN={grafana}") == ["valid"]
    assert _scan("grafana-service-account-token", f"GRAFANA_TOKEN={_flip_last(grafana)}") == []
    assert _scan("sentry-org-token", f"SENTRY_AUTH_TOKEN={sentry}") == ["valid"]
    forged = sentry_token({"org": "acme"})
    assert _scan("sentry-org-token", f"SENTRY_AUTH_TOKEN={forged}") == []
