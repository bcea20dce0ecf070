"""End-to-end working-tree scans through the real CLI: planted secrets, clean trees, bad input."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.clirun import run_cli
from tests.tokens import aws_key_id, github_token


def _plant(root: Path) -> dict[str, tuple[str, int, int]]:
    """Write secrets into several file types; return secret -> (path, line, column)."""
    gh1, gh2, gh3, key_id = github_token(), github_token("gho"), github_token(), aws_key_id()
    (root / ".env").write_text(f"DEBUG=1\nGITHUB_TOKEN={gh1}\n")
    (root / "config.yaml").write_text(f"service:\n  name: api\n  aws_key: \"{key_id}\"\n")
    (root / "settings.json").write_text(json.dumps({"a": 1, "token": gh2}, indent=2) + "\n")
    (root / "app.py").write_text(f"import os\n\n\ndef connect():\n    return Client(token='{gh3}')\n")
    return {
        gh1: (".env", 2, 14),
        key_id: ("config.yaml", 3, 13),
        gh2: ("settings.json", 3, 13),
        gh3: ("app.py", 5, 26),
    }


def _json_findings(*args: str) -> tuple[int, dict]:
    result = run_cli("scan", *args, "-f", "json", "--show-secrets")
    return result.code, json.loads(result.stdout)


def test_each_planted_secret_is_reported_once_with_line_and_column(tmp_path: Path) -> None:
    planted = _plant(tmp_path)
    code, report = _json_findings(str(tmp_path), "--no-git")
    assert code == 1
    found = {}
    for finding in report["findings"]:
        assert finding["secret"] not in found, "reported twice"
        found[finding["secret"]] = (Path(finding["path"]).name, finding["line"], finding["column"])
    for secret, where in planted.items():
        assert found.get(secret) == where


def test_pem_private_key_block_is_one_finding(tmp_path: Path) -> None:
    key = tmp_path / "id_ec.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-out", str(key)], check=True, capture_output=True)
    code, report = _json_findings(str(tmp_path), "--no-git")
    assert code == 1
    pem = [f for f in report["findings"] if f["path"].endswith("id_ec.pem")]
    assert len(pem) == 1
    assert (pem[0]["line"], pem[0]["column"]) == (1, 1)
    assert pem[0]["secret"].startswith("-----BEGIN PRIVATE KEY-----")


def test_clean_directory_exits_zero(tmp_path: Path) -> None:
    (tmp_path / "readme.md").write_text("Nothing to see here.\n")
    (tmp_path / "main.py").write_text("print('hello')\n")
    result = run_cli("scan", str(tmp_path), "--no-git")
    assert result.code == 0
    assert "0 finding(s) in 2 file(s)" in result.stdout


def test_secrets_are_redacted_by_default_in_every_format(tmp_path: Path) -> None:
    token = github_token()
    (tmp_path / "a.env").write_text(f"T={token}\n")
    for fmt in ("text", "json", "jsonl", "sarif"):
        result = run_cli("scan", str(tmp_path), "--no-git", "-f", fmt)
        assert result.code == 1
        assert token not in result.stdout + result.stderr
        assert token[-4:] in result.stdout
    shown = run_cli("scan", str(tmp_path), "--no-git", "--show-secrets")
    assert token in shown.stdout


def test_show_secrets_refused_under_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.env").write_text(f"T={github_token()}\n")
    monkeypatch.setenv("CI", "true")
    refused = run_cli("scan", str(tmp_path), "--show-secrets")
    assert refused.code == 2 and "--show-secrets=force" in refused.stderr
    assert run_cli("scan", str(tmp_path), "--show-secrets=force").code == 1


def test_report_file_with_secrets_is_private(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.env").write_text(f"T={github_token()}\n")
    out = tmp_path / "report.json"
    result = run_cli("scan", str(tmp_path / "src"), "-f", "json", "-o", str(out), "--show-secrets")
    assert result.code == 1
    assert os.stat(out).st_mode & 0o777 == 0o600
    assert json.loads(out.read_text())["findings"]


def test_stdin_is_scanned() -> None:
    token = github_token()
    result = run_cli("scan", "-", "-f", "jsonl", stdin=f"x = '{token}'\n")
    assert result.code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["type"] == "finding" and lines[0]["path"] == "<stdin>"
    assert lines[-1]["type"] == "summary" and lines[-1]["findings"] == 1


def test_git_work_tree_skips_ignored_files(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("ignored.env\n")
    (tmp_path / "ignored.env").write_text(f"T={github_token()}\n")
    (tmp_path / "tracked.env").write_text(f"T={github_token()}\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "tracked.env", ".gitignore"], check=True)
    (tmp_path / "untracked.env").write_text(f"T={github_token()}\n")
    _, report = _json_findings(str(tmp_path))
    assert sorted(Path(f["path"]).name for f in report["findings"]) == ["tracked.env", "untracked.env"]
    _, report = _json_findings(str(tmp_path), "--no-git")
    assert len(report["findings"]) == 3


def test_binary_and_oversized_files_are_skipped_and_counted(tmp_path: Path) -> None:
    token = github_token()
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01" + token.encode() + b"\x00" * 100)
    (tmp_path / "big.txt").write_text("x" * 2048 + f"\nT={token}\n")
    code, report = _json_findings(str(tmp_path), "--no-git", "--max-file-size", "1KiB")
    assert code == 0
    assert report["summary"]["skipped"] == {"binary": 1, "too_large": 1, "other": 0, "cached": 0}
    text = run_cli("scan", str(tmp_path), "--no-git", "--max-file-size", "1KiB")
    assert "1 binary" in text.stdout and "1 over the size cap" in text.stdout


def test_invalid_utf8_and_utf16_are_decoded(tmp_path: Path) -> None:
    bad, wide = github_token(), github_token()
    (tmp_path / "bad.txt").write_bytes(b"\xfa\xfb\xc3 junk\n" + f"T={bad}\n".encode())
    (tmp_path / "wide.txt").write_bytes(f"T={wide}\n".encode("utf-16"))
    _, report = _json_findings(str(tmp_path), "--no-git")
    assert {f["secret"] for f in report["findings"]} == {bad, wide}


def test_symlinks_out_of_root_fifos_and_loops_are_skipped(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    root = tmp_path / "root"
    outside.mkdir()
    root.mkdir()
    (outside / "secret.env").write_text(f"T={github_token()}\n")
    (root / "link.env").symlink_to(outside / "secret.env")
    (root / "loop").symlink_to(root / "loop")
    os.mkfifo(root / "pipe")
    (root / "ok.txt").write_text("fine\n")
    code, report = _json_findings(str(root), "--no-git")
    assert code == 0
    assert report["findings"] == []
    warnings = "\n".join(report["summary"]["warnings"])
    assert "link.env" in warnings and "loop" in warnings and "pipe" in warnings
    assert report["summary"]["skipped"]["other"] == 3


def test_file_that_disappears_is_a_warning(tmp_path: Path) -> None:
    from keyscan.engine.detector import Detector
    from keyscan.rules import load_builtin_rules
    from keyscan.scanner import _init_worker, scan_file_batch
    from keyscan.sources.files import FileTarget

    _init_worker(Detector(list(load_builtin_rules())))
    result = scan_file_batch([FileTarget(str(tmp_path / "gone.txt"), "gone.txt")])
    assert result.summary.skipped_other == 1
    assert "gone.txt: unreadable" in result.summary.warnings[0]


def test_unknown_option_is_a_usage_error() -> None:
    result = run_cli("scan", "--no-such-option")
    assert result.code == 2
    assert "No such option" in result.stderr


def test_missing_path_is_one_line(tmp_path: Path) -> None:
    result = run_cli("scan", str(tmp_path / "nope"))
    assert result.code == 2
    assert result.stderr.strip().count("\n") == 0 and "no such file" in result.stderr


def test_broken_rule_file_names_file_rule_and_field(tmp_path: Path) -> None:
    rules = tmp_path / "bad.yaml"
    rules.write_text(
        "rules:\n  - id: my-rule\n    name: x\n    provider: x\n    severity: extreme\n    confidence: low\n"
        "    regex: 'abc'\n    references: [https://example.invalid/doc]\n    help: test\n"
        "    examples: {positive: [abc, xabc], negative: [d, e]}\n"
    )
    (tmp_path / "a.txt").write_text("hello\n")
    result = run_cli("scan", str(tmp_path / "a.txt"), "--rules", str(rules))
    assert result.code == 2
    line = result.stderr.strip()
    assert "\n" not in line
    assert "bad.yaml" in line and "my-rule" in line and "severity" in line


def test_invalid_yaml_rule_file_is_one_line(tmp_path: Path) -> None:
    rules = tmp_path / "broken.yaml"
    rules.write_text("rules: [\n  - id: x\n")
    (tmp_path / "a.txt").write_text("hello\n")
    result = run_cli("rules", "test", str(rules))
    assert result.code == 2
    assert "broken.yaml" in result.stderr and "invalid YAML" in result.stderr
    assert "Traceback" not in result.stderr


def test_backtracking_rule_is_skipped_not_hung(tmp_path: Path) -> None:
    rules = tmp_path / "slow.yaml"
    rules.write_text(
        "rules:\n  - id: slow-rule\n    name: slow\n    provider: test\n    severity: low\n"
        "    confidence: low\n    keywords: [aaaa]\n    regex: '((a+)+)+b'\n"
        "    references: [https://example.invalid/doc]\n    help: test rule\n"
        "    examples:\n      positive: [aaaab, aaaaab]\n      negative: [c, d]\n"
    )
    (tmp_path / "input.txt").write_text("a" * 5000 + "!\n")
    result = run_cli("scan", str(tmp_path / "input.txt"), "--rules", str(rules), "--regex-timeout", "0.2",
                     "-f", "json")
    report = json.loads(result.stdout)
    assert any("slow-rule" in line for line in report["summary"]["rule_timeouts"])


def test_rules_list_test_and_explain() -> None:
    listing = run_cli("rules", "list")
    assert listing.code == 0 and "github-pat-classic" in listing.stdout
    tested = run_cli("rules", "test")
    assert tested.code == 0, tested.stdout
    explained = run_cli("explain", "github-pat-classic")
    assert explained.code == 0 and "How to rotate" in explained.stdout
    assert run_cli("explain", "no-such-rule").code == 2


def test_report_to_a_device_is_written_through_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text(f"T={github_token()}\n")
    result = run_cli("scan", str(tmp_path), "--no-git", "-f", "json", "-o", os.devnull)
    assert result.code == 1
    assert not os.path.isfile(os.devnull)
