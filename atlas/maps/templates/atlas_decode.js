// atlas_decode.js: DATA as the page stores it (atlas/maps/pack.py) back to the contract of
// atlas/maps/page.py, before any other script reads it: coordinates from grid deltas, each
// region's objects from their shapes, texts and lists stored once from `words`. The outlines are
// decoded when first read (after the regions are painted, atlas_paint.js).
function atlasDecode(data) {
  if (data.packed !== 1) return data;
  const names = { P: "Polygon", M: "MultiPolygon", L: "LineString" }, depth = { P: 2, M: 3, L: 1 };
  function features(packed) {
    if (!packed || !("grid" in packed)) return packed;
    const scale = Math.round(1 / packed.grid);
    let x = 0, y = 0;
    const ring = (flat) => {
      const points = new Array(flat.length / 2);
      for (let i = 0; i < flat.length; i += 2) {
        x += flat[i]; y += flat[i + 1];
        points[i / 2] = [x / scale, y / scale];
      }
      return points;
    };
    const nested = (value, d) => (d === 1 ? ring(value) : value.map((v) => nested(v, d - 1)));
    return { type: "FeatureCollection", features: packed.ids.map((id, i) => {
      const kind = packed.types[i];
      return { type: "Feature", id: id, properties: {},
               geometry: { type: names[kind], coordinates: nested(packed.coords[i], depth[kind]) } };
    }) };
  }
  function regions(packed) {
    const shapes = packed.shapes, words = packed.words;
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
    const out = {};
    packed.ids.forEach((id, i) => { out[id] = decode(packed.rows[i]); });
    return out;
  }
  const out = Object.assign({}, data, { geo: features(data.geo), regions: regions(data.regions) });
  delete out.packed;
  // the outlines are drawn after the regions are painted: decoded when first read
  let outlines;
  Object.defineProperty(out, "outlines", { enumerable: true, get: () => {
    if (outlines === undefined) outlines = features(data.outlines);
    return outlines;
  } });
  return out;
}
