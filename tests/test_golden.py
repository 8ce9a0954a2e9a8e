"""Golden queries (tests/golden/dev.jsonl) against the sample index.

1. The gated queries (d001–d123: brands, nicknames, pinyin, typos, generic services) meet
   the ranking gate: nDCG@10 ≥ 0.95, P@1 ≥ 0.97, every tag's nDCG@10 ≥ 0.90, both in
   process and through ``mpsearch eval``.
2. The need queries (d124 on: natural-language requests, needs stated without the
   service's words, questions, colloquial phrasing, place + need, plain services) hold
   their floors: overall nDCG@10 and P@1, each tag's nDCG@10, and a ceiling on must_not
   violations, so that a regression fails while they are below the gate.
3. The held-out need queries (``tests/golden/heldout.jsonl``) hold their floors.
4. No must_not listing is ever returned for a gated query.
5. Every returned listing is visible in the query's host (online, live there).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from search.cli import app
from search.engine import Engine
from search.relevance.eval import EvalReport, check_thresholds, evaluate, load_golden
from tests.conftest import GOLDEN

# The ranking gate; raise the floors with every improvement.
MIN_NDCG = 0.95
MIN_P1 = 0.97
MIN_TAG_NDCG = 0.90

# The first need query; every query before it is held to the gate above.
FIRST_NEED_QUERY = 124


@dataclass(frozen=True)
class Floors:
    """Minimums for a set of golden queries, and a ceiling on its must_not violations."""

    ndcg: float
    p1: float
    tag_ndcg: dict[str, float]
    max_must_not: int


# The need queries do not meet the gate yet. Each floor is the value measured with the
# need signals (lexicon, content words, query → category model, need route, regions),
# rounded down to two decimals, and the ceiling the count measured then: a regression
# fails. Raise them as the ranking improves; at the gate, the whole file meets it. The
# region floor went down once, on purpose: a need naming a place no longer returns
# another place's services, which these judgments grade 1 (深圳通 for 北京公交卡充值) and
# raters of other query sets list as must_not. The P@1 floor went down once, on purpose
# (0.89 → 0.87, 0.900 → 0.875 measured): a top-level category no longer earns a part where
# one of its sub-categories is predicted (``search.rank.need``; the part was a fifth of a
# need query's engine time); two first places here changed hands, and on the held-out
# queries P@1 went up (0.823 → 0.835).
NEED_FLOORS = Floors(
    ndcg=0.91,
    p1=0.87,
    tag_ndcg={
        "nl": 0.91,
        "intent": 0.90,
        "question": 0.90,
        "colloquial": 0.89,
        "region": 0.90,
        "service": 0.91,
    },
    max_must_not=9,
)

# Held-out need queries of the first five raters (tests/golden/heldout.jsonl): floors as
# for the need queries, a little under what was measured after a need's leader part
# (nDCG@10 0.900, P@1 0.813, 47 must_not violations over 340 queries; 0.900 / 0.772 / 47
# before it; 0.881 / 0.766 / 49 after the lexicon's fourth and fifth passes; the first 190
# were at 0.76 / 0.60 / 104 before the need work of the stop that added them). The intent
# floor went down once, on purpose (0.883 → 0.878 with the leader part): the leaders of a
# need's less likely sub-categories enter the lower ranks of some of these queries, while
# the leader of the likely one takes the first place in many more. The must_not ceiling
# went up once, on purpose (47 → 48, nDCG@10 0.901 → 0.903): a listing holding the word of
# the need requested in its top-level category is retrieved (京东健康 for 体检, 滴滴出行 for 代驾),
# and so is a bus-fare app whose keywords say 公交 for a question about arrivals. It went up
# again (48 → 49; nDCG@10 0.9036 → 0.9048, P@1 0.823 → 0.835) when a top-level category
# stopped earning a part beside its predicted sub-categories: the other regions'
# government apps, in the predicted top-level category, dropped below a traffic-fine tool
# the raters list as must_not for renewing a licence. It came back to 48 (nDCG@10 0.9048 →
# 0.9106, P@1 0.835 → 0.848) with the need lexicon's sixth pass.
HELD_OUT = GOLDEN.parent / "heldout.jsonl"
EARLIER_RATERS = frozenset("hkgtm")
HELD_OUT_FLOORS = Floors(
    ndcg=0.90,
    p1=0.83,
    tag_ndcg={
        "nl": 0.91,
        "intent": 0.88,
        "question": 0.91,
        "colloquial": 0.88,
        "region": 0.95,
        "service": 0.91,
        "long": 0.77,
        "latin": 0.78,
    },
    max_must_not=48,
)

# The sixth rater's 70 queries (``n…``), written when the five sets above had been read too
# often (lexicon passes and weights were checked against them): not looked at, measured
# once when added, with nothing chosen on them. Floors as above, under that measurement
# (nDCG@10 0.812, P@1 0.743, 29 must_not violations). This is where the need ranking
# generalises to: well under the five sets above.
FRESH_FLOORS = Floors(
    ndcg=0.81,
    p1=0.74,
    tag_ndcg={
        "nl": 0.78,
        "intent": 0.79,
        "question": 0.79,
        "colloquial": 0.85,
        "region": 0.77,
        "service": 0.83,
        "long": 0.85,
    },
    max_must_not=29,
)

# The seventh rater's 70 queries (``o…``), written the same way as ``n…``, none with the
# text of an earlier query, the grade-3 listings in 70 different sub-categories, added when
# the first eight queries of the sixth rater's set had been shown once by a mis-aimed
# listing (nothing was chosen on them). Not looked at; measured before and after the
# changes of the stop that added it (nDCG@10 0.835 → 0.842, P@1 0.800 → 0.814, 4 must_not
# violations both), with nothing chosen on it. Floors under the second measurement.
NEWEST_FLOORS = Floors(
    ndcg=0.84,
    p1=0.81,
    tag_ndcg={
        "nl": 0.82,
        "intent": 0.83,
        "question": 0.84,
        "colloquial": 0.82,
        "region": 0.79,
        "service": 0.81,
        "long": 0.82,
    },
    max_must_not=4,
)

ALL = load_golden(GOLDEN)
GATED = [q for q in ALL if int(q.id.removeprefix("d")) < FIRST_NEED_QUERY]
NEED = [q for q in ALL if int(q.id.removeprefix("d")) >= FIRST_NEED_QUERY]


@pytest.fixture(scope="module")
def report(engine: Engine) -> EvalReport:
    return evaluate(GATED, lambda g: engine.ranked_appids(g.query, g.host))


@pytest.fixture(scope="module")
def need_report(engine: Engine) -> EvalReport:
    return evaluate(NEED, lambda g: engine.ranked_appids(g.query, g.host))


def test_split() -> None:
    """Both parts are non-empty and the need queries follow the gated ones in the file."""
    assert GATED and NEED
    assert GATED + NEED == ALL


def test_golden_floor(report: EvalReport) -> None:
    failures = check_thresholds(report, MIN_NDCG, min_p1=MIN_P1, min_tag_ndcg=MIN_TAG_NDCG)
    assert failures == [], failures


def test_eval_cli_gate(home_env: Path, tmp_path: Path) -> None:
    """The command CI and publish gates run exits 0 on the gated queries."""
    gated = tmp_path / "gated.jsonl"
    lines = GOLDEN.read_text(encoding="utf-8").splitlines(keepends=True)
    gated.write_text("".join(lines[: len(GATED)]), encoding="utf-8")
    assert [q.id for q in load_golden(gated)] == [q.id for q in GATED]
    args = ["--min-ndcg", str(MIN_NDCG), "--min-p1", str(MIN_P1)]
    args += ["--min-tag-ndcg", str(MIN_TAG_NDCG)]
    result = CliRunner().invoke(app, ["eval", "--golden", str(gated), *args])
    assert result.exit_code == 0, result.output
    assert "nDCG@10" in result.stdout


def below(report: EvalReport, floors: Floors) -> list[str]:
    """What of ``report`` is below ``floors`` (every tag has a floor, every floor a tag)."""
    o = report.overall
    failures: list[str] = []
    if o.ndcg_10 < floors.ndcg:
        failures.append(f"nDCG@10 {o.ndcg_10:.4f} < {floors.ndcg}")
    if o.p_1 is None or o.p_1 < floors.p1:
        failures.append(f"P@1 {o.p_1} < {floors.p1}")
    assert set(report.per_tag) == set(floors.tag_ndcg)
    for tag, floor in floors.tag_ndcg.items():
        value = report.per_tag[tag].ndcg_10
        if value < floor:
            failures.append(f"tag {tag} nDCG@10 {value:.4f} < {floor}")
    if report.must_not_violations > floors.max_must_not:
        failures.append(f"{report.must_not_violations} must_not violations > {floors.max_must_not}")
    return failures


def test_need_queries_floor(need_report: EvalReport) -> None:
    assert below(need_report, NEED_FLOORS) == []


def test_held_out_need_queries_floor(engine: Engine) -> None:
    """Need queries of raters who read only the catalog, kept to measure what the need
    queries above do not: whether the ranking generalises (``tests/golden/README.md``)."""
    held_out = load_golden(HELD_OUT)
    assert len(held_out) == 480
    assert {g.id[0] for g in held_out} == {*EARLIER_RATERS, "n", "o"}  # seven raters
    earlier = [g for g in held_out if g.id[0] in EARLIER_RATERS]
    fresh = [g for g in held_out if g.id[0] == "n"]
    newest = [g for g in held_out if g.id[0] == "o"]
    assert (len(earlier), len(fresh), len(newest)) == (340, 70, 70)
    sets = ((earlier, HELD_OUT_FLOORS), (fresh, FRESH_FLOORS), (newest, NEWEST_FLOORS))
    for queries, floors in sets:
        report = evaluate(queries, lambda g: engine.ranked_appids(g.query, g.host))
        assert below(report, floors) == []


def test_no_must_not_violations(report: EvalReport) -> None:
    assert report.must_not_violations == 0
    assert all(not q.violations for q in report.queries)


def test_returned_listings_are_visible_in_host(
    report: EvalReport, need_report: EvalReport, engine: Engine
) -> None:
    for q in report.queries + need_report.queries:
        for appid in q.returned:
            listing = engine.listing(appid)
            assert listing["status"] == "online", (q.id, appid)
            assert q.host in listing["hosts"], (q.id, appid)
