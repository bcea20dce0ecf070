"""History scans read a modified file's changed lines with their context (``keyscan.sources.delta``):
the focus must find what scanning the whole version finds."""

from __future__ import annotations

import itertools
import random

import pytest

from keyscan.engine.detector import Detector
from keyscan.model import Chunk
from keyscan.rules import load_builtin_rules
from keyscan.rules.model import Rule
from keyscan.sources import delta
from keyscan.sources.delta import DeltaPolicy, blank_outside, changed_spans, focus, grow

RULES = list(load_builtin_rules())
DETECTOR = Detector(RULES)
POLICY = DeltaPolicy.for_rules(RULES, may_find=DETECTOR.may_find)  # as history scans build it
_FILLER = [f"    value_{i} = compute(item_{i}, limit={i * 7})  # step {i}" for i in range(60)]
TOP = "\n".join(_FILLER[:30]) + "\n"
BOTTOM = "\n" + "\n".join(_FILLER[30:]) + "\n"


def _found(text: str, path: str) -> set[tuple[str, str, int, int]]:
    return {(f.rule_id, f.secret, f.line, f.column) for f in DETECTOR.scan(Chunk(text=text, path=path)).findings}


def _cases() -> list[tuple[str, int]]:
    return [(rule.id, number) for rule in RULES for number in range(len(rule.positives))]


_BY_ID = {rule.id: rule for rule in RULES}


@pytest.mark.parametrize(("rule_id", "number"), _cases())
def test_a_secret_changed_inside_a_large_file_is_found_in_the_focus(rule_id: str, number: int) -> None:
    """Each positive example, in the middle of a file, arrives by a commit that changes only its secret:
    the focus of the new version finds exactly what a whole scan finds."""
    rule: Rule = _BY_ID[rule_id]
    example = rule.positives[number]
    new_text = TOP + example.text + BOTTOM
    whole = _found(new_text, example.path)
    secrets = {secret for _, secret, _, _ in whole}
    assert secrets, "the example must be found in the middle of a file"
    old_text = new_text
    for secret in secrets:
        old_text = old_text.replace(secret, "x" * len(secret))
    if _found(old_text, example.path):
        pytest.skip("the version before still has a finding: such a version is scanned whole")
    focused = focus(POLICY, old_text.encode(), new_text.encode(), example.path)
    if focused is None:
        return  # scanned whole: nothing to compare
    assert focused != delta.NOTHING, "the focus holds the secret: it must be scanned"
    assert _found(focused.decode("utf-8", "replace"), example.path) == whole


def test_changed_spans_are_the_changed_lines() -> None:
    old = b"".join(b"line %d\n" % i for i in range(2000))
    new = old.replace(b"line 10\n", b"line ten changed\n").replace(b"line 1500\n", b"line 1500 changed\n")
    spans = changed_spans(old, new)
    assert [new[s:e] for s, e in spans] == [b"line ten changed", b"line 1500 changed"]


def test_a_small_change_is_one_span_and_a_deletion_keeps_the_junction() -> None:
    old = b"alpha\nbeta\ngamma\ndelta\n"
    assert [old.replace(b"gamma", b"GAMMA")[s:e] for s, e in changed_spans(old, old.replace(b"gamma", b"GAMMA"))] \
        == [b"GAMMA"]
    new = b"alpha\nbeta\ndelta\n"
    spans = changed_spans(old, new)
    assert len(spans) == 1 and new[spans[0][0]:spans[0][1]] in (b"delta", b"")


def test_widen_and_blank_keep_line_numbers() -> None:
    data = b"".join(b"row %02d\n" % i for i in range(30))
    start = data.index(b"row 15")
    spans = [grow(data, (start, start + 6), 2)]
    kept = blank_outside(data, spans)
    assert kept.count(b"\n") == data.count(b"\n")
    lines = kept.split(b"\n")
    assert [i for i, line in enumerate(lines) if line] == [13, 14, 15, 16, 17]
    assert lines[15] == b"row 15"


def test_grow_takes_whole_lines_as_a_loop_over_line_breaks_does() -> None:
    def by_loop(data: bytes, start: int, end: int, lines: int) -> tuple[int, int]:
        for _ in range(lines):
            if start == 0:
                break
            start = data.rfind(b"\n", 0, start - 1) + 1
        for _ in range(lines):
            following = data.find(b"\n", end + 1)
            if following < 0:
                return start, len(data)
            end = following
        return start, min(end, len(data))

    rng = random.Random(5)
    for _ in range(500):
        data = b"".join(b"x" * rng.randrange(0, 4) + b"\n" for _ in range(rng.randrange(0, 30)))
        data += b"tail" * rng.randrange(2)
        start = data.rfind(b"\n", 0, rng.randrange(len(data) + 1)) + 1  # a line start
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        lines = rng.choice((0, 1, 3, 13))
        assert grow(data, (start, end), lines) == by_loop(data, start, end, lines), (data, start, end, lines)


def test_a_wide_rule_keyword_widens_or_wholes_the_scan() -> None:
    assert POLICY.wider_contexts(b"nothing special here", "a.py") == []
    assert POLICY.wider_contexts(b"-----BEGIN RSA PRIVATE KEY-----", "a.pem") is None
    wider = POLICY.wider_contexts(b"aws_secret = 1", "a.py")
    assert wider and all(need > POLICY.context_lines for need, _ in wider)
    assert any("aws" in keywords for _, keywords in wider)


def test_context_answers_are_remembered_and_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """``contexts_for`` remembers its answers per (keywords, path): a file's versions ask the same
    question.  A remembered answer is the one a fresh computation gives, and the memory is bounded."""
    monkeypatch.setattr(delta, "CONTEXT_ANSWERS", 16)
    policy = DeltaPolicy(POLICY.context_lines, POLICY.wide, POLICY.use_fast, POLICY.may_find)
    rng = random.Random(7)
    keywords = sorted(policy.wide)
    paths = ["a.py", "notes.txt", "id_rsa", "deploy/app.yaml", "docs/index.md", "server.pem"]
    for _ in range(400):
        present = frozenset(rng.sample(keywords, rng.choice((0, 1, 2, 5))))
        path = rng.choice(paths)
        assert policy.contexts_for(present, path) == policy._contexts_for(present, path)
        assert len(policy._contexts) <= 16
    present = frozenset(keywords[:3])
    assert policy.contexts_for(present, "a.py") is policy.contexts_for(frozenset(keywords[:3]), "a.py")


def test_a_wider_context_is_kept_only_where_its_keyword_is_near() -> None:
    lines = [f"line {i} of plain text" for i in range(200)]
    lines[20] = "aws region notes"
    old = "\n".join(lines) + "\n"
    lines[25] = "changed near the keyword"
    lines[150] = "changed far from it"
    focused = focus(POLICY, old.encode(), ("\n".join(lines) + "\n").encode(), "notes.txt")
    assert focused is not None
    kept = [i for i, line in enumerate(focused.split(b"\n")) if line]
    need = max(need for need, keywords in POLICY.wider_contexts(b"aws", "notes.txt") or [] if "aws" in keywords)
    assert need > POLICY.context_lines + 5
    assert {20, 25 - need} <= set(kept)  # the wide context around line 25 reaches back past the keyword
    assert 140 not in kept and {147, 153} <= set(kept)  # line 150 keeps the base context only


def test_a_change_with_nothing_a_rule_looks_for_needs_no_scan() -> None:
    lines = [f"value_{i} = compute(item_{i})" for i in range(200)]
    old = "\n".join(lines) + "\n"
    lines[100] = "value_100 = compute(item_100) + 1"
    assert focus(POLICY, old.encode(), ("\n".join(lines) + "\n").encode(), "calc.py") == delta.NOTHING
    lines[101] = "api_token = compute(item_101)"  # a keyword near the change: scanned
    focused = focus(POLICY, old.encode(), ("\n".join(lines) + "\n").encode(), "calc.py")
    assert focused and b"api_token" in focused
    # without a detector to ask, the focus is always scanned
    ungated = DeltaPolicy.for_rules(RULES)
    edited = old.replace("compute(item_100)", "compute(item_100) + 1")
    assert focus(ungated, old.encode(), edited.encode(), "calc.py") not in (None, delta.NOTHING)


def test_binary_utf16_and_notebooks_are_scanned_whole() -> None:
    assert focus(POLICY, b"a\x00b", b"a\x00c", "x.bin") is None
    assert focus(POLICY, b"\xff\xfea\x00", b"\xff\xfeb\x00", "x.txt") is None
    assert focus(POLICY, b"{}", b"{ }", "x.ipynb") is None


def test_random_edits_agree_with_whole_scans() -> None:
    """Random files with secrets planted on random lines, edited at random: focus == whole."""
    rng = random.Random(7)
    positives = [(rule, example) for rule in RULES for example in rule.positives if "\n" not in example.text.strip()]
    for _ in range(150):
        lines = list(_FILLER)
        rng.shuffle(lines)
        old_lines = list(lines)
        rule, example = rng.choice(positives)
        lines.insert(rng.randrange(len(lines)), example.text.strip())
        for _edit in range(rng.randrange(3)):
            lines[rng.randrange(len(lines))] = f"edited = {rng.random()}"
        old, new = "\n".join(old_lines) + "\n", "\n".join(lines) + "\n"
        if _found(old, example.path):
            continue
        focused = focus(POLICY, old.encode(), new.encode(), example.path)
        if focused is not None:
            assert _found(focused.decode(), example.path) == _found(new, example.path), rule.id


def test_the_policy_tracks_the_rule_set() -> None:
    assert delta.CONTEXT_LINES == POLICY.context_lines
    assert all(need == 0 or need > POLICY.context_lines for entries in POLICY.wide.values() for _, need in entries)


def test_common_prefix_and_suffix_agree_with_a_plain_loop() -> None:
    rng = random.Random(11)
    for _ in range(300):
        size = rng.choice((0, 1, 31, 33, 4095, 4097, 70_000, 150_000))
        old = bytes(rng.randrange(97, 100) for _ in range(size))
        new = bytearray(old)
        for _edit in range(rng.randrange(3)):
            if new:
                new[rng.randrange(len(new))] = 120
        if rng.random() < 0.3:
            new += b"zz"
        new_bytes = bytes(new)
        prefix = delta._common_prefix(old, 0, len(old), new_bytes, 0, len(new_bytes))
        expected = 0
        while expected < min(len(old), len(new_bytes)) and old[expected] == new_bytes[expected]:
            expected += 1
        assert prefix == expected
        suffix = delta._common_suffix(old, prefix, len(old), new_bytes, prefix, len(new_bytes))
        expected = 0
        while expected < min(len(old), len(new_bytes)) - prefix and old[-1 - expected] == new_bytes[-1 - expected]:
            expected += 1
        assert suffix == expected


def test_carried_keywords_hold_every_wide_keyword_of_the_new_version() -> None:
    """``focus_carrying`` finds a version's wide-rule keywords from its predecessor's and its changed
    lines, short ones included (a lone ``ibm`` line makes the IBM rule scan the file whole); along a
    chain of versions the set may only grow past what a pass over the whole version finds."""
    rng = random.Random(11)
    words = ["ibm", "aws", "-----BEGIN RSA PRIVATE KEY-----", "password = x", "cosmos", "k", ""]
    whole_scans = 0
    for _ in range(60):
        # repeated lines leave no anchor: changes are then found line by line, and short ones set apart
        lines = [f"a line repeated {i % 3} times over, in a file long enough to focus" for i in range(120)]
        versions = []
        for _edit in range(6):
            for _change in range(rng.randrange(1, 12)):
                at = rng.randrange(len(lines))
                kind = rng.randrange(3)
                if kind == 0:
                    lines.insert(at, rng.choice(words))
                elif kind == 1 and len(lines) > 60:
                    del lines[at]
                else:
                    lines[at] = f"rewritten {rng.random()}"
            versions.append(("\n".join(lines) + "\n").encode())
        carried = None
        for old, new in itertools.pairwise(versions):
            if carried is None:
                carried = frozenset(POLICY.present(old))
            result, carried = delta.focus_carrying(POLICY, old, new, "notes.txt", carried)
            assert carried is not None and carried >= POLICY.present(new)
            if POLICY.wider_contexts(new, "notes.txt") is None:  # a pass over all of new says: whole
                assert result is None
                whole_scans += 1
    assert whole_scans  # the case that matters did come up
