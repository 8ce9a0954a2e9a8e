"""The one Chinese analyzer, used by indexing and querying alike.

Pipeline: ``normalize`` (NFKC, case folding, OpenCC traditional→simplified,
punctuation to spaces, Latin words joined across in-word punctuation) →
``runs`` (CJK runs and Latin/digit words) → ``tokens`` (jieba precise mode for
queries; precise plus every dictionary sub-word for the index, so that every
query token is also an index token) plus derived forms: pinyin, initials,
character n-grams and compact keys.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import re
import unicodedata
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Literal

import jieba
import marisa_trie
import opencc
from pypinyin import Style, lazy_pinyin

from indexer.dictionaries import Dictionaries
from indexer.priors import PRIORS
from indexer.schema import SCHEMA_VERSION

Mode = Literal["index", "query"]

# Bump when a change to this module changes the tokens it produces.
ANALYZER_VERSION = "5"

_CJK_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2FA1F),
    (0x30000, 0x323AF),  # extensions G and H: OpenCC simplifies some characters into them
)
# Rounds of traditional→simplified: a few characters take two (薴 → 苧 → 苎).
_T2S_ROUNDS = 3
_CJK_CLASS = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _CJK_RANGES)
_CJK_RE = re.compile(f"[{_CJK_CLASS}]")
_RUN_RE = re.compile(f"([{_CJK_CLASS}]+)|[^{_CJK_CLASS}]+")
# Punctuation that may sit inside a Latin word: L.V., H&M, McDonald's, SK-II.
_INWORD_RE = re.compile(r"(?<=[0-9A-Za-z])[.&'’\-·+](?=[0-9A-Za-z])")
# Runs of characters that are not letters or digits: ``\w`` is ``str.isalnum`` plus ``_``.
_NON_ALNUM_RE = re.compile(r"[\W_]+")
# Text made only of these has no nonspacing mark and nothing NFD decomposes (tested):
# ASCII, CJK symbols and punctuation other than the tone marks U+302A–302F, and the
# unified ideographs.
_UNMARKED_RE = re.compile("[\x00-\x7f\u3000-\u3029\u3030-\u303f\u4e00-\u9fff]*")
_LATIN_RE = re.compile(r"[a-z0-9]+")
# What jieba segments as one block of Chinese (its ``re_han_default`` without Latin).
_JIEBA_HAN_RE = re.compile("[\u4e00-\u9fd5]+")
MAX_WORD_LEN = 12
# jieba's general dictionary counts above which a word is common language, not only a name.
COMMON_WORD_FREQ = 300

# First item of a saved analyzer state (bump when its layout changes).
_STATE_MAGIC = "mpsearch-analyzer-state-1"

_T2S = opencc.OpenCC("t2s")
# ``str.translate`` table deleting every nonspacing mark (category Mn): accents after NFD.
# Outside the first two planes only plane 14 has any (variation selectors), so the scan at
# import skips the rest: 24 ms instead of 140 (tested against the whole range).
_MARK_PLANES = (range(0x20000), range(0xE0000, 0xF0000))
_NONSPACING_MARKS = dict.fromkeys(
    cp for plane in _MARK_PLANES for cp in plane if unicodedata.category(chr(cp)) == "Mn"
)
jieba.setLogLevel(logging.WARNING)


def _force_split_words() -> set[str]:
    """Words jieba's HMM must not join (added with frequency 0): a global of jieba."""
    words: set[str] = jieba.finalseg.Force_Split_Words
    return words


class _TrieFreq:
    """jieba's ``FREQ`` lookups (``get``, ``[]``) over a trie of the words it counts.

    A word of frequency 0 (a prefix entry, or a word added with 0) reads as absent:
    jieba's segmentation only asks whether a frequency is non-zero or takes ``or 1``.
    """

    def __init__(self, trie: marisa_trie.Trie, freqs: array[int]) -> None:
        self._trie = trie
        self._freqs = freqs

    def get(self, word: str, default: int | None = None) -> int | None:
        key = self._trie.get(word)
        return default if key is None else int(self._freqs[key])

    def __getitem__(self, word: str) -> int:
        key = self._trie.get(word)
        if key is None:
            raise KeyError(word)
        return int(self._freqs[key])


class _TrieTokenizer(jieba.Tokenizer):  # type: ignore[misc]
    """A jieba tokenizer whose dictionary is a read-only trie instead of a dict.

    jieba's dictionary holds every prefix of every word (with frequency 0 when only a
    prefix), so its DAG scan, stopping at the first prefix of the text not in it,
    finds exactly the words that start the text: what the trie lists directly.
    Routes are computed by jieba's own ``calc`` through :class:`_TrieFreq`.
    """

    def __init__(self, trie: marisa_trie.Trie, freqs: array[int], total: int, longest: int) -> None:
        super().__init__()
        self.tmp_dir = None
        self.FREQ = _TrieFreq(trie, freqs)
        self.total = total
        self.initialized = True
        self._trie = trie
        self._longest = longest

    def get_DAG(self, sentence: str) -> dict[int, list[int]]:
        prefixes = self._trie.prefixes
        longest = self._longest
        dag: dict[int, list[int]] = {}
        for k in range(len(sentence)):
            ends = [k + len(w) - 1 for w in prefixes(sentence[k : k + longest])]
            dag[k] = ends or [k]
        return dag

    def add_word(self, *_: object, **__: object) -> None:
        raise TypeError("an analyzer loaded from its saved state takes no new words")

    def suggest_freq(self, *_: object, **__: object) -> int:
        raise TypeError("an analyzer loaded from its saved state takes no new words")


def is_cjk(ch: str) -> bool:
    """True for a CJK unified ideograph (any extension block)."""
    return _CJK_RE.match(ch) is not None


def has_cjk(text: str) -> bool:
    """True when ``text`` holds at least one CJK ideograph."""
    return _CJK_RE.search(text) is not None


def _fold(text: str) -> str:
    """NFKC, case folding, accents stripped (Hermès → hermes), traditional→simplified."""
    if not text.isascii():
        # Lone surrogates (undecodable input) cannot be normalised: make them U+FFFD.
        text = text.encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        if _UNMARKED_RE.fullmatch(text) is None:
            decomposed = unicodedata.normalize("NFD", text)
            text = unicodedata.normalize("NFC", decomposed.translate(_NONSPACING_MARKS))
        if has_cjk(text):
            # Until stable, so that normalising normalised text changes nothing.
            for _ in range(_T2S_ROUNDS):
                simplified = _T2S.convert(text)
                if simplified == text:
                    break
                text = simplified
    return text


def normalize(text: str) -> str:
    """Canonical text: folded, punctuation to single spaces, in-word punctuation dropped.

    ``"Ｌ.Ｖ. 包包!!"`` → ``"lv 包包"``; ``"麥當勞 McDonald's"`` → ``"麦当劳 mcdonalds"``.
    Every character that is not a letter or digit (``str.isalnum``) separates words.
    """
    return _NON_ALNUM_RE.sub(" ", _INWORD_RE.sub("", _fold(text))).strip()


def compact(text: str) -> str:
    """Normalised text with every space removed: the key for whole-name matching."""
    return normalize(text).replace(" ", "")


@dataclass(frozen=True, slots=True)
class Run:
    """A maximal stretch of one script in normalised text."""

    kind: Literal["cjk", "word"]
    text: str


def runs(normalized: str) -> list[Run]:
    """Split normalised text into CJK runs and Latin/digit/other words."""
    result: list[Run] = []
    for chunk in normalized.split(" "):
        for m in _RUN_RE.finditer(chunk):
            result.append(Run("cjk" if m.group(1) else "word", m.group()))
    return result


@lru_cache(maxsize=65536)
def pinyin_syllables(cjk: str) -> tuple[str, ...]:
    """Toneless pinyin of a CJK string, one syllable per character (ü as v)."""
    return tuple(lazy_pinyin(cjk, style=Style.NORMAL, v_to_u=False, errors="ignore"))


def pinyin_full(cjk: str) -> str:
    """Joined toneless pinyin: 星巴克 → xingbake."""
    return "".join(pinyin_syllables(cjk))


def pinyin_initials(cjk: str) -> str:
    """First letter of each syllable: 星巴克 → xbk."""
    return "".join(s[0] for s in pinyin_syllables(cjk) if s)


def spell_key(key: str) -> tuple[str, str]:
    """Full pinyin and initials of a compact name, its Latin letters and digits kept
    (全民k歌 → quanminkge, qmkg): how a whole name is typed in pinyin."""
    full: list[str] = []
    initials: list[str] = []
    for run in runs(key):
        if run.kind == "cjk":
            full.append(pinyin_full(run.text))
            initials.append(pinyin_initials(run.text))
        else:
            full.append(run.text)
            initials.append(run.text)
    return "".join(full), "".join(initials)


def char_ngrams(cjk: str, sizes: tuple[int, ...] = (1, 2)) -> Iterator[str]:
    """Character n-grams of a CJK run, for sub-word and single-character recall."""
    for n in sizes:
        for i in range(len(cjk) - n + 1):
            yield cjk[i : i + n]


def analyzer_fingerprint(dicts: Dictionaries) -> str:
    """Hash of everything that decides tokens: this code's version, libraries, dictionaries,
    and the schema they are written to (an index of another schema is refused with it)."""
    h = hashlib.sha256()
    h.update(f"analyzer={ANALYZER_VERSION}\n".encode())
    h.update(f"schema={SCHEMA_VERSION}\n".encode())
    h.update(f"popularity={[tuple(p) for p in PRIORS]}\n".encode())
    for lib in ("jieba", "pypinyin", "opencc"):
        h.update(f"{lib}={metadata.version(lib)}\n".encode())
    h.update(dicts.digest().encode())
    return h.hexdigest()[:16]


class Analyzer:
    """Segmentation with a dedicated jieba tokenizer and the project dictionaries.

    ``extra_words`` are catalog-derived words (brand names, aliases, listing
    names) added to segmentation; they travel with each index version. The place names of
    ``regions.txt`` are whole words too (:meth:`_add_place_names`).
    """

    def __init__(
        self,
        dicts: Dictionaries,
        extra_words: Iterable[str] = (),
        word_freqs: Mapping[str, int] | None = None,
    ) -> None:
        """``word_freqs``: the jieba frequencies ``extra_words`` got when the index was built
        (``self.word_freqs``). Adding them as they are gives jieba the same state without
        segmenting every word again to suggest a frequency.
        """
        self._setup(dicts)
        self._jieba.initialize()
        self._add_place_names()
        for word, freq in dicts.user_words:
            self._jieba.add_word(word, freq)
        words = sorted({w for w in extra_words if 2 <= len(w) <= MAX_WORD_LEN})
        self._words = "\n".join(words)
        freq_of = self._jieba.FREQ
        # General-language frequency of catalog words, before they are added below.
        self._general_freq = {w: int(n) for w in words if (n := freq_of.get(w))}
        known = word_freqs or {}
        for word in words:
            self._jieba.add_word(word, known.get(word))

    def _add_place_names(self) -> None:
        """Make every name of ``regions.txt`` one word: those jieba's dictionary cuts into
        pieces (鄂尔多斯市 is whole already; 唐山, 黔东南州, 高雄 are not) are added with the
        frequency jieba suggests for them, just enough to keep them whole on their own.
        Words jieba keeps whole are left as they are, so other text segments as before.
        """
        for entry in self.dicts.regions:
            for name in (n for group in (entry.names, *entry.cities) for n in group):
                if tuple(self._jieba.cut(name, HMM=False)) != (name,):
                    self._jieba.add_word(name)

    def _setup(self, dicts: Dictionaries) -> None:
        """What does not depend on the catalog words: dictionaries, synonyms, caches."""
        self.dicts = dicts
        self.fingerprint = analyzer_fingerprint(dicts)
        self._jieba = jieba.Tokenizer()
        self._jieba.tmp_dir = None
        self._cut_cache: dict[tuple[str, str], tuple[str, ...]] = {}
        self._synonyms: dict[str, list[str]] = {}
        for group in dicts.synonym_groups:
            words = [compact(w) for w in group]
            for w in words:
                bucket = self._synonyms.setdefault(w, [])
                bucket.extend(o for o in words if o != w and o not in bucket)

    @property
    def extra_words(self) -> list[str]:
        """The catalog words added to segmentation, sorted."""
        return self._words.split("\n") if self._words else []

    @property
    def word_freqs(self) -> dict[str, int]:
        """The jieba frequency of each catalog word, in the order they were added."""
        freq_of = self._jieba.FREQ
        return {w: int(freq_of.get(w) or 0) for w in self.extra_words}

    # --- saved state: what the build leaves for a fast start ---------------------------

    def save_state(self, state_path: Path, trie_path: Path) -> None:
        """Write what :meth:`from_state` needs: the words with a frequency as a trie, and
        their frequencies, jieba's total and the catalog words beside it.

        jieba's prefix dictionary (about two million entries for a million listings) is
        the slow and large part of an analyzer: seconds to build, hundreds of MB in each
        process. The trie holds the same words in a few MB, mapped from the file, so
        processes serving the same version share it and open it at once.
        """
        freq_of = self._jieba.FREQ
        trie = marisa_trie.Trie([w for w, n in freq_of.items() if n])
        freqs = array("q", bytes(8 * len(trie)))
        for word, key in trie.iteritems():
            freqs[key] = int(freq_of[word])
        forced = sorted(w for w in _force_split_words() if w in freq_of and not freq_of[w])
        longest = max((len(w) for w in trie.iterkeys()), default=1)
        trie.save(str(trie_path))
        state = (
            _STATE_MAGIC,
            self.fingerprint,
            self._words,
            self._general_freq,
            forced,
            int(self._jieba.total),
            longest,
            freqs.tobytes(),
        )
        state_path.write_bytes(marshal.dumps(state))

    @classmethod
    def from_state(
        cls, dicts: Dictionaries, state_path: Path, trie_path: Path, words: str | None = None
    ) -> Analyzer:
        """The analyzer :meth:`save_state` saved: the same tokens as the one that saved it.

        Raises ``ValueError`` when the files are not such a state, were made for other
        dictionaries or analyzer code, or (given ``words``, the version's words file)
        for other catalog words: the caller then builds the analyzer from the words.
        """
        try:
            saved = marshal.loads(state_path.read_bytes())
            magic, fingerprint, saved_words, general, forced, total, longest, raw = saved
            freqs = array("q")
            freqs.frombytes(raw)
        except (EOFError, TypeError, ValueError) as exc:
            raise ValueError(f"not an analyzer state: {exc}") from None
        if magic != _STATE_MAGIC:
            raise ValueError(f"not an analyzer state of this format ({magic!r})")
        self = cls.__new__(cls)
        self._setup(dicts)
        if fingerprint != self.fingerprint:
            raise ValueError(
                f"analyzer state made with fingerprint {fingerprint}, not {self.fingerprint}"
            )
        if words is not None and saved_words != words.strip("\n"):
            raise ValueError("analyzer state made for other catalog words")
        trie = marisa_trie.Trie()
        try:
            trie.mmap(str(trie_path))
        except Exception as exc:  # marisa raises its own error types for a bad file
            raise ValueError(f"{trie_path}: not a word trie: {exc}") from None
        if len(freqs) != len(trie):
            raise ValueError(f"{trie_path}: {len(trie)} words, {len(freqs)} frequencies")
        self._words = saved_words
        self._general_freq = general
        self._jieba = _TrieTokenizer(trie, freqs, total, longest)
        for word in forced:  # as jieba's add_word does for a frequency of 0
            jieba.finalseg.add_force_split(word)
        return self

    def is_common_word(self, word: str) -> bool:
        """True for a catalog word that is also a frequent general word (苹果, 小米).

        Such a brand name may mean the brand or the thing; query context decides.
        """
        return self._general_freq.get(word, 0) >= COMMON_WORD_FREQ

    def synonyms(self, word: str) -> list[str]:
        """Other words of the synonym groups ``word`` (a normalised token) belongs to."""
        return self._synonyms.get(word, [])

    @staticmethod
    def catalog_words(texts: Iterable[str]) -> set[str]:
        """The CJK runs of names and aliases, to be added to segmentation."""
        words: set[str] = set()
        for text in texts:
            for run in runs(normalize(text)):
                if run.kind == "cjk" and 2 <= len(run.text) <= MAX_WORD_LEN:
                    words.add(run.text)
        return words

    def _cut(self, cjk: str, mode: Mode) -> tuple[str, ...]:
        """jieba's precise words of ``cjk``; index mode adds every dictionary word inside.

        The precise words lead the index-mode result, so an index-mode cut also caches
        the query-mode one: indexing asks for both.
        """
        key = (cjk, mode)
        cached = self._cut_cache.get(key)
        if cached is not None:
            return cached
        if len(self._cut_cache) > 200_000:
            self._cut_cache.clear()
        precise = self._cut_cache.get((cjk, "query"))
        inner: Iterable[str]
        if mode == "index" and precise is None and _JIEBA_HAN_RE.fullmatch(cjk):
            precise, inner = self._cut_both(cjk)
        else:
            if precise is None:
                precise = tuple(self._jieba.cut(cjk, HMM=False))
            inner = self._jieba.cut(cjk, cut_all=True) if mode == "index" else ()
        self._cut_cache[(cjk, "query")] = precise
        if mode == "query":
            return precise
        words = list(precise)
        seen = set(words)
        for w in inner:
            if w not in seen:
                seen.add(w)
                words.append(w)
        result = tuple(words)
        self._cut_cache[key] = result
        return result

    def _cut_both(self, cjk: str) -> tuple[tuple[str, ...], list[str]]:
        """jieba's precise (no HMM) and full-mode words of a run of ``_JIEBA_HAN_RE``
        characters, from one word graph instead of the two ``jieba.cut`` calls would build.

        Such a run is one block to jieba with no Latin letters in it, so these are the
        steps of its ``__cut_DAG_NO_HMM`` and ``__cut_all`` (tested against ``cut``).
        """
        dag = self._jieba.get_DAG(cjk)
        route: dict[int, tuple[float, int]] = {}
        self._jieba.calc(cjk, dag, route)
        precise: list[str] = []
        x, n = 0, len(cjk)
        while x < n:
            y = route[x][1] + 1
            precise.append(cjk[x:y])
            x = y
        inner: list[str] = []
        last = -1
        for k, ends in dag.items():
            if len(ends) == 1 and k > last:
                inner.append(cjk[k : ends[0] + 1])
                last = ends[0]
            else:
                for j in ends:
                    if j > k:
                        inner.append(cjk[k : j + 1])
                        last = j
        return tuple(precise), inner

    def tokens(
        self,
        text: str,
        mode: Mode,
        *,
        normalized: bool = False,
        keep_stopwords: bool = False,
        precise: list[str] | None = None,
    ) -> list[str]:
        """Word tokens of ``text``: jieba words for CJK, whole words for Latin/digits.

        Index mode adds every dictionary word inside each precise word and the
        concatenation of adjacent Latin words (``louis vuitton`` → ``louisvuitton``).
        Stop words are dropped in both modes unless every precise (query-mode)
        token is one, so that index tokens always include the query tokens.
        ``normalized``: ``text`` is already :func:`normalize`'s output.
        ``keep_stopwords``: drop none (for query understanding, which explains what it drops).
        ``precise``: a list that gets the query-mode tokens too, as index mode cuts them
        anyway (stop words dropped as for the tokens returned).
        """
        norm = text if normalized else normalize(text)
        out: list[str] = []
        precise_kept = False
        latin_streak: list[str] = []

        def flush() -> None:
            if mode == "index" and len(latin_streak) > 1:
                out.append("".join(latin_streak))
            latin_streak.clear()

        for run in runs(norm):
            if run.kind == "cjk":
                flush()
                out.extend(self._cut(run.text, mode))
                words = self._cut(run.text, "query")
                precise_kept = precise_kept or any(t not in self.dicts.stopwords for t in words)
                if precise is not None:
                    precise.extend(words)
            else:
                out.append(run.text)
                latin_streak.append(run.text)
                precise_kept = precise_kept or run.text not in self.dicts.stopwords
                if precise is not None:
                    precise.append(run.text)
        flush()
        if keep_stopwords or not precise_kept:
            return out
        stop = self.dicts.stopwords
        if precise is not None:
            precise[:] = [t for t in precise if t not in stop]
        return [t for t in out if t not in stop]

    def pinyin_forms(self, text: str) -> tuple[list[str], list[str]]:
        """Full pinyin and initials of each CJK run and of each index word in it.

        Latin words are kept in both, so that ``GUCCI古驰`` also yields ``guccigucchi``.
        """
        full: list[str] = []
        initials: list[str] = []
        parts_full: list[str] = []
        parts_init: list[str] = []
        for run in runs(normalize(text)):
            if run.kind == "cjk":
                full.append(pinyin_full(run.text))
                initials.append(pinyin_initials(run.text))
                parts_full.append(full[-1])
                parts_init.append(initials[-1])
                for w in self._cut(run.text, "index"):
                    if len(w) >= 2 and w != run.text:
                        full.append(pinyin_full(w))
                        initials.append(pinyin_initials(w))
            else:
                parts_full.append(run.text)
                parts_init.append(run.text)
        if len(parts_full) > 1:
            full.append("".join(parts_full))
            initials.append("".join(parts_init))
        return _dedupe(full), _dedupe(initials)

    def ngrams(self, text: str, *, normalized: bool = False) -> list[str]:
        """Unigrams and bigrams of every CJK run (``normalized`` as for :meth:`tokens`)."""
        grams: list[str] = []
        for run in runs(text if normalized else normalize(text)):
            if run.kind == "cjk":
                grams.extend(char_ngrams(run.text))
        return _dedupe(grams)

    def latin_words(self, text: str) -> list[str]:
        """Latin/digit words of ``text`` (used for fuzzy matching)."""
        return [w for w in _LATIN_RE.findall(normalize(text)) if not w.isdigit()]


def format_word_freqs(freqs: Mapping[str, int]) -> str:
    """``word<TAB>freq`` lines, in the order the words were added."""
    return "".join(f"{w}\t{n}\n" for w, n in freqs.items())


def parse_word_freqs(text: str) -> dict[str, int]:
    """The mapping written by :func:`format_word_freqs`."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        word, _, freq = line.rpartition("\t")
        if word:
            out[word] = int(freq)
    return out


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out
