"""A brand-name test catalog built at test time from real public brand data.

Reads ``../shared/data/external/nsi-brands-zh/nsi_zh_brands.tsv`` (Name Suggestion
Index, BSD-3; read where it lies, never copied). Each real brand with a Chinese
and an English name becomes a brand record, one official listing, and two more
popular unofficial lookalikes that carry the brand's names. Golden queries ask
for the brand by its Chinese name, English name (as written, lower case without
spaces), traditional form and NSI match names; the official listing must come
first, whatever the lookalikes' popularity.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.analysis import compact, has_cjk

NSI_TSV = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "external"
    / "nsi-brands-zh"
    / "nsi_zh_brands.tsv"
)
HOSTS = ["jd", "qqbrowser", "samsung"]


@dataclass
class RealBrand:
    """One brand as NSI names it (rows grouped by Wikidata id)."""

    key: str
    zh: str
    en: str
    hant: str
    match_names: list[str]


def _first(row: dict[str, str], *cols: str) -> str:
    for col in cols:
        value = row.get(col, "").strip()
        if value:
            return value
    return ""


def load_brands(path: Path = NSI_TSV, taken: set[str] = frozenset()) -> list[RealBrand]:
    """Brands with a Chinese and a Latin name whose spellings no other brand shares."""
    groups: dict[str, RealBrand] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            zh = _first(row, "brand_zh_hans", "brand_zh", "name_zh_hans", "name_zh")
            en = _first(row, "brand_en", "name_en")
            if not en and _first(row, "brand").isascii():
                en = _first(row, "brand")
            if not (zh and en and has_cjk(zh) and en.isascii() and len(compact(zh)) >= 2):
                continue
            key = row.get("brand_wikidata") or compact(en)
            if key in groups:
                continue
            groups[key] = RealBrand(
                key=key,
                zh=zh,
                en=en,
                hant=_first(row, "brand_zh_hant", "name_zh_hant"),
                match_names=[m for m in row.get("match_names", "").split("|") if m],
            )
    brands = list(groups.values())
    owners: dict[str, set[str]] = {}
    for b in brands:
        for spelling in (b.zh, b.en, b.hant, *b.match_names):
            if spelling:
                owners.setdefault(compact(spelling), set()).add(b.key)
    return [
        b
        for b in brands
        if all(
            len(owners[compact(s)]) == 1 and compact(s) not in taken
            for s in (b.zh, b.en, b.hant, *b.match_names)
            if s
        )
        and len(compact(b.en)) >= 2
    ]


def _appid(seed: str) -> str:
    return "wx" + hashlib.sha1(seed.encode()).hexdigest()[:16]


def _listing(
    appid: str, name: str, brand_id: str | None, official: bool, mau: int, **kw: Any
) -> dict[str, Any]:
    return {
        "appid": appid,
        "platform": "wechat",
        "name": name,
        "brand_id": brand_id,
        "official": official,
        "category": ["生活服务", kw.get("sub", "门店")],
        "description": kw.get("description", f"{name}，在线下单、会员积分与门店查询。"),
        "keywords": kw.get("keywords", []),
        "icon_url": f"https://img.example-cdn.cn/icons/{appid}.png",
        "entry_path": "pages/index/index",
        "showcase": [],
        "hosts": HOSTS,
        "status": "online",
        "monthly_active_users": mau,
        "rating": 4.5,
        "updated_at": "2026-10-01T12:00:00+08:00",
    }


def write_catalog(
    brands: list[RealBrand], out: Path, base: tuple[Path, Path] | None = None
) -> tuple[Path, Path, list[dict[str, Any]]]:
    """Write the catalog (after ``base``, if given); return its two paths and the golden queries."""
    listings: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    golden: list[dict[str, Any]] = []
    for i, b in enumerate(brands):
        brand_id = f"nsi-{i}"
        official = _appid(f"{b.key}/official")
        deal = _appid(f"{b.key}/coupon")
        fan = _appid(f"{b.key}/fan")
        namesake = _appid(f"{b.key}/namesake")
        aliases = list(
            dict.fromkeys(
                a for a in (b.en, b.hant, *b.match_names) if a and compact(a) != compact(b.zh)
            )
        )
        records.append(
            {
                "brand_id": brand_id,
                "name": b.zh,
                "aliases": aliases,
                "category": "生活服务",
                "official_appids": [official],
            }
        )
        name = b.zh if i % 2 else f"{b.zh}会员中心"
        listings.append(_listing(official, name, brand_id, True, 80_000 + i, keywords=[b.en]))
        listings.append(
            _listing(
                deal, f"{b.zh}优惠券·代下单", None, False, 5_000_000 + i, keywords=[b.en, "优惠券"]
            )
        )
        listings.append(
            _listing(
                fan,
                f"{b.en} {b.zh}同款代购",
                brand_id,
                False,
                2_000_000 + i,
                keywords=["代购"],
                sub="代购",
            )
        )
        listings.append(
            _listing(
                namesake, b.zh, None, False, 9_000_000 + i, keywords=[b.en, "攻略"], sub="资讯"
            )
        )
        judged = {official: 3, deal: 1, fan: 1, namesake: 1}
        queries = {"zh": b.zh, "en": b.en, "en-compact": compact(b.en)}
        if b.hant and b.hant != b.zh:
            queries["traditional"] = b.hant
        for j, m in enumerate(b.match_names[:2]):
            queries[f"alias-{j}"] = m
        seen: set[str] = set()
        for tag, q in queries.items():
            if q in seen:
                continue
            seen.add(q)
            golden.append(
                {
                    "id": f"nsi-{i}-{tag}",
                    "query": q,
                    "host": HOSTS[(i + len(seen)) % 3],
                    "judgments": judged,
                    "tags": [tag.split("-")[0]],
                }
            )
    out.mkdir(parents=True, exist_ok=True)
    lp, bp = out / "listings.jsonl", out / "brands.jsonl"
    head = (
        (base[0].read_text(encoding="utf-8"), base[1].read_text(encoding="utf-8"))
        if base
        else ("", "")
    )
    lp.write_text(
        head[0] + "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in listings),
        encoding="utf-8",
    )
    bp.write_text(
        head[1] + "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in records),
        encoding="utf-8",
    )
    return lp, bp, golden
