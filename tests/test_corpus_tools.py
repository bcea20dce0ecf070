"""The benchmark corpus tools: the generator is deterministic for a seed and its labels point at
the planted text; the scorer counts recall, precision and hard-negative hits correctly."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "corpus"


def _score_module():
    spec = importlib.util.spec_from_file_location("corpus_score", CORPUS_DIR / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus_score"] = module
    spec.loader.exec_module(module)
    return module


def _generate(out: Path, seed: int, files: int = 40) -> None:
    subprocess.run(
        [
            sys.executable,
            str(CORPUS_DIR / "generate.py"),
            str(out),
            "--seed",
            str(seed),
            "--files",
            str(files),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


def _snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    base = tmp_path_factory.mktemp("corpus")
    a, b, c = base / "a", base / "b", base / "c"
    _generate(a, 7)
    _generate(b, 7)
    _generate(c, 8)
    return a, b, c


def test_generator_is_deterministic_for_a_seed(corpora: tuple[Path, Path, Path]) -> None:
    a, b, c = corpora
    assert _snapshot(a) == _snapshot(b)
    assert _snapshot(a) != _snapshot(c)


def test_labels_point_at_the_planted_text(corpora: tuple[Path, Path, Path]) -> None:
    root = corpora[0]
    labels = [json.loads(line) for line in (root / "labels.jsonl").read_text().splitlines()]
    kinds = {lab["kind"] for lab in labels}
    assert {"positive", "negative"} <= kinds
    assert len({lab["format"] for lab in labels if lab["kind"] == "positive"}) >= 20
    for lab in labels:
        path = root / "files" / lab["path"]
        assert path.is_file(), lab["path"]
        if lab["match"] == "path":
            continue
        lines = path.read_bytes().decode("utf-8").split("\n")
        text = "\n".join(lines[lab["line"] - 1 : lab["end_line"]])
        if lab["match"] == "range":
            assert lines[lab["line"] - 1].strip(), lab["path"]
        else:
            assert lab["value"] in text, (lab["path"], lab["line"], lab["format"])


def _finding(score, path: str, line: int, secret: str | None, hashed: str | None = None):
    return score.Finding(path=path, line=line, end_line=line, secret=secret, hashed=hashed)


def test_scorer_recall_precision_and_hard_negatives() -> None:
    score = _score_module()
    labels = [
        {
            "path": "a.env",
            "line": 1,
            "end_line": 1,
            "value": "ghp_secretvalue1234567890",
            "format": "github",
            "family": "code-hosting",
            "kind": "positive",
            "alt": [],
            "match": "value",
        },
        {
            "path": "a.env",
            "line": 2,
            "end_line": 2,
            "value": "hunter2hunter2",
            "format": "password",
            "family": "generic",
            "kind": "positive",
            "alt": [],
            "match": "value",
        },
        {
            "path": "a.env",
            "line": 3,
            "end_line": 3,
            "value": "AKIAIOSFODNN7EXAMPLE",
            "format": "aws-doc-example",
            "family": "provider-example",
            "kind": "negative",
            "alt": [],
            "match": "value",
        },
        {
            "path": "k.yaml",
            "line": 4,
            "end_line": 4,
            "value": "c2VjcmV0LXBhc3N3b3Jk",
            "format": "password",
            "family": "generic",
            "kind": "positive",
            "alt": ["secret-password"],
            "match": "value",
        },
        {
            "path": "id_rsa",
            "line": 1,
            "end_line": 5,
            "value": "-----BEGIN...",
            "format": "private-key",
            "family": "key-material",
            "kind": "positive",
            "alt": [],
            "match": "range",
        },
        {
            "path": "a.env",
            "line": 6,
            "end_line": 6,
            "value": "AC0123456789abcdef0123456789abcdef",
            "format": "sid",
            "family": "messaging",
            "kind": "ignore",
            "alt": [],
            "match": "value",
        },
    ]
    findings = [
        _finding(score, "a.env", 1, "GITHUB_TOKEN=ghp_secretvalue1234567890"),  # contains the value
        _finding(score, "a.env", 2, "hunt"),  # too short a part of the value to count
        _finding(score, "a.env", 3, "AKIAIOSFODNN7EXAMPLE"),  # hard negative
        _finding(score, "k.yaml", 4, "secret-password"),  # the decoded value (alt)
        _finding(score, "id_rsa", 3, "MIIEowIBAAKCAQEA"),  # inside the PEM block
        _finding(score, "a.env", 6, "AC0123456789abcdef0123456789abcdef"),  # ignored companion
        _finding(score, "other.py", 9, "randomvalue123456"),  # unlabelled
        _finding(score, "a.env", 5, "ghp_secretvalue1234567890"),  # a planted secret on the wrong line
    ]
    result = score.match(labels, score.dedupe(findings + findings[:1]))
    assert result.found == {0, 3, 4}
    assert len(result.true) == 3
    assert [labels[i]["format"] for _, i in result.hard_negative] == ["aws-doc-example"]
    assert len(result.ignored) == 1
    assert {(f.path, f.line) for f in result.false} == {("a.env", 2), ("other.py", 9)}
    assert [(f.path, f.line) for f in result.misplaced] == [("a.env", 5)]
    assert result.findings == 7 - 1  # the ignored match is not counted
    assert result.precision == pytest.approx(3 / 6)


def test_scorer_matches_hashed_findings_by_line_and_hash() -> None:
    score = _score_module()
    labels = [
        {
            "path": "m.js",
            "line": 1,
            "end_line": 1,
            "value": "first-secret-value",
            "format": "f1",
            "family": "generic",
            "kind": "positive",
            "alt": [],
            "match": "value",
        },
        {
            "path": "m.js",
            "line": 1,
            "end_line": 1,
            "value": "second-secret-value",
            "format": "f2",
            "family": "generic",
            "kind": "positive",
            "alt": [],
            "match": "value",
        },
    ]
    digest = hashlib.sha1(b"second-secret-value").hexdigest()
    result = score.match(
        labels, [_finding(score, "m.js", 1, None, digest), _finding(score, "m.js", 2, None, "x")]
    )
    assert result.found == {1}
    assert len(result.false) == 1
