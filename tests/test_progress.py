"""The progress bar: tqdm on a terminal, a silent stand-in otherwise (no tqdm import on that path)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from keyscan.output import progress_bar


def _use(bar: object) -> None:
    bar.total = 10  # type: ignore[attr-defined]
    bar.refresh()  # type: ignore[attr-defined]
    bar.update(4)  # type: ignore[attr-defined]
    bar.set_postfix_str("1.0 MB", refresh=False)  # type: ignore[attr-defined]
    bar.close()  # type: ignore[attr-defined]


def test_a_shown_bar_is_tqdm_and_counts(capsys: pytest.CaptureFixture[str]) -> None:
    bar = progress_bar(None, "blob", True)
    assert type(bar).__name__ == "tqdm"
    bar.update(3)
    assert bar.n == 3
    _use(bar)
    assert "blob" in capsys.readouterr().err


def test_a_hidden_bar_answers_every_call_and_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    _use(progress_bar(5, "blob", False))
    assert capsys.readouterr().err == ""


def test_a_scan_without_a_terminal_never_imports_tqdm(tmp_path: object) -> None:
    code = ("import sys; from keyscan.cli import main\n"
            "try:\n    main(['scan', '-q', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
            "print('tqdm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
