"""Deterministic synthetic catalog of N listings for the benchmarks (never committed as data).

The sample catalog (tests/data/catalog) is kept verbatim, so golden queries still find their
listings; around it, synthetic brands and listings are built from real vocabulary: the sample's
categories, keywords and showcase titles, jieba's dictionary, and, when present, the external
lexicons under ``../shared/data/external`` (brand names, food and car words), read here at
generation time and never copied. Same N and seed → byte-identical files.

    .venv/bin/python benchmarks/gen_catalog.py --listings 100000 --out var/bench/catalog-100k
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jieba
import opencc
import orjson

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from indexer.analysis import compact, is_cjk, pinyin_full  # noqa: E402
from indexer.models import BRAND_CATEGORIES, LISTING_TOP_CATEGORIES  # noqa: E402

GEN_VERSION = "1"
SAMPLE_DIR = REPO / "tests" / "data" / "catalog"
EXTERNAL = REPO.parent / "shared" / "data" / "external"
DEFAULT_SEED = 20240611

CITIES = [
    "北京",
    "上海",
    "广州",
    "深圳",
    "杭州",
    "成都",
    "重庆",
    "武汉",
    "西安",
    "南京",
    "苏州",
    "天津",
    "长沙",
    "郑州",
    "青岛",
    "厦门",
    "宁波",
    "合肥",
    "昆明",
    "大连",
    "沈阳",
    "济南",
    "福州",
    "无锡",
    "东莞",
    "佛山",
    "哈尔滨",
    "长春",
    "南昌",
    "贵阳",
    "南宁",
    "石家庄",
    "太原",
]
OFFICIAL_SUFFIXES = ("", "官方", "官方商城", "会员中心", "点单", "外卖", "服务", "旗舰店", "+")
DEALER_SUFFIXES = (
    "授权专卖店", "二手寄卖", "优惠券", "代购", "粉丝圈", "门店查询", "回收", "折扣店",
    "专营店", "正品鉴定", "会员折扣", "资讯",
)  # fmt: skip
SERVICE_SUFFIXES = (
    "助手", "商城", "生活馆", "优选", "查询", "工具箱", "指南", "预约", "服务平台", "到家",
    "小铺", "严选", "特卖", "大全", "社区", "百科", "在线", "管家",
)  # fmt: skip
BRAND_ENDINGS = ("堂", "坊", "记", "家", "源", "轩", "屋", "阁", "汇", "坊", "荟", "町")
SHOWCASE_CATEGORIES = frozenset(
    ("餐饮", "咖啡茶饮", "零售商超", "服饰运动", "美妆个护", "数码家电", "奢侈品", "汽车")
)
FOOD_CATEGORIES = frozenset(("餐饮", "咖啡茶饮", "零售商超"))
LATIN_SYLLABLES = [
    "lu",
    "ma",
    "ve",
    "ra",
    "xo",
    "ki",
    "ne",
    "to",
    "sa",
    "mi",
    "do",
    "la",
    "vi",
    "co",
    "ra",
    "ze",
    "no",
    "be",
    "li",
    "ta",
    "mo",
    "fi",
    "ka",
    "ro",
    "su",
    "an",
    "el",
    "or",
    "is",
    "ul",
    "en",
    "ix",
]
SENTENCES = (
    "{name}提供{n1}、{n2}和{n3}等服务。",
    "在线{v1}{n1}，支持{v2}{n2}。",
    "汇集{n1}与{n2}，随时{v1}。",
    "{adj}的{n1}，一站式{v1}{n2}。",
    "新用户{v1}{n1}可享专属优惠。",
    "覆盖{city}等城市的{n1}和{n2}。",
    "Supports {latin} members: {v1}{n1}更方便。",
)
HOSTS = ("jd", "qqbrowser", "samsung")


def _is_cjk_word(word: str) -> bool:
    return bool(word) and all(is_cjk(ch) for ch in word)


@dataclass
class Vocab:
    """Word lists the generator draws from, each in a fixed order."""

    nouns: list[str]
    verbs: list[str]
    adjectives: list[str]
    brand_names: list[str]  # real Chinese brand names (external lexicons)
    latin_names: list[str]  # real Latin brand names (external lexicons)
    food: list[str]
    car: list[str]
    subcats: dict[str, list[str]]
    keywords: dict[str, list[str]]
    titles: dict[str, list[str]]
    sources: list[str] = field(default_factory=list)


def _jieba_words() -> tuple[list[str], list[str], list[str]]:
    path = Path(jieba.__file__).parent / "dict.txt"
    nouns: list[str] = []
    verbs: list[str] = []
    adjectives: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) != 3 or not 2 <= len(parts[0]) <= 4 or not _is_cjk_word(parts[0]):
                continue
            word, freq, tag = parts[0], int(parts[1]), parts[2]
            if freq < 200:
                continue
            if tag in ("n", "nz", "vn"):
                nouns.append(word)
            elif tag == "v" and len(word) == 2:
                verbs.append(word)
            elif tag == "a" and len(word) == 2:
                adjectives.append(word)
    return nouns, verbs, adjectives


def _external_brands() -> tuple[list[str], list[str], list[str]]:
    """Chinese and Latin brand names from the external lexicons that are present."""
    zh: dict[str, None] = {}
    latin: dict[str, None] = {}
    used: list[str] = []
    nsi = EXTERNAL / "nsi-brands-zh" / "nsi_zh_brands.tsv"
    if nsi.is_file():
        used.append(str(nsi.relative_to(EXTERNAL)))
        with nsi.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                for key in ("brand_zh_hans", "name_zh_hans", "brand_zh", "name_zh"):
                    if _is_cjk_word(row.get(key) or ""):
                        zh.setdefault(row[key], None)
                for key in ("brand_en", "name_en", "brand"):
                    value = (row.get(key) or "").strip()
                    if value and value.isascii() and 2 <= len(value) <= 24:
                        latin.setdefault(value, None)
    cedict = EXTERNAL / "cc-cedict" / "cedict_brand_company_subset.u8"
    if cedict.is_file():
        used.append(str(cedict.relative_to(EXTERNAL)))
        for line in cedict.read_text(encoding="utf-8").splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3 and _is_cjk_word(parts[1]) and 2 <= len(parts[1]) <= 6:
                zh.setdefault(parts[1], None)
    douyin = EXTERNAL / "douyin-brand-rank" / "douyin_brand_rank_2021-11-13.tsv"
    if douyin.is_file():
        used.append(str(douyin.relative_to(EXTERNAL)))
        with douyin.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                name = (row.get("brand") or "").strip()
                if _is_cjk_word(name):
                    zh.setdefault(name, None)
    return list(zh), list(latin), used


def _thuocl(name: str, used: list[str]) -> list[str]:
    path = EXTERNAL / "thuocl" / name
    if not path.is_file():
        return []
    used.append(str(path.relative_to(EXTERNAL)))
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("\t")[0].strip()
        if _is_cjk_word(word) and 2 <= len(word) <= 6:
            words.append(word)
    return words


def load_vocab() -> Vocab:
    """Read every vocabulary source (the external ones only when present)."""
    nouns, verbs, adjectives = _jieba_words()
    brand_names, latin_names, used = _external_brands()
    food = _thuocl("THUOCL_food.txt", used)
    car = _thuocl("THUOCL_car.txt", used)
    subcats: dict[str, dict[str, None]] = {c: {} for c in LISTING_TOP_CATEGORIES}
    keywords: dict[str, dict[str, None]] = {c: {} for c in LISTING_TOP_CATEGORIES}
    titles: dict[str, dict[str, None]] = {c: {} for c in LISTING_TOP_CATEGORIES}
    for line in (SAMPLE_DIR / "listings.jsonl").read_bytes().splitlines():
        d = orjson.loads(line)
        top = d["category"][0]
        if len(d["category"]) > 1:
            subcats[top].setdefault(d["category"][1], None)
        for k in d["keywords"]:
            keywords[top].setdefault(k, None)
        for item in d["showcase"]:
            titles[top].setdefault(item["title"], None)
    return Vocab(
        nouns=nouns,
        verbs=verbs or ["选购"],
        adjectives=adjectives or ["优质"],
        brand_names=brand_names,
        latin_names=latin_names,
        food=food or [w for w in nouns[:2000]],
        car=car or [w for w in nouns[:2000]],
        subcats={k: list(v) for k, v in subcats.items()},
        keywords={k: list(v) for k, v in keywords.items()},
        titles={k: list(v) for k, v in titles.items()},
        sources=["tests/data/catalog", "jieba/dict.txt", *used],
    )


class Generator:
    """Draws brands and listings from one seeded random stream."""

    def __init__(self, vocab: Vocab, seed: int) -> None:
        self.v = vocab
        self.rng = random.Random(seed)
        self.s2t = opencc.OpenCC("s2t")
        self.appids: set[str] = set()
        self.item_ids: set[str] = set()
        self.next_item = 1_000_000_000
        self.base_time = datetime(2024, 1, 1)

    # -- small draws -------------------------------------------------------------------------
    def pick(self, items: list[str] | tuple[str, ...]) -> str:
        return items[self.rng.randrange(len(items))]

    def appid(self, platform: str) -> str:
        while True:
            if platform == "wechat":
                a = f"wx{self.rng.getrandbits(64):016x}"
            elif platform == "alipay":
                a = f"2021{self.rng.randrange(10**12):012d}"
            else:
                a = "".join(self.rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=32))
            if a not in self.appids:
                self.appids.add(a)
                return a

    def platform(self) -> str:
        r = self.rng.random()
        return "wechat" if r < 0.7 else "alipay" if r < 0.9 else "baidu"

    def item_id(self) -> str:
        while True:
            self.next_item += self.rng.randrange(1, 50)
            item = f"{self.next_item:010d}"
            if item not in self.item_ids:
                self.item_ids.add(item)
                return item

    def mau(self) -> int:
        """Heavy-tailed monthly active users: Pareto from a few thousand to about 10^8."""
        u = 1.0 - self.rng.random()
        return min(int(2000 * u ** (-1 / 0.85)), 150_000_000)

    def latin_word(self) -> str:
        word = "".join(self.pick(LATIN_SYLLABLES) for _ in range(self.rng.randint(2, 3)))
        return word.capitalize()

    # -- brands ------------------------------------------------------------------------------
    def brands(self, count: int, taken: set[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        pool = list(self.v.brand_names)
        self.rng.shuffle(pool)
        latin_pool = list(self.v.latin_names)
        self.rng.shuffle(latin_pool)
        i = 0
        while len(out) < count:
            if pool:
                name = pool.pop()
            elif self.rng.random() < 0.5:
                name = self.pick(self.v.nouns)[:2] + self.pick(BRAND_ENDINGS)
            else:
                name = self.pick(self.v.nouns)[:2] + self.pick(self.v.nouns)[:2]
            key = compact(name)
            if not key or key in taken:
                continue
            taken.add(key)
            aliases: list[str] = []
            latin = latin_pool.pop() if latin_pool and self.rng.random() < 0.5 else None
            if latin is None and self.rng.random() < 0.6:
                latin = self.latin_word()
            if latin and compact(latin) not in taken:
                aliases.append(latin)
                words = latin.split()
                if len(words) > 1 and self.rng.random() < 0.5:
                    aliases.append("".join(w[0] for w in words).upper())
            trad = self.s2t.convert(name)
            if trad != name:
                aliases.append(trad)
            aliases = list(dict.fromkeys(a for a in aliases if a.casefold() != name.casefold()))
            seen: dict[str, str] = {}
            for a in aliases:
                seen.setdefault(a.casefold(), a)
            slug = "".join(ch for ch in pinyin_full(name) if ch.isalnum() and ch.isascii())
            i += 1
            brand_id = f"{slug[:20] or 'brand'}-s{i}"
            platform = self.platform()
            officials = [self.appid(platform)]
            if self.rng.random() < 0.3:
                officials.append(self.appid(self.platform()))
            out.append(
                {
                    "brand_id": brand_id,
                    "name": name,
                    "aliases": list(seen.values()),
                    "category": self.pick(BRAND_CATEGORIES),
                    "official_appids": officials,
                }
            )
        return out

    # -- listings ----------------------------------------------------------------------------
    def description(self, name: str, top: str, latin: str | None) -> str:
        sentences = []
        for _ in range(self.rng.randint(1, 3)):
            template = self.pick(SENTENCES)
            if "{latin}" in template and not latin:
                template = SENTENCES[0]
            sentences.append(
                template.format(
                    name=name,
                    n1=self._topical(top),
                    n2=self.pick(self.v.nouns),
                    n3=self._topical(top),
                    v1=self.pick(self.v.verbs),
                    v2=self.pick(self.v.verbs),
                    adj=self.pick(self.v.adjectives),
                    city=self.pick(CITIES),
                    latin=latin or "",
                )
            )
        return "".join(sentences)

    def _topical(self, top: str) -> str:
        if top in FOOD_CATEGORIES and self.rng.random() < 0.6:
            return self.pick(self.v.food)
        if top == "汽车" and self.rng.random() < 0.6:
            return self.pick(self.v.car)
        words = self.v.keywords.get(top) or []
        if words and self.rng.random() < 0.4:
            return self.pick(words)
        return self.pick(self.v.nouns)

    def keywords(self, top: str, latin: str | None) -> list[str]:
        out: dict[str, None] = {}
        for _ in range(self.rng.choice((0, 2, 3, 4, 5, 6, 8, 10))):
            out.setdefault(self._topical(top), None)
        if latin and self.rng.random() < 0.3 and len(out) < 10:
            out.setdefault(latin, None)
        return list(out)[:10]

    def showcase(self, appid: str, top: str) -> list[dict[str, Any]]:
        if top not in SHOWCASE_CATEGORIES or self.rng.random() < 0.3:
            return []
        items = []
        sample_titles = self.v.titles.get(top) or []
        for _ in range(self.rng.randint(1, 6)):
            item = self.item_id()
            if sample_titles and self.rng.random() < 0.3:
                title = self.pick(sample_titles)
            elif top in FOOD_CATEGORIES:
                title = self.pick(self.v.food) + self.pick(("", "套餐", " 大份", " 2件装", "礼盒"))
            else:
                title = f"{self._topical(top)} {self.latin_word().upper()}{self.rng.randint(1, 99)}"
            items.append(
                {
                    "item_id": item,
                    "title": title,
                    "path": f"pages/goods/detail?id={item}",
                    "image_url": f"https://img.example-cdn.cn/showcase/{appid}/{item}.jpg",
                    "price_cents": self.rng.randint(100, 500_000),
                }
            )
        return items

    def listing(
        self,
        appid: str,
        platform: str,
        name: str,
        top: str,
        brand: dict[str, Any] | None,
        official: bool,
    ) -> dict[str, Any]:
        latin = next((a for a in brand["aliases"] if a.isascii()), None) if brand else None
        subs = self.v.subcats.get(top) or []
        category = [top, self.pick(subs)] if subs and self.rng.random() < 0.85 else [top]
        r = self.rng.random()
        status = "online" if r < 0.9 else "offline" if r < 0.97 else "suspended"
        hosts = [h for h, p in zip(HOSTS, (0.75, 0.6, 0.4), strict=True) if self.rng.random() < p]
        if status == "online" and not hosts:
            hosts = [self.pick(HOSTS)]
        mau = self.mau() * (20 if official else 1)
        updated = self.base_time + timedelta(seconds=self.rng.randrange(2 * 365 * 86400))
        return {
            "appid": appid,
            "platform": platform,
            "name": name,
            "brand_id": brand["brand_id"] if brand else None,
            "official": official,
            "category": category,
            "description": self.description(name, top, latin),
            "keywords": self.keywords(top, latin),
            "icon_url": f"https://img.example-cdn.cn/icons/{appid}.png",
            "entry_path": self.pick(("pages/index/index", "pages/main/main", "pages/home/home")),
            "showcase": self.showcase(appid, top),
            "hosts": hosts,
            "status": status,
            "monthly_active_users": min(mau, 150_000_000),
            "rating": None if self.rng.random() < 0.3 else round(self.rng.uniform(2.5, 5.0), 1),
            "updated_at": updated.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
        }

    def unbranded_name(self) -> str:
        r = self.rng.random()
        noun = self.pick(self.v.nouns)
        if r < 0.3:
            return self.pick(CITIES) + noun + self.pick(SERVICE_SUFFIXES)
        if r < 0.85:
            return noun + self.pick(SERVICE_SUFFIXES)
        return f"{noun}{self.pick(SERVICE_SUFFIXES)} {self.latin_word()}"


def _line(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record) + b"\n"


def _plan(
    gen: Generator, n: int, sample_listings: int, brands: list[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """Official listings of the synthetic brands, then dealers and unbranded listings."""
    emitted = 0
    for brand in brands:
        for k, appid in enumerate(brand["official_appids"]):
            platform = next(p for p in ("wechat", "alipay", "baidu") if _fits(appid, p))
            suffix = "" if k == 0 else gen.pick(OFFICIAL_SUFFIXES[1:])
            yield gen.listing(
                appid, platform, brand["name"] + suffix, brand["category"], brand, True
            )
            emitted += 1
    # Dealers favour popular brands: Zipf-like weights over the brand list.
    weights = [1.0 / (i + 1) ** 0.9 for i in range(len(brands))]
    cum: list[float] = []
    total = 0.0
    for w in weights:
        total += w
        cum.append(total)
    remaining = n - sample_listings - emitted
    for _ in range(max(0, remaining)):
        platform = gen.platform()
        appid = gen.appid(platform)
        if brands and gen.rng.random() < 0.2:
            idx = _bisect(cum, gen.rng.random() * total)
            brand = brands[idx]
            name = (gen.pick(CITIES) if gen.rng.random() < 0.3 else "") + brand["name"]
            name += gen.pick(DEALER_SUFFIXES)
            top = "二手" if "二手" in name or "回收" in name else brand["category"]
            yield gen.listing(appid, platform, name, top, brand, False)
        else:
            top = gen.pick(LISTING_TOP_CATEGORIES)
            yield gen.listing(appid, platform, gen.unbranded_name(), top, None, False)


def _fits(appid: str, platform: str) -> bool:
    if platform == "wechat":
        return appid.startswith("wx") and len(appid) == 18
    if platform == "alipay":
        return appid.startswith("2021") and len(appid) == 16 and appid.isdigit()
    return len(appid) == 32


def _bisect(cum: list[float], x: float) -> int:
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def generate(n: int, out_dir: Path, seed: int = DEFAULT_SEED) -> tuple[Path, Path]:
    """Write ``listings.jsonl`` and ``brands.jsonl`` with ``n`` listings into ``out_dir``."""
    vocab = load_vocab()
    gen = Generator(vocab, seed)
    sample_brand_lines = (SAMPLE_DIR / "brands.jsonl").read_bytes().splitlines()
    sample_listing_lines = (SAMPLE_DIR / "listings.jsonl").read_bytes().splitlines()
    taken: set[str] = set()
    for line in sample_brand_lines:
        b = orjson.loads(line)
        for form in (b["name"], *b["aliases"]):
            taken.add(compact(form))
    for line in sample_listing_lines:
        d = orjson.loads(line)
        gen.appids.add(d["appid"])
        gen.item_ids.update(item["item_id"] for item in d["showcase"])
    keep = min(n, len(sample_listing_lines))
    n_brands = max(10, n // 200)
    brands = gen.brands(n_brands, taken) if n > keep else []
    out_dir.mkdir(parents=True, exist_ok=True)
    brands_path = out_dir / "brands.jsonl"
    listings_path = out_dir / "listings.jsonl"
    tmp_b = brands_path.with_suffix(".tmp")
    tmp_l = listings_path.with_suffix(".tmp")
    sample_official: set[str] = set()
    with tmp_b.open("wb") as fh:
        for line in sample_brand_lines:
            b = orjson.loads(line)
            if keep < len(sample_listing_lines):
                # A cut sample keeps only brands whose official listings survived.
                kept = {orjson.loads(x)["appid"] for x in sample_listing_lines[:keep]}
                if not set(b["official_appids"]) <= kept:
                    continue
            sample_official.add(b["brand_id"])
            fh.write(line + b"\n")
        for b in brands:
            fh.write(_line(b))
    with tmp_l.open("wb") as fh:
        for line in sample_listing_lines[:keep]:
            d = orjson.loads(line)
            if d["brand_id"] is not None and d["brand_id"] not in sample_official:
                d["brand_id"], d["official"] = None, False
                line = orjson.dumps(d)
            fh.write(line + b"\n")
        for record in _plan(gen, n, keep, brands):
            fh.write(_line(record))
    tmp_b.replace(brands_path)
    tmp_l.replace(listings_path)
    return listings_path, brands_path


def catalog_dir(n: int, seed: int = DEFAULT_SEED) -> Path:
    """Where benchmarks keep the generated catalog of size ``n`` (under var/, not committed)."""
    return bench_root() / f"catalog-{n}-s{seed}-g{GEN_VERSION}"


def bench_root() -> Path:
    """Working folder of the benchmarks: MPSEARCH_BENCH_DIR, else var/bench in the checkout."""
    return Path(os.environ.get("MPSEARCH_BENCH_DIR") or REPO / "var" / "bench")


def ensure_catalog(n: int, seed: int = DEFAULT_SEED) -> tuple[Path, Path]:
    """The generated catalog of size ``n``, generating it on first use."""
    out = catalog_dir(n, seed)
    listings, brands = out / "listings.jsonl", out / "brands.jsonl"
    if listings.is_file() and brands.is_file():
        return listings, brands
    return generate(n, out, seed)


def parse_count(text: str) -> int:
    """``100k`` → 100000, ``1m`` → 1000000."""
    t = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if mult > 1 else t) * mult)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listings", default="100k", help="number of listings (100k, 1m, 1000)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--out", type=Path, help="output folder (default var/bench/catalog-N-...)")
    args = ap.parse_args()
    n = parse_count(args.listings)
    out = args.out or catalog_dir(n, args.seed)
    started = time.perf_counter()
    listings, brands = generate(n, out, args.seed)
    took = time.perf_counter() - started
    sources = ", ".join(load_vocab().sources)
    print(f"{listings} and {brands}: {n} listings in {took:.1f}s (vocabulary: {sources})")


if __name__ == "__main__":
    main()
