"""The offline validators used by the generic rules: HTTP Basic pairs and JWT structure.

Every credential here is random test data built in the test itself.
"""

from __future__ import annotations

import base64
import json
import secrets

import pytest

from keyscan.engine.checksums import CHECKSUMS

basic_auth = CHECKSUMS["basic-auth"]
jwt = CHECKSUMS["jwt"]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(header: dict[str, object], payload: dict[str, object], signature: str) -> str:
    return f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(payload).encode())}.{signature}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (_b64("deploy:" + secrets.token_urlsafe(12)), True),
        (_b64("ci@corp.internal:" + secrets.token_hex(10)), True),
        (_b64("user:pa:ss"), True),  # the password may contain ':'
        (_b64("no-colon-here"), False),
        (_b64(":only-password"), False),
        (_b64("only-user:"), False),
        (_b64("user: spaced"), False),
        (_b64("user:bell\x07"), False),
        ("Authentication", False),  # a word, not base64 of user:pass
        ("ZGVwbG95OnBhc3M", False),  # unpadded: not a valid Basic value
        ("!!!!not-base64!!!!", False),
    ],
    ids=[f"case-{i}" for i in range(11)],  # values are random: stable ids keep xdist workers in step
)
def test_basic_auth_pair(value: str, expected: bool) -> None:
    assert basic_auth(value) is expected


SIGNATURE = _b64url(secrets.token_bytes(32))


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (_jwt({"alg": "HS256", "typ": "JWT"}, {"sub": "svc", "exp": 1893456000}, SIGNATURE), True),
        (_jwt({"alg": "RS256", "kid": "k1"}, {"iss": "https://auth.corp.internal"}, SIGNATURE * 4), True),
        (_jwt({"alg": "none"}, {"sub": "admin"}, ""), True),  # unsecured tokens still count
        (_jwt({"alg": "none"}, {"sub": "admin"}, SIGNATURE), False),  # alg none carries no signature
        (_jwt({"alg": "HS256"}, {"sub": "svc"}, ""), False),  # signature stripped
        (_jwt({"alg": "HS256"}, {"sub": "svc"}, SIGNATURE[:6]), False),  # cut short in the signature
        (_jwt({"typ": "JWT"}, {"sub": "svc"}, SIGNATURE), False),  # header without alg
        (_jwt({"alg": "HS256"}, {"sub": "svc"}, SIGNATURE).rsplit(".", 1)[0], False),  # two parts only
        ("eyJub3RfYV9qd3RfYXRfYWxs.eyJ0aGlzX2lzX25vdA.c2lnbmF0dXJlX2hlcmVfMTIzNDU2Nzg", False),
        (_b64url(b'{"alg":"HS256"}') + "." + _b64url(b"[1, 2]") + "." + SIGNATURE, False),  # payload not an object
    ],
    ids=[f"case-{i}" for i in range(10)],  # values are random: stable ids keep xdist workers in step
)
def test_jwt_structure(token: str, expected: bool) -> None:
    assert jwt(token) is expected
