"""Property tests of the analyzer on hostile text: whatever people type, whatever a catalog holds.

Properties checked (hypothesis, derandomized so CI always runs the same examples):
1. Any Unicode string (every general category, emoji and ZWJ sequences, combining marks,
   right-to-left text and bidi controls, C0/C1 controls, BOM, lone surrogates, traditional
   characters, CJK extensions) goes through ``normalize``, ``compact``, ``runs``, ``tokens`` in
   both modes, ``pinyin_forms``, ``ngrams`` and ``latin_words`` without an exception.
2. ``normalize`` is idempotent and its output holds only alphanumerics and single inner spaces;
   ``compact`` is that output without spaces. A sweep over every code point (in blocks, next to
   Latin and CJK neighbours) checks idempotence exhaustively, not only on sampled strings.
3. Every query-mode token of a string is an index-mode token of the same string.
4. Bytes decoded the ways a server may decode them (UTF-8 with replacement, surrogateescape,
   surrogatepass, latin-1, GBK) are handled like any other text.
5. Very long strings (tens of thousands of characters) are handled, with the same properties.
6. Regressions found by these properties: 薴 simplifies in two OpenCC rounds (薴 → 苧 → 苎),
   so one round was not idempotent; OpenCC simplifies some characters into CJK extension G
   (繐 → U+30B38), which must still count as CJK.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.analysis import (
    _NONSPACING_MARKS,
    _T2S,
    _T2S_ROUNDS,
    _UNMARKED_RE,
    Analyzer,
    Mode,
    compact,
    has_cjk,
    is_cjk,
    normalize,
    runs,
)
from indexer.dictionaries import Dictionaries

pytestmark = pytest.mark.slow  # property tests of the analyzer over all of Unicode

PROPS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

TRICKY = list(
    "星巴克麥當勞薴繐路易威登的了吗"  # CJK, traditional, stop words
    "LVlvＬＶ１２a9"  # Latin, full-width
    ".&'’-·+!?,，。「」#/%_"  # in-word and other punctuation
    "\u0301\u0308\u0345\u20dd"  # combining marks (incl. one that casefolds to a letter)
    "مرحباשלום\u200f\u200e\u202e\u2066\u2069"  # Arabic, Hebrew, bidi marks and overrides
    "\x00\x01\x1b\x7f\x85\u200b\u200d\ufeff\ufffd"  # controls, zero-width, BOM, replacement
    "\ud800\udc00\udfff"  # lone surrogates
    "😀👍🏽🇨🇳\U000e0067"  # emoji, skin tone, flag, tag character
    "ßİǅﬀ⑴℡Ⅻ²ⓐ㍿"  # casefold and NFKC expansions
    "\u3000\t\n\r\x0b\x0c\u2028\u00a0"  # every kind of space
    "\U00030b38\U00020000\u3400"  # CJK extensions G, B, A
)
SURROGATE = st.integers(0xD800, 0xDFFF).map(chr)
ANY_CHAR = st.one_of(
    st.characters(codec=None, exclude_categories=()), st.sampled_from(TRICKY), SURROGATE
)
ANY_TEXT = st.text(ANY_CHAR, max_size=60)
# Long strings are short random pieces repeated (hypothesis draws at most a few KB).
DECODINGS = [
    ("utf-8", "replace"),
    ("utf-8", "surrogateescape"),
    ("latin-1", "strict"),
    ("gbk", "replace"),
    ("utf-16-le", "surrogatepass"),
]
LONG_TEXT = st.builds(
    lambda piece, tail, times: piece * times + tail,
    st.text(ANY_CHAR, min_size=20, max_size=100),
    ANY_TEXT,
    st.integers(200, 500),
)


@pytest.fixture(scope="module")
def analyzer(dicts: Dictionaries) -> Analyzer:
    return Analyzer(dicts, extra_words=["星巴克咖啡", "路易威登"])


def check_text(analyzer: Analyzer, text: str) -> None:
    """All properties of one string."""
    norm = normalize(text)
    assert normalize(norm) == norm
    assert norm == norm.strip() and "  " not in norm
    assert all(ch.isalnum() or ch == " " for ch in norm)
    assert compact(text) == norm.replace(" ", "")
    assert "".join(run.text for run in runs(norm)) == norm.replace(" ", "")
    tokens: dict[Mode, list[str]] = {m: analyzer.tokens(text, m) for m in ("query", "index")}
    assert set(tokens["query"]) <= set(tokens["index"])
    for token in tokens["index"]:
        assert token and " " not in token
    full, initials = analyzer.pinyin_forms(text)
    assert all(isinstance(x, str) and x for x in full + initials)
    assert all(len(g) in (1, 2) for g in analyzer.ngrams(text))
    assert all(w.isascii() for w in analyzer.latin_words(text))


# ------------------------------------------------------------------ 1-3 any text


@PROPS
@given(text=ANY_TEXT)
def test_any_text(analyzer: Analyzer, text: str) -> None:
    check_text(analyzer, text)


@PROPS
@given(text=st.text(st.sampled_from(TRICKY), max_size=40))
def test_tricky_text(analyzer: Analyzer, text: str) -> None:
    check_text(analyzer, text)


def test_normalize_idempotent_for_every_code_point() -> None:
    """Every code point, 64 at a time, between Latin and CJK neighbours."""
    failures = []
    for start in range(0, 0x110000, 64):
        block = "".join(f"a{chr(cp)}星{chr(cp)}" for cp in range(start, start + 64))
        norm = normalize(block)
        if normalize(norm) != norm or norm != reference_normalize(block):
            failures.append(hex(start))
    assert failures == []


_INWORD = ".&'’-·+"


def reference_normalize(text: str) -> str:
    """``normalize`` spelled out one character at a time: the specification it is checked
    against. Folding (NFKC, case, accents, traditional→simplified), then every character that
    is not ``str.isalnum`` becomes a space, except in-word punctuation between two ASCII
    letters or digits, which is dropped; spaces are collapsed and trimmed."""
    folded = text.encode("utf-8", "replace").decode("utf-8")
    folded = unicodedata.normalize("NFKC", folded).casefold()
    decomposed = unicodedata.normalize("NFD", folded)
    folded = unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    )
    for _ in range(_T2S_ROUNDS):
        folded = _T2S.convert(folded) if has_cjk(folded) else folded
    out = []
    for i, ch in enumerate(folded):
        inword = (
            ch in _INWORD
            and 0 < i < len(folded) - 1
            and folded[i - 1].isascii()
            and folded[i - 1].isalnum()
            and folded[i + 1].isascii()
            and folded[i + 1].isalnum()
        )
        if not inword:
            out.append(ch if ch.isalnum() else " ")
    return " ".join(w for w in "".join(out).split(" ") if w)


@PROPS
@given(text=ANY_TEXT)
def test_normalize_matches_its_specification(text: str) -> None:
    assert normalize(text) == reference_normalize(text)


@PROPS
@given(text=st.text(st.sampled_from(TRICKY), max_size=40))
def test_normalize_matches_its_specification_on_tricky_text(text: str) -> None:
    assert normalize(text) == reference_normalize(text)


def test_mark_table_holds_every_nonspacing_mark() -> None:
    marks = [cp for cp in range(0x110000) if unicodedata.category(chr(cp)) == "Mn"]
    assert list(_NONSPACING_MARKS) == marks


def test_unmarked_text_needs_no_decomposition() -> None:
    """Text of ``_UNMARKED_RE`` skips NFD and mark stripping: nothing in it decomposes and
    none of it is a nonspacing mark."""
    chars = [chr(cp) for cp in range(0x110000) if _UNMARKED_RE.fullmatch(chr(cp))]
    assert len(chars) > 20_000
    for ch in chars:
        assert unicodedata.normalize("NFD", ch) == ch, hex(ord(ch))
        assert unicodedata.category(ch) != "Mn", hex(ord(ch))


# ------------------------------------------------------------------ 4 decoded bytes


@PROPS
@given(
    data=st.binary(max_size=80),
    how=st.sampled_from(DECODINGS),
)
def test_decoded_bytes(analyzer: Analyzer, data: bytes, how: tuple[str, str]) -> None:
    encoding, errors = how
    if encoding == "utf-16-le":
        data = data[: len(data) // 2 * 2]
    check_text(analyzer, data.decode(encoding, errors))


# ------------------------------------------------------------------ 5 long text


@settings(max_examples=4, deadline=None, database=None, derandomize=True)
@given(text=LONG_TEXT)
def test_long_text(analyzer: Analyzer, text: str) -> None:
    check_text(analyzer, text)


def test_one_long_word(analyzer: Analyzer) -> None:
    check_text(analyzer, "a" * 100_000)
    check_text(analyzer, "星" * 20_000)
    check_text(analyzer, "e" + "\u0301" * 50_000)


# ------------------------------------------------------------------ 6 regressions


def test_two_round_simplification() -> None:
    assert normalize("薴") == "苎"
    assert normalize("苧麻") == "苎麻"
    assert normalize(normalize("薴")) == normalize("薴")


def test_extension_g_is_cjk(analyzer: Analyzer) -> None:
    simplified = normalize("繐")
    assert simplified == "\U00030b38" and is_cjk(simplified)
    assert runs(normalize("a繐b"))[1].kind == "cjk"
    assert analyzer.ngrams("繐") == ["\U00030b38"]
