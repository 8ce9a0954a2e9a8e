"""A validated listing → index fields: the terms ranking looks at, filters, priors, the card."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import orjson
import tantivy

from indexer import schema as f
from indexer.analysis import Analyzer, compact, has_cjk, normalize, spell_key
from indexer.brands import MIN_INITIALS
from indexer.categories import category_paths
from indexer.completion import completion_doc, completion_text, tier_count
from indexer.models import Brand, Listing
from indexer.priors import PRIORS, band_term, popularity_band, prior_value
from indexer.regions import region_table, region_terms, says_nationwide
from indexer.settings import known_hosts


def field_texts(listing: Listing, brand: Brand | None) -> dict[str, list[str]]:
    """The raw texts behind each word field. The listing's own category is its last (most
    specific) one; the top-level category above it, when it has one, is apart."""
    return {
        f.NAME: [listing.name],
        f.BRAND: [brand.name, *brand.aliases] if brand else [],
        f.KEYWORDS: list(listing.keywords),
        f.CATEGORY: [listing.category[-1]],
        f.CATEGORY_TOP: list(listing.category[:-1]),
        f.SHOWCASE: [item.title for item in listing.showcase],
        f.DESCRIPTION: [listing.description],
    }


class _Forms(NamedTuple):
    """The analysed forms of one field value."""

    tokens: tuple[str, ...]
    norm: str
    grams: tuple[str, ...]
    words: tuple[str, ...]  # its query-mode (precise) words: where places are looked for


class AnalysisMemo:
    """Analysed forms of recent field values, shared across listings of one build.

    Category strings, keywords, showcase titles and brand names repeat across
    thousands of listings; analysing each distinct value once is what makes
    indexing a large catalog affordable. The analyzer is deterministic, so the
    memo never changes a document. Cleared when full rather than evicted.
    """

    def __init__(self, analyzer: Analyzer, capacity: int = 200_000) -> None:
        self.analyzer = analyzer
        self.regions = region_table(analyzer.dicts)
        self.capacity = capacity
        self._forms: dict[tuple[str, bool], _Forms] = {}
        self._pinyin: dict[str, tuple[list[str], list[str]]] = {}

    def forms(self, value: str, grams: bool) -> _Forms:
        key = (value, grams)
        hit = self._forms.get(key)
        if hit is None:
            a = self.analyzer
            norm = normalize(value)
            words: list[str] = []
            hit = _Forms(
                tuple(a.tokens(norm, "index", normalized=True, precise=words)),
                norm,
                tuple(a.ngrams(norm, normalized=True)) if grams else (),
                tuple(words),
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


_GRAM_FIELDS = frozenset(f.GRAM_FIELDS)
_COVERED = frozenset(f.COVERED_FIELDS)
LATIN_SOURCES = (f.NAME, f.BRAND, f.KEYWORDS)  # the fields fuzzy matching looks in
REGION_SOURCES = (f.NAME, f.BRAND, f.KEYWORDS)  # the words that say which region it serves


def latin_tokens(tok: dict[str, list[str]]) -> list[str]:
    """The distinct Latin tokens of the fields typo matching looks in."""
    return list(dict.fromkeys(t for fn in LATIN_SOURCES for t in tok[fn] if t.isascii()))


# One index field value, as the worker processes of a build hand it back: a text, a
# number (int: unsigned, float) or bytes. Plain values cross processes far cheaper than a pickled
# tantivy.Document (about 5 µs a listing instead of 150).
IndexValue = str | int | float | bytes
IndexFields = list[tuple[str, IndexValue]]


def analyse_listing(
    listing: Listing, brand: Brand | None, analyzer: Analyzer, memo: AnalysisMemo | None = None
) -> tantivy.Document:
    """Index document (with its stored card) for one listing.

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
        elif isinstance(value, float):
            doc.add_float(name, value)
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
    words: dict[str, list[str]] = {}
    grams: list[str] = []
    cover_grams: list[str] = []
    titles: list[str] = []
    for field, values in texts.items():
        tokens: list[str] = []
        precise: list[str] = []
        with_grams = field in _GRAM_FIELDS
        code = f.GRAM_CODES.get(field, "")
        covered = field in _COVERED
        for value in values:
            forms = memo.forms(value, with_grams)
            tokens.extend(forms.tokens)
            precise.extend(forms.words)
            grams.extend(code + g for g in forms.grams)
            if covered:
                cover_grams.extend(forms.grams)
            if field == f.SHOWCASE:
                titles.append(forms.norm)
        tok[field] = tokens
        words[field] = precise
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
        (f.PINYIN, " ".join(dict.fromkeys(py))),
        (f.INITIALS, " ".join(dict.fromkeys(pi))),
        (f.GRAMS, " ".join(dict.fromkeys(grams))),
        (f.COVER_WORDS, " ".join(dict.fromkeys(t for fn in f.COVERED_FIELDS for t in tok[fn]))),
        (f.COVER_GRAMS, " ".join(dict.fromkeys(cover_grams))),
        (f.LATIN, " ".join(latin_tokens(tok))),
        (f.APPID, listing.appid),
    ]
    out += [(f.EXACT, key) for key in exact]
    out += [(f.EXACT_SPELLED, spelled) for spelled in exact_spellings(exact)]
    if listing.brand_id:
        out.append((f.BRAND_ID, listing.brand_id))
        out.append((f.BRAND_OFFICIAL if listing.official else f.BRAND_DEALER, listing.brand_id))
    out += [(f.CATEGORIES, category) for category in listing.category]
    out += [(f.CATEGORY_PATH, path) for path in category_paths(listing.category)]
    own = [w for fn in REGION_SOURCES for w in words[fn]]
    served = memo.regions.served(own, words[f.DESCRIPTION])
    nationwide = bool(served) and says_nationwide(own, words[f.DESCRIPTION])
    regions = region_terms(served, nationwide)
    out += [(f.REGION, term) for term in regions]
    band = band_term(popularity_band(listing.monthly_active_users))
    out.append((f.CATEGORY_FACET, listing.category[0]))
    out.append((f.POPULARITY_BAND, band))
    out += [
        (f.CATEGORY_BAND, f.category_band_term(c, band)) for c in dict.fromkeys(listing.category)
    ]
    for host in known_hosts():
        out.append((f.LIVE if listing.visible_in(host) else f.HIDDEN, host))
    out += [
        (f.OFFICIAL, int(listing.official)),
        (f.BRAND_KEY, f.brand_key(listing.brand_id)),
        (f.POPULARITY, listing.monthly_active_users),
        *[
            (p.field, prior_value(listing.monthly_active_users, p, f.NATIONAL in regions))
            for p in PRIORS
        ],
        (f.CARD, orjson.dumps(listing.model_dump(mode="json"))),
        (f.TITLES, "\n".join(titles).encode()),
    ]
    tiers = tier_count(listing.monthly_active_users)
    out.append((f.COMPLETION_NAME, completion_text((listing.name,), tiers)))
    if brand is not None:
        out.append((f.COMPLETION_BRAND, completion_text((brand.name, *brand.aliases), tiers)))
    out.append((f.COMPLETION_DOC, completion_doc(listing)))
    return out


def exact_spellings(keys: Iterable[str]) -> list[str]:
    """How the Chinese whole names among ``keys`` are typed in Latin letters: full pinyin,
    and initials from ``MIN_INITIALS`` letters on (two letters name too many things)."""
    out: dict[str, None] = {}
    for key in keys:
        if key.isascii() or not has_cjk(key):
            continue
        full, initials = spell_key(key)
        out[full] = None
        if len(initials) >= MIN_INITIALS:
            out[initials] = None
    return list(out)


def field_terms(fields: IndexFields) -> dict[str, frozenset[str]]:
    """Each indexed field's terms, as tantivy holds them (text split on spaces, raw values
    whole): what the Python reference of the ranking matches against."""
    out: dict[str, set[str]] = {}
    raw = {*f.RAW_FIELDS, f.CATEGORY_FACET}
    for name, value in fields:
        if not isinstance(value, str):
            continue
        terms = out.setdefault(name, set())
        if name in raw:
            terms.add(value)
        else:
            terms.update(t for t in value.split(" ") if t)
    return {name: frozenset(terms) for name, terms in out.items()}


def field_numbers(fields: IndexFields) -> dict[str, int | float]:
    """The numeric fields of a listing (official flag, users, prior)."""
    return {name: value for name, value in fields if isinstance(value, int | float)}


def load_listing(blob: bytes) -> dict[str, Any]:
    """Decode a stored listing (``schema.CARD``): the listing as validated, JSON mode."""
    data: dict[str, Any] = orjson.loads(blob)
    return data
