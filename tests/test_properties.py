"""Properties of the engine, checked on generated input (Hypothesis): a secret is found wherever it is put,
at the right line and column; and results do not depend on file order or on the number of workers."""

from __future__ import annotations

import json
import random
import string
import tempfile
import zlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyscan.engine.checksums import base62
from keyscan.engine.detector import Detector
from keyscan.model import Chunk
from keyscan.rules import load_builtin_rules
from tests.clirun import run_cli

ALNUM = string.ascii_letters + string.digits
DETECTOR = Detector(list(load_builtin_rules()))
QUICK = settings(max_examples=60, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SLOW = settings(max_examples=4, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def github_tokens(draw: st.DrawFn) -> str:
    """A classic GitHub token: 30 drawn characters and their valid CRC32 checksum."""
    body = draw(st.text(alphabet=ALNUM, min_size=30, max_size=30))
    return f"ghp_{body}{base62(zlib.crc32(body.encode()), 6)}"


# what may stand right before and after a token (anything that is not a token character)
LEFT = st.sampled_from([" ", "\n", "=", '"', "'", ":", "\t", "(", ",", "\r\n", "=\"", "/", "\u00a0"])
RIGHT = st.sampled_from([" ", "\n", '"', "'", ";", "\t", ")", ",", "\r\n", "@", "#", "\u2028"])


@QUICK
@given(prefix=st.text(max_size=400), left=LEFT, token=github_tokens(), right=RIGHT,
       suffix=st.text(max_size=400))
def test_a_secret_anywhere_is_found_at_its_line_and_column(prefix: str, left: str, token: str, right: str,
                                                           suffix: str) -> None:
    before = prefix + left
    text = before + token + right + suffix
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    findings = DETECTOR.scan(Chunk(text=text, path="input.txt")).findings
    located = [(f.line, f.column, f.end_line, f.end_column) for f in findings if f.secret == token]
    assert located == [(line, column, line, column + len(token))], (located, line, column)


@QUICK
@given(lines=st.lists(st.text(alphabet=st.characters(blacklist_characters="\n"), max_size=80), max_size=40),
       where=st.integers(min_value=0), token=github_tokens(), line_offset=st.integers(0, 10_000))
def test_a_chunk_that_starts_mid_file_reports_file_lines(lines: list[str], where: int, token: str,
                                                         line_offset: int) -> None:
    index = where % (len(lines) + 1)
    text = "\n".join([*lines[:index], f"TOKEN={token}", *lines[index:]])
    findings = DETECTOR.scan(Chunk(text=text, path="a.env", line_offset=line_offset)).findings
    assert [(f.line, f.column) for f in findings if f.secret == token] == [(index + 1 + line_offset, 7)]


@st.composite
def trees(draw: st.DrawFn) -> dict[str, str]:
    """65 to 90 files (enough for the worker pool), some holding one or two tokens among noise."""
    count = draw(st.integers(min_value=65, max_value=90))
    files = {}
    for index in range(count):
        noise = draw(st.text(alphabet=ALNUM + " =:\n\"'", max_size=120))
        tokens = draw(st.lists(github_tokens(), max_size=2))
        body = "\n".join([noise, *(f"token_{n} = \"{t}\"" for n, t in enumerate(tokens)), noise[::-1]])
        files[f"f{index:03}.txt"] = body + "\n"
    return files


def _findings(*args: str) -> list[dict[str, object]]:
    result = run_cli("scan", *args, "--no-git", "--no-cache", "-f", "json", "--show-secrets", "-q")
    assert result.code in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["complete"] is True
    return report["findings"]


@SLOW
@given(files=trees(), shuffle=st.randoms(use_true_random=False))
def test_results_do_not_depend_on_workers_or_file_order(files: dict[str, str],
                                                          shuffle: random.Random) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        for name, text in files.items():
            (root / name).write_text(text)
        serial = _findings(str(root), "-j", "1")
        parallel = _findings(str(root), "-j", "2")
        names = [str(root / name) for name in files]
        shuffle.shuffle(names)
        reordered = _findings(*names, "-j", "2")
    assert parallel == serial
    assert reordered == serial
    planted = {line.split('"')[1] for text in files.values() for line in text.splitlines()
               if line.startswith("token_")}
    assert {f["secret"] for f in serial} >= planted
