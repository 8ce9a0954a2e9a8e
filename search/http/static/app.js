// mpsearch preview page: calls /v1/suggest and /v1/search as the user types and renders
// entry cards the way a host app would, with category chips from the search's facets; the
// discover view lists a host's most used listings (/v1/discover), the go-live view is the
// queue of applications for an admin (/v1/admin/golive), the analytics view reads
// /v1/analytics.
// Plain script, no build step, no third-party code: it works with no network beyond the server.
"use strict";

(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const TYPE_DELAY_MS = 120;
  const SHOWCASE_SHOWN = 4;

  const els = {
    form: $("#search-form"),
    q: $("#q"),
    host: $("#host"),
    debug: $("#debug"),
    suggestions: $("#suggestions"),
    status: $("#status"),
    error: $("#error"),
    zone: $("#brand-zone"),
    results: $("#results"),
    chips: $("#chips"),
    key: $("#key"),
    keyLabel: $("#key-label"),
  };
  const KEY_KEY = "mpsearch.host_key";
  const TOKEN_KEY = "mpsearch.admin_token";
  els.key.value = sessionStorage.getItem(KEY_KEY) || "";

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  // name_highlight is HTML-escaped text with <em> marks: parse it inert and keep only
  // text and <em>, so nothing else in catalog data can become markup.
  function highlighted(html) {
    const tpl = document.createElement("template");
    tpl.innerHTML = html;
    const out = document.createDocumentFragment();
    for (const node of tpl.content.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) out.append(node.textContent);
      else if (node.nodeName === "EM") out.append(el("em", { text: node.textContent }));
      else out.append(node.textContent || "");
    }
    return out;
  }

  function hue(text) {
    let h = 0;
    for (const ch of text) h = (h * 31 + ch.codePointAt(0)) % 360;
    return h;
  }

  function icon(card) {
    const box = el("div", { class: "icon", "aria-hidden": "true", text: [...card.name][0] || "?" });
    box.style.setProperty("--hue", String(hue(card.appid)));
    if (card.icon_url) {
      const img = new Image();
      img.alt = "";
      img.decoding = "async";
      img.onload = () => box.replaceChildren(img); // letter stays when the icon is unreachable
      img.src = card.icon_url;
    }
    return box;
  }

  function price(cents) {
    return "¥" + (cents / 100).toLocaleString("zh-CN", { maximumFractionDigits: 2 });
  }

  function explainBlock(ex) {
    const parts = Object.entries(ex.parts)
      .filter(([, v]) => v !== 0)
      .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
      .map(([k, v]) => el("span", { text: `${k} ${v.toFixed(3)}` }));
    const matches = ex.matches.map((m) =>
      el("li", {
        text: m.field
          ? `${m.unit} → ${m.field} / ${m.form} (weight ${m.weight.toFixed(2)})`
          : `${m.unit} → no match`,
      }),
    );
    const total = Object.values(ex.parts).reduce((a, b) => a + b, 0);
    return el(
      "div",
      { class: "explain" },
      el("div", { text: `score ${total.toFixed(3)} = parts` }),
      el("div", { class: "parts" }, ...parts),
      el("ul", {}, ...matches),
    );
  }

  function cardNode(card) {
    const title = el(
      "div",
      { class: "title" },
      el("span", { class: "name" }, highlighted(card.name_highlight)),
      card.official ? el("span", { class: "badge official", text: "官方" }) : null,
      card.recently_used ? el("span", { class: "badge recent", text: "最近使用" }) : null,
    );
    const meta = el(
      "div",
      { class: "meta" },
      el("span", { class: "category", text: card.category.join(" / ") }),
      el("span", { class: "appid", text: `${card.appid} · ${card.platform}` }),
      el("span", { class: "score", text: `score ${card.score.toFixed(3)}` }),
    );
    const items = card.showcase.slice(0, SHOWCASE_SHOWN).map((it) =>
      el(
        "li",
        { class: it.matched ? "item matched" : "item", title: it.title },
        el("span", { class: "t", text: it.title }),
        el("span", { class: "price", text: price(it.price_cents) }),
        el("code", { class: "path", text: it.path }),
      ),
    );
    const body = el(
      "div",
      { class: "body" },
      title,
      meta,
      el("p", { class: "desc", text: card.description }),
      el("div", { class: "entry" }, "入口 ", el("code", { text: card.entry_path })),
      items.length ? el("ul", { class: "showcase" }, ...items) : null,
      card.explain ? explainBlock(card.explain) : null,
    );
    return el("li", { class: "card", "data-appid": card.appid }, icon(card), body);
  }

  function showError(node, message) {
    node.textContent = message;
    node.hidden = !message;
  }

  async function getJSON(url, headers = {}, signal = undefined, method = "GET", json = undefined) {
    const init = { method, headers: { ...headers }, signal };
    if (json !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    }
    const resp = await fetch(url, init);
    let body = null;
    try {
      body = await resp.json();
    } catch (e) {
      if (e.name === "AbortError") throw e; // superseded while its answer was read
      body = null; // not JSON
    }
    if (!resp.ok) {
      const err = new Error((body && body.message) || `HTTP ${resp.status}`);
      err.status = resp.status;
      throw err;
    }
    if (body === null) throw new Error(`HTTP ${resp.status}: the answer is not JSON`);
    return body;
  }

  // With MPSEARCH_HOST_KEYS the read endpoints need a host key: the field shows on a 401.
  function readHeaders() {
    const key = els.key.value.trim();
    if (!key) return {};
    sessionStorage.setItem(KEY_KEY, key);
    return { "X-Mpsearch-Key": key };
  }

  function readFailed(node, e) {
    if (e.status === 401) els.keyLabel.hidden = false;
    showError(node, e.message);
  }

  // --- search ------------------------------------------------------------------------
  let searchCtl = null;
  let suggestCtl = null;
  let category = ""; // the chip chosen; "" for all
  let chipFacets = null; // the facets of the search before a chip narrowed it
  let chipTotal = 0;

  function params() {
    return { q: els.q.value.trim(), host: els.host.value, debug: els.debug.checked };
  }

  function remember({ q, host, debug }) {
    const u = new URL(location.href);
    u.search = "";
    if (q) u.searchParams.set("q", q);
    u.searchParams.set("host", host);
    if (category) u.searchParams.set("category", category);
    if (debug) u.searchParams.set("debug", "1");
    history.replaceState(null, "", u);
  }

  function clearResults() {
    els.zone.hidden = true;
    $(".zone-cards", els.zone).replaceChildren();
    els.results.replaceChildren();
    els.status.replaceChildren();
    els.chips.hidden = true;
    els.chips.replaceChildren();
  }

  function resetChips() {
    category = "";
    chipFacets = null;
  }

  function chip(value, label, count) {
    const node = el(
      "button",
      { type: "button", class: value === category ? "chip active" : "chip", "data-value": value },
      label,
      el("span", { class: "count", text: String(count) }),
    );
    node.addEventListener("click", () => {
      category = value;
      runSearch();
    });
    return node;
  }

  function renderChips(body) {
    if (!category) {
      chipFacets = body.facets.category;
      chipTotal = body.total;
    }
    const facets = chipFacets || body.facets.category;
    els.chips.hidden = facets.length < 1;
    els.chips.replaceChildren(
      ...(facets.length ? [chip("", "全部", chipTotal)] : []),
      ...facets.map((f) => chip(f.value, f.value, f.count)),
    );
  }

  async function runSearch() {
    const p = params();
    remember(p);
    if (searchCtl) searchCtl.abort();
    if (!p.q) {
      clearResults();
      showError(els.error, "");
      return;
    }
    searchCtl = new AbortController();
    const qs = new URLSearchParams({ q: p.q, host: p.host, limit: "10", debug: String(p.debug) });
    if (category) qs.set("category", category);
    let body;
    try {
      body = await getJSON(`/v1/search?${qs}`, readHeaders(), searchCtl.signal);
    } catch (e) {
      if (e.name === "AbortError") return;
      clearResults();
      readFailed(els.error, e);
      return;
    }
    showError(els.error, "");
    render(body);
  }

  function render(body) {
    const zone = body.brand_zone;
    els.zone.hidden = !zone;
    $(".zone-cards", els.zone).replaceChildren(...(zone ? [cardNode(zone.card)] : []));
    if (zone) {
      $(".brand-name", els.zone).textContent = zone.brand_name;
      $(".matched", els.zone).textContent = `matched “${zone.matched}”`;
    }
    els.results.replaceChildren(...body.results.map(cardNode));
    const shown = body.results.length + (zone ? 1 : 0);
    els.status.replaceChildren(
      el("b", { class: "total", text: `${body.total + (zone ? 1 : 0)}` }),
      ` results (${shown} shown) · normalized “${body.normalized}” · `,
      el("span", { class: "took", text: `took_ms ${body.took_ms}` }),
      " · ",
      el("span", { class: "version", text: `index_version ${body.index_version}` }),
    );
    if (!shown) els.status.append(el("span", { class: "none", text: " · 没有结果 no results" }));
    renderChips(body);
  }

  // --- suggestions ---------------------------------------------------------------------
  let active = -1;

  function hideSuggestions() {
    els.suggestions.hidden = true;
    els.suggestions.replaceChildren();
    active = -1;
  }

  async function runSuggest() {
    const { q, host } = params();
    if (suggestCtl) suggestCtl.abort();
    if (!q) {
      hideSuggestions();
      return;
    }
    suggestCtl = new AbortController();
    let body;
    try {
      const qs = new URLSearchParams({ q, host, limit: "8" });
      body = await getJSON(`/v1/suggest?${qs}`, readHeaders(), suggestCtl.signal);
    } catch (e) {
      if (e.name !== "AbortError") hideSuggestions(); // aborted: the newer one answers
      return;
    }
    if (params().q !== q) return; // typed on meanwhile
    const items = body.suggestions.map((s) => {
      const li = el(
        "li",
        { role: "option", "data-text": s.text },
        el("span", { class: "text", text: s.text }),
        el("span", { class: "kind", text: s.kind }),
      );
      li.addEventListener("mousedown", (ev) => {
        ev.preventDefault(); // keep focus in the box
        choose(s.text);
      });
      return li;
    });
    active = -1;
    els.suggestions.replaceChildren(...items);
    els.suggestions.hidden = items.length === 0 || document.activeElement !== els.q;
  }

  function choose(text) {
    clearTimeout(typeTimer);
    els.q.value = text;
    hideSuggestions();
    runSearch();
  }

  function move(step) {
    const items = [...els.suggestions.children];
    if (!items.length || els.suggestions.hidden) return false;
    active = (active + step + items.length) % items.length;
    items.forEach((li, i) => li.classList.toggle("active", i === active));
    return true;
  }

  let typeTimer = 0;
  els.q.addEventListener("input", () => {
    resetChips();
    clearTimeout(typeTimer);
    typeTimer = setTimeout(() => {
      runSuggest();
      runSearch();
    }, TYPE_DELAY_MS);
  });
  els.q.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown" && move(1)) ev.preventDefault();
    else if (ev.key === "ArrowUp" && move(-1)) ev.preventDefault();
    else if (ev.key === "Escape") hideSuggestions();
    else if (ev.key === "Enter" && active >= 0) {
      ev.preventDefault();
      choose(els.suggestions.children[active].dataset.text);
    }
  });
  els.q.addEventListener("blur", () => setTimeout(hideSuggestions, 100));
  els.form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    clearTimeout(typeTimer); // the search runs now, not again after the typing pause
    hideSuggestions();
    runSearch();
  });
  els.host.addEventListener("change", () => {
    resetChips();
    runSearch();
    if (document.activeElement === els.q) runSuggest();
  });
  els.debug.addEventListener("change", runSearch);

  // --- analytics -----------------------------------------------------------------------
  const an = {
    form: $("#analytics-form"),
    since: $("#since"),
    token: $("#token"),
    tokenLabel: $("#token-label"),
    status: $("#analytics-status"),
    error: $("#analytics-error"),
  };
  an.token.value = sessionStorage.getItem(TOKEN_KEY) || "";

  function when(iso) {
    return iso.replace("T", " ").slice(0, 19);
  }

  function fill(table, rows) {
    $("tbody", table).replaceChildren(
      ...rows.map((cells) =>
        el("tr", {}, ...cells.map(([text, cls]) => el("td", { class: cls, text: String(text) }))),
      ),
    );
  }

  // The admin token, typed in the analytics or the go-live view: kept for the session.
  function adminHeaders(input) {
    const token = input.value.trim();
    if (!token) return {};
    sessionStorage.setItem(TOKEN_KEY, token);
    return { Authorization: `Bearer ${token}` };
  }

  async function runAnalytics() {
    const headers = adminHeaders(an.token);
    const qs = new URLSearchParams({ limit: "20" });
    if (an.since.value) qs.set("since", an.since.value);
    let r;
    try {
      r = await getJSON(`/v1/analytics?${qs}`, headers);
    } catch (e) {
      if (e.status === 401) an.tokenLabel.hidden = false;
      showError(an.error, e.message);
      return;
    }
    showError(an.error, "");
    an.status.textContent =
      `${r.searches} searches (${r.zero_result_searches} with no result), ${r.suggests} suggests`;
    const counts = (x) => [
      [x.query, "q"], [x.count], [x.zero_results], [x.hosts.join(", ")], [when(x.last_seen)],
    ];
    fill($("#top-table"), r.top.map(counts));
    fill($("#zero-table"), r.zero_results.map(counts));
    fill(
      $("#slow-table"),
      r.slowest.map((s) => [
        [s.took_ms.toFixed(3)], [s.endpoint], [s.query, "q"], [s.host], [s.results], [when(s.at)],
      ]),
    );
  }
  an.form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    runAnalytics();
  });
  an.since.addEventListener("change", runAnalytics);

  // --- discover ------------------------------------------------------------------------
  const dv = {
    form: $("#discover-form"),
    host: $("#discover-host"),
    category: $("#discover-category"),
    status: $("#discover-status"),
    error: $("#discover-error"),
    results: $("#discover-results"),
  };

  async function runDiscover() {
    const qs = new URLSearchParams({ host: dv.host.value, limit: "20" });
    const cat = dv.category.value.trim();
    if (cat) qs.set("category", cat);
    let body;
    try {
      body = await getJSON(`/v1/discover?${qs}`, readHeaders());
    } catch (e) {
      dv.results.replaceChildren();
      dv.status.replaceChildren();
      readFailed(dv.error, e);
      return;
    }
    showError(dv.error, "");
    dv.results.replaceChildren(...body.results.map(cardNode));
    const more = body.total_relation === "gte" ? "+" : "";
    dv.status.replaceChildren(
      el("b", { class: "total", text: `${body.total}${more}` }),
      ` listings in ${body.host}${body.category ? ` · ${body.category}` : ""} · most used first · `,
      el("span", { class: "version", text: `index_version ${body.index_version}` }),
    );
  }
  dv.form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    runDiscover();
  });
  dv.host.addEventListener("change", runDiscover);

  // --- go-live queue ---------------------------------------------------------------------
  const gl = {
    form: $("#golive-form"),
    host: $("#golive-host"),
    status: $("#golive-status"),
    token: $("#golive-token"),
    line: $("#golive-status-line"),
    error: $("#golive-error"),
    body: $("#golive-table tbody"),
  };
  gl.token.value = sessionStorage.getItem(TOKEN_KEY) || "";

  async function decide(id, verb, json) {
    try {
      const url = `/v1/admin/golive/${id}/${verb}`;
      await getJSON(url, adminHeaders(gl.token), undefined, "POST", json);
    } catch (e) {
      showError(gl.error, e.message);
      return;
    }
    runGolive();
  }

  function actions(app) {
    if (app.status !== "pending") return [];
    const approve = el("button", { type: "button", class: "act approve", text: "批准 approve" });
    approve.addEventListener("click", () => decide(app.id, "approve", {}));
    const reason = el("input", { class: "reason", placeholder: "reason", "aria-label": "reason" });
    const reject = el("button", { type: "button", class: "act reject", text: "拒绝 reject" });
    reject.addEventListener("click", () => {
      if (!reason.value.trim()) {
        showError(gl.error, "a rejection needs a reason");
        return;
      }
      decide(app.id, "reject", { reason: reason.value.trim() });
    });
    return [approve, reason, reject];
  }

  async function runGolive() {
    const qs = new URLSearchParams();
    if (gl.host.value) qs.set("host", gl.host.value);
    if (gl.status.value) qs.set("status", gl.status.value);
    let body;
    try {
      body = await getJSON(`/v1/admin/golive?${qs}`, adminHeaders(gl.token));
    } catch (e) {
      gl.body.replaceChildren();
      gl.line.textContent = "";
      showError(gl.error, e.status === 404 ? "no admin token is configured on this server" : e.message);
      return;
    }
    showError(gl.error, "");
    gl.line.textContent = `${body.applications.length} application(s)`;
    gl.body.replaceChildren(
      ...body.applications.map((a) =>
        el(
          "tr",
          { "data-id": String(a.id), "data-status": a.status },
          el("td", { text: String(a.id) }),
          el("td", { class: "appid", text: a.appid }),
          el("td", { text: a.host }),
          el("td", { class: "state", text: a.status }),
          el("td", { text: a.decided_by ? `${a.who} → ${a.decided_by}` : a.who }),
          el("td", { text: when(a.decided_at || a.at) }),
          el("td", { class: "q", text: [a.note, a.reason].filter(Boolean).join(" / ") }),
          el("td", { class: "actions" }, ...actions(a)),
        ),
      ),
    );
  }
  gl.form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    runGolive();
  });
  gl.host.addEventListener("change", runGolive);
  gl.status.addEventListener("change", runGolive);

  // --- views and start-up -------------------------------------------------------------
  const VIEWS = ["search", "discover", "golive", "analytics"];
  function show(view) {
    for (const tab of document.querySelectorAll(".tab")) {
      tab.classList.toggle("active", tab.dataset.view === view);
    }
    for (const name of VIEWS) $(`#view-${name}`).hidden = view !== name;
    if (view === "analytics") runAnalytics();
    if (view === "discover") {
      if (!dv.results.children.length) dv.host.value = els.host.value;
      runDiscover();
    }
    if (view === "golive") runGolive();
  }
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => show(tab.dataset.view));
  }

  const hosts = JSON.parse(els.host.dataset.hosts || "[]");
  const options = () => hosts.map((h) => el("option", { value: h, text: h }));
  els.host.replaceChildren(...options());
  dv.host.replaceChildren(...options());
  gl.host.replaceChildren(el("option", { value: "", text: "全部 all hosts" }), ...options());
  const start = new URLSearchParams(location.search);
  if (hosts.includes(start.get("host"))) els.host.value = start.get("host");
  els.debug.checked = start.get("debug") === "1";
  category = start.get("category") || "";
  if (start.get("q")) {
    els.q.value = start.get("q");
    runSearch();
  }
  const view = location.hash.slice(1);
  if (VIEWS.includes(view) && view !== "search") show(view);
})();
