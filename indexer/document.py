"""Turns a validated listing into index fields and the stored blob the searcher re-ranks with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple, TypedDict

import orjson
import tantivy

from indexer import schema as f
from indexer.analysis import Analyzer, compact, normalize, spell_key
from indexer.completion import completion_doc, completion_text, tier_count
from indexer.models import Brand, Listing
from indexer.settings import KNOWN_HOSTS

# One letter per word field, for the stored token map (short, and a substring test).
FIELD_CODES: dict[str, str] = {
    f.NAME: "n",
    f.BRAND: "b",
    f.KEYWORDS: "k",
    f.CATEGORY: "c",
    f.SHOWCASE: "s",
    f.DESCRIPTION: "d",
}
CODE_FIELDS: dict[str, str] = {code: field for field, code in FIELD_CODES.items()}
# Between the values of one field in ``StoredDoc.norm`` (normalised text has no "|").
NORM_SEP = " | "


class StoredDoc(TypedDict):
    """What the searcher reads back for every candidate: ranking facts and analysed forms.

    The listing itself is stored apart (``schema.CARD``) and decoded only for the cards
    of the page: most candidates are ranked and dropped.
    """

    appid: str
    brand_id: str | None
    official: bool
    mau: int  # monthly active users
    # Index token → codes (FIELD_CODES) of the word fields holding it, in field order:
    # re-ranking looks query words up here instead of building sets per candidate.
    where: dict[str, str]
    # The tokens of ``where`` that begin with an ASCII character, in its order: the only
    # ones a Latin prefix or typo can match, so re-ranking scans these, not every token.
    roman: list[str]
    # Word field → its values' normalised texts joined by NORM_SEP, for substring matches.
    norm: dict[str, str]
    py: list[str]  # full pinyin forms of name and brand
    pi: list[str]  # initials of name and brand
    exact: list[str]  # compact whole-name and whole-alias keys
    spell: list[list[str]]  # [full pinyin, initials] of each exact key (spell_key)
    main: bool  # the main official listing of its brand


def field_texts(listing: Listing, brand: Brand | None) -> dict[str, list[str]]:
    """The raw texts behind each word field."""
    return {
        f.NAME: [listing.name],
        f.BRAND: [brand.name, *brand.aliases] if brand else [],
        f.KEYWORDS: list(listing.keywords),
        f.CATEGORY: list(listing.category),
        f.SHOWCASE: [item.title for item in listing.showcase],
        f.DESCRIPTION: [listing.description],
    }


class _Forms(NamedTuple):
    """The analysed forms of one field value."""

    tokens: tuple[str, ...]
    norm: str
    grams: tuple[str, ...]


class AnalysisMemo:
    """Analysed forms of recent field values, shared across listings of one build.

    Category strings, keywords, showcase titles and brand names repeat across
    thousands of listings; analysing each distinct value once is what makes
    indexing a large catalog affordable. The analyzer is deterministic, so the
    memo never changes a document. Cleared when full rather than evicted.
    """

    def __init__(self, analyzer: Analyzer, capacity: int = 200_000) -> None:
        self.analyzer = analyzer
        self.capacity = capacity
        self._forms: dict[tuple[str, bool], _Forms] = {}
        self._pinyin: dict[str, tuple[list[str], list[str]]] = {}

    def forms(self, value: str, grams: bool) -> _Forms:
        key = (value, grams)
        hit = self._forms.get(key)
        if hit is None:
            a = self.analyzer
            norm = normalize(value)
            hit = _Forms(
                tuple(a.tokens(norm, "index", normalized=True)),
                norm,
                tuple(a.ngrams(norm, normalized=True)) if grams else (),
            )
            if len(self._forms) >= self.capacity:
                self._forms.clear()
            self._forms[key] = hit
        return hit

    def pinyin_forms(self, value: str) -> tuple[list[str], list[str]]:
        hit = self._pinyin.get(value)
        if hit is None:
            hit = self.analyzer.pinyin_forms(value)
            if len(self._pinyin) >= self.capacity:
                self._pinyin.clear()
            self._pinyin[value] = hit
        return hit


_GRAM_FIELDS = frozenset((f.NAME, f.BRAND, f.KEYWORDS, f.CATEGORY, f.SHOWCASE))
LATIN_SOURCES = (f.NAME, f.BRAND, f.KEYWORDS)  # the fields fuzzy matching looks in


def latin_tokens(tok: dict[str, list[str]]) -> list[str]:
    """The distinct Latin tokens of the fields typo matching looks in."""
    return list(dict.fromkeys(t for fn in LATIN_SOURCES for t in tok[fn] if t.isascii()))


# One index field value, as the worker processes of a build hand it back: a text, a
# number (unsigned) or bytes. Plain values cross processes far cheaper than a pickled
# tantivy.Document (about 5 µs a listing instead of 150).
IndexValue = str | int | bytes
IndexFields = list[tuple[str, IndexValue]]


def analyse_listing(
    listing: Listing, brand: Brand | None, analyzer: Analyzer, memo: AnalysisMemo | None = None
) -> tantivy.Document:
    """Index document (with its stored blob) for one listing.

    Pass one ``memo`` for a whole build to analyse repeated values once.
    """
    return to_document(analyse_fields(listing, brand, analyzer, memo))


def to_document(fields: IndexFields) -> tantivy.Document:
    """The tantivy document holding ``fields``, in order."""
    doc = tantivy.Document()
    for name, value in fields:
        if isinstance(value, str):
            doc.add_text(name, value)
        elif isinstance(value, bytes):
            doc.add_bytes(name, value)
        else:
            doc.add_unsigned(name, value)
    return doc


def analyse_fields(
    listing: Listing, brand: Brand | None, analyzer: Analyzer, memo: AnalysisMemo | None = None
) -> IndexFields:
    """The index field values of one listing (:func:`analyse_listing` without tantivy)."""
    memo = memo if memo is not None and memo.analyzer is analyzer else AnalysisMemo(analyzer)
    texts = field_texts(listing, brand)
    tok: dict[str, list[str]] = {}
    norm: dict[str, str] = {}
    grams: list[str] = []
    for field, values in texts.items():
        tokens: list[str] = []
        norms: list[str] = []
        with_grams = field in _GRAM_FIELDS
        for value in values:
            forms = memo.forms(value, with_grams)
            tokens.extend(forms.tokens)
            norms.append(forms.norm)
            grams.extend(forms.grams)
        tok[field] = tokens
        norm[field] = NORM_SEP.join(norms)
    py: list[str] = []
    pi: list[str] = []
    for value in texts[f.NAME] + texts[f.BRAND]:
        full, initials = memo.pinyin_forms(value)
        py.extend(full)
        pi.extend(initials)
    exact = list(
        dict.fromkeys(k for k in (compact(v) for v in texts[f.NAME] + texts[f.BRAND]) if k)
    )

    out: IndexFields = [(field, " ".join(tokens)) for field, tokens in tok.items()]
    out += [
        (f.PINYIN, " ".join(py)),
        (f.INITIALS, " ".join(pi)),
        (f.NGRAM, " ".join(grams)),
        (f.LATIN, " ".join(latin_tokens(tok))),
        (f.APPID, listing.appid),
    ]
    if listing.brand_id:
        out.append((f.BRAND_ID, listing.brand_id))
    out += [(f.CATEGORIES, category) for category in listing.category]
    for host in KNOWN_HOSTS:
        out.append((f.LIVE if listing.visible_in(host) else f.HIDDEN, host))
    out += [
        (f.OFFICIAL, int(listing.official)),
        (f.POPULARITY, listing.monthly_active_users),
    ]
    where = token_map(tok)
    stored = StoredDoc(
        appid=listing.appid,
        brand_id=listing.brand_id,
        official=listing.official,
        mau=listing.monthly_active_users,
        where=where,
        roman=[t for t in where if t[:1].isascii()],
        norm=norm,
        py=list(dict.fromkeys(py)),
        pi=list(dict.fromkeys(pi)),
        exact=exact,
        spell=[list(spell_key(k)) for k in exact],
        main=bool(brand and listing.official and brand.official_appids[0] == listing.appid),
    )
    out.append((f.DOC, orjson.dumps(stored)))
    out.append((f.CARD, orjson.dumps(listing.model_dump(mode="json"))))
    tiers = tier_count(listing.monthly_active_users)
    out.append((f.COMPLETION_NAME, completion_text((listing.name,), tiers)))
    if brand is not None:
        out.append((f.COMPLETION_BRAND, completion_text((brand.name, *brand.aliases), tiers)))
    out.append((f.COMPLETION_DOC, completion_doc(listing)))
    return out


def token_map(tok: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Word field → tokens, turned into token → field codes."""
    where: dict[str, str] = {}
    for field, tokens in tok.items():
        code = FIELD_CODES[field]
        for token in tokens:
            codes = where.get(token, "")
            if not codes.endswith(code):
                where[token] = codes + code
    return where


def load_stored(blob: bytes) -> StoredDoc:
    """Decode a stored ranking blob (``schema.DOC``)."""
    data: StoredDoc = orjson.loads(blob)
    return data


def load_listing(blob: bytes) -> dict[str, Any]:
    """Decode a stored listing (``schema.CARD``): the listing as validated, JSON mode."""
    data: dict[str, Any] = orjson.loads(blob)
    return data
