"""The pure prefilter's one-pass keyword search says exactly what one substring search per keyword says."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from keyscan.engine.keyword_trie import KeywordTrie
from keyscan.rules.loader import load_builtin_rules

ALPHABET = "abc_-. \nİ"
words = st.text(alphabet=ALPHABET, min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(keywords=st.sets(words, min_size=1, max_size=12), text=st.text(alphabet=ALPHABET, max_size=200))
def test_trie_finds_what_substring_search_finds(keywords: set[str], text: str) -> None:
    trie = KeywordTrie(keywords)
    expected = {k for k in keywords if k in text}
    assert trie.present(text) == expected
    if text.isascii() and all(k.isascii() for k in keywords):
        assert trie.present(text.encode("ascii")) == expected


def test_the_catalog_keywords_on_overlapping_and_nested_hits() -> None:
    keywords = {k for rule in load_builtin_rules() for k in rule.keywords}
    trie = KeywordTrie(keywords)
    text = "client_secret=1 ghp_x xoxb-1 github_pat_ api_key aws_secret_access_key sk-proj- password"
    expected = {k for k in keywords if k in text}
    assert len(expected) > 10
    assert trie.present(text) == expected
    assert trie.present(text.encode()) == expected


def test_no_keywords() -> None:
    assert KeywordTrie([]).present("anything") == set()
