// atlas_compare.js: pin two or three places and see their profiles side by side (numbers, drivers,
// pillars, the most exposed jobs), in the year shown; the URL hash carries the pins (#pins=a,b).
const MAX_PINS = 3;
state.pins = [];
const compareBox = h("section", { class: "atlas-panel atlas-compare", id: "atlas-compare", role: "dialog",
                                  "aria-labelledby": "atlas-compare-title", hidden: true });
document.body.append(compareBox);
L.DomEvent.disableScrollPropagation(compareBox);
L.DomEvent.disableClickPropagation(compareBox);
let compareOpen = false;

function setPins(ids, open) {
  state.pins = ids.filter((id, i) => REGIONS[id] && ids.indexOf(id) === i).slice(-MAX_PINS);
  compareOpen = state.pins.length >= 2 && open;
  renderCompare();
  if (state.selected) renderProfile(state.selected, state.layer);
  writeHash();
}
function togglePin(id) {
  const on = state.pins.includes(id);
  setPins(on ? state.pins.filter((p) => p !== id) : state.pins.concat([id]), !on);
}

// One place's column: its name, rank, numbers, pillars with their drivers, most exposed jobs.
function compareColumn(id) {
  const r = REGIONS[id], pp = ppFormatter(), layer = state.layer;
  const unpin = button(T.unpin, "atlas-unpin", () => togglePin(id));
  const head = h("div", { class: "atlas-cmp-head" }, h("h3", {}, r.n), r.s ? h("div", { class: "atlas-prof-sub" }, r.s) : null,
    h("p", { class: "atlas-rank" }, r.nodata ? T.nodata : rankShort(r)));
  if (r.nodata) return h("div", { class: "atlas-cmp-col", "data-id": id }, head, h("p", {}, r.reason || T.nodata_reason), unpin);
  const facts = h("dl", { class: "atlas-facts" },
    isNum(r.risk) ? [h("dt", {}, T.risk), h("dd", {}, r.risk.toFixed(3))] : null,
    isNum(r.emp) ? [h("dt", {}, T.employment), h("dd", {}, jobsWords(r.emp))] : null,
    (r.v || {})[layer.key] !== r.risk ? [h("dt", {}, layer.label), h("dd", {}, layerValueWords(layer, r, pp))] : null);
  const pillars = (r.pillars || []).map((p) => h("div", { class: "atlas-pillar" },
    h("div", { class: "atlas-pillar-label" }, p.label), barSvg(p.score, 8),
    h("div", { class: "atlas-chart-words" }, pctileWords(p.score)),
    (p.components || []).length ? h("ul", { class: "atlas-comps" }, p.components.map((c) => h("li", {},
      h("span", { class: "atlas-comp-label" }, c.label + ": "),
      h("b", {}, format(c.fmt, c.value, pp) + (c.unit && isNum(c.value) ? " " + c.unit : "")),
      isNum(c.percentile) ? h("div", { class: "atlas-chart-words" }, pctileWords(c.percentile)) : null))) : null));
  const top = (r.top || []).slice(0, 3);
  return h("div", { class: "atlas-cmp-col", "data-id": id }, head, facts,
    pillars.length ? [h("h4", {}, T.pillars_title), ...pillars] : null,
    top.length ? [h("h4", {}, T.top_title), h("ul", { class: "atlas-cmp-top" }, top.map((o) =>
      h("li", {}, o[0] + (isNum(o[1]) ? ": " + int(o[1]) : "") + (isNum(o[2]) ? " (" + (100 * o[2]).toFixed(0) + "%)" : ""))))] : null,
    unpin);
}

function renderCompare() {
  if (!compareOpen || state.pins.length < 2) { compareBox.hidden = true; document.body.classList.remove("atlas-comparing"); return; }
  const close = button("\u00d7", "atlas-close", () => { compareOpen = false; renderCompare(); if (state.selected) renderProfile(state.selected, state.layer); });
  close.setAttribute("aria-label", T.close);
  close.title = T.close;
  const grid = h("div", { class: "atlas-cmp-grid atlas-cmp-" + state.pins.length }, state.pins.map(compareColumn));
  compareBox.replaceChildren(h("h2", { id: "atlas-compare-title", tabindex: "-1" },
    T.compare_title + (state.period ? " \u00b7 " + state.period : "")), h("p", { class: "atlas-note" }, tpl(T.compare_note)), grid, close);
  compareBox.hidden = false;
  document.body.classList.add("atlas-comparing");
}

// In a profile, under it (after its Close button, so Tab from the title still reaches Close
// first): pin or unpin the place; with two or more pins, show them side by side.
const pinRow = h("div", { class: "atlas-pin-row" });
profile.append(pinRow);
function pinPart(id) {
  const pinned = state.pins.includes(id);
  const out = [button(pinned ? T.unpin : T.pin, "atlas-pin", () => togglePin(id))];
  if (state.pins.length >= 2 && !compareOpen) {
    out.push(button(tpl(T.compare_show, { n: state.pins.length }), "atlas-compare-btn", () => setPins(state.pins, true)));
  }
  if (pinned && state.pins.length === 1) out.push(h("p", { class: "atlas-note" }, T.compare_hint));
  pinRow.replaceChildren(...out);
  return null;  // drawn in pinRow, not in the profile's body
}
profileParts.push(pinPart);
hashParts.push({
  write: (p) => { if (state.pins.length) p.set("pins", state.pins.join(",")); },
  read: (p) => { const ids = (p.get("pins") || "").split(",").filter(Boolean); state.pins = []; setPinsQuiet(ids); },
});
function setPinsQuiet(ids) {  // from the hash: no redraw of the profile (applyHash does it)
  state.pins = ids.filter((id, i) => REGIONS[id] && ids.indexOf(id) === i).slice(-MAX_PINS);
  compareOpen = state.pins.length >= 2;
  renderCompare();
}
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && compareOpen) { compareOpen = false; renderCompare(); e.stopImmediatePropagation(); }
});
