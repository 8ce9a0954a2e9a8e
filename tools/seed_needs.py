"""Propose need-lexicon lines (``dictionaries/needs.txt`` syntax) from a catalog, for review.

    .venv/bin/python tools/seed_needs.py [--listings tests/data/catalog/listings.jsonl]
        [--brands tests/data/catalog/brands.jsonl] [--thuocl ../shared/data/external/thuocl]
        [--needs dictionaries/needs.txt] [--out proposals.txt]

A development tool, never on a request path; its output is deterministic for the same
inputs. For every sub-category of the catalog it proposes one line

    everyday words => the category's service words | Top/sub

- *service words*: the keywords most of the category's listings use (up to six);
- *need words*: the category's own name and keywords that are everyday language and point
  at this category: words of jieba's general dictionary (``dict.txt``) tagged as a noun,
  verb or verbal noun with a general-language frequency of at least ``--min-freq``, or
  words of the THUOCL food and car lexicons (MIT, THUNLP; ``--thuocl``), that are not
  brand names and of whose listings at least ``--min-share`` are in this category.

THUOCL food and car words that occur in the catalog's listings (name, keywords, showcase
titles, description) mostly in one sub-category add ``word => | Top/sub`` lines.

Each line ends with a comment giving its evidence. With ``--needs``, lines whose category
the lexicon already names are marked ``covered``, and the report ends with the catalog's
sub-categories that no line of the lexicon names and the lexicon's service words that no
listing uses. A person reads the proposals, keeps or
edits the good ones and adds them to ``dictionaries/needs.txt``; nothing is added
automatically.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.analysis import compact  # noqa: E402
from indexer.content_words import jieba_dictionary  # noqa: E402
from indexer.dictionaries import Dictionaries  # noqa: E402

SAMPLE = ROOT / "tests" / "data" / "catalog"
THUOCL = ROOT.parent / "shared" / "data" / "external" / "thuocl"
CONTENT_TAGS = frozenset({"n", "v", "vn", "nz", "j", "l"})  # everyday content words
MAX_SERVICE_WORDS = 6
MAX_NEED_WORDS = 8


@dataclass(frozen=True)
class Proposal:
    """One proposed lexicon line and the evidence behind it."""

    need_words: tuple[str, ...]
    service_words: tuple[str, ...]
    category: str
    evidence: str

    def line(self) -> str:
        return (
            f"{', '.join(self.need_words)} => {', '.join(self.service_words)} | {self.category}"
            f"  # {self.evidence}"
        )


def _jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open("rb") as fh:
        for raw in fh:
            if raw.strip():
                record = orjson.loads(raw)
                if isinstance(record, dict):
                    yield record


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def general_words(path: Path, min_freq: int) -> dict[str, str]:
    """Words of jieba's dictionary with a content tag and at least ``min_freq``: word → tag."""
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] in CONTENT_TAGS and int(parts[1]) >= min_freq:
            out[parts[0]] = parts[2]
    return out


def thuocl_words(folder: Path | None) -> set[str]:
    """The words of THUOCL's food and car lists (``word<TAB>DF`` lines), if present."""
    words: set[str] = set()
    if folder is None or not folder.is_dir():
        return words
    for name in ("THUOCL_food.txt", "THUOCL_car.txt"):
        path = folder / name
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                word = line.split("\t", 1)[0].strip()
                if len(word) >= 2:
                    words.add(word)
    return words


@dataclass
class Catalog:
    """What the proposals read from a catalog: per sub-category, its listings' words."""

    listings: dict[str, int]  # category path → listings
    keywords: dict[str, Counter[str]]  # category path → keyword → listings using it
    keyword_paths: dict[str, Counter[str]]  # keyword → category path → listings
    texts: list[tuple[str, str]]  # (category path, the listing's text) per listing
    brand_words: set[str]  # compact brand names and aliases

    @classmethod
    def read(cls, listings: Path, brands: Path) -> Catalog:
        counts: dict[str, int] = Counter()
        keywords: dict[str, Counter[str]] = defaultdict(Counter)
        keyword_paths: dict[str, Counter[str]] = defaultdict(Counter)
        texts: list[tuple[str, str]] = []
        for record in _jsonl(listings):
            category = _strings(record.get("category"))
            if len(category) != 2:
                continue
            path = "/".join(category)
            counts[path] += 1
            words = dict.fromkeys(compact(k) for k in _strings(record.get("keywords")))
            for word in words:
                keywords[path][word] += 1
                keyword_paths[word][path] += 1
            showcase = record.get("showcase")
            titles = (
                [str(item.get("title", "")) for item in showcase if isinstance(item, dict)]
                if isinstance(showcase, list)
                else []
            )
            text = " ".join([str(record.get("name", "")), *category, *words, *titles])
            texts.append((path, f"{text} {record.get('description', '')}"))
        brand_words: set[str] = set()
        for record in _jsonl(brands):
            names = [record.get("name"), *_strings(record.get("aliases"))]
            brand_words.update(compact(n) for n in names if isinstance(n, str))
        return cls(dict(counts), dict(keywords), dict(keyword_paths), texts, brand_words)


def propose(
    catalog: Catalog,
    everyday: dict[str, str],
    lexicon_words: set[str],
    *,
    min_share: float = 0.5,
) -> list[Proposal]:
    """One line per sub-category, then the lexicon words of THUOCL found in the catalog."""
    proposals: list[Proposal] = []
    for path in sorted(catalog.listings):
        sub = compact(path.split("/", 1)[1])
        used = catalog.keywords.get(path, Counter())
        service = [w for w, _ in sorted(used.items(), key=lambda kv: (-kv[1], kv[0]))]
        needs: list[str] = []
        for word in [sub, *service]:
            if word in catalog.brand_words or len(word) < 2 or word in needs:
                continue
            where = catalog.keyword_paths.get(word, Counter())
            share = where[path] / max(1, sum(where.values())) if where else 1.0
            if (word in everyday or word in lexicon_words) and share >= min_share:
                needs.append(word)
        if not needs:
            needs = [sub]
        services = [w for w in service if w not in needs][:MAX_SERVICE_WORDS]
        needs = needs[:MAX_NEED_WORDS]
        evidence = f"{catalog.listings[path]} listings; everyday: " + (
            ", ".join(f"{w}/{everyday.get(w, 'thuocl')}" for w in needs if w != sub) or "-"
        )
        proposals.append(Proposal(tuple(needs), tuple(services), path, evidence))
    proposals.extend(_lexicon_lines(catalog, lexicon_words, min_share))
    return proposals


def _lexicon_lines(catalog: Catalog, words: set[str], min_share: float) -> Iterable[Proposal]:
    """``word => | Top/sub`` for lexicon words that occur mostly in one sub-category."""
    if not words:
        return []
    found: dict[str, Counter[str]] = defaultdict(Counter)
    longest = max(len(w) for w in words)
    for path, text in catalog.texts:
        seen: set[str] = set()
        for i in range(len(text)):
            for j in range(i + 2, min(len(text), i + longest) + 1):
                piece = text[i:j]
                if piece in words and piece not in seen:
                    seen.add(piece)
                    found[piece][path] += 1
    by_path: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for word, paths in found.items():
        path, n = max(paths.items(), key=lambda kv: (kv[1], kv[0]))
        if n >= 2 and n / sum(paths.values()) >= min_share and word not in catalog.brand_words:
            by_path[path].append((word, n))
    out = []
    for path in sorted(by_path):
        ranked = sorted(by_path[path], key=lambda wn: (-wn[1], wn[0]))[:MAX_NEED_WORDS]
        evidence = "THUOCL (MIT): " + ", ".join(f"{w} in {n} listings" for w, n in ranked)
        out.append(Proposal(tuple(w for w, _ in ranked), (), path, evidence))
    return out


def uncovered(catalog: Catalog, lexicon: Dictionaries) -> list[str]:
    """The catalog's sub-categories that no lexicon line names."""
    named = {c for entry in lexicon.needs for c in entry.categories}
    return [path for path in sorted(catalog.listings) if path not in named]


def unused_service_words(catalog: Catalog, lexicon: Dictionaries) -> list[str]:
    """The lexicon's service words that no listing of the catalog uses."""
    text = "\n".join(compact(t) for _, t in catalog.texts)
    words = {compact(w) for entry in lexicon.needs for w in entry.service_words}
    return sorted(w for w in words if w not in text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--listings", type=Path, default=SAMPLE / "listings.jsonl")
    parser.add_argument("--brands", type=Path, default=SAMPLE / "brands.jsonl")
    parser.add_argument("--thuocl", type=Path, default=THUOCL, help="folder of THUOCL lists")
    parser.add_argument("--jieba-dict", type=Path, default=jieba_dictionary())
    parser.add_argument("--min-freq", type=int, default=20, help="jieba frequency of a word")
    parser.add_argument("--min-share", type=float, default=0.5)
    parser.add_argument("--needs", type=Path, help="the lexicon's folder, to mark coverage")
    parser.add_argument("--out", type=Path, help="write the proposals here (default stdout)")
    args = parser.parse_args(argv)

    catalog = Catalog.read(args.listings, args.brands)
    everyday = general_words(args.jieba_dict, args.min_freq)
    lexicon = thuocl_words(args.thuocl)
    current = Dictionaries.load(args.needs) if args.needs else None
    named = {c for entry in current.needs for c in entry.categories} if current else set()
    lines = ["# Proposed need-lexicon lines: review, edit and copy into dictionaries/needs.txt."]
    for proposal in propose(catalog, everyday, lexicon, min_share=args.min_share):
        mark = "# covered: " if proposal.category in named else ""
        lines.append(mark + proposal.line())
    if current is not None:
        missing = uncovered(catalog, current)
        lines.append(f"# {len(missing)} sub-categories no lexicon line names: {', '.join(missing)}")
        unused = unused_service_words(catalog, current)
        lines.append(f"# {len(unused)} service words no listing uses: {', '.join(unused)}")
    text = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
