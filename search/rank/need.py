"""Need: what a query asks for when its words are not the service's name.

A query read by :class:`indexer.intent.IntentReader` names needs (叫车, 查快递: the need
lexicon, ``dictionaries/needs.txt``) and likely categories (the version's query →
category model, with the lexicon's categories). Two parts of the score come from it:

- ``service``: the listing's names, keywords, categories or showcase titles hold one of the
  lexicon's service words for the query's needs (打车 → 网约车, 专车): the words the
  listings that serve the need use. The best field counts, as for a query word, and a
  word counts by what the catalog says it says of the need (``service_terms``). Each
  need of the query is a group of its own, worth its share of the weight.
- ``category`` and ``category_top``: the listing is in a sub-category (``Top/sub``) or a
  top-level category the query predicts, worth the prediction's probability (the need
  lexicon's categories are certain); the best of each level counts. A top-level category
  counts only when none of its sub-categories is predicted (a lexicon line naming ``二手``
  alone): a sub-category says more of the need, and the clause on a top-level category,
  held by a large share of the catalog, was a fifth of a need query's engine time at a
  million listings for a part the golden sets barely miss (``tests/test_golden.py``).
- Of several needs, the request (the last stated: ``indexer.intent.roles_of``) counts
  fully and the others, its circumstances, destinations and manner, ``side_need`` of it:
  in the service share, and their categories are worth at most that, whatever the model
  says of them: 公交停了打个车回家 asks for a car, not for the bus; 骑车去地铁站 for a
  bike, not for the metro; 想吃水果懒得出门 for fruit, not for a takeaway.
- ``region``: the query names a place and the listing serves it (worth ``region_own``:
  the city's or province's own app first), the whole province of a city named (worth
  ``region_province``), or no region in particular (a national service, worth
  ``region``). A listing for another place is no answer: ``regions`` are the ``REGION``
  terms a result must hold one of (another city's government app is not the
  answer for this one's social insurance). Naming no place, a need query has no region
  part: its popularity prior multiplies a national service's score by 1.1 instead (a
  clause on the national term, which half of a catalog holds, cost more than any other
  part of the score).
- ``prior``: the popularity prior (``indexer.priors``): a need's providers are many and
  none is named, so the most used counts more than for a name.
- ``leader``: naming no place, the listing is the most used national one live in the
  host in a sub-category the need retrieves (``leads``, found by the engine in the index
  it searches: ``leader_group``), worth the prediction's probability: the default provider
  of a service (the raters' grade 3) above a specialist that shares a word more with the
  query. The popularity prior alone cannot: a listing ten times as used gains 6 % of its
  score, and one incidental word matched in a description is worth more. A regional
  listing leads nothing here: the need is the user's wherever they are.

``route`` says which listings a need query retrieves beyond those its words match:
those holding a service word that says enough of the need, those of the
sub-categories predicted with at least ``ROUTE_MIN`` (so 打车 reaches ride-hailing
listings whose text says only 网约车), and those holding the word of the need requested
itself in a top-level category of that need (``named``: 京东健康, whose keywords say 体检,
for 体检在哪预约, though its sub-category is not predicted; kept to the need's top-level
categories, where the word has the need's sense: 挂号信 of a parcel service is no
hospital appointment, 医保 of a pharmacy's keywords no insurance record).
``scope``: the sub-categories predicted (the top-level ones when none is), and those the
words alone predict with at least ``SAID_MIN`` (should a need's lexicon line miss one); a
listing matching only some of a need query's words must be in one (宠物医院 does not bring
people's hospitals, 同城送文件 not the classifieds that say 同城). A whole top-level
category would let in every listing sharing a word with the query in a neighbouring
service, so one is in the scope only when it is predicted alone (none of its
sub-categories is) and at least ``ROUTE_MIN`` likely: the model is sure of the kind of
service and not of which (a word held by the listings of several sub-categories of one
top-level category, beside another word naming a sub-category of another one: without
it, the first word's listings would be out).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from indexer import schema as f
from indexer.analysis import Analyzer
from indexer.intent import Intent
from indexer.priors import NAME_PRIOR, NEED_PRIOR, PLACE_PRIOR, Prior
from search.rank.clauses import EVERY, Clause, Group, Match
from search.rank.weights import Weights

SERVICE_FIELDS = (f.NAME, f.KEYWORDS, f.CATEGORY, f.SHOWCASE)
"""Where a service word counts: what a listing says it is and does."""

CATEGORY_MIN = 0.1  # a predicted category less likely than this says nothing
ROUTE_MIN = 0.3  # a sub-category predicted at least this likely retrieves its listings
SAID_MIN = 0.6  # ... the words alone predict this likely: in the scope beside the need's
CATEGORIES_MAX = 6  # predictions used, best first
PHRASES_MAX = 6  # service words the analyzer cuts, used as their parts, per query
# A service word this much of whose category evidence is for its need's categories counts
# fully; less than SERVICE_MIN, not at all; scaled in between. One scaled at least
# ROUTE_SCALE also retrieves the listings holding it.
SERVICE_FULL = 0.3
SERVICE_MIN = 0.1
ROUTE_SCALE = 0.5


Place = tuple[str, str | None]
"""A place a query names: its province and its city (None: the province)."""


class Scaled(NamedTuple):
    """A service word's index term and how much of the service weight it earns."""

    term: str
    scale: float


class NeedPart(NamedTuple):
    """The need of a query as ranking and retrieval use it."""

    groups: tuple[Group, ...]  # service, category and region parts of the score
    service_terms: tuple[str, ...]  # service words kept whole that retrieve (ROUTE_SCALE)
    service_phrases: tuple[tuple[str, ...], ...]  # the parts of those the analyzer cuts
    route_categories: tuple[str, ...]  # Top/sub categories whose listings it retrieves
    scope: tuple[str, ...]  # categories a listing matching some words must be in
    regions: tuple[str, ...] = ()  # REGION terms of which a result must hold one (none: any)
    prior: Prior = NAME_PRIOR  # the popularity prior of the query (``indexer.priors``)
    # The routed sub-categories whose most used listing earns the leader part, with their
    # probability (naming no place: a place's own listing is that need's answer).
    leads: tuple[tuple[str, float], ...] = ()
    # The words of the needs requested, as index terms, and those needs' top-level
    # categories: a listing holding one in one of them serves the need it names.
    named: tuple[str, ...] = ()
    named_tops: tuple[str, ...] = ()


NO_NEED = NeedPart((), (), (), (), ())


def service_terms(
    words: Sequence[str], intent: Intent, analyzer: Analyzer
) -> tuple[tuple[Scaled, ...], tuple[tuple[tuple[str, ...], float], ...]]:
    """Service words of the query's needs as index terms, each with its scale (what it
    says of its need's categories, ``SERVICE_FULL`` of the catalog's evidence or more: 1;
    below ``SERVICE_MIN``: left out): the words the analyzer keeps whole, and (at most
    ``PHRASES_MAX``) the words it cuts, as their parts, every one of which a listing must
    hold (上门取件: 上门 and 取件; one part alone would match the listings of another
    service)."""
    whole: dict[str, float] = {}
    cut: dict[tuple[str, ...], float] = {}
    for word in words:
        share = intent.service_share(word)
        if share < SERVICE_MIN:
            continue
        scale = round(min(1.0, share / SERVICE_FULL), 2)
        tokens = intent.service_tokens.get(word) or analyzer.tokens(word, "query")
        if len(tokens) == 1:
            whole[tokens[0]] = max(scale, whole.get(tokens[0], 0.0))
        elif tokens and len(cut) < PHRASES_MAX and any(len(t) > 1 for t in tokens):
            parts = tuple(dict.fromkeys(tokens))
            cut[parts] = max(scale, cut.get(parts, 0.0))
    return tuple(Scaled(t, s) for t, s in whole.items()), tuple(cut.items())


def _service_group(
    terms: Sequence[Scaled],
    phrases: Sequence[tuple[tuple[str, ...], float]],
    weight: float,
    w: Weights,
) -> Group:
    """One need's service words as a group (the best one in the best field counts)."""
    scaled: list[tuple[Match, float]] = []
    for fn in SERVICE_FIELDS:
        scaled += [(Match("all", fn, parts), scale) for parts, scale in phrases]
        for scale in sorted({t.scale for t in terms}, reverse=True):
            same = tuple(t.term for t in terms if t.scale == scale)
            scaled.append((Match("any", fn, same), scale))
    clauses = tuple(
        Clause(m, weight * w.field[m.field] * scale, m.field, "service") for m, scale in scaled
    )
    return Group("service", clauses)


def need_part(
    intent: Intent, analyzer: Analyzer, w: Weights, places: Sequence[Place] = ()
) -> NeedPart:
    """The need part of a query's ranking (empty when it states no need); ``places``: the
    places the query names, as (province, city or None)."""
    groups: list[Group] = []
    stress = need_stress(intent, w)
    lists: dict[tuple[str, ...], float] = {}  # each need's service words, at its stress
    certain: dict[str, float] = {}  # the lexicon's categories (it says so), likewise
    for need, s in zip(intent.needs, stress, strict=True):
        if need.service_words:
            lists[need.service_words] = max(s, lists.get(need.service_words, 0.0))
        for c in need.categories:
            certain[c] = max(s, certain.get(c, 0.0))
    served = [(*service_terms(words, intent, analyzer), s) for words, s in lists.items()]
    served = [(t, p, s) for t, p, s in served if t or p]
    if served and w.service:
        # Each need its own group, worth its share: a listing serving every need of the
        # query (外卖 and 省钱: a delivery coupon) is above one serving some of them, and
        # one serving the request above one serving a circumstance of it.
        total = sum(s for _, _, s in served)
        groups += [_service_group(t, p, w.service * s / total, w) for t, p, s in served]
    terms = [term for t, _, _ in served for term in t]
    phrases = [phrase for _, p, _ in served for phrase in p]
    likely = {c.category: c.score for c in intent.categories if c.score >= CATEGORY_MIN}
    likely = dict(list(likely.items())[:CATEGORIES_MAX])
    # The request's categories are certain; a side need's are worth no more than the need,
    # however sure the category model (which counts every need's categories) is of them.
    for c, s in certain.items():
        likely[c] = 1.0 if s >= 1.0 else min(s, likely.get(c, s))
    paths = [(c, p) for c, p in likely.items() if "/" in c]
    covered = {c.split("/", 1)[0] for c, _ in paths}  # tops a sub-category says more of
    bare = [(c, p) for c, p in likely.items() if "/" not in c and c not in covered]
    for name, weight, level in (
        ("category", w.category, paths),
        ("category_top", w.category_top, bare),
    ):
        if level and weight:
            clauses = tuple(
                Clause(Match("term", f.CATEGORY_PATH, (c,)), weight * p, f.CATEGORY_PATH, name)
                for c, p in level
            )
            groups.append(Group(name, clauses))
    # A need's providers are many, none named: the most used first (``indexer.priors``).
    prior = NAME_PRIOR if not groups else PLACE_PRIOR if places else NEED_PRIOR
    regions: tuple[str, ...] = ()
    if places:
        own, wide = place_terms(places)
        if groups:  # a need of the place: the listings of other places are no answer
            regions = (*own, *wide, f.NATIONAL)
        # Kept to the place, its province and the nation, every result is at least national:
        # that weight is every result's. Else a national listing holds the national term.
        national = EVERY if regions else Match("term", f.REGION, (f.NATIONAL,))
        region = region_group(own, wide, w, national)
        if region is not None:
            groups.append(region)
    route = tuple(path for path, p in paths if p >= ROUTE_MIN)
    said = [c.category for c in intent.word_categories if c.score >= SAID_MIN]
    subs = tuple(dict.fromkeys(c for c in (*likely, *said) if "/" in c))
    if subs:  # and the top-level categories predicted alone, likely enough to route
        scope = (*subs, *(c for c, p in bare if p >= ROUTE_MIN))
    else:
        scope = tuple(dict.fromkeys(path.split("/", 1)[0] for path in likely))
    routing = tuple(dict.fromkeys(t.term for t in terms if t.scale >= ROUTE_SCALE))
    routing_phrases = tuple(dict.fromkeys(p for p, scale in phrases if scale >= ROUTE_SCALE))
    leads = tuple((path, likely[path]) for path in route) if prior is NEED_PRIOR else ()
    named, tops = named_needs(intent)
    return NeedPart(
        tuple(groups), routing, routing_phrases, route, scope, regions, prior, leads, named, tops
    )


def named_needs(intent: Intent) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The words of the query's requested needs that are one of its tokens as they are
    (体检, 代驾; not 去香港, read as 去 and 香港), and the top-level categories of those
    needs (``route`` in the module docstring)."""
    words: dict[str, None] = {}
    tops: dict[str, None] = {}
    for i, need in enumerate(intent.needs):
        whole = tuple(intent.tokens[need.start : need.end]) == (need.word,)
        if whole and intent.role(i) == "request" and need.categories:
            words[need.word] = None
            tops.update(dict.fromkeys(c.split("/", 1)[0] for c in need.categories))
    return tuple(words), tuple(tops)


def leader_group(leaders: Sequence[tuple[str, float]], w: Weights) -> Group | None:
    """The leader part (see the module docstring): ``leaders`` are the appids of the most
    used listing of each sub-category of ``NeedPart.leads``, with its probability; None
    when there is none or the weights give it nothing."""
    if not leaders or not w.leader:
        return None
    clauses = tuple(
        Clause(Match("term", f.APPID, (appid,)), w.leader * p, f.CATEGORY_PATH, "leader")
        for appid, p in leaders
    )
    return Group("leader", clauses)


def need_stress(intent: Intent, w: Weights) -> tuple[float, ...]:
    """How much each of the query's needs counts: 1 for the request, ``side_need`` for
    a circumstance, a destination or the manner of it (``indexer.intent.roles_of``)."""
    return tuple(
        1.0 if intent.role(i) == "request" else w.side_need for i in range(len(intent.needs))
    )


def region_group(
    own: tuple[str, ...], wide: tuple[str, ...], w: Weights, national: Match | None
) -> Group | None:
    """The region part of a query naming places (their ``place_terms``, ``own`` and
    ``wide``): the place's own listings first, then those serving a named city's whole
    province, then those ``national`` matches (None: no part for them); None when the
    weights give none."""
    if not own or not w.region:
        return None
    region = [Clause(Match("any", f.REGION, own), w.region_own, f.REGION, "region")]
    if wide:
        match = Match("any", f.REGION, wide)
        region.append(Clause(match, w.region_province, f.REGION, "province"))
    if national is not None:
        region.append(Clause(national, w.region, f.REGION, "national"))
    return Group("region", tuple(region))


def place_part(places: Sequence[Place], w: Weights) -> NeedPart:
    """A query naming a brand and a place (香港 迪士尼) states no need, but the place says
    which of the brand's listings: the place's own and its province's, keeping to no
    region (a national listing gets nothing: the term half a catalog holds costs more
    than it says here)."""
    region = region_group(*place_terms(places), w, None)
    return NO_NEED if region is None else NO_NEED._replace(groups=(region,))


def place_terms(places: Sequence[Place]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ``REGION`` terms of the listings serving ``places`` (province, city or None):
    their own (a city's: 广东/深圳; a province's: 广东, every listing in it), and those
    serving a city's whole province (广东/)."""
    own = tuple(dict.fromkeys(p if c is None else f"{p}/{c}" for p, c in places))
    wide = tuple(dict.fromkeys(f"{p}/" for p, c in places if c is not None))
    return own, wide
