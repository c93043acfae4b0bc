// Interactive layer of an atlas map. DATA is injected by atlas/maps.py:
// {geo, outlines, regions: {id: {n, s, rank, risk, p: [...], v: {...}, c: {...}, f: [...], top}},
//  layers: [{key, label, colors, labels, scheme, fmt}], flags: [{key, label, color, dash}],
//  text: {...}, nodata}
(function (map, DATA) {
  "use strict";
  const T = DATA.text;
  const esc = (v) => String(v === null || v === undefined ? "" : v).replace(
    /[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const pct = (v, d = 1) => (v === null || v === undefined ? T.na : (100 * v).toFixed(d) + "%");
  const num = (v, d = 3) => (v === null || v === undefined ? T.na : Number(v).toFixed(d));
  const int = (v) => (v === null || v === undefined ? T.na : Math.round(v).toLocaleString("en-US"));
  const formats = { pct: pct, num: num, int: int, rate: (v) => (v === null || v === undefined ? T.na : Number(v).toFixed(1) + "%") };
  let current = DATA.layers[0];
  const byId = {};

  function fill(id) {
    const region = DATA.regions[id];
    const cls = region ? region.c[current.key] : null;
    return cls === null || cls === undefined ? DATA.nodata : current.colors[cls];
  }
  function style(feature) {
    const missing = fill(feature.id) === DATA.nodata;
    return { className: "atlas-region", fillColor: fill(feature.id), fillOpacity: missing ? 0.55 : 0.88,
             color: "#4d4d4d", weight: 0.5, dashArray: missing ? "2 2" : null };
  }
  function tooltip(id) {
    const r = DATA.regions[id];
    if (!r) return "<b>" + esc(id) + "</b><br>" + esc(T.nodata);
    if (r.nodata) return "<div class='atlas-tip'><div class='atlas-tip-name'>" + esc(r.n) + "</div>" +
      (r.s ? "<div class='atlas-tip-sub'>" + esc(r.s) + "</div>" : "") + "<div>" + esc(T.nodata) + "</div></div>";
    const rows = DATA.layers.map((layer) =>
      "<tr><td>" + esc(layer.label) + "</td><td class='v'>" + esc(formats[layer.fmt](r.v[layer.key])) + "</td></tr>").join("");
    const parts = T.components.map((label, i) => esc(label) + " " + esc(num(r.p[i], 2))).join(" &middot; ");
    const top = (r.top || []).map((o) => "<tr><td>" + esc(o[0]) + "</td><td class='v'>" + esc(int(o[1])) +
      "</td><td class='v'>" + esc(num(o[2], 2)) + "</td></tr>").join("");
    const flags = (r.f || []).map((k) => esc((DATA.flags.find((f) => f.key === k) || { label: k }).label)).join(", ");
    return "<div class='atlas-tip'><div class='atlas-tip-name'>" + esc(r.n) + "</div>" +
      (r.s ? "<div class='atlas-tip-sub'>" + esc(r.s) + "</div>" : "") +
      "<div class='atlas-tip-rank'>" + esc(T.rank) + " " + esc(r.rank) + " " + esc(T.of) + " " + esc(DATA.count) +
      (r.rank_ci ? " (" + esc(r.rank_ci) + ")" : "") + " &middot; " + esc(T.risk) + " " + esc(num(r.risk, 3)) + "</div>" +
      "<div class='atlas-tip-parts'>" + esc(T.components_title) + ": " + parts + "</div>" +
      "<table>" + rows + "<tr><td>" + esc(T.employment) + "</td><td class='v'>" + esc(int(r.emp)) + "</td></tr></table>" +
      (top ? "<div class='atlas-tip-top'>" + esc(T.top_title) + "</div><table class='atlas-top'><tr><th>" + esc(T.top_columns[0]) +
        "</th><th>" + esc(T.top_columns[1]) + "</th><th>" + esc(T.top_columns[2]) + "</th></tr>" + top + "</table>" : "") +
      (flags ? "<div class='atlas-tip-flags'>" + esc(T.flags) + ": " + flags + "</div>" : "") +
      (r.z ? "<div class='atlas-tip-flags'>" + esc(T.zone) + ": " + esc(r.z) + "</div>" : "") + "</div>";
  }

  const regions = L.geoJSON(DATA.geo, {
    style: style,
    onEachFeature: (feature, layer) => {
      byId[feature.id] = layer;
      layer.bindTooltip(() => tooltip(feature.id), { sticky: true, className: "atlas-tooltip", direction: "auto", opacity: 0.97 });
      layer.on("mouseover", () => layer.setStyle({ weight: 2, color: "#000" }));
      layer.on("mouseout", () => regions.resetStyle(layer));
    },
  }).addTo(map);

  if (DATA.outlines) {
    L.geoJSON(DATA.outlines, { interactive: false,
      style: { className: "atlas-outline", fill: false, color: "#1a1a1a", weight: 1.1 } }).addTo(map);
  }
  const overlays = {};
  DATA.flags.forEach((flag) => {
    const layer = L.geoJSON(DATA.geo, {
      interactive: false,
      filter: (f) => DATA.regions[f.id] && (DATA.regions[f.id].f || []).includes(flag.key),
      style: { className: "atlas-flag atlas-flag-" + flag.key, fill: false, color: flag.color,
               weight: flag.weight || 2.4, dashArray: flag.dash || null },
    });
    if (flag.on) layer.addTo(map);
    overlays["<span class='atlas-swatch' style='border-color:" + esc(flag.color) + "'></span>" + esc(flag.label)] = layer;
  });

  // Layer switcher (one base layer visible at a time) and flag overlays.
  const switcher = L.control({ position: "topright" });
  switcher.onAdd = function () {
    const div = L.DomUtil.create("div", "atlas-panel atlas-switcher");
    div.innerHTML = "<div class='atlas-panel-title'>" + esc(T.layers) + "</div>" + DATA.layers.map((layer, i) =>
      "<label><input type='radio' name='atlas-layer' value='" + i + "'" + (i === 0 ? " checked" : "") + "> " +
      esc(layer.label) + "</label>").join("");
    L.DomEvent.disableClickPropagation(div);
    div.addEventListener("change", (event) => {
      current = DATA.layers[Number(event.target.value)];
      regions.setStyle(style);
      renderLegend();
    });
    return div;
  };
  switcher.addTo(map);
  L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(map);

  // Legend.
  const legend = L.control({ position: "bottomright" });
  let legendDiv = null;
  function renderLegend() {
    legendDiv.innerHTML = "<div class='atlas-panel-title'>" + esc(current.label) + "</div>" +
      "<div class='atlas-legend-scheme'>" + esc(current.scheme) + "</div>" +
      current.colors.map((color, i) => "<div><span class='atlas-box' style='background:" + esc(color) + "'></span>" +
        esc(current.labels[i]) + "</div>").join("") +
      "<div><span class='atlas-box atlas-nodata' style='background:" + esc(DATA.nodata) + "'></span>" + esc(T.nodata) + "</div>" +
      (current.note ? "<div class='atlas-legend-note'>" + esc(current.note) + "</div>" : "");
  }
  legend.onAdd = function () {
    legendDiv = L.DomUtil.create("div", "atlas-panel atlas-legend");
    renderLegend();
    return legendDiv;
  };
  legend.addTo(map);

  // Title, how to read, and search.
  const info = L.control({ position: "topleft" });
  info.onAdd = function () {
    const div = L.DomUtil.create("div", "atlas-panel atlas-info");
    const title = L.DomUtil.create("div", "atlas-title", div);
    title.textContent = T.title;
    const details = L.DomUtil.create("details", "atlas-howto", div);
    const summary = L.DomUtil.create("summary", "", details);
    summary.textContent = T.howto_title;
    const body = L.DomUtil.create("p", "", details);
    body.textContent = T.howto;
    const label = L.DomUtil.create("label", "atlas-search-label", div);
    label.textContent = T.search;
    const input = L.DomUtil.create("input", "atlas-search", div);
    input.setAttribute("list", "atlas-names");
    input.setAttribute("placeholder", T.search_placeholder);
    const list = L.DomUtil.create("datalist", "", div);
    list.id = "atlas-names";
    const nameToId = {};
    Object.keys(DATA.regions).filter((id) => !DATA.regions[id].nodata).sort((a, b) => DATA.regions[a].n.localeCompare(DATA.regions[b].n)).forEach((id) => {
      const option = document.createElement("option");
      option.value = DATA.regions[id].n;
      nameToId[DATA.regions[id].n] = id;
      list.appendChild(option);
    });
    input.addEventListener("change", () => {
      const layer = byId[nameToId[input.value]];
      if (layer) { map.fitBounds(layer.getBounds(), { maxZoom: 8 }); layer.openTooltip(layer.getBounds().getCenter()); }
    });
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  info.addTo(map);
  if (DATA.bounds) {
    const wide = map.getSize().x > 900;  // keep the right-hand panels off the map when there is room
    map.fitBounds(DATA.bounds, { animate: false, paddingTopLeft: [10, 10],
                                 paddingBottomRight: [wide ? 360 : 10, 10] });
  }
  window.atlasMap = { map: map, regions: regions, byId: byId, data: DATA };
})(MAP_VARIABLE, ATLAS_DATA);
