"""Inline allow comments: keyscan's own marker, rule-scoped markers, the peers' markers, line scope."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from keyscan.engine.inline import allowed_inline
from tests.clirun import run_cli
from tests.tokens import aws_key_id, github_token

GH = "github-pat-classic"


def _scan_json(root: Path, *args: str) -> tuple[int, dict]:
    result = run_cli("scan", "--pure", "--no-git", str(root), "-f", "json", "--show-suppressed", "--show-secrets=yes",
                     *args)
    assert result.code in (0, 1), result.stderr
    return result.code, json.loads(result.stdout)


@pytest.mark.parametrize(
    ("line", "covered"),
    [
        ("x = 1  # keyscan:allow", True),
        ("x = 1  // keyscan:allow", True),
        ("x = 1  /* keyscan:allow */", True),
        ("x = 1  <!-- keyscan:allow -->", True),
        ("x = 1  -- keyscan:allow", True),
        ("x = 1  ; keyscan:allow", True),
        ("REM keyscan:allow", True),
        ("x = 1  # keyscan:allow -- test fixture, not a real token", True),
        ("x = 1  # keyscan:allow github-pat-classic", True),
        ("x = 1  # keyscan:allow aws-access-key-id, github-pat-classic -- fixtures", True),
        ("x = 1  /* keyscan:allow github-pat-classic*/", True),
        ("x = 1  # keyscan:allow GITHUB-PAT-CLASSIC", True),
        ("x = 1  # keyscan:allow aws-access-key-id", False),
        ("x = 1  # keyscan:allow because it is a test", False),  # words after the marker are rule ids
        ("x = 1  # keyscan:allowed", False),
        ("x = 1  # keyscan", False),
        ("x = 1  # allow", False),
        ("x = 1  # gitleaks:allow", True),
        ("x = 1  # betterleaks:allow", True),
        ("x = 1  # pragma: allowlist secret", True),
        ("x = 1  # trufflehog:ignore", True),
        ("x = 1  # pragma: allowlist nextline secret", False),  # only same-line markers are honoured
    ],
)
def test_marker_syntax(line: str, covered: bool) -> None:
    assert allowed_inline(line, GH) is covered


def test_allow_comment_suppresses_its_line_only(tmp_path: Path) -> None:
    allowed, next_line, before = github_token(), github_token(), github_token()
    (tmp_path / "app.py").write_text(
        f"A = '{allowed}'  # keyscan:allow\n"
        f"B = '{next_line}'\n"
        "# keyscan:allow\n"
        f"C = '{before}'\n"
    )
    code, report = _scan_json(tmp_path)
    assert code == 1
    assert {f["secret"] for f in report["findings"]} == {next_line, before}
    assert [(f["secret"], f["suppressed_by"]) for f in report["suppressed"]] == [(allowed, "inline")]
    assert report["summary"]["suppressed"] == {"inline": 1}


def test_rule_scoped_marker_covers_only_that_rule(tmp_path: Path) -> None:
    token, key_id = github_token(), aws_key_id()
    (tmp_path / "settings.py").write_text(
        f"TOKEN = '{token}'  # keyscan:allow aws-access-key-id\n"
        f"KEY_ID = '{key_id}'  # keyscan:allow aws-access-key-id -- documented fixture\n"
    )
    code, report = _scan_json(tmp_path)
    assert code == 1
    assert [f["secret"] for f in report["findings"]] == [token]
    assert [f["secret"] for f in report["suppressed"]] == [key_id]


@pytest.mark.parametrize("marker", ["# gitleaks:allow", "# pragma: allowlist secret", "// betterleaks:allow"])
def test_peer_markers_are_honoured(tmp_path: Path, marker: str) -> None:
    token = github_token()
    (tmp_path / "legacy.cfg").write_text(f"token = {token}  {marker}\n")
    code, report = _scan_json(tmp_path)
    assert code == 0
    assert report["findings"] == []
    assert report["suppressed"][0]["suppressed_by"] == "inline"


def test_allow_comment_covers_a_secret_inside_base64_on_its_line(tmp_path: Path) -> None:
    token = github_token()
    encoded = base64.b64encode(f"GITHUB_TOKEN={token}\n".encode()).decode()
    (tmp_path / "secret.yaml").write_text(f"data:\n  env: {encoded}  # keyscan:allow\n  other: {encoded}\n")
    code, report = _scan_json(tmp_path)
    assert code == 1
    assert [(f["line"], f.get("decoded_from")) for f in report["findings"]] == [(3, "base64")]
    assert [(f["line"], f["suppressed_by"]) for f in report["suppressed"]] == [(2, "inline")]


def test_suppressed_findings_are_hidden_unless_asked_and_always_counted(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text(f"TOKEN={github_token()} # keyscan:allow\n")
    quiet = run_cli("scan", "--pure", "--no-git", str(tmp_path))
    assert quiet.code == 0
    assert "Suppressed findings" not in quiet.stdout
    assert "suppressed: 1 by inline" in quiet.stdout
    shown = run_cli("scan", "--pure", "--no-git", str(tmp_path), "--show-suppressed")
    assert "Suppressed findings" in shown.stdout
    assert "(inline)" in shown.stdout
