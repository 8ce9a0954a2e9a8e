"""Every ranking weight in one place: the engine's queries (``search.rank.compile``) and the
Python reference (``search.rank.reference``, which ``explain`` prints) read the same table."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from indexer import schema as f
from indexer.priors import POPULARITY_WEIGHT


@dataclass(frozen=True)
class Weights:
    """Weights of the ranking signals and of the field/form a query word matched in."""

    field: dict[str, float] = dataclasses.field(
        default_factory=lambda: {
            f.NAME: 1.0,
            f.BRAND: 0.95,
            f.KEYWORDS: 1.0,  # set by the developer to say what the service does
            f.CATEGORY: 1.1,  # the listing's own (most specific) category: names its service
            f.CATEGORY_TOP: 0.7,  # only the broad top-level category above it
            f.SHOWCASE: 0.7,
            f.DESCRIPTION: 0.4,
            f.LATIN: 1.0,  # a typo of a Latin word of the name, brand or keywords
            f.PINYIN: 0.85,
            f.INITIALS: 0.85,
            f.REGION: 1.0,  # the province a place word names, as the listings it serves
        }
    )
    form: dict[str, float] = dataclasses.field(
        default_factory=lambda: {
            "original": 1.0,
            "alias": 0.95,
            "pinyin": 0.9,
            "initials": 0.85,
            "synonym": 0.8,
            "subword": 0.7,
            "prefix": 0.75,
            "fuzzy": 0.7,
            "ngram": 0.6,
            # Inside a word of a category (茶 in 茶饮): categories are short labels chosen
            # from a fixed list, so a query word inside one names that kind of service.
            "inside": 1.0,
            # A city's province (杭州 → 浙江): the listing serves a wider region.
            "region": 0.95,
        }
    )
    breadth: float = 0.0  # share of further fields' matches added to a word's best match
    text: float = 2.0  # coverage of the query by the listing's fields (split over its words)
    # How a longer query's text weight is split: each word by its inverse document
    # frequency to this power (0: equally; rarer words say more of what is wanted).
    rarity: float = 0.5
    # A need query's word saying only how the user wants to be served (出门, 懒得, 不想:
    # ``search.query.mark_manner``): its share of the text is this much of what another
    # word as rare gets.
    manner: float = 0.5
    exact: float = 0.6  # the whole query is the listing's name or one of its brand's names
    exact_spelled: float = 0.7  # ... through full pinyin or initials (times ``exact``)
    official: float = 1.5  # official listing of the brand the whole query names
    main_official: float = 0.2  # ... and it is that brand's main listing
    brand_listing: float = 0.3  # non-official listing of that brand (authorised dealer)
    mentioned_official: float = 0.8  # official listing of a brand named by one query word
    first_party: float = 0.25  # any official (brand-owned) listing: a first-party provider
    recent: float = 0.1  # the caller says the user recently used it
    # A need the query states (``search.rank.need``): a service word of the need in the
    # listing's best field (times the field weight), and its categories as predicted
    # (times the prediction's probability).
    service: float = 0.6
    category: float = 0.4  # its sub-category
    category_top: float = 0.1  # its top-level category (one none of whose subs is predicted)
    # Of several needs, one that is not the request (``indexer.intent.roles_of``) counts
    # this much of one that is, in its share of ``service`` and the certainty of its
    # categories: a circumstance (公交 in 公交停了打个车), a destination (地铁站 in
    # 骑车去地铁站: where the user goes), a manner (懒得出门 in 想吃水果懒得出门: how the
    # user wants it served), not a service wanted.
    side_need: float = 0.7
    # Naming no place, the most used national listing live in the host of a sub-category
    # the need retrieves (times the prediction's probability): the service's default
    # provider.
    leader: float = 0.2
    # A need query naming a place: a listing serving that place's province or no region
    # in particular (a national service) is above one serving another region.
    region: float = 0.6
    region_own: float = 2.2  # ... and the place's own listing (the city's app) above both
    region_province: float = 1.8  # ... a listing serving the whole province of a city named
    # The score is multiplied by 1 + popularity × log-scaled monthly users (a need query's
    # by its own prior, ``indexer.priors.NEED_PRIOR``). Fixed when a listing is indexed
    # (``indexer.priors``): shown here, changed there.
    popularity: float = POPULARITY_WEIGHT


WEIGHTS = Weights()
