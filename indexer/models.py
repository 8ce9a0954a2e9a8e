"""Typed records of the catalog data contract (``shared/catalog/SCHEMA.md``).

One model per JSON Lines record: :class:`Brand` (brands.jsonl), :class:`Listing`
(listings.jsonl) and :class:`ShowcaseItem` (inside a listing). Models are frozen
and forbid unknown fields, so a validated record is exactly what the contract
promises and nothing else. Types are strict where the JSON type carries meaning
(``"123"`` is not a count, ``"true"`` is not a bool).

Only rules that one record can check by itself live here. Rules that span
records (unique appids, known brand ids, ``official_appids`` pointing at official
listings) are checked by :mod:`indexer.catalog`.

Rule violations that are not plain type errors are raised with the offending
field as the error location (``appid``, ``hosts``, ``category.0``), so a reject
message always names a field.
"""

import re
from datetime import timedelta
from typing import Annotated, Any, Final, Literal, get_args
from urllib.parse import parse_qsl

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from indexer.settings import known_hosts

Platform = Literal["wechat", "alipay", "baidu"]
"""Mini-program platform that issued the appid."""

Status = Literal["online", "offline", "suspended"]
"""Publication status; only ``online`` listings can be shown."""

BrandCategory = Literal[
    "奢侈品",
    "餐饮",
    "咖啡茶饮",
    "零售商超",
    "服饰运动",
    "美妆个护",
    "数码家电",
    "汽车",
    "出行",
    "生活服务",
    "金融",
    "文娱",
    "游戏",
    "政务",
    "医疗健康",
    "教育",
    "旅游酒店",
]
"""The 17 brand categories, also valid as a listing's top-level category."""

PLATFORMS: Final[tuple[Platform, ...]] = get_args(Platform)
STATUSES: Final[tuple[Status, ...]] = get_args(Status)
BRAND_CATEGORIES: Final[tuple[BrandCategory, ...]] = get_args(BrandCategory)
LISTING_TOP_CATEGORIES: Final[tuple[str, ...]] = (*BRAND_CATEGORIES, "工具", "资讯", "二手")

MAX_KEYWORDS: Final = 10
MAX_SHOWCASE_ITEMS: Final = 6
UTC_OFFSET: Final = timedelta(hours=8)
"""Every ``updated_at`` is local China time."""

APPID_PATTERNS: Final[dict[Platform, re.Pattern[str]]] = {
    "wechat": re.compile(r"wx[0-9a-f]{16}"),
    "alipay": re.compile(r"2021[0-9]{12}"),
    "baidu": re.compile(r"[a-z0-9]{32}"),
}
"""Appid format per platform (use ``fullmatch``). The lengths differ (18, 16, 32),
so an appid matches at most one platform."""

APPID_FORMATS: Final[dict[Platform, str]] = {
    "wechat": "'wx' + 16 lowercase hex digits",
    "alipay": "16 digits starting with 2021",
    "baidu": "32 characters [a-z0-9]",
}

_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_ITEM_ID = re.compile(r"[0-9]{10}")
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}"
)
_RULE = "catalog_rule"
"""pydantic error type used for every contract rule below."""


def platform_of_appid(appid: str) -> Platform | None:
    """Return the platform whose appid format ``appid`` matches, or None."""
    for platform, pattern in APPID_PATTERNS.items():
        if pattern.fullmatch(appid):
            return platform
    return None


def _rule_error(message: str, /, **context: Any) -> PydanticCustomError:
    """A contract-rule error; ``message`` is a ``str.format`` template over ``context``.

    The message is formatted here and handed over without context, so braces in
    the offending value are never taken for placeholders by pydantic.
    """
    return PydanticCustomError(_RULE, message.format(**context) if context else message)


def _fail(
    loc: tuple[str | int, ...], input_value: Any, message: str, /, **context: Any
) -> ValidationError:
    """A ValidationError located at ``loc``, for rules checked in model validators.

    Raised from a validator, its location is kept (and prefixed for nested models),
    which a bare ValueError in a model validator would lose.
    """
    detail = InitErrorDetails(type=_rule_error(message, **context), loc=loc, input=input_value)
    return ValidationError.from_exception_data("catalog rule", [detail])


def _slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise _rule_error(
            "must be a lowercase slug like 'louis-vuitton', got {value!r}", value=value
        )
    return value


def _https_url(value: str) -> str:
    if (
        not value.startswith("https://")
        or len(value) == len("https://")
        or any(ch.isspace() for ch in value)
    ):
        raise _rule_error("must be an https:// URL without spaces, got {value!r}", value=value)
    return value


def _entry_path(value: str) -> str:
    if value.startswith("/"):
        raise _rule_error("must not start with '/', got {value!r}", value=value)
    if "?" in value:
        raise _rule_error("must not contain a query, got {value!r}", value=value)
    return value


def _timestamp_text(value: Any) -> Any:
    """Accept only the contract's text form before pydantic parses the datetime.

    pydantic would otherwise also take Unix timestamps, dates without a time,
    fractional seconds and a space instead of ``T``.
    """
    if not isinstance(value, str):
        raise _rule_error("must be an ISO 8601 string, got {kind}", kind=type(value).__name__)
    if not _TIMESTAMP.fullmatch(value):
        raise _rule_error(
            "must look like 2025-03-14T10:22:05+08:00 (to the second, with offset), got {value!r}",
            value=value,
        )
    return value


def _china_offset(value: AwareDatetime) -> AwareDatetime:
    if value.utcoffset() != UTC_OFFSET:
        raise _rule_error("must use the +08:00 offset, got {value}", value=value.isoformat())
    return value


def _known_host(value: str) -> str:
    hosts = known_hosts()
    if value not in hosts:
        raise _rule_error(
            "{value!r} is not a host app (known: {hosts})", value=value, hosts=", ".join(hosts)
        )
    return value


# Minimum lengths of lists are checked in validators, not with Field(min_length=...):
# pydantic counts only the valid items there, so one bad item would also report a
# confusing "should have at least 1 item after validation".
NonEmptyStr = Annotated[StrictStr, Field(min_length=1)]
Slug = Annotated[StrictStr, AfterValidator(_slug)]
HttpsUrl = Annotated[StrictStr, AfterValidator(_https_url)]
HostName = Annotated[StrictStr, AfterValidator(_known_host)]
"""A host app of the settings (``indexer.settings``: MPSEARCH_HOSTS)."""
Timestamp = Annotated[
    AwareDatetime, BeforeValidator(_timestamp_text), AfterValidator(_china_offset)
]


class ShowcaseItem(BaseModel):
    """One product or dish shown on a listing (shops, restaurants, brands)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    item_id: StrictStr
    title: NonEmptyStr
    path: NonEmptyStr
    image_url: HttpsUrl
    price_cents: StrictInt = Field(gt=0)

    @field_validator("item_id")
    @classmethod
    def _item_id_format(cls, value: str) -> str:
        """Item ids are 10 ASCII digits, kept as a string (leading zeros matter)."""
        if not _ITEM_ID.fullmatch(value):
            raise _rule_error("must be 10 digits, got {value!r}", value=value)
        return value

    @model_validator(mode="after")
    def _path_carries_item_id(self) -> "ShowcaseItem":
        """The item page path has a query that carries the item id."""
        page, sep, query = self.path.partition("?")
        if page.startswith("/") or not page:
            raise _fail(("path",), self.path, "must be a page path without a leading '/'")
        if not sep or self.item_id not in (v for _, v in parse_qsl(query)):
            raise _fail(
                ("path",),
                self.path,
                "must have a query carrying item_id {item_id}, got {path!r}",
                item_id=self.item_id,
                path=self.path,
            )
        return self


class Listing(BaseModel):
    """One mini-program listing (a line of listings.jsonl)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    appid: StrictStr
    platform: Platform
    name: NonEmptyStr
    brand_id: Slug | None
    official: StrictBool
    category: tuple[NonEmptyStr, ...] = Field(max_length=2)
    description: NonEmptyStr
    keywords: tuple[NonEmptyStr, ...] = Field(max_length=MAX_KEYWORDS)
    icon_url: HttpsUrl
    entry_path: Annotated[NonEmptyStr, AfterValidator(_entry_path)]
    showcase: tuple[ShowcaseItem, ...] = Field(max_length=MAX_SHOWCASE_ITEMS)
    hosts: tuple[HostName, ...]
    status: Status
    monthly_active_users: StrictInt = Field(ge=0)
    rating: StrictFloat | None = Field(ge=1.0, le=5.0)
    updated_at: Timestamp

    @field_validator("category")
    @classmethod
    def _top_category(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """1 or 2 items: the first is a top-level category, the second free text."""
        if not value:
            raise _rule_error("must have 1 or 2 items, got none")
        if value[0] not in LISTING_TOP_CATEGORIES:
            raise _fail(
                (0,),
                value[0],
                "{value!r} is not a top-level category (a brand category, 工具, 资讯 or 二手)",
                value=value[0],
            )
        return value

    @field_validator("keywords")
    @classmethod
    def _unique_keywords(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """Keywords are unique within a listing (exact comparison)."""
        seen: set[str] = set()
        for index, keyword in enumerate(value):
            if keyword in seen:
                raise _fail((index,), keyword, "duplicate keyword {value!r}", value=keyword)
            seen.add(keyword)
        return value

    @field_validator("hosts")
    @classmethod
    def _canonical_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """Hosts are unique and listed in the settings' order of host apps."""
        if len(set(value)) != len(value):
            raise _rule_error("duplicate host in {value}", value=list(value))
        order = known_hosts()
        if list(value) != sorted(value, key=order.index):
            raise _rule_error(
                "must be in the order {order}, got {value}",
                order=", ".join(order),
                value=list(value),
            )
        return value

    @field_validator("rating")
    @classmethod
    def _one_decimal(cls, value: float | None) -> float | None:
        """Ratings are published with one decimal."""
        if value is not None and round(value, 1) != value:
            raise _rule_error("must have at most one decimal, got {value}", value=value)
        return value

    @model_validator(mode="after")
    def _cross_field_rules(self) -> "Listing":
        """Rules that involve two fields of the same listing."""
        if not APPID_PATTERNS[self.platform].fullmatch(self.appid):
            raise _fail(
                ("appid",),
                self.appid,
                "{appid!r} is not a valid {platform} appid ({expected})",
                appid=self.appid,
                platform=self.platform,
                expected=APPID_FORMATS[self.platform],
            )
        if self.official and self.brand_id is None:
            raise _fail(("official",), self.official, "official listing must have a brand_id")
        if self.status == "online" and not self.hosts:
            raise _fail(("hosts",), [], "must not be empty when status is online")
        return self

    def visible_in(self, host: str) -> bool:
        """The visibility rule: online and live in ``host``."""
        return self.status == "online" and host in self.hosts


class Brand(BaseModel):
    """One brand of the registry (a line of brands.jsonl)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    brand_id: Slug
    name: NonEmptyStr
    aliases: tuple[NonEmptyStr, ...]
    category: BrandCategory
    official_appids: tuple[StrictStr, ...] = Field(max_length=2)

    @field_validator("aliases")
    @classmethod
    def _unique_aliases(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """Aliases are unique case-insensitively (``LV`` and ``lv`` are one alias)."""
        seen: dict[str, int] = {}
        for index, alias in enumerate(value):
            key = alias.casefold()
            if key in seen:
                raise _fail(
                    (index,),
                    alias,
                    "{alias!r} repeats alias {first} case-insensitively",
                    alias=alias,
                    first=seen[key],
                )
            seen[key] = index
        return value

    @field_validator("official_appids")
    @classmethod
    def _appid_formats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """1 or 2 appids, each in the format of one of the platforms, no repeats."""
        if not value:
            raise _rule_error("must have 1 or 2 appids, got none")
        for index, appid in enumerate(value):
            if platform_of_appid(appid) is None:
                raise _fail((index,), appid, "{appid!r} is not a valid appid", appid=appid)
            if appid in value[:index]:
                raise _fail((index,), appid, "duplicate appid {appid!r}", appid=appid)
        return value

    @model_validator(mode="after")
    def _aliases_differ_from_name(self) -> "Brand":
        """An alias never repeats the main name (case-insensitively)."""
        name = self.name.casefold()
        for index, alias in enumerate(self.aliases):
            if alias.casefold() == name:
                raise _fail(
                    ("aliases", index), alias, "{alias!r} repeats the brand name", alias=alias
                )
        return self
