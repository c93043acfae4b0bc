// atlas_profile.js: the hover tooltip and the click / tap profile panel of one region.
const RAMP = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];
const CHART_W = 340;
const profileParts = [];  // more parts of a profile, after its facts: (id, region) -> nodes (atlas_periods.js, ...)

// ---- Tooltip: name, the current layer's value, rank; always inside the window. ----
const tip = h("div", { class: "atlas-tooltip", role: "tooltip", id: "atlas-tooltip", hidden: true });
document.body.append(tip);

function showTooltip(id, clientX, clientY, layer) {
  const r = REGIONS[id];
  if (!r) return;
  const pp = ppFormatter();
  tip.replaceChildren(
    h("div", { class: "atlas-tip-name" }, r.n),
    r.s ? h("div", { class: "atlas-tip-sub" }, r.s) : null,
    h("div", { class: "atlas-tip-value" }, h("span", { class: "atlas-tip-label" }, layer.label + ": "),
      layerValueWords(layer, r, pp)),
    r.nodata ? h("div", {}, r.reason || T.nodata_reason) : h("div", { class: "atlas-tip-rank" }, rankShort(r)));
  tip.hidden = false;
  placeTooltip(clientX, clientY);
}

function placeTooltip(x, y) {
  const gap = 14, w = tip.offsetWidth, hgt = tip.offsetHeight;
  const W = document.documentElement.clientWidth, H = document.documentElement.clientHeight;
  let left = x + gap, top = y + gap;
  if (left + w > W - 4) left = x - gap - w;
  if (top + hgt > H - 4) top = y - gap - hgt;
  tip.style.left = Math.max(4, Math.min(left, W - w - 4)) + "px";
  tip.style.top = Math.max(4, Math.min(top, H - hgt - 4)) + "px";
}

function hideTooltip() { tip.hidden = true; }

// ---- Small inline-SVG charts. ----
function rampColor(p) { return RAMP[Math.min(4, Math.max(0, Math.floor(5 * p)))]; }

function bar(y, width, p, height) {
  return [s("rect", { x: 0, y: y, width: width, height: height, class: "atlas-bar-bg" }),
          isNum(p) ? s("rect", { x: 0, y: y, width: Math.max(1, width * p), height: height, fill: rampColor(p), class: "atlas-bar" }) : null,
          s("line", { x1: width / 2, x2: width / 2, y1: y - 1, y2: y + height + 1, class: "atlas-bar-mid" })];
}

function text(x, y, content, cls) {
  return s("text", { x: x, y: y, class: cls || "" }, s("title", {}, content), content);
}

// One percentile bar (an inline SVG, so it prints and exports as drawn).
function barSvg(p, height) {
  return s("svg", { class: "atlas-chart", width: CHART_W, height: height + 2, viewBox: "0 0 " + CHART_W + " " + (height + 2),
                    "aria-hidden": "true", preserveAspectRatio: "none" }, bar(1, CHART_W, p, height));
}

// The pillars and their components: the pillar's percentile as a bar, then each component's
// raw value (with its unit and what it measures) and percentile. Text is HTML, so it wraps.
function pillarChart(pillars) {
  return h("div", { class: "atlas-pillars", role: "list", "aria-label": T.pillars_title }, pillars.map((p) => {
    const comps = p.components || [];
    const pp = ppFormatter();
    return h("div", { class: "atlas-pillar", role: "listitem" },
      h("div", { class: "atlas-pillar-label" }, p.label),
      barSvg(p.score, 10),
      h("div", { class: "atlas-chart-words" }, pctileWords(p.score)),
      // the value goes with what it measures ("Prior employment decline - Employment change
      // 2000-2023: +0.73 pp"), so a rise is never read as a "decline" of +0.73
      comps.length ? h("ul", { class: "atlas-comps" }, comps.map((c) => h("li", {},
        h("span", { class: "atlas-comp-label" }, c.label + (c.detail ? " \u2014 " : ": ")),
        c.detail ? h("span", { class: "atlas-comp-detail" }, c.detail + ": ") : null,
        h("b", {}, format(c.fmt, c.value, pp) + (c.unit && isNum(c.value) ? " " + c.unit : "")),
        isNum(c.percentile) ? [barSvg(c.percentile, 5), h("div", { class: "atlas-chart-words" }, pctileWords(c.percentile))] : null))) : null);
  }));
}

function sparkline(trend) {
  const pts = (trend.years || []).map((yr, i) => [yr, trend.values[i]]).filter((p) => isNum(p[1]));
  if (pts.length < 2) return null;
  const W = CHART_W, H = 56, pad = 14;
  const vs = pts.map((p) => p[1]), lo = Math.min(...vs), hi = Math.max(...vs);
  const x = (i) => pad + (W - 2 * pad - 40) * i / (pts.length - 1);
  const y = (v) => 6 + (H - 22) * (hi === lo ? 0.5 : 1 - (v - lo) / (hi - lo));
  const line = pts.map((p, i) => x(i).toFixed(1) + "," + y(p[1]).toFixed(1)).join(" ");
  const last = pts[pts.length - 1], fmt = trend.fmt || "num";
  return s("svg", { class: "atlas-spark", width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img",
                    "aria-label": trend.label + ": " + pts[0][0] + " " + format(fmt, pts[0][1]) + ", " + last[0] + " " + format(fmt, last[1]) },
    s("polyline", { points: line, class: "atlas-spark-line" }),
    s("circle", { cx: x(pts.length - 1), cy: y(last[1]), r: 3, class: "atlas-spark-dot" }),
    text(x(pts.length - 1) + 6, y(last[1]) + 4, format(fmt, last[1]), "atlas-chart-comp"),
    text(pad, H - 2, String(pts[0][0]), "atlas-chart-words"),
    s("text", { x: x(pts.length - 1), y: H - 2, class: "atlas-chart-words", "text-anchor": "end" }, String(last[0])));
}

function swatch(flag) {
  return s("svg", { class: "atlas-swatch", width: 22, height: 12, "aria-hidden": "true" },
    s("rect", { x: 1.5, y: 1.5, width: 19, height: 9, fill: "none", stroke: flag.color, "stroke-width": flag.width || 2.4,
                "stroke-dasharray": flag.dash || null }));
}

// ---- The profile panel. ----
function section(title, ...content) {
  return h("section", { class: "atlas-sec" }, h("h3", {}, title), ...content);
}

function rankWords(r) {
  if (!isNum(r.rank)) return [h("p", { class: "atlas-rank" }, T.unranked)];
  // a level ranked within groups (levels.toml rank_group): the group's rank, the whole level's as context
  const sentence = isNum(r.grank) && T.rank_group_sentence ? T.rank_group_sentence : T.rank_sentence;
  const out = [h("p", { class: "atlas-rank" }, tpl(sentence, { rank: ordinal(r.rank), rank_n: int(r.rank),
    grank: isNum(r.grank) ? ordinal(r.grank) : "", grank_n: int(r.grank), gn: int(r.gn), group: r.g || "" }))];
  if (isNum(r.rank_lo) && isNum(r.rank_hi)) {
    out.push(h("p", { class: "atlas-interval" }, tpl(T.rank_interval, {
      lo: ordinal(r.rank_lo), hi: ordinal(r.rank_hi), lo_n: int(r.rank_lo), hi_n: int(r.rank_hi) })));
  }
  return out;
}

// A job count as the level states it: whole (published counts) or, where it is an estimate
// (T.employment_digits significant digits), rounded, with "about".
function jobsWords(n) {
  const digits = Number(T.employment_digits) || 0;
  if (!digits || !isNum(n) || Math.abs(n) < 10 ** digits) return int(n);
  const step = 10 ** (Math.floor(Math.log10(Math.abs(n))) + 1 - digits);
  return tpl(T.employment_about, { n: int(Math.round(n / step) * step) });
}

function profileContent(id, layer) {
  const r = REGIONS[id];
  const pp = ppFormatter();
  const body = [h("div", { class: "atlas-prof-head" },
    h("h2", { id: "atlas-profile-title", tabindex: "-1" }, r.n),
    r.s ? h("div", { class: "atlas-prof-sub" }, r.s) : null)];
  if (r.nodata) {
    body.push(h("p", { class: "atlas-nodata-text" }, T.nodata + ": " + (r.reason || T.nodata_reason)));
  } else {
    body.push(...rankWords(r));
    body.push(h("dl", { class: "atlas-facts" },
      isNum(r.risk) ? [h("dt", {}, T.risk), h("dd", {}, r.risk.toFixed(3))] : null,
      isNum(r.emp) ? [h("dt", {}, T.employment), h("dd", {}, jobsWords(r.emp), T.employment_source
        ? h("span", { class: "atlas-dd-src" }, " (" + T.employment_source + ")") : null)] : null,
      (r.v || {})[layer.key] !== r.risk ? [h("dt", {}, layer.label), h("dd", {}, layerValueWords(layer, r, pp))] : null,
      r.z ? [h("dt", {}, T.zone), h("dd", {}, r.z)] : null));
  }
  profileParts.forEach((part) => body.push(h("div", { class: "atlas-prof-part" }, part(id, r))));
  const flags = (r.f || []).map(flagByKey).filter(Boolean);
  if (flags.length) {
    body.push(section(T.flags_title, h("ul", { class: "atlas-flag-list" }, flags.map((f) =>
      h("li", {}, swatch(f), h("b", {}, f.label), f.what ? h("span", { class: "atlas-what" }, " \u2014 " + f.what) : null)))));
  }
  if ((r.pillars || []).length) {
    body.push(section(T.pillars_title, h("p", { class: "atlas-note" }, T.pillars_note), pillarChart(r.pillars)));
  }
  if ((r.top || []).length) {
    body.push(section(T.top_title, h("table", { class: "atlas-top" },
      h("thead", {}, h("tr", {}, T.top_columns.map((c, i) => h("th", { class: i ? "v" : "" }, c)))),
      h("tbody", {}, r.top.map((o) => h("tr", {}, h("td", {}, o[0]), h("td", { class: "v" }, int(o[1])),
        h("td", { class: "v" }, isNum(o[2]) ? (100 * o[2]).toFixed(0) + "%" : T.na))))),
      T.top_note ? h("p", { class: "atlas-note" }, T.top_note) : null));
  }
  if (r.trend) {
    const chart = sparkline(r.trend);
    if (chart) body.push(section(T.trend_title, h("p", { class: "atlas-note" }, r.trend.label), chart));
  }
  if ((r.lines || []).length) {
    body.push(section(T.lines_title, r.lines.map((l) => h("p", { class: "atlas-line" },
      h("b", {}, l[0] + ": "), format(l[2], l[1]), l[3] ? h("span", { class: "atlas-note" }, " " + l[3]) : null))));
  }
  const scenarios = r.scenario ? (Array.isArray(r.scenario) ? r.scenario : [r.scenario]) : [];
  if (scenarios.length) {
    body.push(section(T.scenario_title, scenarios.map((sc) => h("p", { class: "atlas-scenario" },
      h("b", {}, sc.label + ": "), tpl(isNum(sc.shock_pp) ? T.scenario_sentence : T.scenario_no_shock, {
        displaced: int(sc.displaced), net_loss: int(sc.net_loss), years: isNum(sc.years) ? sc.years : T.na,
        shock: isNum(sc.shock_pp) ? sc.shock_pp.toFixed(2) : T.na })))));  // each language's unit is in its sentence
  }
  if ((r.mix || []).length) {  // the programme mix: one stacked bar and a line per instrument
    const pct = (x) => isNum(x) ? Math.round(100 * x) + "%" : T.na;
    const bar = h("div", { class: "atlas-mix-bar", role: "img", "aria-label": T.mix_title },
      r.mix.map((m, i) => {  // widths through the CSSOM: the page's CSP allows no inline style
        const part = h("span", { class: "atlas-mix-" + (i % 6), title: m[0] });
        part.style.width = (100 * m[1]).toFixed(1) + "%";
        return part;
      }));
    body.push(section(T.mix_title, bar, h("ul", { class: "atlas-mix" }, r.mix.map((m, i) => h("li", {},
      h("span", { class: "atlas-mix-key atlas-mix-" + (i % 6) }), m[0] + ": " + pct(m[1]) +
      (isNum(m[2]) && isNum(m[3]) ? " (" + pct(m[2]) + "\u2013" + pct(m[3]) + ")" : "")))),
      h("p", { class: "atlas-note" }, T.mix_note)));
  }
  if ((r.missing || []).length) {
    body.push(section(T.missing_title, h("ul", { class: "atlas-missing" }, r.missing.map((m) => h("li", {}, m)))));
  }
  if (!r.nodata && T.caveat_short) body.push(h("p", { class: "atlas-note atlas-caveat" }, T.caveat_short));
  return body;
}

const profile = h("aside", { class: "atlas-panel atlas-profile", id: "atlas-profile", role: "dialog",
                             "aria-labelledby": "atlas-profile-title", hidden: true });
const profileClose = button("\u00d7", "atlas-close", () => selectRegion(null));
profileClose.setAttribute("aria-label", T.close);
profileClose.title = T.close;
const profileBody = h("div", { class: "atlas-prof-body" });
profile.append(profileBody, profileClose);  // after the body: Tab from the title reaches Close

function renderProfile(id, layer) {
  if (!id || !REGIONS[id]) { profile.hidden = true; return; }
  profileBody.replaceChildren(...profileContent(id, layer));
  profile.hidden = false;
  profileBody.scrollTop = 0;
}
