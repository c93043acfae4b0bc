// atlas_start.js: "Save as PNG" (the SVG panes drawn onto a canvas), print, keys, start-up.

// The current view as one SVG document: the region, outline, flag and selection panes, the
// labels, the title and the legend's classes.
function viewSvg() {
  const box = map.getContainer().getBoundingClientRect(), size = map.getSize();
  const out = s("svg", { xmlns: SVGNS, width: size.x, height: size.y + 40, viewBox: "0 0 " + size.x + " " + (size.y + 40) });
  out.append(s("rect", { width: size.x, height: size.y + 40, fill: "#eef2f5" }));
  const body = s("g", { transform: "translate(0,40)" });
  ["atlas-regions", "atlas-outlines", "atlas-flags", "atlas-sel"].forEach((name) => {
    const svg = map.getPane(name).querySelector("svg");
    if (!svg) return;
    const r = svg.getBoundingClientRect(), copy = svg.cloneNode(true);
    copy.style.transform = "";  // Leaflet's offset is in r already: keep it once
    copy.setAttribute("x", r.left - box.left);
    copy.setAttribute("y", r.top - box.top);
    body.append(copy);
  });
  map.getPane("atlas-labels").querySelectorAll(".atlas-label:not([hidden])").forEach((el) => {
    const r = el.getBoundingClientRect();
    body.append(s("text", { x: r.left - box.left + r.width / 2, y: r.top - box.top + 12, "text-anchor": "middle",
      "font-family": "sans-serif", "font-size": 12, "font-weight": 600, stroke: "#fff", "stroke-width": 3,
      "paint-order": "stroke" }, el.textContent));
  });
  out.append(body, s("text", { x: 10, y: 26, "font-family": "sans-serif", "font-size": 18, "font-weight": 700 }, T.title));
  const rows = legendRows(state.layer).rows;
  const lx = size.x - 250, ly = size.y + 40 - 22 * (rows.length + 2) - 10;
  out.append(s("rect", { x: lx - 8, y: ly - 8, width: 250, height: 22 * (rows.length + 2) + 8, fill: "#fff", opacity: 0.9 }),
    s("text", { x: lx, y: ly + 10, "font-family": "sans-serif", "font-size": 12, "font-weight": 700 }, state.layer.label));
  rows.forEach((row, i) => {
    out.append(s("rect", { x: lx, y: ly + 22 * (i + 1), width: 18, height: 12, fill: row.colors[0], stroke: "#777" }),
      s("text", { x: lx + 26, y: ly + 22 * (i + 1) + 11, "font-family": "sans-serif", "font-size": 12 }, row.label));
  });
  return out;
}

function savePng() {
  const svg = viewSvg(), w = Number(svg.getAttribute("width")), hgt = Number(svg.getAttribute("height"));
  const img = new Image();
  img.onload = () => {
    const canvas = document.createElement("canvas"), scale = 2;
    canvas.width = w * scale;
    canvas.height = hgt * scale;
    const ctx = canvas.getContext("2d");
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0);
    const link = h("a", { href: canvas.toDataURL("image/png"),
                          download: (state.selected ? state.selected + "-" : "") + state.layer.key + ".png" });
    document.body.append(link);
    link.click();
    link.remove();
  };
  img.onerror = () => notify(T.na);
  img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(new XMLSerializer().serializeToString(svg));
}

// Print: the map gets the paper's width and shows the bounds the screen showed; the title,
// the legend and the open profile follow it (atlas_map.css).
const printing = window.matchMedia("print");
function enterPrint() {
  if (state.screenView) return;
  state.screenView = { center: map.getCenter(), zoom: map.getZoom(), bounds: map.getBounds() };
  map.invalidateSize({ pan: false });
  map.fitBounds(state.screenView.bounds, { animate: false });
  labelUpdate();
}
function leavePrint() {
  if (!state.screenView) return;
  const view = state.screenView;
  map.invalidateSize({ pan: false });
  map.setView(view.center, view.zoom, { animate: false });
  state.screenView = null;
  labelUpdate();
}
printing.addEventListener("change", (e) => (e.matches ? enterPrint() : leavePrint()));
window.addEventListener("beforeprint", enterPrint);
window.addEventListener("afterprint", leavePrint);

document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape") return;
  if (document.body.classList.contains("atlas-menu-open")) toggleMenu(false);
  else if (state.selected) selectRegion(null);
});
window.addEventListener("hashchange", applyHash);
window.addEventListener("resize", () => { layoutPhone(); });

const startZoom = DATA.bounds ? map.getBoundsZoom(DATA.bounds) : 3;
const labelUpdate = initLabels(map, centroids, startZoom);
renderLegend();
layoutPhone();
applyHash();
labelUpdate();
map.on("moveend zoomend", writeHash);
window.atlasMap = { map: map, byId: byId, data: DATA, state: state, select: selectRegion, setLayer: setLayer,
                    setOverlay: setOverlay, search: searchRegions, viewSvg: viewSvg, labels: labelUpdate };
