"""Response models of the HTTP API and the CLI (the public side of a listing)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from indexer.intent import NeedRole


class ShowcaseCard(BaseModel):
    """A showcase item on a card; ``matched`` items (they match the query) come first."""

    item_id: str
    title: str
    path: str
    image_url: str
    price_cents: int
    matched: bool = False


class MatchExplain(BaseModel):
    """How one query word matched: field, form (original, alias, pinyin, …) and weight."""

    unit: str
    field: str | None
    form: str | None
    weight: float


class Explain(BaseModel):
    """Why a card ranked where it did (``debug=true``): the parts add up to its score."""

    matches: list[MatchExplain]
    parts: dict[str, float]


class Card(BaseModel):
    """An entry card: what the host app shows for one mini-program."""

    appid: str
    platform: str
    name: str
    name_highlight: str = Field(description="HTML-escaped name with <em> around matched text")
    icon_url: str
    entry_path: str
    official: bool
    brand_id: str | None
    category: list[str]
    description: str
    showcase: list[ShowcaseCard]
    recently_used: bool = False
    score: float
    explain: Explain | None = None


class BrandZone(BaseModel):
    """The brand the query names and its main official mini-program in the host."""

    brand_id: str
    brand_name: str
    matched: str = Field(description="the brand name or alias form that hit")
    card: Card


class DroppedWord(BaseModel):
    """A query word left out as filler, and why (stop word, or its part of speech)."""

    word: str
    reason: str


class NeedExplain(BaseModel):
    """A need word of the lexicon found in the query, and what it expands to."""

    word: str
    service_words: list[str]
    service_shares: list[float] = Field(
        description="per service word, the share of its catalog evidence for the need's "
        "categories (what it earns of the service weight: all from 0.3, none under 0.1)"
    )
    categories: list[str]
    role: NeedRole = Field(
        description="what the need is to the query: its request (its only need, or of "
        "several the last stated), a circumstance of it (公交 in 公交停了打个车), where the "
        "user goes (地铁站 in 骑车去地铁站) or how the user wants it served (懒得出门 in "
        "想吃水果懒得出门); the others count less than the request"
    )


class CategoryGuess(BaseModel):
    """A category the query predicts (``Top`` or ``Top/sub``) and its probability."""

    category: str
    score: float


class Understanding(BaseModel):
    """How the query was read (``debug=true``): the words searched, the fillers dropped,
    the lexicon's needs, the predicted categories and what they retrieve."""

    words: list[str] = Field(description="the query words searched for")
    manner_words: list[str] = Field(
        default_factory=list,
        description="words saying only how the user wants to be served (出门 in a query "
        "stating a need): each says Weights.manner (search.rank.weights) of what another "
        "word as rare says in the text score",
    )
    content_words: list[str]
    dropped: list[DroppedWord]
    needs: list[NeedExplain]
    model_words: list[str] = Field(description="the words the category model read")
    categories: list[CategoryGuess]
    service_terms: list[str] = Field(description="service words whose listings are retrieved")
    service_phrases: list[list[str]] = Field(
        description="service words the analyzer cuts, as their parts: listings holding every "
        "part are retrieved"
    )
    route_categories: list[str] = Field(description="sub-categories whose listings are retrieved")
    named_needs: list[str] = Field(
        default_factory=list,
        description="words of the needs requested: listings holding one in one of "
        "named_tops are retrieved",
    )
    named_tops: list[str] = Field(
        default_factory=list, description="top-level categories of the needs requested"
    )
    leaders: list[str] = Field(
        default_factory=list,
        description="appids of the most used national listing live in the host of each of "
        "those (for a need naming no place): the leader part of the score",
    )
    scope: list[str] = Field(description="categories a listing matching some words must be in")
    regions: list[str] = Field(
        description="places of which a result must serve one (广东/深圳: the city, 广东/: the "
        "whole province, *: no region in particular); empty: any"
    )


class FacetCount(BaseModel):
    """How many matches one facet value has."""

    value: str
    count: int


class Facets(BaseModel):
    """Counts over every match of a search (exact when ``total`` is, a lower bound when
    ``total_relation`` is ``gte``)."""

    category: list[FacetCount] = Field(
        description="top-level categories of the matches, most matches first"
    )


class SearchResponse(BaseModel):
    """``GET /v1/search``."""

    query: str
    normalized: str
    host: str
    brand_zone: BrandZone | None
    results: list[Card]
    total: int = Field(description="listings matching the query (the brand zone's not counted)")
    total_relation: Literal["eq", "gte"] = Field(
        default="eq", description="eq: total is exact; gte: a lower bound (above 1,000)"
    )
    facets: Facets
    took_ms: float
    index_version: str
    understanding: Understanding | None = Field(
        default=None, description="with debug=true only: how the query was read"
    )


class DiscoverResponse(BaseModel):
    """``GET /v1/discover``: the host's online listings, most used first."""

    host: str
    category: str | None
    results: list[Card] = Field(
        description="recent appids first (recently_used), then by monthly active users, "
        "a brand's resellers after its official listing; score: the users ordered by"
    )
    total: int = Field(description="listings the host lists (of the category)")
    total_relation: Literal["eq", "gte"] = Field(
        description="eq: total is exact; gte: a lower bound (above 1,000)"
    )
    index_version: str


class Suggestion(BaseModel):
    """One search-as-you-type completion."""

    text: str
    kind: Literal["listing", "brand", "alias"]
    appid: str | None


class SuggestResponse(BaseModel):
    """``GET /v1/suggest``."""

    query: str
    suggestions: list[Suggestion]


class ListingResponse(BaseModel):
    """``GET /v1/listings/{appid}``: the listing as indexed, and the index version."""

    listing: dict[str, Any]
    index_version: str


class ErrorBody(BaseModel):
    """Every 4xx/5xx body: what was wrong, and where."""

    error: str
    message: str
    field: str | None = None
    allowed: list[str] | None = None
