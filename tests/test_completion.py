"""Completion keys (indexer/completion.py): what the suggest fields hold for a listing.

1. A string's spellings: compact form, full pinyin and initials; no pinyin for Latin-only.
2. ``reaches``: a prefix of any spelling reaches the string; a Chinese input only by
   the written form; a later part of the string does not.
3. ``completion_text`` holds every prefix of every spelling up to ``PREFIX_CAP`` and
   nothing else, and the short ones again in exactly the tiers the popularity earns.
4. ``tier_count`` at the tier floors.
5. The document carries both completion fields and a completion record that decodes to
   the listing's appid, name, brand and name spellings.
"""

from __future__ import annotations

import pytest

from indexer import schema as f
from indexer.completion import (
    PREFIX_CAP,
    TIER_PREFIX_CAP,
    TIERS,
    Spellings,
    completion_text,
    load_completion_doc,
    reaches,
    spellings,
    tier_count,
    tier_term,
)
from indexer.dictionaries import Dictionaries
from indexer.document import analyse_listing
from tests.rankkit import BY_ID, Kit, listing, make_kit


@pytest.fixture(scope="module")
def kit(dicts: Dictionaries) -> Kit:
    return make_kit(dicts)


def test_spellings() -> None:
    assert spellings("星巴克") == Spellings("星巴克", "xingbake", "xbk")
    assert spellings("Louis Vuitton") == Spellings("louisvuitton", "", "")
    assert spellings("麥當勞") == Spellings("麦当劳", "maidanglao", "mdl")


@pytest.mark.parametrize("key", ["星", "星巴", "星巴克", "x", "xingba", "xingbake", "xb", "xbk"])
def test_reaches(key: str) -> None:
    assert reaches(key, spellings("星巴克"))


@pytest.mark.parametrize("key", ["巴克", "bake", "星巴克咖", "xingbakeka", "xbkk", "星x"])
def test_does_not_reach(key: str) -> None:
    assert not reaches(key, spellings("星巴克"))


def test_chinese_input_never_reaches_by_pinyin() -> None:
    # The pinyin of 兴 starts with "xing" too; the written form is what a Chinese key reaches.
    assert not reaches("兴", spellings("星巴克"))


def test_completion_text_holds_every_prefix_up_to_the_cap() -> None:
    name = "星巴克臻选咖啡烘焙工坊"  # pinyin longer than the cap
    keys = completion_text((name,)).split()
    expected: set[str] = set()
    for spelled in spellings(name):
        expected |= {spelled[:i] for i in range(1, min(len(spelled), PREFIX_CAP) + 1)}
    assert set(keys) == expected
    assert len(keys) == len(set(keys))
    assert max(len(k) for k in keys) == PREFIX_CAP


@pytest.mark.parametrize("tiers", range(len(TIERS) + 1))
def test_tier_terms(tiers: int) -> None:
    keys = completion_text(("星巴克", "Starbucks"), tiers).split()
    plain = completion_text(("星巴克", "Starbucks")).split()
    short = [k for k in plain if len(k) <= TIER_PREFIX_CAP]
    earned = range(len(TIERS) - tiers, len(TIERS))
    assert set(keys) == set(plain) | {tier_term(k, t) for t in earned for k in short}
    assert tier_term("starbu", 0) not in plain  # a tier term is never a plain prefix


def test_tier_count() -> None:
    lowest = TIERS[-1]
    assert tier_count(0) == 0
    assert tier_count(lowest - 1) == 0
    assert tier_count(lowest) == 1
    assert tier_count(TIERS[0]) == len(TIERS)


def test_document_fields(kit: Kit) -> None:
    item = listing("星巴克咖啡", brand_id="starbucks", mau=TIERS[-1])
    doc = analyse_listing(item, BY_ID["starbucks"], kit.analyzer)
    names = doc.to_dict()[f.COMPLETION_NAME]
    brands = doc.to_dict()[f.COMPLETION_BRAND]
    assert names == [completion_text(("星巴克咖啡",), 1)]
    assert brands == [completion_text(("星巴克", "Starbucks", "星爸爸"), 1)]
    assert tier_term("xbk", len(TIERS) - 1) in brands[0].split()
    blob = doc.get_first(f.COMPLETION_DOC)
    assert isinstance(blob, bytes)
    entry = load_completion_doc(blob)
    assert (entry.appid, entry.name, entry.brand_id) == (item.appid, "星巴克咖啡", "starbucks")
    assert entry.spelled == spellings("星巴克咖啡")


def test_document_without_brand(kit: Kit) -> None:
    doc = analyse_listing(listing("快递小助手"), None, kit.analyzer)
    assert f.COMPLETION_BRAND not in doc.to_dict()
    blob = doc.get_first(f.COMPLETION_DOC)
    assert isinstance(blob, bytes)
    assert load_completion_doc(blob).brand_id is None
