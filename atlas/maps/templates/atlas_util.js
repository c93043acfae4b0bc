// atlas_util.js: data, text and DOM helpers shared by the map's scripts. atlas/maps/page.py
// concatenates atlas_decode.js, atlas_util.js, atlas_profile.js, atlas_search.js and
// atlas_map.js (in that order) into one strict-mode function; DATA follows the contract in
// atlas/maps/page.py.
// Every string that comes from DATA reaches the page through textContent or an attribute,
// never through innerHTML.
performance.mark("atlas-script");
// atlas_early.js has read it (window.atlasFirst) unless it failed
const DATA_FIRST = window.atlasFirst || JSON.parse(document.getElementById("atlas-first").textContent);
delete window.atlasFirst;
const DATA = atlasDecode(DATA_FIRST);  // each region only its classes until atlasMerge (atlas_paint.js)
const T = DATA.text;
const SVGNS = "http://www.w3.org/2000/svg";
const LAYERS = DATA.layers;
const FLAGS = DATA.flags || [];
const REGIONS = DATA.regions;

function isNum(v) { return typeof v === "number" && isFinite(v); }

// Fill "{key}" placeholders of a UI string; unknown keys stay as they are.
function tpl(template, values) {
  const all = Object.assign({ level_plural: T.level_plural, level_singular: T.level_singular,
                              count: int(DATA.count) }, values || {});
  return String(template || "").replace(/\{(\w+)\}/g, (m, k) => (k in all ? String(all[k]) : m));
}

function int(v) { return isNum(v) ? Math.round(v).toLocaleString("en-US") : T.na; }

function ordinal(n) {
  if (!isNum(n)) return T.na;
  if (T.ordinal !== "en") return String(n);
  const s = ["th", "st", "nd", "rd"], v = n % 100;
  return n.toLocaleString("en-US") + (s[(v - 20) % 10] || s[v] || s[0]);
}

// A percentile (0..1) in plain words: "higher than 73% of US areas".
function pctileWords(p) {
  if (!isNum(p)) return T.na;
  const whole = Math.round(100 * p);
  if (whole >= 100) return tpl(T.pctile_top);
  if (whole <= 0) return tpl(T.pctile_bottom);
  return tpl(T.pctile, { p: whole });
}

// "pp" is spelled out the first time it appears in a view (a tooltip, the legend, a profile).
function ppFormatter() {
  let seen = false;
  return (v) => {
    if (!isNum(v)) return T.na;
    const unit = seen ? T.pp_short : T.pp_long;
    seen = true;
    return v.toFixed(2) + " " + unit;
  };
}

// format(fmt, value, pp?): a value in words; pp is a view's ppFormatter.
function format(fmt, v, pp) {
  if (!isNum(v)) return T.na;
  if (fmt.startsWith("signed_")) {  // a change: "+3.1%", "\u22123.1%"
    const text = format(fmt.slice(7), Math.abs(v), pp);
    return (v > 0 ? "+" : v < 0 ? "\u2212" : "") + text;
  }
  switch (fmt) {
    case "pct": return (100 * v).toFixed(1) + "%";
    case "rate": return v.toFixed(1) + "%";
    case "int": return int(v);
    case "pctile": return pctileWords(v);
    case "pp": return (pp || ppFormatter())(v);
    default: return Math.abs(v) >= 100 ? int(v) : v.toFixed(3);
  }
}

// h("div", {class: "x"}, "text", child, ...): an element; strings become text nodes.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  children.flat().forEach((c) => { if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c)); });
  return el;
}
function s(tag, attrs, ...children) {  // the same for SVG elements
  const el = document.createElementNS(SVGNS, tag);
  setAttrs(el, attrs);
  children.flat().forEach((c) => { if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c)); });
  return el;
}
function setAttrs(el, attrs) {
  Object.entries(attrs || {}).forEach(([k, v]) => {
    if (v === null || v === undefined || v === false) return;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  });
}

// A button at least 40 px tall, with a text label and an aria-label.
function button(label, cls, onclick) {
  return h("button", { type: "button", class: "atlas-btn " + (cls || ""), "aria-label": label, onclick: onclick }, label);
}

// Search normalisation: NFKD, no accents or tone marks, lower case; "compact" also drops
// spaces and punctuation so "xian" finds "Xi'an" and "newyork" finds "New York".
function fold(text) {
  return String(text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}
const SEPARATORS = /[\s\-'\u2019.,()\u00b7/]+/g;  // spaces and the punctuation between name parts
function compact(text) { return fold(text).replace(SEPARATORS, ""); }
// Folded, with punctuation as spaces and "saint" as "st": "St. Louis" and "saint louis"
// both read "st louis", "Winston-Salem" reads "winston salem".
function loose(text) {
  return fold(text).replace(SEPARATORS, " ").replace(/\bsaint\b/g, "st").trim();
}

function layerByKey(key) { return LAYERS.find((l) => l.key === key); }
function flagByKey(key) { return FLAGS.find((f) => f.key === key); }
function isBivariate(layer) { return layer && layer.kind === "bivariate"; }

// The current layer's value of a region, in words (tooltip and profile).
function layerValueWords(layer, region, pp) {
  if (!region || region.nodata) return T.nodata;
  const v = (region.v || {})[layer.key];
  if (isBivariate(layer)) {
    const cls = (region.c || {})[layer.key];
    if (!isNum(cls)) return T.na;
    const xw = layer.x_classes[cls % 3], yw = layer.y_classes[Math.floor(cls / 3)];
    const xv = Array.isArray(v) && isNum(v[0]) ? " (" + format(layer.x_fmt || "num", v[0], pp) + ")" : "";
    const yv = Array.isArray(v) && isNum(v[1]) ? " (" + format(layer.y_fmt || "num", v[1], pp) + ")" : "";
    return layer.x_label + ": " + xw + xv + "; " + layer.y_label + ": " + yw + yv;
  }
  return typeof v === "string" ? v : format(layer.fmt, v, pp);  // a text: the value in words (a class's range)
}

function rankShort(region) {
  if (isNum(region.grank) && T.rank_group_short) {
    return tpl(T.rank_group_short, { grank: ordinal(region.grank), grank_n: int(region.grank),
      gn: int(region.gn), group: region.g || "" });
  }
  return isNum(region.rank) ? tpl(T.rank_short, { rank: ordinal(region.rank), rank_n: int(region.rank) }) : T.unranked;
}

// A map label: the label name, else the name up to its first comma ("Saginaw, MI" ->
// "Saginaw"), unless the part after the comma tells two places apart ("Korea, Rep.").
let sharedStems = null;  // name parts before a comma that two or more regions share
function shortName(region) {
  if (region.ln) return region.ln;
  const stem = (n) => { const cut = String(n).indexOf(","); return cut > 0 ? String(n).slice(0, cut) : null; };
  if (!sharedStems) {
    const count = {};
    Object.values(REGIONS).forEach((r) => { const k = stem(r.n); if (k) count[k] = (count[k] || 0) + 1; });
    sharedStems = new Set(Object.keys(count).filter((k) => count[k] > 1));
  }
  const own = stem(region.n);
  return own && !sharedStems.has(own) ? own : String(region.n);
}

function isPhone() { return window.matchMedia("(max-width: 700px)").matches; }

// Let the browser render what is drawn so far before the start-up goes on: resolves after the
// next animation frame (a hidden page gets none, so there it resolves at once).
function nextFrame() {
  return new Promise((done) => {
    if (document.hidden) setTimeout(done, 0);
    else requestAnimationFrame(() => setTimeout(done, 0));
  });
}
