// atlas_early.js: the regions on screen before Leaflet (issue 32). A script of its own, right
// after the map's <div> and before Leaflet's script (atlas/maps/page.py): it reads the first
// part of DATA (`atlas-first`: packed geometry and the classes by column) and draws one SVG
// path per region in the container, in its class colour and Leaflet's stroke, at the view
// Leaflet will take (the address's `#view=` or the data's bounds fitted as in atlas_paint.js),
// projected, rounded and simplified as Leaflet does. atlas_paint.js removes this drawing in the
// task that adds Leaflet's regions (so no frame shows both). Its functions are shared with the
// page's script (one copy): atlasRing and atlasCoords (the packed rings), readHash, atlasHatch.
const ATLAS_KINDS = { P: "Polygon", M: "MultiPolygon", L: "LineString" }, ATLAS_DEPTH = { P: 2, M: 3, L: 1 };
// The packed rings (atlas/maps/pack.py): each ring one text, x then y of each vertex as the
// difference to the previous vertex of the collection, zigzagged, in 5-bit groups (lowest
// first), each group one of the 64 digits below (+32: more groups follow).
const ATLAS_DIGITS = new Int8Array(128).fill(-1);
ATLAS_DIGIT_TEXT.split("").forEach((c, i) => { ATLAS_DIGITS[c.charCodeAt(0)] = i; });
function atlasCursor() { return { x: 0, y: 0, xy: new Int32Array(4096) }; }  // where the decoding is
// One ring's vertices on the grid, absolute, as x, y pairs in at.xy (reused from ring to ring:
// read them before the next call), continuing from the cursor's last vertex; returns their number.
function atlasRing(text, at) {
  if (text.length > at.xy.length) at.xy = new Int32Array(text.length);
  const xy = at.xy, D = ATLAS_DIGITS, end = text.length;
  let x = at.x, y = at.y, k = 0;
  for (let i = 0; i < end;) {
    let v = 0, shift = 0, c;
    do { c = D[text.charCodeAt(i++)]; v |= (c & 31) << shift; shift += 5; } while (c >= 32);
    const d = (v >>> 1) ^ -(v & 1);
    if (k & 1) { y += d; xy[k] = y; } else { x += d; xy[k] = x; }
    k++;
  }
  at.x = x; at.y = y;
  return k >> 1;
}
function atlasCoords(packed, point) {  // each feature's coordinates, a vertex as point(x, y)
  const scale = Math.round(1 / packed.grid), at = atlasCursor();
  const ring = (text) => {
    const n = atlasRing(text, at), xy = at.xy, points = new Array(n);
    for (let j = 0; j < n; j++) points[j] = point(xy[2 * j] / scale, xy[2 * j + 1] / scale);
    return points;
  };
  const nested = (value, d) => (d === 1 ? ring(value) : value.map((v) => nested(v, d - 1)));
  return packed.coords.map((c, i) => nested(c, ATLAS_DEPTH[packed.types[i]]));
}
function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  const view = (p.get("view") || "").split(",").map(Number);
  return { layer: p.get("layer"), on: p.has("on") ? p.get("on").split(",").filter(Boolean) : null,
           sel: p.get("sel"), view: view.length === 3 && view.every(isFinite) ? view : null };
}
function atlasHatch(id, fill) {  // the hatch pattern of "no data"
  const el = (tag, attrs) => {
    const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs).forEach((k) => e.setAttribute(k, String(attrs[k])));
    return e;
  };
  const pattern = el("pattern", { id: id, width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
  pattern.append(el("rect", { width: 6, height: 6, fill: fill }), el("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#8a8a8a", "stroke-width": 1.5 }));
  return pattern;
}
// Leaflet 1.9's EPSG:3857 and view arithmetic, operation for operation (same rounding).
function atlasEarlyView(first, size, start) {
  const R = 6378137, D = Math.PI / 180, K = 0.5 / (Math.PI * R), MAX = 85.0511287798;
  const at = (z) => {  // project(lat, lng, z) with the scale of z made once
    const s = 256 * Math.pow(2, z);
    return (lat, lng) => {
      const sin = Math.sin(Math.max(Math.min(MAX, lat), -MAX) * D);
      return [s * (K * (R * lng * D) + 0.5), s * (-K * (R * Math.log((1 + sin) / (1 - sin)) / 2) + 0.5)];
    };
  };
  const project = (lat, lng, z) => at(z)(lat, lng);
  const unproject = (x, y, z) => {
    const s = 256 * Math.pow(2, z), px = (x / s - 0.5) / K, py = (y / s - 0.5) / -K;
    return [(2 * Math.atan(Math.exp(py / R)) - Math.PI / 2) * (180 / Math.PI), px * (180 / Math.PI) / R];
  };
  const snap = (z) => Math.max(0, Math.round(z / start.snap) * start.snap);
  const origin = (c, z) => project(c[0], c[1], z).map((v, i) => Math.round(v - size[i] / 2));
  const z0 = start.zoom, o0 = origin(start.center, z0), view = readHash().view;
  let center, z;
  if (view) { center = [view[0], view[1]]; z = snap(view[2]); } else if (first.bounds) {
    const [[s, w], [n, e]] = first.bounds, se = project(s, e, z0), nw = project(n, w, z0);
    const scale = Math.min(size[0] / (se[0] - nw[0]), size[1] / (se[1] - nw[1]));
    z = Math.log(scale * (256 * Math.pow(2, z0)) / 256) / Math.LN2;
    z = Math.round(z / (start.snap / 100)) * (start.snap / 100);
    z = Math.max(0, Math.floor(z / start.snap) * start.snap);
    const sw = project(s, w, z), ne = project(n, e, z);
    center = unproject((sw[0] + ne[0]) / 2, (sw[1] + ne[1]) / 2, z);
  } else { center = [20, 0]; z = snap(2); }
  if (z === z0) {  // Leaflet pans (the map pane moves) when the zoom stays and the offset fits
    const c = project(center[0], center[1], z0).map((v, i) => Math.trunc(Math.round(v) - o0[i] - size[i] / 2));
    if (Math.abs(c[0]) <= size[0] && Math.abs(c[1]) <= size[1]) return { z: z, o: o0, pane: [-c[0], -c[1]], project: at(z), s: 256 * Math.pow(2, z) };
  }
  return { z: z, o: origin(center, z), pane: [0, 0], project: at(z), s: 256 * Math.pow(2, z) };
}
// Leaflet's simplify(points, 1) (radial distance, then Douglas-Peucker) on the n projected
// points in X, Y, in place: the points kept are marked in `keep`; returns their count before
// the marking (the radially reduced points, first ones of X, Y).
function atlasSimplify(X, Y, n, keep) {
  let m = 1, px = X[0], py = Y[0];
  for (let i = 1; i < n; i++) {
    const dx = X[i] - px, dy = Y[i] - py;
    if (dx * dx + dy * dy > 1) { px = X[m] = X[i]; py = Y[m] = Y[i]; m++; if (i === n - 1) return atlasDP(X, Y, m, keep); }
  }
  if (n > 1) { X[m] = X[n - 1]; Y[m] = Y[n - 1]; m++; }
  return atlasDP(X, Y, m, keep);
}
// Leaflet's _simplifyDP with a stack of index pairs instead of recursion (each interval is
// split independently, so the order does not change what is kept); no function per ring.
let ATLAS_STACK = new Int32Array(8192);
function atlasDP(X, Y, m, keep) {
  keep.fill(0, 0, m);
  keep[0] = keep[m - 1] = 1;
  if (2 * m + 2 > ATLAS_STACK.length) ATLAS_STACK = new Int32Array(2 * m + 2);
  const stack = ATLAS_STACK;
  let top = 0;
  stack[top++] = 0; stack[top++] = m - 1;
  while (top > 0) {
    const l = stack[--top], f = stack[--top];
    let max = 0, index = 0;
    const ax = X[f], ay = Y[f], dx = X[l] - ax, dy = Y[l] - ay, dot = dx * dx + dy * dy;
    for (let i = f + 1; i <= l - 1; i++) {
      let x = ax, y = ay;
      if (dot > 0) {
        const t = ((X[i] - x) * dx + (Y[i] - y) * dy) / dot;
        if (t > 1) { x = X[l]; y = Y[l]; } else if (t > 0) { x += dx * t; y += dy * t; }
      }
      const ex = X[i] - x, ey = Y[i] - y, d = ex * ex + ey * ey;
      if (d > max) { index = i; max = d; }
    }
    if (max > 1) { keep[index] = 1; stack[top++] = f; stack[top++] = index; stack[top++] = index; stack[top++] = l; }
  }
  return m;
}
// Each feature's path at view v, straight from the grid deltas: projected, rounded and
// simplified as Leaflet does, with no object per point (typed arrays reused across rings).
function atlasEarlyPaths(geo, v) {
  const scale = Math.round(1 / geo.grid), o = v.o, s = v.s, R = 6378137, D = Math.PI / 180, K = 0.5 / (Math.PI * R), MAX = 85.0511287798;
  let X = new Int32Array(4096), Y = new Int32Array(4096), keep = new Uint8Array(4096);  // whole pixels
  const at = atlasCursor();
  const ring = (text, closed) => {
    let n = atlasRing(text, at);
    const xy = at.xy;
    if (n > X.length) { X = new Int32Array(n); Y = new Int32Array(n); keep = new Uint8Array(n); }
    for (let j = 0; j < n; j++) {
      const lng = xy[2 * j] / scale, sin = Math.sin(Math.max(Math.min(MAX, xy[2 * j + 1] / scale), -MAX) * D);
      X[j] = Math.round(s * (K * (R * lng * D) + 0.5)) - o[0];
      Y[j] = Math.round(s * (-K * (R * Math.log((1 + sin) / (1 - sin)) / 2) + 0.5)) - o[1];
    }
    if (closed && n >= 2 && xy[0] === xy[2 * n - 2] && xy[1] === xy[2 * n - 1]) n--;
    if (!n) return "";
    const m = atlasSimplify(X, Y, n, keep);
    let d = "M" + X[0] + " " + Y[0];
    for (let j = 1; j < m; j++) if (keep[j]) d += "L" + X[j] + " " + Y[j];
    return closed ? d + "z" : d;
  };
  return geo.coords.map((c, i) => {
    const kind = geo.types[i];
    if (kind === "L") return ring(c, false);
    let d = "";
    if (kind === "P") c.forEach((r) => { d += ring(r, true); });
    else c.forEach((p) => p.forEach((r) => { d += ring(r, true); }));
    return d;
  });
}
function atlasEarly(start) {
  const box = document.getElementById(start.id), first = JSON.parse(document.getElementById("atlas-first").textContent);
  window.atlasFirst = first;
  performance.mark("atlas-early-read");
  const geo = first.geo, index = first.index, hash = readHash();
  if (!box || first.packed !== 3 || !geo || !("grid" in geo) || !index.keys) return;
  const layer = first.layers.find((l) => l.key === hash.layer) || first.layers[0], col = index.c[index.keys.indexOf(layer.key)];
  const at = new Map(index.ids.map((id, k) => [id, k])), off = new Set((index.nodata || []).concat(index.empty || [])), size = [box.clientWidth, box.clientHeight];
  const v = atlasEarlyView(first, size, start), svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "atlas-early");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("width", size[0]);
  svg.setAttribute("height", size[1]);
  svg.setAttribute("viewBox", [-v.pane[0], -v.pane[1], size[0], size[1]].join(" "));
  svg.append(atlasHatch("atlas-hatch", first.nodata));
  const g = document.createElementNS(svg.namespaceURI, "g");  // Leaflet's stroke, on the group
  const common = { stroke: "#555", "stroke-opacity": 0.9, "stroke-width": 0.5, "stroke-linecap": "round", "stroke-linejoin": "round", "fill-rule": "evenodd" };
  Object.keys(common).forEach((k) => g.setAttribute(k, String(common[k])));
  const paths = atlasEarlyPaths(geo, v);
  performance.mark("atlas-early-paths");
  // The paths as one SVG text parsed at once (about 2x faster than an element and five
  // setAttribute calls per region); every value from the data is escaped.
  const q = (t) => String(t).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  let markup = "";
  paths.forEach((d, i) => {
    const kind = geo.types[i];
    const k = at.get(geo.ids[i]), cls = k === undefined || off.has(k) || !col ? null : col[k], fill = typeof cls === "number" && cls >= 0 && cls < layer.colors.length;
    markup += '<path class="atlas-region" data-id="' + q(geo.ids[i]) + '" d="' + (d || "M0 0") + '" fill="' + q(kind === "L" ? "none" : fill ? layer.colors[cls] : "url(#atlas-hatch)") + '" fill-opacity="' + (fill ? "0.9" : "1") + '"/>';
  });
  g.innerHTML = markup;
  svg.append(g);
  box.append(svg);
}
performance.mark("atlas-early");
atlasEarly(ATLAS_START_VIEW);
performance.mark("atlas-early-drawn");
