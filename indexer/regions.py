"""Place names: which province a query's or a listing's words name.

Built from the ``regions.txt`` entries of :class:`indexer.dictionaries.Dictionaries`
(``province = full name => city = full name, ...``): China's provinces, municipalities,
autonomous regions, 香港, 澳门 and 台湾 (called provinces here) and their prefecture-level
cities. A province is reported by its short name (四川, 广西, 北京, 香港), a city by its
own short name (成都, 延边) and its province. Guarantees:

- Words are compared as the analyzer writes them (:func:`indexer.analysis.compact`: NFKC,
  case folded, simplified); the analyzer keeps every place name whole
  (:class:`indexer.analysis.Analyzer`), so a place name is one token.
- A token names a place when it is a place name (成都, 四川省, 延边州), or a compound
  that begins or ends with one. A compound jieba's general dictionary does not know (a
  listing's or brand's name: 深圳通, 上海迪士尼, 爱山东) names the longest place name at
  its start, else the longest at its end. A word of jieba's dictionary names the place
  at its start when the rest is a word of two or more characters (北京大学, 北京公交,
  湖南卫视) or an area word (北京城, 青岛港: :data:`AREA_WORDS`), and is not an idiom
  (大同小异, 长治久安, 洛阳纸贵: tagged i or l); with one more character it is a thing of
  its own (大理石, 哈密瓜, 南京路, 北海道, 山东人). jieba's words that end with a place
  name are person names (孙中山), foreign places (马里兰州) and idioms: they name none.
- A listing is for the provinces its name, keywords and brand name; when they name
  none, for those its description names, unless it says it serves everywhere or sells a
  place's produce, or names more than two provinces (:meth:`RegionTable.of_listing`).
  No province: a national service. :meth:`RegionTable.served` gives the same places with
  the city named (i深圳: 广东 and 深圳), which :func:`region_terms` turns into the
  listing's ``REGION`` terms; a listing naming places that also says it serves the whole
  country (全国) is national as well.
- Ambiguous short forms (东方, 开封, 日照, 阿里 ...) are not place names at all: the
  generator leaves them out of ``regions.txt`` (``tools/seed_regions.py``), and 中国,
  全国, 国家 or a municipality's districts (朝阳区, 和平区, 通州区) name no region.
- A table is immutable once built; its lookups are dictionary reads. Building reads
  jieba's dictionary once per process for the compounds above (about 0.2 s), then costs
  a few milliseconds per table.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Literal, NamedTuple

from indexer.analysis import compact
from indexer.content_words import jieba_dictionary_text
from indexer.dictionaries import Dictionaries, RegionEntry
from indexer.schema import NATIONAL

# A general word made of a place name and one of these names the place: 上海地区, 北京市民,
# 北京城, 青岛港, 海南岛, 深圳特区 (the words jieba's dictionary holds of this form).
AREA_WORDS = frozenset({"地区", "市民", "市区", "城区", "特区", "城", "港", "岛"})

# Words that say a listing serves everywhere or sells a place's produce: the places its
# description names are then examples or origins (全国包邮, 产地直发, 云南特产), not the
# region it serves. Found inside any of the listing's words (产地直发 is one catalog word).
NATIONWIDE_WORDS = ("全国", "各地", "全球", "全网", "海外")
ORIGIN_WORDS = ("产地", "产区", "特产", "直发", "直销")
_CUES = NATIONWIDE_WORDS + ORIGIN_WORDS
# A description naming places of more provinces than this lists examples of a service
# that is not regional (北京、上海、广州、深圳等城市).
MAX_DESCRIBED_PROVINCES = 2

# jieba's tags of idioms and fixed expressions.
IDIOM_TAGS = frozenset({"i", "l"})
# A dict.txt line ``word freq tag`` of a word of three or more characters.
_LINE_RE = re.compile(r"^([^ \n]{3,}) [0-9]+ ([a-z]+)$", re.MULTILINE)


_TABLES: dict[str, RegionTable] = {}
_TABLES_LOCK = threading.Lock()


def region_terms(served: Iterable[tuple[str, str | None]], nationwide: bool = False) -> list[str]:
    """A listing's ``schema.REGION`` terms for the places it serves (none: a national
    service, the term NATIONAL): each province (广东), and with it the city named
    (广东/深圳) or, for the province as a whole, the province-wide term (广东/).
    ``nationwide``: the listing also says it serves the whole country (its places are
    where it is strongest: 全国合作医院, 深圳地区覆盖最全), so it is national too."""
    terms: set[str] = set()
    for province, city in served:
        terms.add(province)
        terms.add(f"{province}/{city or ''}")
    if nationwide or not terms:
        terms.add(NATIONAL)
    return sorted(terms)


def says_nationwide(words: Iterable[str], description: Iterable[str] = ()) -> bool:
    """Whether a listing's words or description say it serves everywhere (全国, 各地 …)."""
    return _cued(NATIONWIDE_WORDS, words, description)


def _cued(cues: Sequence[str], *texts: Iterable[str]) -> bool:
    return any(cue in word for text in texts for word in text for cue in cues)


def region_table(dicts: Dictionaries) -> RegionTable:
    """The region table of ``dicts``, built once per process for each set of dictionaries."""
    table = _TABLES.get(dicts.digest())
    if table is None:
        with _TABLES_LOCK:
            table = _TABLES.get(dicts.digest())
            if table is None:
                table = _TABLES[dicts.digest()] = RegionTable.from_dictionaries(dicts)
    return table


class Place(NamedTuple):
    """A place named by tokens ``start:end`` of a query: ``word`` is the place name found
    (the whole token, or the name at its start or end), ``province`` the short name of
    its province, ``city`` the city's short name (None when ``word`` names a province)."""

    word: str
    province: str
    city: str | None
    start: int
    end: int

    @property
    def kind(self) -> Literal["province", "city"]:
        return "province" if self.city is None else "city"


class _Named(NamedTuple):
    province: str
    city: str | None


class _Compound(NamedTuple):
    """A word of jieba's dictionary built on a place name: the name it names (None: a
    thing of its own) and whether it is the name and an area word (北京地区)."""

    name: str | None
    area: bool


class RegionTable:
    """Place name → its province (and city): the place words of queries and listings.

    ``general_words``: word → jieba tag for the words of jieba's general dictionary
    (default: read from it once per process), for its compounds of place names.
    """

    def __init__(
        self, entries: Iterable[RegionEntry], general_words: Mapping[str, str] | None = None
    ) -> None:
        table: dict[str, _Named] = {}
        provinces: list[str] = []
        for entry in entries:
            province = compact(entry.names[0])
            provinces.append(province)
            for name in entry.names:
                table[compact(name)] = _Named(province, None)
            for city in entry.cities:
                for name in city:
                    table[compact(name)] = _Named(province, compact(city[0]))
        self._table = table
        self._provinces = tuple(provinces)
        self._longest = max((len(name) for name in table), default=0)
        names = frozenset(table)
        self._general = (
            _jieba_compounds(names)
            if general_words is None
            else _compounds(names, general_words.items())
        )

    @classmethod
    def from_dictionaries(cls, dicts: Dictionaries) -> RegionTable:
        return cls(dicts.regions)

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, word: object) -> bool:
        return word in self._table

    @property
    def provinces(self) -> tuple[str, ...]:
        """Every province's short name, in file order."""
        return self._provinces

    def lookup(self, word: str) -> Place | None:
        """The place one word names, as a match of the single token 0:1 (any spelling
        :func:`compact` folds: 成都市, 成都, 臺灣); None when it names none."""
        found = self._place_in(compact(word))
        if found is None:
            return None
        name, where = found
        return Place(name, where.province, where.city, 0, 1)

    def places(self, tokens: Sequence[str]) -> list[Place]:
        """The places named by ``tokens`` (an analyzer's query tokens, stop words or not),
        one per token that names one, in query order.

        Cost: one dictionary lookup per token, and for a token of three or more characters
        that is not a place name, up to two more per character of its length (at most
        ``2 × longest name``).
        """
        found: list[Place] = []
        for i, token in enumerate(tokens):
            hit = self._place_in(token)
            if hit is not None:
                found.append(Place(hit[0], hit[1].province, hit[1].city, i, i + 1))
        return found

    def split(self, token: str) -> tuple[str, ...]:
        """``token`` as the place name it begins with and the rest, when it is a compound
        naming that place (:meth:`places`) whose rest is two or more characters and no area
        word: 北京公交 → 北京, 公交; 广州地铁 → 广州, 地铁. Any other token alone (a place
        name, 北京城, a word naming no place or the one at its end)."""
        if len(token) < 4 or token in self._table:
            return (token,)
        hit = self._place_in(token)
        if hit is None or not token.startswith(hit[0]):
            return (token,)
        rest = token[len(hit[0]) :]
        return (token,) if len(rest) < 2 or rest in AREA_WORDS else (hit[0], rest)

    def of_text(self, words: Iterable[str], *, dictionary_compounds: bool = True) -> frozenset[str]:
        """The provinces ``words`` name: the analyzer's query-mode (precise) tokens of a
        text. Index-mode tokens would add every word inside a word (浙江西湖 holds 江西).

        ``dictionary_compounds=False``: of jieba's words built on a place name, only those
        ending in an area word count (上海地区 does, 北京烤鸭 and 浙江大学 do not).

        Cost: as :meth:`places`, per word.
        """
        return frozenset(province for province, _ in self._places_of(words, dictionary_compounds))

    def served(
        self, words: Iterable[str], description: Collection[str] = ()
    ) -> frozenset[tuple[str, str | None]]:
        """The places a listing is for, as :meth:`of_listing` decides them, each as (its
        province, the city named or None for the province as a whole)."""
        own = list(words)
        named = self._places_of(own)
        if named or not description:
            return named
        if _cued(_CUES, own, description):
            return frozenset()
        described = self._places_of(description, dictionary_compounds=False)
        provinces = {province for province, _ in described}
        return described if len(provinces) <= MAX_DESCRIBED_PROVINCES else frozenset()

    def _places_of(
        self, words: Iterable[str], dictionary_compounds: bool = True
    ) -> frozenset[tuple[str, str | None]]:
        """(province, city or None) of each place ``words`` name (see :meth:`of_text`)."""
        out: set[tuple[str, str | None]] = set()
        for word in words:
            hit = self._place_in(word, dictionary_compounds)
            if hit is not None:
                out.add((hit[1].province, hit[1].city))
        return frozenset(out)

    def of_listing(self, words: Iterable[str], description: Collection[str] = ()) -> frozenset[str]:
        """The provinces a listing is for (none: a national service).

        ``words``: the query-mode tokens of its name, keywords and brand name and aliases;
        ``description``: those of its description. A listing is for the provinces its
        words name. When they name none, its description decides, unless the listing
        says it serves everywhere or sells a place's produce (one of
        :data:`NATIONWIDE_WORDS` or :data:`ORIGIN_WORDS` inside a word of either) or the
        description names places of more than :data:`MAX_DESCRIBED_PROVINCES` provinces.
        In a description, words built on a place name count only with an area word
        (上海地区): products and institutions named after a place (北京烤鸭中国汉堡,
        湖南卫视) are common there and say nothing of where the service is.

        Cost: as :meth:`of_text` over both; when the description is read, a substring
        search of each cue word in each word.
        """
        return frozenset(province for province, _ in self.served(words, description))

    def _place_in(self, token: str, compounds: bool = True) -> tuple[str, _Named] | None:
        """The place name ``token`` is or holds (see the module's guarantees);
        ``compounds=False``: jieba's compounds count only with an area word."""
        table = self._table
        where = table.get(token)
        if where is not None:
            return token, where
        n = len(token)
        if n < 3:
            return None
        compound = self._general.get(token)
        if compound is not None:
            if compound.name is None or not (compounds or compound.area):
                return None
            return compound.name, table[compound.name]
        for k in range(min(self._longest, n - 1), 1, -1):
            head = token[:k]
            if head in table:
                return head, table[head]
        for k in range(min(self._longest, n - 1), 1, -1):
            tail = token[-k:]
            if tail in table:
                return tail, table[tail]
        return None


def _compounds(names: frozenset[str], words: Iterable[tuple[str, str]]) -> dict[str, _Compound]:
    """The general words (word, jieba tag) of three or more characters that begin or end
    with a place name but are not one → what they name (see the module's guarantees)."""
    out: dict[str, _Compound] = {}
    if not names:
        return out
    heads = {name[:2] for name in names}
    tails = {name[-2:] for name in names}
    longest = max(len(name) for name in names)
    for word, tag in words:
        if len(word) < 3 or word in names:
            continue
        if word[:2] not in heads and word[-2:] not in tails:
            continue
        sizes = range(min(longest, len(word) - 1), 1, -1)
        starts = [word[:k] for k in sizes if word[:k] in names]
        if not starts and not any(word[-k:] in names for k in sizes):
            continue
        compound = _Compound(None, False)
        for head in [] if tag in IDIOM_TAGS else starts:
            rest = word[len(head) :]
            if rest in AREA_WORDS or len(rest) >= 2:
                compound = _Compound(head, rest in AREA_WORDS)
                break
        out[word] = compound
    return out


@functools.lru_cache(maxsize=4)
def _jieba_compounds(names: frozenset[str]) -> Mapping[str, _Compound]:
    """:func:`_compounds` of jieba's general dictionary, once per process and name set."""
    return MappingProxyType(_compounds(names, _LINE_RE.findall(jieba_dictionary_text())))
