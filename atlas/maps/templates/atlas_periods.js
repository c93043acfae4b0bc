// atlas_periods.js: the period control of a level with periods (DATA.periods, atlas/maps/periods.py)
// and the profile's chart of the rank and the two pillars over the periods. Choosing a year writes
// that year's classes, rank, collapse risk and pillar scores into REGIONS (the default year's are
// kept and put back), then redraws through setLayer, so every other script reads the year shown.
const PERIODS = DATA.periods || null;
const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_.";
state.period = PERIODS ? PERIODS.default : null;

// A text of atlas/maps/periods.py's encode(): width base-64 digits per region, "~" missing.
function periodNumbers(text, width) {
  const out = [];
  for (let i = 0; i < text.length; i += width) {
    if (text[i] === "~") { out.push(null); continue; }
    let v = 0;
    for (let j = i; j < i + width; j++) v = v * 64 + DIGITS.indexOf(text[j]);
    out.push(v);
  }
  return out;
}
const periodTable = PERIODS ? {
  rank: PERIODS.rank.map((t) => periodNumbers(t, PERIODS.width.rank)),
  risk: PERIODS.risk.map((t) => periodNumbers(t, PERIODS.width.risk)),
  p: PERIODS.p.map((pillar) => pillar.map((t) => periodNumbers(t, PERIODS.width.p))),
  col: Object.fromEntries(PERIODS.ids.map((id, j) => [id, j])),
} : null;
const periodBase = {};  // region id -> its default-year values, put back when that year is chosen
const defaultCount = DATA.count, defaultTitle = T.title;

// One region's values in year index i: {rank, risk, p: [shock, absorption]} (null: missing).
function periodValues(id, i) {
  const j = periodTable.col[id];
  if (j === undefined) return { rank: null, risk: null, p: [null, null] };
  const num = (v, scale) => (v === null ? null : v / scale);
  return { rank: periodTable.rank[i][j], risk: num(periodTable.risk[i][j], 1000),
           p: periodTable.p.map((pillar) => num(pillar[i][j], 100)) };
}

function setPeriod(year) {
  if (!PERIODS) return;
  const asked = PERIODS.years.indexOf(Number(year));
  const chosen = asked < 0 ? PERIODS.years.indexOf(PERIODS.default) : asked;
  state.period = PERIODS.years[chosen];
  const isDefault = state.period === PERIODS.default;
  DATA.count = isDefault ? defaultCount : PERIODS.count[chosen];
  // the poster (Print, Save as PNG: atlas_poster.js) is titled with T.title: it names a past year
  T.title = isDefault ? defaultTitle : defaultTitle + " \u00b7 " + T.period + " " + state.period;
  Object.keys(REGIONS).forEach((id) => {
    const r = REGIONS[id];
    if (r.nodata) return;
    if (!periodBase[id]) periodBase[id] = { rank: r.rank, rank_lo: r.rank_lo, rank_hi: r.rank_hi, risk: r.risk,
                                            c: r.c, v: r.v, pillars: r.pillars };
    const base = periodBase[id];
    if (isDefault) { Object.assign(r, base); return; }
    const j = periodTable.col[id], vals = periodValues(id, chosen);
    Object.assign(r, { rank: vals.rank, rank_lo: null, rank_hi: null, risk: vals.risk, c: {}, v: {} });
    LAYERS.forEach((layer) => {
      const text = (PERIODS.classes[layer.key] || [])[chosen] || "";
      const ch = j === undefined ? "" : text.charAt(j);
      const cls = ch && ch !== "-" ? Number(ch) : null;
      r.c[layer.key] = cls;
      // the value of a past year is told by its class: the legend's range (words, not a number)
      r.v[layer.key] = cls === null || isBivariate(layer) ? null : layer.labels[cls];
      if (base.v[layer.key] === base.risk && isNum(base.risk)) r.v[layer.key] = vals.risk;  // the risk layer
    });
    // the pillars of that year, without the components (those are the default year's)
    r.pillars = (base.pillars || []).map((p) => {
      const k = PERIODS.pillars.findIndex((q) => q.key === p.key);
      const score = k < 0 ? null : vals.p[k];
      LAYERS.forEach((layer) => {  // a pillar's own layer shows the year's score
        if (isNum(p.score) && base.v[layer.key] === p.score) r.v[layer.key] = score;
      });
      return Object.assign({}, p, { score: score, components: [] });
    });
  });
  if (periodInput) {
    periodInput.value = String(chosen);
    periodShown.textContent = String(state.period);
  }
}

// The control: a slider over the years with the year shown, in the header (always in view).
const periodInput = PERIODS ? h("input", { type: "range", id: "atlas-period", min: 0, max: PERIODS.years.length - 1,
  step: 1, value: PERIODS.years.indexOf(PERIODS.default), "aria-label": T.period,
  oninput: (e) => { setPeriod(PERIODS.years[Number(e.target.value)]); periodChanged(); } }) : null;
const periodShown = h("output", { class: "atlas-period-year", for: "atlas-period" }, String(state.period));
if (PERIODS) {
  header.append(h("div", { class: "atlas-period-row" }, h("label", { for: "atlas-period", class: "atlas-period-label" }, T.period),
    h("span", { class: "atlas-period-end" }, String(PERIODS.years[0])), periodInput,
    h("span", { class: "atlas-period-end" }, String(PERIODS.years[PERIODS.years.length - 1])), periodShown));
}
function periodChanged() {
  setLayer(state.layer.key);  // recolours, redraws the legend and the profile, writes the hash
  renderCompare();
}

// The profile's chart: the rank and the two pillars in every year, the year shown marked.
function periodChart(id) {
  const years = PERIODS.years, W = CHART_W, H = 74, left = 34, right = 8, top = 6, bottom = 16;
  const rows = years.map((yr, i) => periodValues(id, i));
  if (rows.filter((v) => isNum(v.rank)).length < 2) return null;
  const x = (i) => left + (W - left - right) * i / (years.length - 1);
  const n = Math.max(...PERIODS.count);
  const yRank = (r) => top + (H - top - bottom) * (r - 1) / Math.max(1, n - 1);  // 1st at the top
  const yP = (p) => top + (H - top - bottom) * (1 - p);  // the highest percentile at the top
  const now = years.indexOf(state.period);
  function line(values, y, cls, title) {
    const pts = values.map((v, i) => (isNum(v) ? [x(i), y(v), i, v] : null)).filter(Boolean);
    return [s("polyline", { points: pts.map((p) => p[0].toFixed(1) + "," + p[1].toFixed(1)).join(" "), class: "atlas-period-line " + cls }),
      ...pts.map((p) => s("circle", { cx: p[0].toFixed(1), cy: p[1].toFixed(1), r: 2.6, class: "atlas-period-pt " + cls,
        "data-year": years[p[2]] }, s("title", {}, years[p[2]] + ": " + title(p[3]))))];
  }
  const axis = (label) => [text(0, top + 8, label[0], "atlas-chart-words"), text(0, H - bottom, label[1], "atlas-chart-words"),
    s("text", { x: left, y: H - 3, class: "atlas-chart-words" }, String(years[0])),
    s("text", { x: W - right, y: H - 3, class: "atlas-chart-words", "text-anchor": "end" }, String(years[years.length - 1])),
    s("line", { x1: x(now), x2: x(now), y1: top - 2, y2: H - bottom, class: "atlas-period-now" })];
  const rankSvg = s("svg", { class: "atlas-chart atlas-period-chart atlas-period-rank", width: W, height: H, viewBox: "0 0 " + W + " " + H,
    role: "img", "aria-label": T.periods_rank },
    axis(["1", String(n)]), line(rows.map((v) => v.rank), yRank, "atlas-period-r",
      (v) => tpl(T.rank_short, { rank: ordinal(v), rank_n: int(v) })));
  const pSvg = s("svg", { class: "atlas-chart atlas-period-chart atlas-period-pillars", width: W, height: H, viewBox: "0 0 " + W + " " + H,
    role: "img", "aria-label": T.periods_pillars },
    axis(["100%", "0%"]),
    PERIODS.pillars.flatMap((pillar, k) => line(rows.map((v) => v.p[k]), yP, "atlas-period-p" + k, (v) => pillar.label + ": " + pctileWords(v))));
  const key = h("div", { class: "atlas-period-key" }, PERIODS.pillars.map((pillar, k) =>
    h("span", {}, h("span", { class: "atlas-period-swatch atlas-period-p" + k }), pillar.label)));
  return [h("p", { class: "atlas-note" }, tpl(T.periods_rank)), rankSvg,
          h("p", { class: "atlas-note" }, tpl(T.periods_pillars)), pSvg, key];
}

function periodPart(id, r) {
  if (!PERIODS || r.nodata) return null;
  const out = [];
  if (state.period !== PERIODS.default) {
    out.push(h("p", { class: "atlas-period-note" }, tpl(T.period_note, { year: state.period, default: PERIODS.default })));
  }
  const chart = periodChart(id);
  if (chart) out.push(section(T.periods_title, chart));
  return out;
}
profileParts.push(periodPart);
hashParts.push({
  write: (p) => { if (PERIODS && state.period !== PERIODS.default) p.set("period", String(state.period)); },
  read: (p) => { if (PERIODS) setPeriod(p.get("period") || PERIODS.default); },
});
