"""Unit tests for search.cards.highlight: ``<em>`` around every stretch of a card's name that
matches a query word, on a per-character normalised copy of the name.

1. Known cases: full-width and case (ＬＶ for lv), traditional characters (麥當勞 for 麦当劳),
   HTML escaping inside and outside the marks, a character that folds to several (ß → ss),
   adjacent and overlapping matches merged into one mark.
2. On random names and words it equals a plain character-by-character reference.
"""

from __future__ import annotations

import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analysis import normalize
from search.cards import highlight


def reference(name: str, words: list[str]) -> str:
    """One character at a time: fold, find every word, mark its characters, escape."""
    folded: list[str] = []
    owner: list[int] = []
    for i, ch in enumerate(name):
        norm = normalize(ch) or " "
        folded.append(norm)
        owner.extend([i] * len(norm))
    flat = "".join(folded)
    marked = [False] * len(name)
    for word in words:
        start = flat.find(word)
        while start != -1:
            for k in range(start, start + len(word)):
                marked[owner[k]] = True
            start = flat.find(word, start + len(word))
    out: list[str] = []
    inside = False
    for ch, hit in zip(name, marked, strict=True):
        if hit != inside:
            out.append("<em>" if hit else "</em>")
            inside = hit
        out.append(html.escape(ch))
    if inside:
        out.append("</em>")
    return "".join(out)


@pytest.mark.parametrize(
    ("name", "words", "expected"),
    [
        ("ＬＶ官方店", ["lv"], "<em>ＬＶ</em>官方店"),
        ("麥當勞 McDonald's", ["麦当劳"], "<em>麥當勞</em> McDonald&#x27;s"),
        ("A&B <店>", ["店"], "A&amp;B &lt;<em>店</em>&gt;"),
        ("Straße商店", ["strasse"], "<em>Straße</em>商店"),
        ("星巴克咖啡", ["星巴克", "咖啡"], "<em>星巴克咖啡</em>"),
        ("星巴克咖啡", ["巴克", "星巴"], "<em>星巴克</em>咖啡"),
        ("星巴克", [], "星巴克"),
        ("", ["lv"], ""),
    ],
)
def test_known_cases(name: str, words: list[str], expected: str) -> None:
    assert highlight(name, words) == expected == reference(name, words)


_CHARS = st.sampled_from(list("星巴克麥當勞咖啡LVlvＬＶßﬀ㍿<>&\"' ·.-"))


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(
    name=st.text(_CHARS, max_size=20),
    words=st.lists(
        st.text(st.sampled_from(list("星巴克麦当劳咖啡lvsf株式会社 ")), min_size=1, max_size=4),
        max_size=3,
    ),
)
def test_matches_reference(name: str, words: list[str]) -> None:
    assert highlight(name, words) == reference(name, words)
