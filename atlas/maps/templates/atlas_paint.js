// atlas_paint.js: the first thing the page does after reading the first part of DATA (geometry
// and classes): the map and the regions in the current layer's colours (the layer and view of
// the address, if any), then one animation frame so that the browser paints them; then the
// rest of DATA is read (after the script in the document) before the rest of the start-up
// (profile, search, panels, legend, outlines, labels: atlas_profile.js .. atlas_start.js) runs.
performance.mark("atlas-data");
const state = { layer: layerByKey(readHash().layer) || LAYERS[0], on: new Set(FLAGS.filter((f) => f.on).map((f) => f.key)), selected: null, ready: false };
const hoverable = window.matchMedia("(hover: hover)").matches;
let booted = false;  // the regions answer the pointer once the start-up is over (atlas_start.js)

const map = ATLAS_LEAFLET_MAP;  // created by folium (atlas/maps/page.py sets its options)
map.getContainer().classList.add("atlas-map");
map.getContainer().setAttribute("role", "application");
map.getContainer().setAttribute("aria-label", T.title);
L.control.zoom({ position: "bottomright", zoomInTitle: "+", zoomOutTitle: "\u2212" }).addTo(map);
map.attributionControl.setPrefix(false);
const hashView = readHash().view;
if (hashView) map.setView([hashView[0], hashView[1]], hashView[2], { animate: false });
else if (DATA.bounds) map.fitBounds(DATA.bounds, { animate: false }); else map.setView([20, 0], 2);
if (T.attribution) map.attributionControl.addAttribution(T.attribution);
["atlas-regions", "atlas-outlines", "atlas-flags", "atlas-sel"].forEach((name, i) => {
  map.createPane(name).style.zIndex = String(400 + 10 * i);
});
map.getPane("atlas-outlines").style.pointerEvents = "none";
map.getPane("atlas-flags").style.pointerEvents = "none";
map.getPane("atlas-sel").style.pointerEvents = "none";

// ---- Regions, coloured by the current layer; regions without a value are hatched. ----
function classOf(id, layer) {
  const r = REGIONS[id];
  const cls = r && !r.nodata ? (r.c || {})[layer.key] : null;
  return isNum(cls) && cls >= 0 && cls < layer.colors.length ? cls : null;
}
function regionStyle(feature) {
  const cls = classOf(feature.id, state.layer);
  return { className: "atlas-region", fillColor: cls === null ? "url(#atlas-hatch)" : state.layer.colors[cls],
           fillOpacity: cls === null ? 1 : 0.9, color: "#555", weight: 0.5, opacity: 0.9 };
}
const byId = {}, centroids = {};
if (!atlasPaintable(DATA_FIRST)) atlasMerge(DATA, DATA_FIRST, await atlasRest());  // no classes by column
const regionsLayer = L.geoJSON(null, { pane: "atlas-regions", style: regionStyle, onEachFeature: regionEvents });
function regionEvents(feature, layer) {
  const id = feature.id;
  byId[id] = layer;
  layer.on("mouseover mousemove", (e) => {
    if (!hoverable || !booted) return;
    layer.setStyle({ weight: 2, color: "#000" });
    showTooltip(id, e.originalEvent.clientX, e.originalEvent.clientY, state.layer);
  });
  layer.on("mouseout", () => { if (booted) { regionsLayer.resetStyle(layer); hideTooltip(); } });
  layer.on("click", () => { if (booted) { hideTooltip(); selectRegion(id); } });
}
// Leaflet's polygon with two short cuts that give the same paths with less work: a ring's
// projected bounds as the minimum and maximum of its points (not one Bounds.extend per point),
// and no clipping point by point of a polygon whose projected bounds lie inside the clip bounds
// (Sutherland-Hodgman keeps every vertex of such a polygon, in order; empty rings are dropped).
const RegionPolygon = L.Polygon.extend({
  _projectLatlngs(latlngs, result, projectedBounds) {
    if (!(latlngs[0] instanceof L.LatLng)) {
      for (let i = 0; i < latlngs.length; i++) this._projectLatlngs(latlngs[i], result, projectedBounds);
      return;
    }
    const ring = [], map = this._map;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let i = 0; i < latlngs.length; i++) {
      const pt = map.latLngToLayerPoint(latlngs[i]);
      ring.push(pt);
      x0 = Math.min(x0, pt.x); y0 = Math.min(y0, pt.y); x1 = Math.max(x1, pt.x); y1 = Math.max(y1, pt.y);
    }
    projectedBounds.extend(new L.Point(x0, y0)).extend(new L.Point(x1, y1));
    result.push(ring);
  },
  _clipPoints() {
    const clip = this._renderer._bounds, w = this.options.weight, pad = new L.Point(w, w);
    if (this._pxBounds && new L.Bounds(clip.min.subtract(pad), clip.max.add(pad)).contains(this._pxBounds)) {
      this._parts = this._rings.filter((ring) => ring.length > 0);
      return;
    }
    L.Polygon.prototype._clipPoints.call(this);
  },
});
// What L.geoJSON(DATA.geo) does for each feature, from LatLngs decoded straight from the grid; a
// feature's GeoJSON geometry is made when read (the selection's outline).
const shapes = atlasShapes(DATA_FIRST);
if (shapes) {
  const options = regionsLayer.options;
  shapes.forEach((shape, i) => {
    const layer = shape.kind === "L" ? new L.Polyline(shape.latlngs, options) : new RegionPolygon(shape.latlngs, options);
    layer.feature = { type: "Feature", id: shape.id, properties: {}, get geometry() { return DATA.geo.features[i].geometry; } };
    layer.defaultOptions = layer.options;
    regionsLayer.resetStyle(layer);
    regionEvents(layer.feature, layer);
    regionsLayer.addLayer(layer);
  });
} else regionsLayer.addData(DATA.geo);
regionsLayer.addTo(map);
Object.keys(byId).forEach((id) => { byId[id].getElement().setAttribute("data-id", id); });
// The early drawing (atlas_early.js) leaves in this task, before the hatch pattern is made: no
// frame shows both drawings, and no two elements ever share an id.
document.querySelectorAll("svg.atlas-early").forEach((el) => el.remove());
(function hatch() {
  const svg = map.getPane("atlas-regions").querySelector("svg");
  if (svg) svg.prepend(s("defs", {}, atlasHatch("atlas-hatch", DATA.nodata)));
})();
performance.mark("atlas-painted");
await nextFrame();
// The rest of DATA (the regions' rows, outlines, periods ...), read after the first paint.
if (atlasPaintable(DATA_FIRST)) atlasMerge(DATA, DATA_FIRST, await atlasRest());
performance.mark("atlas-rest");
Object.keys(byId).forEach((id) => {
  const r = REGIONS[id];
  centroids[id] = r && Array.isArray(r.centroid) ? L.latLng(r.centroid[0], r.centroid[1]) : byId[id].getBounds().getCenter();
});
