"""``Detector.may_find`` says "nothing here" only where a scan finds nothing: history scans skip the
focus of a change on its word (``keyscan.sources.delta``), so a wrong "no" would lose a secret."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyscan.engine.detector import Detector
from keyscan.engine.prefilter import fast_matcher_available
from keyscan.model import Chunk
from keyscan.rules import load_builtin_rules

RULES = list(load_builtin_rules())
MODES = [False, True] if fast_matcher_available() else [False]
DETECTORS = {fast: Detector(RULES, use_fast=fast) for fast in MODES}
# pure mode without the keyword-less rules (they run on every text there, so the gate always says yes)
KEYWORDED = Detector([r for r in RULES if r.keywords or r.regex_source is None], use_fast=False)
EXAMPLES = [(rule.id, example.text, example.path) for rule in RULES for example in rule.positives]


@pytest.mark.parametrize("fast", MODES)
def test_every_positive_example_may_be_found(fast: bool) -> None:
    detector = DETECTORS[fast]
    missed = [rule_id for rule_id, text, path in EXAMPLES if not detector.may_find(text.encode(), path)]
    assert not missed


def test_every_positive_example_may_be_found_by_the_keyword_trie() -> None:
    missed = [rule_id for rule_id, text, path in EXAMPLES
              if KEYWORDED.scan(Chunk(text=text, path=path)).findings and not KEYWORDED.may_find(text.encode(), path)]
    assert not missed


@pytest.mark.parametrize("detector", [*(DETECTORS[True] for _ in MODES[1:]), KEYWORDED])
def test_plain_code_holds_nothing_and_a_base64_value_or_keyword_is_something(detector: Detector) -> None:
    plain = b"def add(a, b):\n    return a + b\n\nx = add(1, 2)\n"
    assert not detector.may_find(plain, "calc.py")
    assert detector.may_find(plain + b'blob = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"\n', "calc.py")
    assert detector.may_find(plain + b"api_token = compute()\n", "calc.py")
    assert detector.may_find(plain, "certs/release.p12")  # a file-name rule applies whatever the content


def test_without_hyperscan_rules_that_run_everywhere_keep_the_answer_yes() -> None:
    assert DETECTORS[False].may_find(b"x = 1\n", "calc.py")


_FRAGMENTS = [text for _, text, _ in EXAMPLES[::7]] + ["x = 1", "return a + b", "# note", "", "  "]


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(st.sampled_from(_FRAGMENTS), max_size=5), cut=st.integers(0, 40))
def test_a_no_means_the_scan_finds_nothing(parts: list[str], cut: int) -> None:
    text = "\n".join(parts)
    text = text[cut:]  # fragments cut anywhere: half a keyword, half a token
    for detector in [*DETECTORS.values(), KEYWORDED]:
        if not detector.may_find(text.encode(), "notes.txt"):
            assert detector.scan(Chunk(text=text, path="notes.txt")).findings == []


@pytest.mark.parametrize("detector", [*(DETECTORS[True] for _ in MODES[1:]), KEYWORDED])
def test_a_keyword_only_rules_for_other_files_use_is_no_reason(detector: Detector) -> None:
    """``pass`` is a keyword of the XML rule only, which looks at XML-like files: in Python code (where
    ``pass`` is everywhere) it says nothing; in an XML file it does, and the scan finds the secret."""
    code = b"def handler(event):\n    pass\n"
    assert not detector.may_find(code, "app/handler.py")
    xml = '<config>\n  <password>Zq8vN3xR7tLw2mPk</password>\n</config>\n'
    assert detector.may_find(xml.encode(), "conf/app.xml")
    assert detector.scan(Chunk(text=xml, path="conf/app.xml")).findings
