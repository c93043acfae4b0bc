// atlas_search.js: find a region by any part of any of its names; place labels of the
// largest places at their centroids without overlaps.
const MAX_SUGGESTIONS = 8;

// label_rank: from DATA, else by jobs (most jobs first).
const LABEL_ORDER = Object.keys(REGIONS).sort((a, b) => {
  const ra = REGIONS[a].label_rank, rb = REGIONS[b].label_rank;
  if (isNum(ra) || isNum(rb)) return (isNum(ra) ? ra : 1e9) - (isNum(rb) ? rb : 1e9);
  return (REGIONS[b].emp || 0) - (REGIONS[a].emp || 0);
});
const LABEL_RANK = {};
LABEL_ORDER.forEach((id, i) => { LABEL_RANK[id] = i + 1; });

// Every name of every region, loosened and compacted: made on the first search, not at start-up.
let SEARCH_INDEX = null;
function searchIndex() {
  if (!SEARCH_INDEX) SEARCH_INDEX = Object.keys(REGIONS).map((id) => {
    const r = REGIONS[id];
    const names = [r.n, r.ln].concat(r.alt || []).filter((n) => n !== null && n !== undefined && n !== "");
    return { id: id, loosened: names.map(loose), compacted: names.map(compact) };
  });
  return SEARCH_INDEX;
}

// Lower score = better, punctuation read as spaces ("st louis" is "St. Louis"): 0 a name
// starts with the query, 1 a word does, 2 it is inside a name, 3 it is inside a name once
// spaces are dropped too.
function searchRegions(query) {
  const q = loose(query), qc = compact(query);
  if (!q) return [];
  const word = new RegExp("\\s" + q.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const hits = [];
  searchIndex().forEach((entry) => {
    let best = 9;
    entry.loosened.forEach((name, i) => {
      let score = 9;
      if (name.startsWith(q)) score = 0;
      else if (word.test(name)) score = 1;
      else if (name.includes(q)) score = 2;
      else if (qc && entry.compacted[i].includes(qc)) score = 3;
      best = Math.min(best, score);
    });
    if (best < 9) hits.push([best, LABEL_RANK[entry.id], entry.id]);
  });
  hits.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return hits.map((hit) => hit[2]);
}

// The search box: a combobox with a keyboard-navigable list of suggestions.
function searchBox(onChoose) {
  const input = h("input", { id: "atlas-q", class: "atlas-q", type: "search", role: "combobox", autocomplete: "off",
    spellcheck: "false", "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": "atlas-suggest",
    placeholder: T.search_placeholder, "aria-label": T.search });
  const list = h("ul", { id: "atlas-suggest", class: "atlas-suggest", role: "listbox", hidden: true, "aria-label": T.search });
  const status = h("div", { class: "atlas-search-status", role: "status", "aria-live": "polite" });
  let ids = [], active = -1, closing = null;

  function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); active = -1; }
  function highlight(i) {
    active = i;
    [...list.children].forEach((li, j) => li.setAttribute("aria-selected", j === i ? "true" : "false"));
    if (i >= 0) { input.setAttribute("aria-activedescendant", "atlas-opt-" + i); list.children[i].scrollIntoView({ block: "nearest" }); }
  }
  function choose(i) {
    const id = ids[i];
    if (id === undefined) return;
    input.value = REGIONS[id].n;
    close();
    status.textContent = "";
    onChoose(id);
  }
  function update() {
    clearTimeout(closing);
    const q = input.value;
    ids = searchRegions(q);
    if (!fold(q).trim()) { status.textContent = ""; close(); return; }
    if (!ids.length) { status.textContent = tpl(T.no_match, { q: q.trim() }); close(); list.replaceChildren(); return; }
    status.textContent = ids.length > 1 ? tpl(T.matches, { n: ids.length }) : "";
    list.replaceChildren(...ids.slice(0, MAX_SUGGESTIONS).map((id, i) => h("li", {
      id: "atlas-opt-" + i, role: "option", class: "atlas-opt", "aria-selected": "false", "data-id": id,
      onmousedown: (e) => { e.preventDefault(); choose(i); } },
      h("span", { class: "atlas-opt-name" }, REGIONS[id].n),
      REGIONS[id].s ? h("span", { class: "atlas-opt-sub" }, REGIONS[id].s) : null)));
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    highlight(-1);
  }
  input.addEventListener("input", update);
  input.addEventListener("focus", () => { if (input.value) update(); });
  input.addEventListener("blur", () => { closing = setTimeout(close, 150); });
  input.addEventListener("keydown", (e) => {
    const n = Math.min(ids.length, MAX_SUGGESTIONS);
    if (e.key === "ArrowDown" && n) { e.preventDefault(); if (list.hidden) update(); highlight((active + 1) % n); }
    else if (e.key === "ArrowUp" && n) { e.preventDefault(); highlight(active <= 0 ? n - 1 : active - 1); }
    else if (e.key === "Enter") { e.preventDefault(); if (!list.hidden || ids.length) choose(active >= 0 ? active : 0); }
    else if (e.key === "Escape" && !list.hidden) { e.preventDefault(); e.stopPropagation(); close(); }
  });
  return h("div", { class: "atlas-search", role: "search" }, input, list, status);
}

// ---- Labels: the places with the smallest label_rank first, greedy collision check. ----
const measureCtx = document.createElement("canvas").getContext("2d");
const LABEL_FONT = "600 12px 'Noto Sans', 'Noto Sans CJK SC', Arial, sans-serif";

function initLabels(map, centroids, startZoom) {
  const pane = map.createPane("atlas-labels");
  pane.classList.add("atlas-labels");
  measureCtx.font = LABEL_FONT;
  const pool = {}, widths = {};
  function update() {
    const size = map.getSize(), placed = [];
    const budget = Math.round(10 * Math.pow(3, Math.max(0, map.getZoom() - startZoom)));
    Object.values(pool).forEach((el) => { el.hidden = true; });
    for (const id of LABEL_ORDER) {
      if (LABEL_RANK[id] > budget || placed.length >= 80) break;
      const ll = centroids[id];
      if (!ll) continue;
      const p = map.latLngToContainerPoint(ll);
      const text = shortName(REGIONS[id]);
      if (!(id in widths)) widths[id] = measureCtx.measureText(text).width + 6;
      const box = [p.x - widths[id] / 2, p.y - 8, p.x + widths[id] / 2, p.y + 8];
      if (box[0] < 0 || box[1] < 0 || box[2] > size.x || box[3] > size.y) continue;
      if (placed.some((b) => box[0] < b[2] + 2 && box[2] > b[0] - 2 && box[1] < b[3] + 1 && box[3] > b[1] - 1)) continue;
      placed.push(box);
      let el = pool[id];
      if (!el) { el = pool[id] = h("div", { class: "atlas-label", "data-id": id }, text); pane.append(el); }
      el.hidden = false;
      el.style.width = widths[id] + "px";
      L.DomUtil.setPosition(el, map.containerPointToLayerPoint([box[0], box[1]]));
    }
  }
  map.on("zoomstart", () => pane.classList.add("atlas-hidden"));
  map.on("zoomend moveend resize", () => { pane.classList.remove("atlas-hidden"); update(); });
  return update;
}
