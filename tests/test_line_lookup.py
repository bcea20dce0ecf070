"""A finding's line and column: counted directly for a text's first few matches, from a table of line
starts after that; both give the same answer for every offset."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from keyscan.engine import detector


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab\n\r é", max_size=80))
def test_counted_and_tabled_lookups_agree(text: str) -> None:
    counted, tabled = detector._Lines(text), detector._Lines(text)
    tabled._asked = detector.FEW_LOOKUPS  # its next lookup builds the table
    for offset in range(len(text) + 1):
        line, column = tabled.locate(offset)
        assert counted.locate(offset) == (line, column)
        assert line == text[:offset].count("\n") + 1 and column == offset - text.rfind("\n", 0, offset)
