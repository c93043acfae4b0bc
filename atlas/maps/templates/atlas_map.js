// atlas_map.js: the map, its layers and panels, the URL hash, print and PNG export.
if (DATA.outlines) {
  L.geoJSON(DATA.outlines, { pane: "atlas-outlines", interactive: false,
    style: { className: "atlas-outline", fill: false, color: "#1a1a1a", weight: 1.1 } }).addTo(map);
}
const flagLayers = {};
FLAGS.forEach((flag) => {
  flagLayers[flag.key] = L.geoJSON(DATA.geo, { pane: "atlas-flags", interactive: false,
    filter: (f) => REGIONS[f.id] && (REGIONS[f.id].f || []).includes(flag.key),
    style: { className: "atlas-flag atlas-flag-" + flag.key, fill: false, color: flag.color, weight: 2.4,
             dashArray: flag.dash || null } });
});
let selLayer = null;

// ---- Panels: header (title, search, menu button), side panel (tools, layers, outlines,
// legend, about), profile; on a phone the side panel is a menu, the profile a bottom sheet. ----
const side = h("div", { class: "atlas-panel atlas-side", id: "atlas-side" });
const menuBtn = h("button", { type: "button", class: "atlas-btn atlas-menu-btn", "aria-expanded": "false",
  "aria-controls": "atlas-side", "aria-label": T.menu, onclick: () => toggleMenu() }, "\u2630");
const header = h("header", { class: "atlas-panel atlas-header" }, h("h1", { class: "atlas-title" }, T.title),
  T.subtitle ? h("p", { class: "atlas-subtitle" }, T.subtitle) : null,
  h("div", { class: "atlas-search-row" }, searchBox((id) => selectRegion(id, { zoom: true, focus: true })), menuBtn));
const left = h("div", { class: "atlas-left" }, header, profile);
// The legend is a panel of its own under the side panel (desktop) or above the map's bottom
// edge (phone), so its classes and the outline key are never scrolled out of view.
const legendBox = h("section", { class: "atlas-panel atlas-legend", id: "atlas-legend", "aria-label": T.legend });
const right = h("div", { class: "atlas-right" }, side, legendBox);
const toast = h("div", { class: "atlas-toast", role: "status", "aria-live": "polite" });
document.body.append(left, right, toast);
L.DomEvent.disableScrollPropagation(right);
L.DomEvent.disableScrollPropagation(left);

function toggleMenu(open) {
  const on = open === undefined ? !document.body.classList.contains("atlas-menu-open") : open;
  document.body.classList.toggle("atlas-menu-open", on);
  menuBtn.setAttribute("aria-expanded", on ? "true" : "false");
  layoutPhone();
}

const tools = h("div", { class: "atlas-tools" },
  button(T.copy_link, "atlas-copy", copyLink), button(T.print, "atlas-print", () => window.print()),
  button(T.save_png, "atlas-png", savePng));
const layerList = h("fieldset", { class: "atlas-layers" }, h("legend", {}, T.layers), LAYERS.map((layer) =>
  h("label", { class: "atlas-choice", title: layer.what || "" },
    h("input", { type: "radio", name: "atlas-layer", value: layer.key, onchange: () => setLayer(layer.key) }), layer.label)));
const overlayList = FLAGS.length ? h("fieldset", { class: "atlas-overlays" }, h("legend", {}, T.overlays), FLAGS.map((flag) =>
  h("label", { class: "atlas-choice" }, h("input", { type: "checkbox", value: flag.key,
    onchange: (e) => setOverlay(flag.key, e.target.checked) }), swatch(flag),
    h("span", {}, flag.label, flag.what ? h("span", { class: "atlas-what" }, flag.what) : null)))) : null;
function textList(title, items) {
  return (items || []).length ? [h("h3", {}, title), h("ul", { class: "atlas-about-list" }, items.map((t) => h("li", {}, t)))] : null;
}
const about = h("details", { class: "atlas-about" }, h("summary", {}, T.about),
  h("h2", {}, T.howto_title), T.subtitle ? h("p", {}, T.subtitle) : null, h("p", {}, T.howto),
  textList(T.method_title, T.method), textList(T.sources_title, T.sources),
  T.method_url ? h("p", {}, h("a", { href: T.method_url }, T.method_label)) : null,
  T.exports_url ? h("p", {}, h("a", { href: T.exports_url }, T.exports_label)) : null);
// Sources and terms (DATA.terms, atlas/attribution.py): shown and printed; the internal
// edition's mark also heads the page.
const TERMS = DATA.terms || { lines: [] };
const termsBox = h("section", { class: "atlas-terms", "aria-label": TERMS.title || "Sources" },
  h("h3", {}, TERMS.title || "Sources"), TERMS.mark ? h("p", { class: "atlas-internal" }, TERMS.mark) : null,
  TERMS.note ? h("p", {}, TERMS.note) : null, h("ul", { class: "atlas-about-list" }, TERMS.lines.map((t) => h("li", {}, t))));
if (TERMS.mark) header.prepend(h("p", { class: "atlas-internal" }, TERMS.mark_short || TERMS.mark));
side.append(tools, layerList, overlayList, about, termsBox);

function legendRows(layer) {
  const counts = layer.colors.map(() => 0);
  let missing = 0;
  Object.keys(byId).forEach((id) => { const c = classOf(id, layer); if (c === null) missing += 1; else counts[c] += 1; });
  const rows = [];
  layer.colors.forEach((color, i) => {
    if (!counts[i]) return;  // an empty class (ties) is not shown
    const same = rows.find((row) => row.label === layer.labels[i]);
    if (same) { same.colors.push(color); same.n += counts[i]; } else rows.push({ label: layer.labels[i], colors: [color], n: counts[i] });
  });
  return { rows: rows, missing: missing };
}

function bivariateLegend(layer) {
  const cell = 44, x0 = 62, y0 = 4, parts = [], counts = layer.colors.map(() => 0);
  Object.keys(byId).forEach((id) => { const c = classOf(id, layer); if (c !== null) counts[c] += 1; });
  for (let y = 0; y < 3; y++) {
    for (let x = 0; x < 3; x++) {
      const i = 3 * y + x, dark = x + y >= 3;
      parts.push(s("rect", { x: x0 + x * cell, y: y0 + (2 - y) * cell, width: cell, height: cell, fill: layer.colors[i],
                             class: "atlas-biv-cell", "data-class": i }, s("title", {}, layer.x_label + ": " + layer.x_classes[x] + "; " +
                             layer.y_label + ": " + layer.y_classes[y] + " (" + counts[i] + ")")));
      parts.push(s("text", { x: x0 + x * cell + cell / 2, y: y0 + (2 - y) * cell + cell / 2 + 4, "text-anchor": "middle",
                             class: "atlas-biv-count" + (dark ? " atlas-biv-dark" : "") }, String(counts[i])));
    }
    parts.push(s("text", { x: x0 - 4, y: y0 + (2 - y) * cell + cell / 2 + 4, "text-anchor": "end", class: "atlas-chart-words" }, layer.y_classes[y]));
  }
  // labels too wide for their cells ("中 medium") go on two lines, split at their first space
  const split = layer.x_classes.some((label) => label.length > 6);
  const lines = layer.x_classes.map((label) => (split && label.includes(" ")
    ? [label.slice(0, label.indexOf(" ")), label.slice(label.indexOf(" ") + 1)] : [label]));
  lines.forEach((words, x) => parts.push(s("text", { x: x0 + x * cell + cell / 2, y: y0 + 3 * cell + 13,
    "text-anchor": "middle", class: "atlas-chart-words" }, ...words.map((word, j) => s("tspan", {
      x: x0 + x * cell + cell / 2, dy: j ? 13 : 0 }, word)))));
  const below = 18 + 13 * (Math.max(...lines.map((words) => words.length)) - 1);
  return [h("div", { class: "atlas-biv-y" }, "\u2191 " + layer.y_label),
          s("svg", { class: "atlas-bivariate", width: x0 + 3 * cell + 8, height: y0 + 3 * cell + below,
                     viewBox: "0 0 " + (x0 + 3 * cell + 8) + " " + (y0 + 3 * cell + below), role: "img",
                     "aria-label": layer.x_label + " / " + layer.y_label }, parts),
          h("div", { class: "atlas-biv-x" }, layer.x_label + " \u2192")];
}

// The outline key: the overlays switched on and the borders drawn on top.
function outlineKey() {
  const rows = FLAGS.filter((flag) => state.on.has(flag.key)).map((flag) => h("li", {}, swatch(flag), h("span", {}, flag.label)));
  if (DATA.outlines && T.outline_key) {
    rows.push(h("li", {}, swatch({ color: "#1a1a1a", width: 1.1 }), h("span", {}, T.outline_key)));
  }
  return rows.length ? h("ul", { class: "atlas-outline-key", "aria-label": T.overlays }, rows) : null;
}

function renderLegend() {
  const layer = state.layer, info = legendRows(layer);
  const body = [h("h2", {}, layer.label), layer.what ? h("p", { class: "atlas-what" }, layer.what) : null,
    layer.fmt === "pp" || /\(pp\)/.test(layer.label) ? h("p", { class: "atlas-note" }, T.pp_long) : null];
  if (isBivariate(layer)) body.push(...bivariateLegend(layer));
  else body.push(h("ul", { class: "atlas-classes" }, info.rows.map((row) => h("li", {},
    row.colors.map((c) => { const box = h("span", { class: "atlas-box" }); box.style.background = c; return box; }),
    h("span", { class: "atlas-class-label" }, row.label), h("span", { class: "atlas-count" }, tpl(T.legend_count, { n: row.n }))))));
  if (info.missing) body.push(h("div", { class: "atlas-nodata-row" }, h("span", { class: "atlas-box atlas-hatch" }),
    h("span", { class: "atlas-class-label" }, T.nodata), h("span", { class: "atlas-count" }, tpl(T.legend_count, { n: info.missing }))));
  body.push(outlineKey());
  const notes = [layer.scheme, layer.note].filter(Boolean);
  if (notes.length) body.push(h("details", { class: "atlas-legend-more" }, h("summary", {}, T.legend_more),
    notes.map((note) => h("p", { class: "atlas-note" }, note))));
  legendBox.replaceChildren(...body.filter(Boolean));
  layoutPhone();
}

// ---- State changes. ----
function setLayer(key) {
  const layer = layerByKey(key) || LAYERS[0];
  state.layer = layer;
  layerList.querySelectorAll("input").forEach((input) => { input.checked = input.value === layer.key; });
  regionsLayer.setStyle(regionStyle);
  renderLegend();
  if (state.selected) renderProfile(state.selected, layer);
  writeHash();
}
function setOverlay(key, on) {
  if (!flagLayers[key]) return;
  if (on) { state.on.add(key); flagLayers[key].addTo(map); } else { state.on.delete(key); flagLayers[key].remove(); }
  if (overlayList) overlayList.querySelectorAll("input").forEach((input) => { input.checked = state.on.has(input.value); });
  renderLegend();
  writeHash();
}
function selectRegion(id, opts) {
  const o = opts || {};
  if (selLayer) { selLayer.remove(); selLayer = null; }
  state.selected = id && REGIONS[id] ? id : null;
  if (state.selected && byId[id]) {
    const feature = byId[id].feature;
    selLayer = L.layerGroup([
      L.geoJSON(feature, { pane: "atlas-sel", interactive: false, style: { className: "atlas-sel-halo", fill: false, color: "#fff", weight: 6 } }),
      L.geoJSON(feature, { pane: "atlas-sel", interactive: false, style: { className: "atlas-selected", fill: false, color: "#000", weight: 2.5 } }),
    ]).addTo(map);
    if (o.zoom) map.fitBounds(byId[id].getBounds(), fitOptions(readableZoom(byId[id].getBounds())));
  } else if (state.selected && pointOf(id)) {  // no shape (a small island): a marker
    selLayer = L.layerGroup([
      L.circleMarker(pointOf(id), { pane: "atlas-sel", interactive: false, radius: 11, className: "atlas-sel-halo", fill: false, color: "#fff", weight: 6 }),
      L.circleMarker(pointOf(id), { pane: "atlas-sel", interactive: false, radius: 11, className: "atlas-selected atlas-marker", fill: false, color: "#000", weight: 2.5 }),
    ]).addTo(map);
    if (o.zoom || !map.getBounds().contains(pointOf(id))) map.setView(pointOf(id), Math.max(map.getZoom(), 4), { animate: false });
  }
  if (isPhone() && state.selected) toggleMenu(false);
  renderProfile(state.selected, state.layer);
  layoutPhone();
  if (state.selected && byId[id] && o.zoom && isPhone()) map.fitBounds(byId[id].getBounds(), fitOptions(readableZoom(byId[id].getBounds())));
  else if (state.selected && (byId[id] || pointOf(id)) && state.ready) keepVisible(byId[id] ? byId[id].getBounds().getCenter() : pointOf(id));
  if (state.selected && o.focus) document.getElementById("atlas-profile-title").focus({ preventScroll: true });
  writeHash();
}
// Where a place is: its label point (a declared point for a place without a shape).
function pointOf(id) {
  const r = REGIONS[id];
  return centroids[id] || (r && Array.isArray(r.centroid) ? L.latLng(r.centroid[0], r.centroid[1]) : null);
}
// The zoom at which a chosen place is drawn readably: its larger side about 200 px (a small
// metro is then well over 120 px across), never zooming out from the current view.
function readableZoom(bounds) {
  const a = map.latLngToContainerPoint(bounds.getNorthWest()), b = map.latLngToContainerPoint(bounds.getSouthEast());
  const side = Math.max(Math.abs(b.x - a.x), Math.abs(b.y - a.y), 1);
  return Math.min(12, Math.max(map.getZoom(), map.getZoom() + Math.log2(200 / side)));
}
// Pan the map so that a point hidden under the profile comes out beside it.
function keepVisible(latlng) {
  const p = map.latLngToContainerPoint(latlng), size = map.getSize();
  if (profile.hidden) return;
  const box = profile.getBoundingClientRect();
  if (isPhone()) {
    if (p.y > box.top - 20) map.panBy([0, p.y - (box.top - 20) / 2], { animate: false });
  } else if (p.x < box.right + 20 && p.y > box.top && box.right + 60 < size.x) {
    map.panBy([p.x - (box.right + Math.min(120, (size.x - box.right) / 2)), 0], { animate: false });
  }
}
function fitOptions(maxZoom) {
  const phone = isPhone(), head = header.offsetHeight;
  const sheet = phone && !profile.hidden ? profile.offsetHeight : 0;
  return { animate: false, maxZoom: maxZoom, paddingTopLeft: phone ? [10, head + 10] : [profile.hidden ? 20 : 400, 20],
           paddingBottomRight: phone ? [10, Math.max(sheet, legendBox.offsetHeight + 10) + 10] : [right.offsetWidth + 30, 20] };
}
// On a phone the zoom buttons move up above the bottom sheet; the menu stops above them.
function layoutPhone() {
  const corner = map.getContainer().querySelector(".leaflet-bottom.leaflet-right");
  const sheet = isPhone() && !profile.hidden && !document.body.classList.contains("atlas-menu-open") ? profile.offsetHeight : 0;
  corner.style.bottom = sheet ? sheet + "px" : "";
  document.documentElement.style.setProperty("--head-h", header.offsetHeight + "px");
  document.documentElement.style.setProperty("--legend-h", legendBox.offsetHeight + "px");
}

// ---- The URL hash: #layer=..&on=..&sel=..&view=lat,lon,zoom (and the parts of hashParts) ----
const hashParts = [];  // {write(params), read(params)} of later scripts (atlas_periods.js, ...)
function writeHash() {
  if (!state.ready) return;
  const p = new URLSearchParams(), c = map.getCenter();
  p.set("layer", state.layer.key);
  p.set("on", [...state.on].join(","));
  if (state.selected) p.set("sel", state.selected);
  p.set("view", c.lat.toFixed(4) + "," + c.lng.toFixed(4) + "," + map.getZoom());
  hashParts.forEach((part) => part.write(p));
  history.replaceState(null, "", "#" + p.toString());
}
// readHash() is in atlas_early.js (run before this script).
function applyHash() {
  const want = readHash();
  state.ready = false;
  hashParts.forEach((part) => part.read(new URLSearchParams(location.hash.slice(1))));
  setLayer(want.layer || LAYERS[0].key);
  FLAGS.forEach((f) => setOverlay(f.key, want.on ? want.on.includes(f.key) : !!f.on));
  if (want.view) map.setView([want.view[0], want.view[1]], want.view[2], { animate: false });
  else if (DATA.bounds) map.fitBounds(DATA.bounds, fitOptions(18));
  selectRegion(want.sel && REGIONS[want.sel] ? want.sel : null);
  state.ready = true;
  writeHash();
}

async function copyLink() {
  writeHash();
  try {
    await navigator.clipboard.writeText(location.href);
    notify(T.copied);
  } catch (err) {
    const field = h("input", { class: "atlas-link-field", readonly: true, value: location.href, "aria-label": T.copy_manual });
    toast.replaceChildren(h("span", {}, T.copy_manual), field);
    toast.classList.add("atlas-show");
    field.select();
  }
}
function notify(message) {
  toast.replaceChildren(message);
  toast.classList.add("atlas-show");
  setTimeout(() => toast.classList.remove("atlas-show"), 2500);
}
