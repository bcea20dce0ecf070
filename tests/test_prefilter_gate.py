"""``Detector.may_find`` says "nothing here" only where a scan finds nothing: history scans skip the
focus of a change on its word (``keyscan.sources.delta``), so a wrong "no" would lose a secret."""

from __future__ import annotations

import base64
import dataclasses

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


@pytest.mark.parametrize("detector", [*(DETECTORS[True] for _ in MODES[1:]), KEYWORDED])
def test_a_base64_candidate_that_decodes_to_nothing_is_no_reason(detector: Detector) -> None:
    """Paths and hashes after '=' or ':' look like base64 values; only those that decode to text are
    scanned (``decoded_segments``), so the others say nothing, and the scan agrees."""
    plain = b"def add(a, b):\n    return a + b\n"
    for value in (b'checksum = "d41d8cd98f00b204e9800998ecf8427e"\n', b"prefix: /usr/local/lib/python3.11/x\n"):
        assert not detector.may_find(plain + value, "calc.py")
        assert detector.scan(Chunk(text=(plain + value).decode(), path="calc.py")).findings == []
    encoded = base64.b64encode(b"user: deploy\npassword: not-a-real-one\n")
    assert detector.may_find(plain + b'config = "' + encoded + b'"\n', "calc.py")


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


# -- shape_gate: a keyword common in code no longer starts its rule without the token's shape --------

needs_hyperscan = pytest.mark.skipif(not fast_matcher_available(), reason="Hyperscan is not installed")
GATED = [rule for rule in RULES if rule.shape_gate]
RESEND = next(rule for rule in RULES if rule.id == "resend-api-key")
# 're_' inside ordinary identifiers, as in most Python code
CODE = "def compare_values(a, b):\n    are_equal = a == b\n    ignore_case = True\n    return are_equal\n"


def test_rules_that_ask_for_a_shape_gate_exist_and_have_keywords() -> None:
    assert RESEND in GATED
    assert all(rule.keywords and rule.regex_source for rule in GATED)


@needs_hyperscan
def test_hyperscan_takes_the_shape_of_every_rule_that_asks_for_one() -> None:
    """A shape Hyperscan refused would leave its rule keyword-gated without a word: none is."""
    assert DETECTORS[True].index._gated == {rule.id for rule in GATED}


@needs_hyperscan
def test_a_shape_gated_rule_waits_for_its_shape_in_ascii_text() -> None:
    fast, pure = DETECTORS[True], DETECTORS[False]
    planned = [rule.id for rule, _ in fast.index.plan(CODE).rules]
    assert RESEND.id not in planned
    assert RESEND.id in [rule.id for rule, _ in pure.index.plan(CODE).rules]  # the keyword alone decides there
    assert not fast.may_find(CODE.encode(), "calc.py")
    example = RESEND.positives[0].text
    text = CODE + example + "\n"
    assert RESEND.id in [rule.id for rule, _ in fast.index.plan(text).rules]
    assert fast.may_find(text.encode(), "calc.py")
    assert [f.rule_id for f in fast.scan(Chunk(text=text, path="calc.py")).findings] == [RESEND.id]
    # non-ASCII text: Unicode classes or case folding could match what the ASCII shape cannot, so the
    # keyword decides wherever the rule's regex would run over non-ASCII text, and only there
    accented = CODE + "# café\n"
    assert RESEND.id in [rule.id for rule, _ in fast.index.plan(accented).rules]
    assert fast.may_find(accented.encode(), "calc.py")
    far = "# café\n" + "x = 1\n" * 2000 + CODE
    assert RESEND.id not in [rule.id for rule, _ in fast.index.plan(far).rules]
    assert RESEND.id in [rule.id for rule, _ in fast.index.plan(far + "# naïve\n").rules]


@needs_hyperscan
def test_a_gated_rule_still_runs_where_its_regex_meets_non_ascii_text() -> None:
    """Unicode ``\\w`` takes the é of ``GITHUBé_TOKEN``, Hyperscan's ASCII shape cannot: the rule must run
    in that window although its keyword's other window, far away, is ASCII and the shape is nowhere."""
    key = "57f524de48b0d38ab741818e7b87a3cc33c2c7c9"  # the rule's own positive example's value
    text = "docs: see github.com\n" + "x = 1\n" * 400 + f"GITHUBé_TOKEN={key}\n"
    found = {fast: [(f.rule_id, f.secret) for f in detector.scan(Chunk(text=text, path="settings.py")).findings]
             for fast, detector in DETECTORS.items()}
    assert found[True] == found[False] == [("github-oauth-token-legacy", key)]


@needs_hyperscan
def test_a_gated_rules_shape_without_its_keyword_is_no_reason() -> None:
    """``generic-url-query-secret``'s shape is loose ('=' and 16 URL characters); without one of its
    keywords (``key=``, ``token=``...) the rule cannot run, so its shape alone says nothing."""
    fast = DETECTORS[True]
    text = 'def add(a, b):\n    return a + b\nnext_page = "/items?page=2&sort=createdat.descending"\n'
    assert not fast.may_find(text.encode(), "calc.py")
    assert fast.scan(Chunk(text=text, path="calc.py")).findings == []
    keyed = text.replace("sort=", "api_key=")
    assert fast.may_find(keyed.encode(), "calc.py")


def test_shape_gate_is_checked_by_the_schema() -> None:
    from keyscan.errors import RuleError
    from keyscan.rules.schema import build_rule

    raw = {"id": "x-token", "name": "x", "provider": "x", "severity": "high", "confidence": "high",
           "keywords": ["x_"], "regex": "(x_[a-z]{10})", "references": ["https://example.com"], "help": "h",
           "examples": {"positive": ["x_abcdefghij", "x_bcdefghijk"], "negative": ["y", "z"]}}
    assert build_rule({**raw, "shape_gate": True}, "rules.yaml").shape_gate
    assert not build_rule(raw, "rules.yaml").shape_gate
    with pytest.raises(RuleError, match="true or false"):
        build_rule({**raw, "shape_gate": "yes"}, "rules.yaml")
    with pytest.raises(RuleError, match="needs keywords"):
        build_rule({**{k: v for k, v in raw.items() if k != "keywords"}, "shape_gate": True}, "rules.yaml")


_UNGATED = Detector([dataclasses.replace(rule, shape_gate=False) for rule in RULES], use_fast=True) \
    if fast_matcher_available() else None
_GATED_PIECES = [example.text for rule in GATED for example in (*rule.positives, *rule.negatives)] + \
    [keyword for rule in GATED for keyword in rule.keywords] + [CODE, "x = 1", "é", "\t", "  "]


@needs_hyperscan
@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.sampled_from(_GATED_PIECES), max_size=6), cut=st.integers(0, 30),
       separator=st.sampled_from(["\n", " ", "", "\x1c"]),
       far=st.sampled_from(["", "é ñ\n" + "x = 1\n" * 400, "x = 1\n" * 400]))
def test_the_shape_gate_changes_no_finding(parts: list[str], cut: int, separator: str, far: str) -> None:
    """Gated and ungated, the fast path finds the same in texts made of the gated rules' examples and
    keywords, joined in any way and cut anywhere (half a keyword, half a token), with non-ASCII text
    near them or only far away."""
    assert _UNGATED is not None
    text = far + separator.join(parts)[cut:]

    def found(detector: Detector) -> list[tuple[str, str, int, int]]:
        findings = detector.scan(Chunk(text=text, path="notes.txt")).findings
        return [(f.rule_id, f.secret, f.line, f.column) for f in findings]

    assert found(DETECTORS[True]) == found(_UNGATED)


_SPACE_PATTERNS = [r"key\s{0,3}=\s{0,3}(\w{4,})", r"[^\s=]{2,}\s=", r"(?x) a \s b  # [ not a class" "\n",
                   r"(?i)x[\s,]Y\b", r"(?P<secret>k\w)(?P<secret>=)?"]


@needs_hyperscan
@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="key=ab xyKY,\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x7f[#", max_size=24))
def test_on_ascii_text_a_shape_matches_wherever_its_regex_does(text: str) -> None:
    """What ``shape_gate`` rests on: ``regex``'s ``\\s``, ``\\w``, ``\\b`` and caseless letters read ASCII
    text as Hyperscan's do (Python's ``re`` would differ: its ``\\s`` takes \\x1c-\\x1f, ``regex``'s does
    not), named groups may repeat a name, and verbose patterns keep their comments."""
    import dataclasses

    import regex

    from keyscan.engine.prefilter import _shape_source, compiled_database

    for pattern in _SPACE_PATTERNS:
        if regex.search(pattern, text) is None:
            continue
        shape = _shape_source(dataclasses.replace(RESEND, regex_source=pattern))
        assert _shape_hits(compiled_database([shape.encode()], [_prefilter()]), text), (pattern, text)


def _prefilter() -> int:
    import hyperscan

    return int(hyperscan.HS_FLAG_PREFILTER)


def _shape_hits(database: object, text: str) -> list[int]:
    hits: list[int] = []
    database.scan(text.encode(), match_event_handler=lambda ident, start, end, flags, context: hits.append(end))  # type: ignore[attr-defined]
    return hits
