"""Offline validators and rules of the code-hosting, CI and package-registry family.

Tokens are built here from the providers' documented schemes over random characters, with this
file's own encoders, so a validator that drifts from the scheme fails these tests.
"""

from __future__ import annotations

import base64
import secrets
import string
import uuid
import zlib

import pytest

from keyscan.engine.checksums import CHECKSUMS
from keyscan.engine.detector import Detector
from keyscan.model import Chunk
from keyscan.rules import load_builtin_rules
from keyscan.settings import Settings

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B36 = string.digits + string.ascii_lowercase


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _encode(number: int, digits: str, width: int) -> str:
    out = ""
    while number:
        number, rest = divmod(number, len(digits))
        out = digits[rest] + out
    return out.rjust(width, "0")


def github_style(prefix: str) -> str:
    """GitHub/npm scheme: prefix_, 30 random base62 characters, CRC32 of them as 6 base62 digits."""
    body = _random(ALNUM, 30)
    return f"{prefix}_{body}{_encode(zlib.crc32(body.encode()), B62, 6)}"


def gitlab_routable(prefix: str, versioned: bool = True, length_delta: int = 0) -> str:
    """GitLab routable token: prefix, base64url(random + routing payload + its size), '.', version,
    '.', payload length in base 36, CRC32 of all of that in 7 base-36 digits."""
    routing = f"o:{_random(B36, 3)}\nu:{_random(B36, 4)}".encode()
    b64 = base64.urlsafe_b64encode(secrets.token_bytes(16) + routing + bytes([len(routing)])).decode().rstrip("=")
    head = f"{prefix}{b64}." + ("01." if versioned else "") + _encode(len(b64) + length_delta, B36, 2)
    return head + _encode(zlib.crc32(head.encode()), B36, 7)


def packagist(prefix: str) -> str:
    """Private Packagist: prefix, 60 random hex, CRC32 of prefix and random part as 8 hex digits."""
    head = prefix + _random("0123456789abcdef", 60)
    return head + format(zlib.crc32(head.encode()), "08x")


def pypi(host: bytes = b"pypi.org", signature: bool = True) -> str:
    """A v2 binary macaroon: version 2, location, identifier, EOS, one caveat, EOS, signature."""
    ident = str(uuid.uuid4()).encode()
    caveat = b'{"version": 1, "permissions": "user"}'
    raw = (b"\x02\x01" + bytes([len(host)]) + host + b"\x02" + bytes([len(ident)]) + ident + b"\x00"
           + b"\x02" + bytes([len(caveat)]) + caveat + b"\x00\x00")
    raw += (b"\x06\x20" + secrets.token_bytes(32)) if signature else secrets.token_bytes(34)
    return "pypi-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _flip_last(token: str, alphabet: str) -> str:
    return token[:-1] + next(c for c in alphabet if c != token[-1])


@pytest.mark.parametrize("prefix", ["ghp", "gho", "ghu", "ghs", "ghr", "npm"])
def test_github_style_checksum(prefix: str) -> None:
    token = github_style(prefix)
    assert CHECKSUMS["crc32-base62"](token)
    assert not CHECKSUMS["crc32-base62"](_flip_last(token, B62))


@pytest.mark.parametrize("prefix", ["glpat-", "glrt-", "gldt-"])
@pytest.mark.parametrize("versioned", [True, False])
def test_gitlab_routable_checksum(prefix: str, versioned: bool) -> None:
    check = CHECKSUMS["gitlab-routable"]
    token = gitlab_routable(prefix, versioned)
    assert check(token)
    assert not check(_flip_last(token, B36))
    assert not check(token.upper())


def test_gitlab_routable_rejects_a_wrong_payload_length_even_with_a_matching_crc() -> None:
    assert not CHECKSUMS["gitlab-routable"](gitlab_routable("glpat-", length_delta=200))


def test_gitlab_routable_rejects_garbage() -> None:
    check = CHECKSUMS["gitlab-routable"]
    assert not check("")
    assert not check("glpat-" + _random(URLSAFE, 20))
    assert not check("glpat-" + _random(URLSAFE, 40) + "." + _random(B36, 9))


@pytest.mark.parametrize("prefix", ["packagist_uut_", "packagist_out_", "packagist_ort_"])
def test_packagist_checksum(prefix: str) -> None:
    check = CHECKSUMS["crc32-hex8"]
    token = packagist(prefix)
    assert check(token)
    assert not check(_flip_last(token, "0123456789abcdef"))
    # the checksum covers the prefix too: moving the random part to another prefix breaks it
    other = "packagist_ort_" if prefix != "packagist_ort_" else "packagist_uut_"
    assert not check(other + token[len(prefix):])


def test_pypi_macaroon_structure() -> None:
    check = CHECKSUMS["pypi-macaroon"]
    assert check(pypi())
    assert check(pypi(b"test.pypi.org"))
    assert not check(pypi(signature=False))
    assert not check(pypi()[:-10])
    assert not check("pypi-AgEIcHlwaS5vcmc" + base64.urlsafe_b64encode(secrets.token_bytes(90)).decode())


# ---- the rules, with the whole catalog loaded ------------------------------------------------

FULL = Detector(list(load_builtin_rules()), Settings(decode_base64=False))


def _reported(text: str, path: str = "config.txt") -> list[tuple[str, str]]:
    return [(f.rule_id, f.secret) for f in FULL.scan(Chunk(text=text, path=path)).findings]


def test_each_gitlab_format_is_reported_by_one_rule() -> None:
    legacy = "glpat-" + _random(ALNUM, 20)
    routable = gitlab_routable("glpat-")
    runner = gitlab_routable("glrt-", versioned=False)
    text = f"A={legacy}\nB={routable}\nC={runner}\n"
    assert _reported(text) == [("gitlab-pat", legacy), ("gitlab-pat-routable", routable),
                               ("gitlab-routable-token", runner)]


def test_routable_token_with_a_bad_crc_is_not_reported() -> None:
    reported = _reported("GITLAB_TOKEN=" + _flip_last(gitlab_routable("glpat-"), B36))
    assert [rule for rule, _ in reported if rule.startswith("gitlab-")] == []


def test_npm_token_in_npmrc_is_reported_as_an_npm_token_once() -> None:
    token = github_style("npm")
    assert _reported(f"//registry.npmjs.org/:_authToken={token}\n", ".npmrc") == [("npm-access-token", token)]


def test_legacy_npmrc_token_is_reported_by_the_npmrc_rule() -> None:
    token = str(uuid.uuid4())
    assert _reported(f"//registry.npmjs.org/:_authToken={token}\n", ".npmrc") == [("npm-npmrc-auth-token", token)]


def test_installation_token_formats_do_not_overlap() -> None:
    classic = github_style("ghs")
    jwt = "ghs_1234567_eyJ{}.eyJ{}.{}".format(*(_random(ALNUM, n) for n in (20, 150, 43)))
    assert _reported(f"T1={classic}\nT2={jwt}\n") == [("github-app-installation-token", classic),
                                                     ("github-app-installation-token-jwt", jwt)]


def test_packagist_and_pypi_tokens_are_found_in_auth_files() -> None:
    token = packagist("packagist_ort_")
    pypi_token = pypi()
    assert _reported(f'{{"password": "{token}"}}', "auth.json") == [("packagist-readonly-token", token)]
    assert _reported(f"[pypi]\npassword = {pypi_token}\n", ".pypirc") == [("pypi-api-token", pypi_token)]
