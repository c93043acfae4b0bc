// atlas_decode.js: DATA as the page stores it (atlas/maps/pack.py) back to the contract of
// atlas/maps/page.py. The page holds it in two parts: `atlas-first` (before this script: the
// geometry, the regions' classes, layers, texts) and `atlas-data` (after it: the regions' rows,
// outlines, periods ...). atlasDecode(first) makes DATA from the first part, with each region
// only its classes (`c`, and `nodata`), so that atlas_paint.js can draw the regions at once;
// atlasMerge(DATA, first, rest) then adds the rest (after the first paint). Coordinates come
// from grid deltas (straight into Leaflet's LatLng for the paint: atlasShapes), each region's
// objects from their shapes, texts and lists stored once from `words`. `geo` and `outlines`
// are GeoJSON made when first read.
// atlasCoords, atlasRing, ATLAS_KINDS and ATLAS_DEPTH are in atlas_early.js (run before this script).
function atlasPacked(data) { return data.packed === 3; }
function atlasFeatures(packed) {
  if (!packed || !("grid" in packed)) return packed;
  const coords = atlasCoords(packed, (x, y) => [x, y]);
  return { type: "FeatureCollection", features: packed.ids.map((id, i) => (
    { type: "Feature", id: id, properties: {}, geometry: { type: ATLAS_KINDS[packed.types[i]], coordinates: coords[i] } })) };
}
// The regions' shapes for the paint: [{id, kind ("P", "M", "L"), latlngs}] as L.geoJSON would make
// them, or null when the geometry is stored as GeoJSON (then L.geoJSON draws it).
function atlasShapes(first) {
  const geo = first.geo;
  if (!atlasPacked(first) || !geo || !("grid" in geo)) return null;
  const coords = atlasCoords(geo, (x, y) => new L.LatLng(y, x));
  return geo.ids.map((id, i) => ({ id: id, kind: geo.types[i], latlngs: coords[i] }));
}
function atlasLazy(obj, key, make) {  // obj[key] made when first read
  let value, made = false;
  Object.defineProperty(obj, key, { enumerable: true, configurable: true, get: () => {
    if (!made) { value = make(); made = true; }
    return value;
  } });
}
function atlasDecode(first) {
  if (!atlasPacked(first)) return Object.assign({ regions: {} }, first);
  const out = {}, index = first.index, regions = {};
  Object.keys(first).forEach((k) => { if (k !== "packed" && k !== "index" && k !== "geo") out[k] = first[k]; });
  atlasLazy(out, "geo", () => atlasFeatures(first.geo));
  const nodata = new Set(index.nodata || []), empty = new Set(index.empty || []);
  index.ids.forEach((id, i) => {
    const r = {};
    if (index.keys) {
      r.c = {};
      if (!empty.has(i)) index.keys.forEach((k, j) => { r.c[k] = index.c[j][i]; });
      if (nodata.has(i)) r.nodata = true;
    }
    regions[id] = r;
  });
  out.regions = regions;
  return out;
}
// Is DATA ready to paint the regions in their classes before the rest is read?
function atlasPaintable(first) { return !atlasPacked(first) || Boolean(first.index.keys); }
function atlasMerge(data, first, rest) {
  if (!atlasPacked(first)) {
    Object.keys(rest).forEach((k) => { if (k === "regions") Object.assign(data.regions, rest.regions); else data[k] = rest[k]; });
    return;
  }
  const packed = rest.regions, shapes = packed.shapes, words = packed.words, index = first.index;
  const decode = (v) => {
    if (Array.isArray(v)) {
      if (v[0] < 0) return v.slice(1).map(decode);
      const keys = shapes[v[0]], out = {};
      for (let i = 0; i < keys.length; i++) out[keys[i]] = decode(v[i + 1]);
      return out;
    }
    if (typeof v === "string" && v[0] === "~") return v[1] === "~" ? v.slice(1) : decode(words[+v.slice(1)]);
    return v;
  };
  index.ids.forEach((id, i) => {
    const region = decode(packed.rows[i]);
    if (index.keys) region.c = data.regions[id].c;  // its place among the keys kept (a 0 in the row)
    data.regions[id] = region;
  });
  Object.keys(rest).forEach((k) => { if (k !== "regions" && k !== "outlines") data[k] = rest[k]; });
  atlasLazy(data, "outlines", () => atlasFeatures(rest.outlines));
}
// The rest of DATA (`atlas-data`, after the script in the document), once the parser has read it.
function atlasRest() {
  return new Promise((done) => {
    const read = () => done(JSON.parse(document.getElementById("atlas-data").textContent));
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", read, { once: true });
    else read();
  });
}
