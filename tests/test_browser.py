"""The preview page in a real headless Chromium against a real `mpsearch serve`.

Properties checked (screenshots go to tests/output/):
1. Typing a half word (`xingba`, then `星巴`) shows a 星巴克 suggestion; choosing it with
   the keyboard runs the search and shows the 星巴克 brand zone.
2. `LV` on host jd shows the brand zone card: 路易威登官方精品店 with 路易威登 highlighted,
   the official badge, its category, showcase items with their deep-link paths; the status
   line shows took_ms and the served index_version; the results are the API's, in order.
3. Switching the host to samsung changes the results to the API's samsung results.
4. The debug toggle adds an explanation to every card, and removes it again.
5. At phone width (390 px) the page does not scroll sideways and the cards are shown.
6. The page makes no request to any other origin (it works offline; icons fall back to
   a letter), and the analytics view lists a zero-result query the test searched.
7. The API docs (/docs, Swagger UI, and /redoc) render the operations from assets the
   server itself serves: no request leaves it.
8. A search shows category chips from its facets ("全部" and each top-level category with
   its count, as the API says); choosing one narrows the results to the API's for that
   category, marks it and keeps the other chips; "全部" brings back every result.
9. The discover view lists the host's most used listings as the API does, and switching
   its host lists the other host's.
10. The go-live view shows an admin the pending applications (with the admin token of a
    server that has one); approving one moves it out of the pending queue into the
    approved list, and the discover view then shows the listing in that host.
11. A search whose answer is still being read when the next search starts is dropped
    (its read aborted): the newer search shows, with no script error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    BrowserContext,
    Page,
    Playwright,
    Route,
    expect,
    sync_playwright,
)

from tests.server_support import OUTPUT, Server, home_serving, serving

ADMIN_TOKEN = "browser-admin-token-2c71"
STARBUCKS = "wx9426f5912f0aad45"  # online in jd and qqbrowser, not samsung

pytestmark = pytest.mark.slow  # the preview page and the API docs in headless Chromium

CHROMIUM = os.environ.get("MPSEARCH_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LV_OFFICIAL = "wxc2c943090d2ec70a"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
NONSENSE = "龘龘 qzxjvw"

# Draws two CJK characters and an unassigned code point with the card name's font: without
# a CJK font all three come out as the same "missing glyph" box.
GLYPHS_JS = """() => {
  const c = document.createElement('canvas'); c.width = 64; c.height = 64;
  const g = c.getContext('2d');
  const font = getComputedStyle(document.querySelector('.card .name')).fontFamily;
  const draw = (t) => { g.clearRect(0, 0, 64, 64); g.font = `40px ${font}`;
                        g.fillText(t, 4, 48); return c.toDataURL(); };
  return [draw('路'), draw('威'), draw('\\u{10FFFD}')];
}"""


@pytest.fixture(scope="module")
def server(sample_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("browser-home")
    home_serving(sample_home, home)
    with serving(home) as srv:
        yield srv


@pytest.fixture(scope="module")
def admin_server(sample_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A second server, with an admin token, for the go-live queue."""
    home = tmp_path_factory.mktemp("browser-admin-home")
    home_serving(sample_home, home)
    with serving(home, extra_env={"MPSEARCH_ADMIN_TOKEN": ADMIN_TOKEN}) as srv:
        yield srv


@pytest.fixture(scope="module")
def pw() -> Iterator[Playwright]:
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: `make test` installs it with apt"
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def context(
    pw: Playwright, server: Server, admin_server: Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserContext]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    ctx = pw.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=ARGS,
        viewport=DESKTOP,
        locale="zh-CN",
    )
    ctx.set_default_timeout(10_000)
    foreign: list[tuple[str, str]] = []

    ours = (server.base_url + "/", admin_server.base_url + "/")

    def only_our_server(route: Route) -> None:
        if route.request.url.startswith(ours):
            route.continue_()
        else:
            foreign.append((route.request.resource_type, route.request.url))
            route.abort()

    ctx.route("**/*", only_our_server)
    ctx.foreign = foreign  # type: ignore[attr-defined]  # read by the offline check
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture()
def page(context: BrowserContext, server: Server) -> Iterator[Page]:
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.goto(server.base_url + "/")
    yield p
    p.close()
    assert errors == [], f"script errors on the page: {errors}"


@pytest.fixture(scope="module", autouse=True)
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    for old in OUTPUT.glob("preview-*.png"):
        old.unlink()
    return OUTPUT


def api_search(server: Server, q: str, host: str) -> dict[str, Any]:
    resp = httpx.get(f"{server.base_url}/v1/search", params={"q": q, "host": host, "limit": 10})
    assert resp.status_code == 200
    body: dict[str, Any] = resp.json()
    return body


def search(page: Page, q: str, host: str) -> None:
    page.select_option("#host", host)
    page.fill("#q", q)
    page.press("#q", "Enter")


def result_appids(page: Page) -> list[str]:
    return [a or "" for a in page.locator("#results .card").evaluate_all(
        "nodes => nodes.map(n => n.dataset.appid)"
    )]  # fmt: skip


def test_half_word_shows_suggestion(page: Page) -> None:
    page.select_option("#host", "jd")
    page.locator("#q").press_sequentially("xingba", delay=40)
    first = page.locator("#suggestions li").first
    expect(page.locator("#suggestions")).to_be_visible()
    expect(page.locator("#suggestions li .text", has_text="星巴克").first).to_be_visible()
    page.screenshot(path=str(OUTPUT / "preview-suggest-desktop.png"))
    page.fill("#q", "")
    expect(page.locator("#suggestions")).to_be_hidden()
    page.locator("#q").press_sequentially("星巴", delay=40)
    expect(first).to_have_attribute("data-text", "星巴克")
    page.press("#q", "ArrowDown")
    expect(first).to_have_class("active")
    page.press("#q", "Enter")
    expect(page.locator("#q")).to_have_value("星巴克")
    expect(page.locator("#suggestions")).to_be_hidden()
    expect(page.locator("#brand-zone")).to_be_visible()
    expect(page.locator("#brand-zone .brand-name")).to_have_text("星巴克")


# The first search's answer arrives and its body is still being read when the next search
# aborts it (a slow network between headers and body): reading it then fails with an
# AbortError.
HELD_SEARCH = """
  const realFetch = window.fetch;
  let held = false;
  window.fetch = (url, init = {}) => {
    if (!held && String(url).includes("/v1/search?") && init.signal) {
      held = true;
      const signal = init.signal;
      const aborted = () => new DOMException("The user aborted a request.", "AbortError");
      return Promise.resolve({
        ok: true,
        status: 200,
        json: () =>
          new Promise((_, reject) => signal.addEventListener("abort", () => reject(aborted()))),
      });
    }
    return realFetch(url, init);
  };
"""


def test_a_search_aborted_while_its_answer_is_read_leaves_no_error(
    context: BrowserContext, server: Server
) -> None:
    """Searching again while the last search's answer is being read aborts that read: the
    page drops it and shows the newer search, never an empty answer (no script error)."""
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.add_init_script(HELD_SEARCH)
    p.goto(server.base_url + "/")
    search(p, "LV", "jd")  # its answer's body never arrives
    expect(p.locator("#brand-zone")).to_be_hidden()
    search(p, "星巴克", "jd")  # aborts reading it
    expect(p.locator("#brand-zone .brand-name")).to_have_text("星巴克")
    expect(p.locator("#error")).to_be_hidden()
    p.close()
    assert errors == [], f"script errors on the page: {errors}"


def test_lv_on_jd_shows_brand_zone_card(page: Page, server: Server) -> None:
    search(page, "LV", "jd")
    zone = page.locator("#brand-zone")
    expect(zone).to_be_visible()
    card = zone.locator(f'.card[data-appid="{LV_OFFICIAL}"]')
    expect(card).to_be_visible()
    expect(card.locator(".name")).to_have_text("路易威登官方精品店")
    expect(card.locator(".name em")).to_have_text("路易威登")
    expect(card.locator(".badge.official")).to_have_text("官方")
    expect(card.locator(".category")).to_have_text("奢侈品 / 箱包")
    expect(card.locator(".icon")).to_be_visible()
    expect(card.locator(".showcase .item").first).to_be_visible()
    paths = card.locator(".showcase .item .path").all_inner_texts()
    assert paths and all(p.startswith("pages/goods/detail?id=") for p in paths)

    body = api_search(server, "LV", "jd")
    expect(page.locator("#status .version")).to_have_text(f"index_version {body['index_version']}")
    expect(page.locator("#status .took")).to_contain_text("took_ms ")
    expected = [c["appid"] for c in body["results"]]
    expect(page.locator("#results .card")).to_have_count(len(expected))
    assert result_appids(page) == expected
    lu, wei, missing = page.evaluate(GLYPHS_JS)
    assert lu != wei and lu != missing, "Chinese text is drawn as missing-glyph boxes"
    page.screenshot(path=str(OUTPUT / "preview-desktop.png"), full_page=True)


def test_switching_host_changes_results(page: Page, server: Server) -> None:
    search(page, "LV", "jd")
    jd = [c["appid"] for c in api_search(server, "LV", "jd")["results"]]
    samsung = [c["appid"] for c in api_search(server, "LV", "samsung")["results"]]
    assert jd != samsung  # the sample catalog lists different LV mini-programs per host
    expect(page.locator("#results .card")).to_have_count(len(jd))
    assert result_appids(page) == jd
    page.select_option("#host", "samsung")
    expect(page.locator("#results .card")).to_have_count(len(samsung))
    page.wait_for_function(
        "ids => JSON.stringify([...document.querySelectorAll('#results .card')]"
        ".map(n => n.dataset.appid)) === JSON.stringify(ids)",
        arg=samsung,
    )
    assert result_appids(page) == samsung
    assert "host=samsung" in page.url


def test_debug_toggle_shows_explanations(page: Page) -> None:
    search(page, "LV", "jd")
    cards = page.locator(".card")
    expect(page.locator("#brand-zone .card")).to_be_visible()
    assert page.locator(".card .explain").count() == 0
    page.check("#debug")
    expect(page.locator(".card .explain")).to_have_count(cards.count())
    zone_explain = page.locator("#brand-zone .card .explain")
    expect(zone_explain).to_contain_text("score")
    expect(zone_explain).to_contain_text("popularity")
    expect(zone_explain.locator("li").first).to_contain_text("→")
    page.screenshot(path=str(OUTPUT / "preview-debug-desktop.png"), full_page=True)
    page.uncheck("#debug")
    expect(page.locator(".card .explain")).to_have_count(0)


def test_phone_width(page: Page) -> None:
    page.set_viewport_size(PHONE)
    search(page, "LV", "jd")
    expect(page.locator("#brand-zone .card")).to_be_visible()
    expect(page.locator("#results .card").first).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at phone width"
    box = page.locator("#brand-zone .card").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(path=str(OUTPUT / "preview-phone.png"), full_page=True)


def test_offline_and_analytics_view(page: Page, context: BrowserContext) -> None:
    search(page, NONSENSE, "jd")
    expect(page.locator("#status .none")).to_be_visible()
    expect(page.locator("#results .card")).to_have_count(0)
    page.click("#tab-analytics")
    expect(page.locator("#view-search")).to_be_hidden()
    expect(page.locator("#token-label")).to_be_hidden()  # no admin token is set
    page.select_option("#since", "")
    zero_rows = page.locator("#zero-table tbody tr")
    expect(zero_rows.first).to_be_visible()
    # The query log is flushed every second: refresh until the query shows up.
    page.wait_for_function(
        "q => { document.querySelector('#analytics-form .go').click();"
        " return [...document.querySelectorAll('#zero-table td.q')]"
        ".some(td => td.textContent === q); }",
        arg=NONSENSE.lower(),
        polling=500,
    )
    expect(page.locator("#top-table tbody tr").first).to_be_visible()
    expect(page.locator("#slow-table tbody tr").first).to_be_visible()
    page.screenshot(path=str(OUTPUT / "preview-analytics-desktop.png"), full_page=True)
    # Only the catalog's icon images live elsewhere (the page draws a letter instead);
    # no script, style sheet or font comes from anywhere but the server.
    foreign: list[tuple[str, str]] = context.foreign  # type: ignore[attr-defined]
    assert {kind for kind, _ in foreign} <= {"image"}, foreign


@pytest.mark.parametrize(("path", "shows"), [("/docs", ".opblock"), ("/redoc", "[role=menuitem]")])
def test_api_docs_render_offline(
    context: BrowserContext, server: Server, path: str, shows: str
) -> None:
    foreign: list[tuple[str, str]] = context.foreign  # type: ignore[attr-defined]
    seen = len(foreign)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.goto(server.base_url + path)
    expect(p.locator(shows).first).to_be_visible(timeout=15_000)
    expect(p.get_by_text("/v1/search").first).to_be_attached()
    p.screenshot(path=str(OUTPUT / f"preview-docs{path.replace('/', '-')}.png"))
    p.close()
    assert errors == [], f"script errors on {path}: {errors}"
    assert foreign[seen:] == [], f"{path} asked another origin"


def api_get(server: Server, path: str, **params: Any) -> dict[str, Any]:
    resp = httpx.get(f"{server.base_url}{path}", params=params)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def chips(page: Page) -> list[tuple[str, str]]:
    """(value, count) of every chip shown."""
    return [
        (v["value"], v["count"])
        for v in page.locator("#chips .chip").evaluate_all(
            "nodes => nodes.map(n => ({value: n.dataset.value,"
            " count: n.querySelector('.count').textContent}))"
        )
    ]


def wait_for_results(page: Page, selector: str, appids: list[str]) -> None:
    page.wait_for_function(
        "([sel, ids]) => JSON.stringify([...document.querySelectorAll(sel)]"
        ".map(n => n.dataset.appid)) === JSON.stringify(ids)",
        arg=[selector, appids],
    )


def test_category_chips(page: Page, server: Server) -> None:
    body = api_get(server, "/v1/search", q="咖啡", host="jd", limit=10)
    facets = body["facets"]["category"]
    assert len(facets) > 1
    search(page, "咖啡", "jd")
    expect(page.locator("#chips")).to_be_visible()
    expect(page.locator("#chips .chip")).to_have_count(len(facets) + 1)
    assert chips(page) == [("", str(body["total"]))] + [
        (f["value"], str(f["count"])) for f in facets
    ]
    expect(page.locator("#chips .chip.active")).to_have_attribute("data-value", "")
    narrowed = api_get(server, "/v1/search", q="咖啡", host="jd", limit=10, category="咖啡茶饮")
    page.click('#chips .chip[data-value="咖啡茶饮"]')
    wait_for_results(page, "#results .card", [c["appid"] for c in narrowed["results"]])
    expect(page.locator("#chips .chip.active")).to_have_attribute("data-value", "咖啡茶饮")
    expect(page.locator("#chips .chip")).to_have_count(len(facets) + 1)
    assert "category=" in page.url
    page.screenshot(path=str(OUTPUT / "preview-chips-desktop.png"), full_page=True)
    page.click('#chips .chip[data-value=""]')
    wait_for_results(page, "#results .card", [c["appid"] for c in body["results"]])


def test_discover_view(page: Page, server: Server) -> None:
    page.click("#tab-discover")
    expect(page.locator("#view-search")).to_be_hidden()
    for host in ("jd", "samsung"):
        page.select_option("#discover-host", host)
        body = api_get(server, "/v1/discover", host=host, limit=20)
        wait_for_results(page, "#discover-results .card", [c["appid"] for c in body["results"]])
        expect(page.locator("#discover-status .total")).to_have_text(str(body["total"]))
    page.screenshot(path=str(OUTPUT / "preview-discover-desktop.png"), full_page=True)


def test_golive_queue(context: BrowserContext, admin_server: Server) -> None:
    applied = httpx.post(
        f"{admin_server.base_url}/v1/admin/golive",
        json={"appid": STARBUCKS, "host": "samsung", "note": "launcher slot"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert applied.status_code == 201, applied.text
    app_id = str(applied.json()["id"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(admin_server.base_url + "/")
    page.click("#tab-golive")
    page.fill("#golive-token", ADMIN_TOKEN)
    page.click("#golive-form .go")
    row = page.locator(f'#golive-table tbody tr[data-id="{app_id}"]')
    expect(row).to_have_attribute("data-status", "pending")
    expect(row.locator(".appid")).to_have_text(STARBUCKS)
    page.screenshot(path=str(OUTPUT / "preview-golive-desktop.png"), full_page=True)
    row.locator(".act.approve").click()
    expect(row).to_have_count(0)  # out of the pending queue
    page.select_option("#golive-status", "approved")
    expect(row).to_have_attribute("data-status", "approved")
    page.click("#tab-discover")
    page.select_option("#discover-host", "samsung")
    page.fill("#discover-category", "咖啡")
    # The approval is live within a second: look again until the card shows.
    page.wait_for_function(
        "appid => { document.querySelector('#discover-form .go').click();"
        " return !!document.querySelector(`#discover-results .card[data-appid='${appid}']`); }",
        arg=STARBUCKS,
        polling=300,
    )
    page.close()
    assert errors == [], f"script errors on the page: {errors}"


def test_screenshots_written() -> None:
    names = sorted(p.name for p in OUTPUT.glob("preview-*.png"))
    assert "preview-desktop.png" in names and "preview-phone.png" in names, names
    for p in OUTPUT.glob("preview-*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000, p
