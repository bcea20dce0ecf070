"""The Discord bot-token structure check, on tokens built at test time from random parts."""

from __future__ import annotations

import base64
import secrets
import string

import pytest

from keyscan.engine.checksums import CHECKSUMS, discord_bot_token
from keyscan.engine.detector import Detector
from keyscan.model import Chunk
from keyscan.rules import load_builtin_rules
from keyscan.settings import Settings

URLSAFE = string.ascii_letters + string.digits + "-_"
DISCORD_EPOCH_MS = 1_420_070_400_000


def _random(length: int) -> str:
    return "".join(secrets.choice(URLSAFE) for _ in range(length))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _snowflake(created_ms: int) -> int:
    return ((created_ms - DISCORD_EPOCH_MS) << 22) | secrets.randbelow(1 << 22)


def _token(first: str, hmac_length: int = 38) -> str:
    return f"{first}.{_random(6)}.{_random(hmac_length)}"


def _valid_token() -> str:
    created = DISCORD_EPOCH_MS + 86_400_000 * (400 + secrets.randbelow(3000))
    return _token(_b64(str(_snowflake(created)).encode()))


def test_registered_under_its_rule_name() -> None:
    assert CHECKSUMS["discord-bot-token"] is discord_bot_token


@pytest.mark.parametrize("hmac_length", [27, 38])
def test_accepts_a_random_snowflake_id(hmac_length: int) -> None:
    created = DISCORD_EPOCH_MS + 86_400_000 * (400 + secrets.randbelow(3000))
    token = _token(_b64(str(_snowflake(created)).encode()), hmac_length)
    assert discord_bot_token(token)


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(_b64(b"bot" + secrets.token_hex(8).encode()), id="not-digits"),
        pytest.param(_b64(b"1234567890123"), id="too-short"),
        pytest.param(_b64(b"0" + str(secrets.randbelow(10**17)).rjust(17, "1").encode()), id="leading-zero"),
        pytest.param(_b64(str(_snowflake(2_300_000_000_000)).encode()), id="created-in-the-future"),
        pytest.param("!!not-base64!!", id="undecodable"),
    ],
)
def test_rejects_a_first_part_that_is_not_a_user_id(first: str) -> None:
    assert not discord_bot_token(_token(first))


def test_rejects_wrong_part_count_and_short_parts() -> None:
    first = _valid_token().split(".")[0]
    assert not discord_bot_token(first + "." + _random(6))
    assert not discord_bot_token(f"{first}.{_random(3)}.{_random(38)}")
    assert not discord_bot_token(f"{first}.{_random(6)}.{_random(10)}")
    assert not discord_bot_token(_valid_token() + "." + _random(6))


def test_rule_reports_valid_tokens_and_drops_lookalikes() -> None:
    rule = next(r for r in load_builtin_rules() if r.id == "discord-bot-token")
    detector = Detector([rule], Settings(decode_base64=False))
    good = _valid_token()
    bad = _token(_b64(b"1abc" + secrets.token_hex(7).encode()))  # starts like an id, is not one
    text = f'bot.run("{good}")\nother = "{bad}"\n'
    findings = detector.scan(Chunk(text=text, path="bot.py")).findings
    assert [(f.secret, f.line, f.checksum) for f in findings] == [(good, 1, "valid")]
