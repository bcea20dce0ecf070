"""Golden files for every report format, and SARIF as GitHub code scanning ingests it.

The findings, rules and summary below are fixed, so each reporter's output is
compared byte for byte with ``tests/golden/report.<format>``.  The only volatile
value, keyscan's version in SARIF, is masked.  To change the files on purpose,
run with ``KEYSCAN_UPDATE_GOLDEN=1``: the test rewrites them and then fails,
naming each file, so an update is never silent; review ``git diff tests/golden``
and run again without the variable.

The secrets are fixed fakes that no rule accepts (wrong checksum, made-up text);
they only have to be absent from every output.
"""

from __future__ import annotations

import difflib
import functools
import io
import json
import os
import re
import shutil
import string
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from keyscan.model import Confidence, Finding, ScanSummary, Severity
from keyscan.report import REPORTERS, ReportContext
from keyscan.rules.loader import load_rule_file
from keyscan.rules.model import RuleSet
from tests.clirun import run_cli
from tests.gitrepo import GitRepo
from tests.tokens import github_token, random_text

GOLDEN = Path(__file__).parent / "golden"
SCHEMA = Path(__file__).parent / "data" / "sarif-2.1.0.json"
FORMATS = {"text": "txt", "json": "json", "jsonl": "jsonl", "sarif": "sarif"}
TREE_SECRET = "ghp_GoldenFileFakeNotATokenAtAll00000000"
HISTORY_SECRET = "AKIAGOLDENFAKE2345"
COMMIT = "3f2c9a1e5b7d4c6f8a0b2d4e6f8a0c2e4b6d8f0a"
LATER = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"
LOWER = string.ascii_lowercase + string.digits


def _rule(rule_id: str, name: str, provider: str, severity: str, confidence: str, help_text: str,
          reference: str) -> dict[str, Any]:
    """A rule as its YAML says it (the public schema), matching made-up ``ksgolden_`` values only."""
    positives = [f"value = ksgolden_{random_text(16, LOWER)}" for _ in range(2)]
    return {"id": rule_id, "name": name, "provider": provider, "severity": severity, "confidence": confidence,
            "keywords": ["ksgolden_"], "regex": r"\b(ksgolden_[a-z0-9]{16})\b", "references": [reference],
            "help": help_text, "examples": {"positive": positives,
                                            "negative": ["value = ksgolden_short", "value = ksgolden_"]}}


@functools.lru_cache(maxsize=1)
def rules() -> RuleSet:
    document = {"schema": "keyscan/rules/v1", "rules": [
        _rule("github-pat-classic", "GitHub personal access token (classic)", "github", "critical", "high",
              "**What it is.** A classic GitHub token.\n**How to rotate.** Delete it at "
              "https://github.com/settings/tokens and create a narrower one.\n",
              "https://docs.github.com/en/authentication"),
        _rule("aws-access-key-id", "AWS access key ID", "aws", "high", "medium",
              "**What it is.** The id half of an AWS access key.\n**How to rotate.** Deactivate it in IAM.\n",
              "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html"),
    ]}
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "golden.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        return RuleSet(load_rule_file(path))


def findings() -> tuple[list[Finding], list[Finding]]:
    tree = Finding(rule_id="github-pat-classic", rule_name="GitHub personal access token (classic)",
                   provider="github", path="src/settings.py", line=3, column=12, end_line=3, end_column=52,
                   secret=TREE_SECRET, fingerprint="ks1:0123456789abcdef01234567", entropy=4.75,
                   severity=Severity.CRITICAL, confidence=Confidence.HIGH, checksum="valid")
    history = Finding(rule_id="aws-access-key-id", rule_name="AWS access key ID", provider="aws",
                      path="deploy/old values.yaml", line=7, column=10, end_line=7, end_column=28,
                      secret=HISTORY_SECRET, fingerprint="ks1:89abcdef0123456789abcdef", entropy=3.9,
                      severity=Severity.HIGH, confidence=Confidence.MEDIUM, commit=COMMIT,
                      author="Alice Example", email="alice@example.com", date="2024-01-01T00:00:05+00:00",
                      subject="deploy values", status="removed",
                      occurrences=[{"commit": LATER, "path": "deploy/values.yaml", "line": 2, "column": 10}])
    suppressed = tree.replace(path="tests/fixtures/sample.py", line=1, column=8, end_line=1, end_column=48,
                              suppressed_by="ignore-file")
    return [tree, history], [suppressed]


def summary() -> ScanSummary:
    return ScanSummary(files_scanned=2, bytes_scanned=1_234_567, blobs_scanned=5, commits_scanned=4,
                       skipped_binary=1, skipped_too_large=1, suppressed={"ignore-file": 1},
                       notes=["1 blob(s) the range only moved were not reported again"], duration_seconds=1.5)


def render(fmt: str) -> str:
    reported, suppressed = findings()
    context = ReportContext(reported, summary(), rules(), show_secrets=False, color=False, kind="history",
                            suppressed=suppressed, show_suppressed=True)
    stream = io.StringIO()
    REPORTERS[fmt](context, stream)
    return stream.getvalue()


def mask(fmt: str, text: str) -> str:
    if fmt == "sarif":
        text = re.sub(r'("semanticVersion": )"[^"]*"', r'\1"<version>"', text)
    return text


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_report_matches_golden_file(fmt: str) -> None:
    path = GOLDEN / f"report.{FORMATS[fmt]}"
    actual = mask(fmt, render(fmt))
    if os.environ.get("KEYSCAN_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        pytest.fail(f"rewrote {path}; review 'git diff {path}' and run again without KEYSCAN_UPDATE_GOLDEN")
    if not path.is_file():
        pytest.fail(f"{path} is missing; create it with KEYSCAN_UPDATE_GOLDEN=1 and review it")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            str(path), "rendered"))
        pytest.fail(f"the {fmt} report differs from {path} (KEYSCAN_UPDATE_GOLDEN=1 rewrites it):\n{diff}")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_format_prints_a_secret(fmt: str) -> None:
    text = render(fmt)
    for secret in (TREE_SECRET, HISTORY_SECRET):
        assert secret not in text
        assert secret[-12:] not in text  # not even most of it


# -- SARIF against the schema and GitHub's ingestion rules -------------------------------------


def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def github_problems(log: dict[str, Any]) -> list[str]:
    """The parts of GitHub's SARIF ingestion rules keyscan relies on (docs: 'SARIF support for code
    scanning'), as plain checks."""
    problems = []
    for run in log["runs"]:
        rules = run["tool"]["driver"]["rules"]
        for rule in rules:
            for key in ("shortDescription", "fullDescription", "help"):
                if not rule.get(key, {}).get("text"):
                    problems.append(f"{rule['id']}: empty {key}.text")
            severity = rule.get("properties", {}).get("security-severity")
            if not isinstance(severity, str) or not 0.0 < float(severity) <= 10.0:
                problems.append(f"{rule['id']}: security-severity {severity!r}")
            if len(rule["properties"].get("tags", [])) > 20:
                problems.append(f"{rule['id']}: more than 20 tags")
        for result in run["results"]:
            if rules[result["ruleIndex"]]["id"] != result["ruleId"]:
                problems.append(f"{result['ruleId']}: ruleIndex points at another rule")
            location = result["locations"][0]["physicalLocation"]
            uri = location["artifactLocation"]["uri"]
            if ":" in uri.split("/")[0] or uri.startswith("/"):
                problems.append(f"{uri}: not relative to the repository root")
            region = location["region"]
            if region["startLine"] < 1 or region.get("startColumn", 1) < 1:
                problems.append(f"{uri}: lines and columns are 1-based")
            if region.get("endLine", region["startLine"]) == region["startLine"] and \
                    region.get("endColumn", 2) <= region.get("startColumn", 1):
                problems.append(f"{uri}: endColumn must be after the last character")
            if "primaryLocationLineHash" in result.get("partialFingerprints", {}):
                problems.append(f"{uri}: a home-made primaryLocationLineHash defeats GitHub's own")
    return problems


def test_golden_sarif_is_valid_and_ingestible() -> None:
    log = json.loads(render("sarif"))
    errors = [e.message for e in validator().iter_errors(log)]
    assert errors == []
    assert github_problems(log) == []
    run = log["runs"][0]
    tree, history = run["results"]
    assert tree["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 12,
                                                                   "endLine": 3, "endColumn": 52}
    uri = history["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "deploy/old%20values.yaml"
    assert COMMIT[:12] in history["message"]["text"]
    assert history["properties"]["commit"] == COMMIT and history["properties"]["status"] == "removed"
    assert "commit" not in tree["properties"]


def test_the_schema_and_checks_can_fail() -> None:
    """Negative controls: the validator and the GitHub checks catch what they are meant to."""
    log = json.loads(render("sarif"))
    broken = json.loads(json.dumps(log))
    del broken["runs"][0]["tool"]["driver"]["name"]
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert len(list(validator().iter_errors(broken))) >= 2
    bad = json.loads(json.dumps(log))
    bad["runs"][0]["tool"]["driver"]["rules"][0]["help"]["text"] = ""
    bad["runs"][0]["tool"]["driver"]["rules"][1]["properties"]["security-severity"] = "0.0"
    first = bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    first["artifactLocation"]["uri"] = "file:///x.py"
    bad["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["endColumn"] = 10
    assert len(github_problems(bad)) == 4


def test_finding_without_its_rule_keeps_rule_metadata() -> None:
    """A result whose rule is not loaded gets a stand-in descriptor rather than vanishing."""
    reported, _ = findings()
    context = ReportContext(reported, summary(), RuleSet([]), kind="history")
    stream = io.StringIO()
    REPORTERS["sarif"](context, stream)
    log = json.loads(stream.getvalue())
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["github-pat-classic", "aws-access-key-id"]
    assert validator().is_valid(log)
    assert github_problems(log) == []


def test_real_scan_sarif_points_at_the_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real scan from a sub-directory: the URI is repo-relative and the region covers exactly the
    secret (endColumn is the column after its last character)."""
    repo = GitRepo(tmp_path / "repo")
    token = github_token()
    line = f'    "token": "é{token}",'
    repo.commit("add config", {"config/app settings.json": "{\n" + line + "\n}\n"})
    monkeypatch.chdir(repo.path / "config")
    out = tmp_path / "scan.sarif"
    result = run_cli("scan", ".", "-q", "--pure", "-f", "json", "-o", str(tmp_path / "scan.json"),
                     "--sarif-output", str(out))
    assert result.code == 1, result.stderr
    text = out.read_text(encoding="utf-8")
    assert token not in text
    log = json.loads(text)
    assert validator().is_valid(log)
    assert github_problems(log) == []
    (hit,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "github-pat-classic"]
    location = hit["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "config/app%20settings.json"
    start = line.index(token) + 1
    assert location["region"] == {"startLine": 2, "startColumn": start, "endLine": 2,
                                  "endColumn": start + len(token)}
    assert json.loads((tmp_path / "scan.json").read_text())["findings"][0]["fingerprint"] == \
        hit["partialFingerprints"]["keyscanSecretHash/v1"]


MULTITOOL = os.environ.get("KEYSCAN_SARIF_MULTITOOL") or shutil.which("Sarif.Multitool")


@pytest.mark.skipif(not MULTITOOL, reason="Sarif.Multitool not found (see tests/data/README.md)")
def test_golden_sarif_passes_github_rules_of_sarif_multitool(tmp_path: Path) -> None:
    sarif = tmp_path / "report.sarif"
    sarif.write_text(render("sarif"), encoding="utf-8")
    output = tmp_path / "validation.sarif"
    completed = subprocess.run([str(MULTITOOL), "validate", "--rule-kind", "Sarif;Gh;Ghas", "-o", str(output),
                                str(sarif)], capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    issues = [(r["ruleId"], r.get("level"), r["message"]) for run in json.loads(output.read_text())["runs"]
              for r in run.get("results", [])]
    assert issues == []
