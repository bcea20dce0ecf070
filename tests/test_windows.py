"""Keyword windows: running each rule's regex only near its keyword hits finds exactly what running it
over whole texts finds, on every rule example, on a generated labelled corpus and on real files, for
the pure matcher and for Hyperscan (whose prefilter-mode shapes window the keyword-less rules)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyscan.engine.decoding import decoded_segments
from keyscan.engine.detector import Detector
from keyscan.engine.prefilter import _CharacterOffsets, fast_matcher_available
from keyscan.engine.reach import LINE_CONTEXT, pattern_reach
from keyscan.model import Chunk
from keyscan.rules.loader import load_builtin_rules
from keyscan.sources.content import decode_text, is_binary
from tests.tokens import github_token

ROOT = Path(__file__).resolve().parents[1]
MATCHERS = [False] + ([True] if fast_matcher_available() else [])


@pytest.mark.parametrize(("pattern", "reach"), [
    (r"ghp_[A-Za-z0-9]{36}", (40, 41)),  # after: one more character for \b and $
    (r"(?<![a-z])key=(?P<secret>\w{8,20})(?!\w)", (24, 24 + 1 + 1)),  # a lookahead reads past the match
    (r"(?<=password=)\w{8}", (8, 8 + 9 + 1)),  # the keyword may be in a positive lookbehind
    (r"\w{8}(?=;pwd)", (8 + 4, 8 + 4 + 1)),  # ... or in a positive lookahead
    (r"(?P<s>a{2})|(?P<s>b{3})", (3, 4)),  # one name on two alternatives, as `regex` allows
    (r"<(?P<tag>\w{1,10})>x</(?P=tag)>", (26, 27)),  # a back-reference is as wide as its group
    (r"key\s*=\s*(\S+)", None),  # unbounded
    (r"\p{L}{4}", None),  # syntax only `regex` reads
])
def test_pattern_reach(pattern: str, reach: tuple[int, int] | None) -> None:
    assert pattern_reach(pattern) == reach


def _texts_from_examples() -> Iterator[tuple[str, str]]:
    for rule in load_builtin_rules():
        for example in (*rule.positives, *rule.negatives):
            yield example.path, example.text


def _texts_from_tree(root: Path, limit: int = 400) -> Iterator[tuple[str, str]]:
    count = 0
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        data = path.read_bytes()
        if is_binary(data):
            continue
        yield path.relative_to(root).as_posix(), decode_text(data)
        count += 1
        if count >= limit:
            return


def _findings(detector: Detector, texts: list[tuple[str, str]]) -> list[tuple[object, ...]]:
    found = []
    for path, text in texts:
        for f in detector.scan(Chunk(text=text, path=path)).findings:
            found.append((path, f.rule_id, f.line, f.column, f.end_line, f.end_column, f.secret))
    return found


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    out = tmp_path_factory.mktemp("windows") / "corpus"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "corpus" / "generate.py"), str(out),
                    "--files", "300"], check=True, capture_output=True, timeout=300)
    texts = list(_texts_from_tree(out / "files", limit=10_000))
    # real code nobody planted anything in: this project's own sources, and some of the stdlib
    texts += list(_texts_from_tree(ROOT / "src"))
    texts += list(_texts_from_tree(Path(subprocess.__file__).parent / "email"))
    texts += list(_texts_from_examples())
    # lower-casing "İ" gives two characters: keyword offsets must still be right
    texts.append(("locale/tr.env", "# İstanbul İzmir\n" * 50 + f"GITHUB_TOKEN={github_token()}\nİ=1\n"))
    return texts


@pytest.mark.parametrize("fast", MATCHERS, ids=lambda fast: "fast" if fast else "pure")
def test_windows_find_what_whole_texts_find(corpus: list[tuple[str, str]], fast: bool) -> None:
    rules = list(load_builtin_rules())
    whole = _findings(Detector(rules, use_fast=False, windowed=False), corpus)
    windowed = _findings(Detector(rules, use_fast=fast, windowed=True), corpus)
    assert len(whole) > 1000  # the corpus really has secrets in it
    assert windowed == whole


def test_a_keyword_far_from_the_match_does_not_widen_the_window() -> None:
    """The windows are real: a token whose rule keyword occurs only far away is not searched for
    (the rule format says keywords lie inside what the regex matches)."""
    rules = [r for r in load_builtin_rules() if r.id == "github-pat-classic"]
    token = "ghp_" + "A1b2C3d4" * 4 + "E5f6"
    text = f"x = '{token}'\n"
    detector = Detector(rules, use_fast=False)
    plan = detector.index.plan(text)
    assert [(rule.id, windows) for rule, windows in plan.rules] == [("github-pat-classic", [(0, len(text))])]
    far = "# ghp_\n" + "filler line\n" * 2000 + "y = 1\n"
    [(_rule, windows)] = detector.index.plan(far).rules
    assert windows is not None and windows[-1][1] < len(far) // 2


@pytest.mark.skipif(not fast_matcher_available(), reason="needs the fast matcher")
def test_base64_candidates_in_windows_are_those_of_the_whole_text(corpus: list[tuple[str, str]]) -> None:
    index = Detector(list(load_builtin_rules()), use_fast=True).index
    texts = [*corpus, ("wide.txt", "k: " + "QUJD" * 2000 + "\n"), ("pad.txt", "a='" + "QUJDRA==" * 3 + "'")]
    windowed_texts = 0
    for _path, text in texts:
        windows = index.plan(text).base64
        windowed_texts += windows is not None
        assert list(decoded_segments(text, windows)) == list(decoded_segments(text))
    assert windowed_texts > len(texts) // 2


def test_keywords_lie_beside_what_the_regex_matches() -> None:
    """The contract that makes windows safe (rules/README.md): in every positive example, a keyword
    occurs within 64 characters of a match (or of its required context), unless the rule says
    ``keyword_scope: file``."""
    far = []
    for rule in load_builtin_rules():
        if rule.regex_source is None or not rule.keywords or rule.keyword_scope == "file":
            continue
        assert rule.pattern is not None
        for example in rule.positives:
            lowered = example.text.lower()
            spans = [m.span() for m in rule.pattern.finditer(example.text)]
            # a rule with `requires` may find its keyword in the required context, which is searched
            # within a few lines (and the window spans them)
            near = 64 if rule.requires is None else LINE_CONTEXT * (rule.requires.within_lines + 1)
            if not any(k in lowered[max(0, a - near): b + near] for a, b in spans for k in rule.keywords):
                far.append(f"{rule.id}: {example.text[:60]!r}")
    assert far == []


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab\né€😀İ", max_size=60))
def test_byte_offsets_become_character_offsets(text: str) -> None:
    encoded = text.encode("utf-8")
    starts = [len(text[:i].encode("utf-8")) for i in range(len(text) + 1)]
    assert _CharacterOffsets(encoded).convert(starts) == list(range(len(text) + 1))
