// atlas_start.js: "Save as PNG" (the poster of atlas_poster.js drawn onto a canvas), print, keys,
// the end of the start-up (one frame after the panels: legend, the address's state, labels).

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

// Print: the poster of the current view (atlas_poster.js) replaces the live map on paper; as an
// SVG with a viewBox it scales to any paper size and orientation, so the whole view, its legend,
// sources and date are on the page; the open profile follows it (atlas_map.css).
const printBox = h("div", { class: "atlas-print-sheet", "aria-hidden": "true" });
document.body.prepend(printBox);
function enterPrint() {  // drawn once, from the screen's layout (before print styles apply)
  if (printBox.firstChild || !map.getContainer().offsetWidth) return;
  const scale = Math.max(1.4, map.getSize().x / 700);  // text of about 8-9 pt on A4
  printBox.replaceChildren(viewSvg({ scale: scale }), viewSvg({ scale: scale, below: true }));
}
function leavePrint() {
  printBox.replaceChildren();
}
window.matchMedia("print").addEventListener("change", (e) => (e.matches ? enterPrint() : leavePrint()));
window.addEventListener("beforeprint", enterPrint);
window.addEventListener("afterprint", leavePrint);

document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape") return;
  if (document.body.classList.contains("atlas-menu-open")) toggleMenu(false);
  else if (state.selected) selectRegion(null);
});
window.addEventListener("hashchange", applyHash);
window.addEventListener("resize", () => { layoutPhone(); });

await nextFrame();  // the panels are in; the legend, the address's state and the labels follow
const startZoom = DATA.bounds ? map.getBoundsZoom(DATA.bounds) : 3;
const labelUpdate = initLabels(map, centroids, startZoom);
renderLegend();
layoutPhone();
applyHash();
labelUpdate();
map.on("moveend zoomend", writeHash);
window.atlasMap = { map: map, byId: byId, data: DATA, state: state, select: selectRegion, setLayer: setLayer,
                    setOverlay: setOverlay, search: searchRegions, viewSvg: viewSvg, print: enterPrint, labels: labelUpdate };
booted = true;
performance.mark("atlas-ready");
