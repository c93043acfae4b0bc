// atlas_poster.js: the current view as one SVG "poster" for "Save as PNG" and for print: the
// title, the map exactly as the screen shows it (every pane, labels), and beside it the
// layer's legend (its classes or the 3 x 3 grid, the hatched no-data class, the outline key),
// and under it the sources and the build date. Every attribute is explicit (no page CSS), so
// the SVG draws the same as an image on a canvas and inline on paper.
const POSTER = { font: "Noto Sans, Noto Sans CJK SC, Helvetica Neue, Arial, sans-serif", legendW: 270, gap: 16, pad: 10 };
let PK = 1;  // the poster's text scale: 1 for a PNG, larger for paper (viewSvg's `scale`)
const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/;

// Lines of at most `width` px at font `size` (a rough width: CJK 1 em, others 0.56 em);
// breaks at spaces, and between two CJK characters.
function wrapLines(text, width, size) {
  const lines = [];
  let line = "", w = 0;
  const unit = (c) => (WIDE.test(c) ? size : 0.56 * size);
  const tokens = String(text || "").match(/[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+|\s+/g) || [];
  tokens.forEach((tok) => {
    if (/^\s+$/.test(tok)) { if (line) { line += " "; w += unit(" "); } return; }
    const tw = [...tok].reduce((sum, c) => sum + unit(c), 0);
    if (w + tw > width && line.trim()) { lines.push(line.trim()); line = ""; w = 0; }
    line += tok;
    w += tw;
  });
  if (line.trim()) lines.push(line.trim());
  return lines;
}

// Text lines from (x, y) on; returns the y under the last line.
function textLines(parent, lines, x, y, size, attrs) {
  lines.forEach((line, i) => parent.append(s("text", Object.assign({ x: x, y: y + size + i * Math.round(size * 1.3),
    "font-family": POSTER.font, "font-size": size, fill: "#1a1a1a" }, attrs || {}), line)));
  return y + lines.length * Math.round(size * 1.3) + 4;
}

function posterBox(x, y, fill, stroke) {
  return s("rect", { x: x, y: y, width: 18 * PK, height: 12 * PK, fill: fill, stroke: stroke || "#777", "stroke-width": 1 });
}

// The 3 x 3 grid of a bivariate layer with its counts and class words; returns the y under it.
function posterBivariate(g, layer, x, y) {
  const cell = 34 * PK, x0 = x + 64 * PK, lw = POSTER.legendW * PK, counts = layer.colors.map(() => 0);
  Object.keys(byId).forEach((id) => { const c = classOf(id, layer); if (c !== null) counts[c] += 1; });
  y = textLines(g, wrapLines("\u2191 " + layer.y_label, lw - 20, 11 * PK), x, y, 11 * PK, { "font-weight": 700 });
  for (let yc = 0; yc < 3; yc++) {
    const top = y + (2 - yc) * cell;
    g.append(s("text", { x: x0 - 4, y: top + cell / 2 + 4 * PK, "text-anchor": "end", "font-family": POSTER.font, "font-size": 10 * PK, fill: "#444" },
      layer.y_classes[yc]));
    for (let xc = 0; xc < 3; xc++) {
      const i = 3 * yc + xc;
      g.append(s("rect", { x: x0 + xc * cell, y: top, width: cell, height: cell, fill: layer.colors[i], stroke: "#fff", "stroke-width": 1 }),
        s("text", { x: x0 + xc * cell + cell / 2, y: top + cell / 2 + 4 * PK, "text-anchor": "middle", "font-family": POSTER.font,
                    "font-size": 10 * PK, fill: xc + yc >= 3 ? "#fff" : "#333" }, String(counts[i])));
    }
  }
  y += 3 * cell + 2 * PK;
  layer.x_classes.forEach((label, xc) => g.append(s("text", { x: x0 + xc * cell + cell / 2, y: y + 10 * PK, "text-anchor": "middle",
    "font-family": POSTER.font, "font-size": 9 * PK, fill: "#444" }, label)));
  return textLines(g, wrapLines(layer.x_label + " \u2192", lw - 20, 11 * PK), x, y + 14 * PK, 11 * PK, { "font-weight": 700 });
}

// The legend column: the layer's name, its classes, no data, the outline key.
function posterLegend(x, y) {
  const layer = state.layer, info = legendRows(layer), g = s("g", {}), row = 18 * PK, lw = POSTER.legendW * PK;
  y = textLines(g, wrapLines(layer.label, lw - 20, 13 * PK), x, y, 13 * PK, { "font-weight": 700 });
  if (layer.fmt === "pp" || /\(pp\)/.test(layer.label)) y = textLines(g, [T.pp_long], x, y, 10 * PK, { fill: "#555" });
  const item = (box, label, count) => {
    g.append(box, s("text", { x: x + 26 * PK, y: y + 11 * PK, "font-family": POSTER.font, "font-size": 11 * PK, fill: "#1a1a1a" }, label));
    if (count !== undefined) g.append(s("text", { x: x + lw - 24, y: y + 11 * PK, "text-anchor": "end", "font-family": POSTER.font,
                                                  "font-size": 10 * PK, fill: "#666" }, tpl(T.legend_count, { n: count })));
    y += row;
  };
  if (isBivariate(layer)) y = posterBivariate(g, layer, x, y);
  else info.rows.forEach((r) => item(posterBox(x, y, r.colors[0]), r.label, r.n));
  if (info.missing) item(posterBox(x, y, "url(#atlas-poster-hatch)"), T.nodata, info.missing);
  y += 4 * PK;
  FLAGS.filter((flag) => state.on.has(flag.key)).forEach((flag) => item(s("rect", { x: x + 1, y: y + 1, width: 17 * PK, height: 10 * PK, fill: "none",
    stroke: flag.color, "stroke-width": 2.4, "stroke-dasharray": flag.dash || null }), flag.label));
  if (DATA.outlines && T.outline_key) item(s("rect", { x: x + 1, y: y + 1, width: 17 * PK, height: 10 * PK, fill: "none", stroke: "#1a1a1a",
                                                        "stroke-width": 1.1 }), T.outline_key);
  return { g: g, bottom: y };
}

// The poster: a title band, the map with its legend beside it (or, with `below`, under it), the
// sources and the date at the foot. `scale` enlarges the text for paper, where the poster shrinks.
function viewSvg(opts) {
  const o = opts || {}, box = map.getContainer().getBoundingClientRect(), size = map.getSize();
  PK = o.scale || 1;
  const pad = POSTER.pad * PK, lw = POSTER.legendW * PK, gap = POSTER.gap * PK;
  const width = o.below ? size.x : size.x + gap + lw;
  const titleLines = wrapLines(T.title, width - 2 * pad, 18 * PK), top = (14 + 23 * titleLines.length) * PK;
  const legend = o.below ? posterLegend(pad, top + size.y + 8 * PK) : posterLegend(size.x + gap, top + 8 * PK);
  const foot = [tpl(T.source_line, { sources: (T.sources || []).join("; ") }), tpl(T.built_line, { date: T.built || T.na }), T.caveat_short]
    .filter(Boolean).flatMap((line) => wrapLines(line, width - 2 * pad, 11 * PK));
  const mapBottom = o.below ? legend.bottom : top + Math.max(size.y, legend.bottom - top);
  const height = mapBottom + 10 * PK + foot.length * Math.round(11 * PK * 1.3) + pad;
  const out = s("svg", { xmlns: SVGNS, width: width, height: height, viewBox: "0 0 " + width + " " + height, class: "atlas-poster" });
  out.append(s("defs", {}, s("pattern", { id: "atlas-poster-hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
    s("rect", { width: 6, height: 6, fill: DATA.nodata }), s("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#8a8a8a", "stroke-width": 1.5 }))),
    s("rect", { width: width, height: height, fill: "#fff" }), s("rect", { y: top, width: size.x, height: size.y, fill: "#eef2f5" }));
  const body = s("svg", { x: 0, y: top, width: size.x, height: size.y, viewBox: "0 0 " + size.x + " " + size.y, overflow: "hidden", class: "atlas-poster-map" });
  ["atlas-regions", "atlas-outlines", "atlas-flags", "atlas-sel"].forEach((name) => {
    const svg = map.getPane(name).querySelector("svg");
    if (!svg) return;
    const r = svg.getBoundingClientRect(), copy = svg.cloneNode(true);
    copy.style.transform = "";  // Leaflet's offset is in r already: keep it once
    copy.setAttribute("x", r.left - box.left);
    copy.setAttribute("y", r.top - box.top);
    copy.querySelectorAll("[fill='url(#atlas-hatch)']").forEach((p) => p.setAttribute("fill", "url(#atlas-poster-hatch)"));
    copy.querySelectorAll("defs").forEach((d) => d.remove());
    body.append(copy);
  });
  map.getPane("atlas-labels").querySelectorAll(".atlas-label:not([hidden])").forEach((el) => {
    const r = el.getBoundingClientRect();
    body.append(s("text", { x: r.left - box.left + r.width / 2, y: r.top - box.top + 12, "text-anchor": "middle",
      "font-family": POSTER.font, "font-size": 12, "font-weight": 600, stroke: "#fff", "stroke-width": 3,
      "paint-order": "stroke" }, el.textContent));
  });
  out.append(body, s("rect", { y: top, width: size.x, height: size.y, fill: "none", stroke: "#999", class: "atlas-poster-frame" }), legend.g);
  textLines(out, titleLines, pad, 6 * PK, 18 * PK, { "font-weight": 700 });
  textLines(out, foot, pad, mapBottom + 6 * PK, 11 * PK, { fill: "#333" });
  PK = 1;
  return out;
}
