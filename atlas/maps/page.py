"""One self-contained HTML map page, rendered from a DATA dict (the map data contract).

``render_page(data)`` returns a complete document: Leaflet 1.9 (inlined from the installed
``django-js-lib-leaflet``), the atlas CSS and JavaScript (``atlas/maps/templates``) and DATA as
JSON. Opening it makes no network request (a Content-Security-Policy forbids any), so it works
from a USB stick. ``render_page(data, cdn=True)`` loads Leaflet from jsDelivr instead.

The data contract
-----------------
DATA is a JSON-able dict. ``?`` marks optional keys (missing = null); "class" is an index into
the layer's ``colors``.

``geo``
    GeoJSON FeatureCollection of the regions, each feature's ``id`` = region_id (WGS84).
``outlines?``
    FeatureCollection of state / province outlines drawn on top, not interactive.
``regions``
    ``{region_id: region}``, where a region is::

        n         display name, in every language of `languages` ("鹤岗市 Hegang")
        ln?       short label drawn on the map (default: n up to its first comma)
        alt?      [other names to search by: Chinese, pinyin, English, ISO3, ...]
        s?        subtitle (state; province and tier; ISO3 and income group)
        rank?, rank_lo?, rank_hi?   int rank (1 = highest risk) and its 90% interval
        g?, grank?, gn?   at a level ranked within groups (levels.toml rank_group): the
                  group in words, the rank within it and its ranked regions; text
                  rank_group_short / rank_group_sentence then say both ranks
        risk?     collapse risk 0..1;   emp?  jobs
        v         {layer_key: value | null}   (a bivariate layer: [x, y] | null)
        c         {layer_key: class | null}   (a bivariate layer: 3*y_class + x_class)
        f?        [keys of the flags that are true for the region]
        pillars?  [{key, label, score (percentile 0..1 | null),
                    components: [{key, label, value (raw), fmt, percentile (0..1 | null),
                                  unit?, detail?}]}]   (unit: after the value, "CNY";
                  detail: what the value measures, "Employment change 2000-2023")
        top?      [[title, jobs, score 0..1], ...]   most exposed occupations / sectors
        trend?    {label, years: [...], values: [...], fmt?} | null     (a sparkline)
        scenario? {label, displaced, net_loss, shock_pp, years} | [such dicts] | null
        mix?      [[instrument, share, share_p05 | null, share_p95 | null], ...]  programme mix
        missing?  [plain-words reasons a value is missing or estimated]
        nodata?   true when the region has no indices;  reason?  why, in plain words
        centroid? [lat, lon] of its label (default: the centre of its bounds)
        label_rank? 1 = most jobs; smaller ranks get labels at lower zooms (default: by emp)
        z?        trap zone text

``layers``
    ``[{key, label, fmt, colors, labels, scheme?, note?, what}]``: one legend label per colour,
    ``fmt`` one of ``pct`` (0..1 shown as %), ``rate`` (already in %), ``num``, ``int``,
    ``pctile`` (0..1 percentile, shown as "higher than 73% of US areas") and ``pp``
    (percentage points); ``signed_<fmt>`` shows a change with its sign. The first layer is
    shown by default. A bivariate layer adds
    ``"kind": "bivariate"``, 9 ``colors`` (index ``3*y + x``, x and y classes low..high),
    ``x_label``, ``y_label``, ``x_classes``, ``y_classes`` (3 labels each) and optionally
    ``x_fmt``, ``y_fmt`` for the two values in ``v``.
``flags``
    ``[{key, label, color, dash?, on?, what?}]``: outline overlays (``on``: shown by default).
``text``
    UI strings (bilingual for China); ``DEFAULT_TEXT`` lists every key with its English
    default, placeholders in braces. Required: ``title``; strongly advised: ``howto``,
    ``level_plural`` ("US areas"), ``level_singular``. Optional: ``subtitle`` (under the
    title), ``method`` and ``sources`` (lists of sentences shown in "About this map":
    the method with its weights, the data vintages), ``top_note`` (under the most exposed
    occupations).
``nodata``
    colour of regions without data (drawn hatched);  ``bounds?``  [[south, west], [north, east]]
``count``
    number of ranked regions (the M of "rank N of M");  ``languages?``  ["en"] or ["zh", "en"]
``periods?``
    a level with periods: each year's classes, ranks, collapse risk and pillars, packed by
    column (:mod:`atlas.maps.periods`); the page then has a period control.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement, Template

from atlas.maps.assets import leaflet_assets
from atlas.maps.first_paint import FOLIUM_CHARSET, ascii_html, defer_styles
from atlas.maps.pack import DIGITS, pack, split, unpack

TEMPLATES = Path(__file__).with_name("templates")
# In this order in one function; atlas_paint.js draws the regions and waits one frame (so they
# are painted first), the files after it make the panels, search, legend and the rest.
SCRIPTS = ("atlas_decode.js", "atlas_util.js", "atlas_paint.js", "atlas_profile.js",
           "atlas_search.js", "atlas_map.js", "atlas_periods.js", "atlas_compare.js",
           "atlas_poster.js", "atlas_start.js")
FORMATS = {"pct", "rate", "num", "int", "pctile", "pp"}
DEFAULT_TEXT: dict[str, Any] = {
    "title": "Unemployment-trap risk atlas", "howto": "", "howto_title": "How to read this map",
    "method_url": None, "method_label": "Method", "exports_url": None,
    "exports_label": "Download the rankings", "level_plural": "regions",
    "level_singular": "region", "ordinal": "en",
    "rank_short": "rank {rank_n} of {count}",
    "rank_sentence": "Ranks {rank} of {count} {level_plural} on collapse risk (1st = highest).",
    "rank_interval": "Under 90% of the model variants tried (other exposure measures, weights "
                     "and components), it ranks between {lo} and {hi}.",
    "unranked": "Not ranked.",
    "pctile": "higher than {p}% of {level_plural}",
    "pctile_top": "the highest of all {level_plural}",
    "pctile_bottom": "the lowest of all {level_plural}",
    "pp_long": "percentage points (pp)", "pp_short": "pp",
    "na": "n/a", "nodata": "No data", "search": "Find a region",
    "search_placeholder": "Type a name", "no_match": "No match for \u201c{q}\u201d",
    "matches": "{n} matches", "menu": "Layers and legend", "close": "Close",
    "layers": "Map layer", "overlays": "Outlines", "legend": "Legend",
    "about": "About this map", "copy_link": "Copy link", "copied": "Link copied",
    "copy_manual": "Copy this link:", "print": "Print", "save_png": "Save as PNG",
    "risk": "Collapse risk", "employment": "Jobs", "employment_source": "",
    "pillars_title": "What drives the risk",
    "pillars_note": "Bars: percentile within the level (longer = more risk).",
    "top_title": "Most exposed occupations",
    "top_columns": ["Occupation", "Jobs", "Exposure"], "trend_title": "Trend",
    "scenario_title": "AI-adoption scenarios (what-ifs, not forecasts)",
    "lines_title": "Recent national trends, continued (a what-if, not a forecast)",
    "scenario_sentence": "over {years} years, {displaced} jobs displaced and {net_loss} not "
                         "re-employed locally: unemployment rate up {shock} percentage points.",
    "mix_title": "What the money could fund (programme mix)",
    "mix_note": "Shares read from this place's data; the range is over other weightings of "
                "the instruments. A recommendation from data, not an evaluation of programmes.",
    "missing_title": "Missing or estimated data", "flags_title": "Flags", "zone": "Trap zone",
    "caveat_short": "Exposure means AI could do or speed up tasks, not that jobs will be lost: "
                    "collapse risk ranks vulnerability, it is not a forecast.",
    "legend_count": "{n}", "nodata_reason": "No indices for this region.",
    "selected": "Selected", "subtitle": "", "method": [], "sources": [],
    "method_title": "Method", "sources_title": "Data", "top_note": "",
    "outline_key": "", "legend_more": "How the classes are made", "built": None,
    "scenario_no_shock": "over {years} years, {displaced} jobs displaced and {net_loss} not "
                         "re-employed locally; the rise of the unemployment rate is not "
                         "computed: there is no labour-force figure for this place.",
    "employment_digits": 0, "employment_about": "about {n}",
    "source_line": "Data: {sources}.", "built_line": "Atlas built {date}.",
    "period": "Year", "periods_title": "Over the years",
    "period_note": "Shown for {year}: the colours, the rank, the collapse risk and the pillar "
                   "scores (the colours keep the classes of {default}'s legend). Everything "
                   "else is for {default}, the latest year.",
    "periods_rank": "Rank in each year (higher on the chart = riskier; 1st = highest risk).",
    "periods_pillars": "The two pillars in each year: percentile among that year's "
                       "{level_plural} (higher = more risk).",
    "pin": "Pin to compare", "unpin": "Unpin", "compare_title": "Side by side",
    "compare_show": "Compare the {n} pinned places",
    "compare_hint": "Pinned. Choose another place and pin it to see both side by side "
                    "(up to three).",
    "compare_note": "Each column is one pinned place; percentiles are within the level "
                    "(higher = more risk).",
}


def validate(data: dict[str, Any]) -> list[str]:
    """Check DATA against the contract.

    Parameters
    ----------
    data : dict
        The DATA dict (see the module docstring).

    Returns
    -------
    list of str
        One plain sentence per problem; empty when DATA follows the contract.
    """
    problems = [f"missing key '{k}'" for k in ("geo", "regions", "layers", "flags", "text",
                                              "nodata", "count") if k not in data]
    if problems:
        return problems
    regions = data["regions"]
    for feature in data["geo"].get("features", []):
        if feature.get("id") is None:
            problems.append("a geo feature has no id")
            break
    keys = set()
    for layer in data["layers"]:
        key = layer.get("key")
        keys.add(key)
        for field in ("key", "label", "colors", "labels"):
            if field not in layer:
                problems.append(f"layer {key!r} lacks '{field}'")
        if layer.get("kind") == "bivariate":
            if len(layer.get("colors", [])) != 9:
                problems.append(f"bivariate layer {key!r} needs 9 colors")
            for field in ("x_label", "y_label", "x_classes", "y_classes"):
                if field not in layer:
                    problems.append(f"bivariate layer {key!r} lacks '{field}'")
        elif layer.get("fmt") not in FORMATS:
            problems.append(f"layer {key!r} has fmt {layer.get('fmt')!r}, not one of "
                            f"{sorted(FORMATS)}")
        elif len(layer.get("colors", [])) != len(layer.get("labels", [])):
            problems.append(f"layer {key!r} has {len(layer['colors'])} colors but "
                            f"{len(layer['labels'])} labels")
    colours = {layer.get("key"): len(layer.get("colors", [])) for layer in data["layers"]}
    for region_id, region in regions.items():
        if not isinstance(region.get("n"), str):
            problems.append(f"region {region_id!r} has no name 'n'")
        for key, cls in (region.get("c") or {}).items():
            if key not in keys:
                problems.append(f"region {region_id!r} has a class for unknown layer {key!r}")
            elif cls is not None and not 0 <= cls < colours[key]:
                problems.append(f"region {region_id!r}: class {cls} out of range for {key!r}")
        if len(problems) > 20:
            break
    return problems


def safe_json(data: Any) -> str:
    """JSON that cannot close a ``<script>`` element or open HTML (``<``, ``>``, ``&`` escaped),
    in ASCII (every other character as ``\\uXXXX``: see :mod:`atlas.maps.first_paint`).

    Parameters
    ----------
    data : Any
        A JSON-able value.

    Returns
    -------
    str
        Compact ASCII JSON, safe inside ``<script type="application/json">``.
    """
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page_data(document: str) -> dict[str, Any]:
    """The DATA a rendered page carries, unpacked (as the page's scripts see it).

    Parameters
    ----------
    document : str
        A page of :func:`render_page`.

    Returns
    -------
    dict
        DATA following the contract of this module (vertices on the display grid).
    """
    parts = [json.loads(document.split(tag)[1].split("</script>")[0])
             for name in ("atlas-first", "atlas-data")  # a page before issue 32: no atlas-first
             if (tag := f'<script id="{name}" type="application/json">') in document]
    return unpack({k: v for part in parts for k, v in part.items()})


def _hash(code: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"


def _read_template(name: str) -> str:
    # newlines as the HTML parser sees them, so the Content-Security-Policy hashes match
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _code(script: str) -> str:
    """A template script without its whole-line ``//`` comments (the page carries the code
    only; the templates' files keep their comments). The templates have no multi-line
    strings, so such a line is always a comment."""
    return "\n".join(line.lstrip() for line in script.split("\n")
                     if not line.lstrip().startswith("//"))


ONLY_WITH = {"atlas_periods.js": "periods"}  # a script a page has only when DATA has the key
PERIOD_TEXT = ("period", "periods_title", "period_note", "periods_rank", "periods_pillars")


def atlas_script(data: dict[str, Any] | None = None) -> str:
    """The atlas JavaScript: the template files concatenated in one strict-mode async function
    (without the scripts of :data:`ONLY_WITH` whose DATA key ``data`` lacks; ``await
    nextFrame()`` lets the browser paint between start-up steps); an error in it is thrown
    again outside the promise, so that it is reported like any uncaught error."""
    parts = [_code(_read_template(name)) for name in SCRIPTS
             if data is None or data.get(ONLY_WITH.get(name, "text"))]
    return ("(async function () {\n\"use strict\";\n" + "\n".join(parts)
            + "\n})().catch((err) => setTimeout(() => { throw err; }));\n")


def early_script(atlas_map: folium.Map) -> str:
    """The script drawing the regions before Leaflet (``atlas_early.js``), given the map's
    container id and the view folium's ``L.map(...)`` starts at (Leaflet's first view, from
    which it fits the data's bounds)."""
    start = {"id": atlas_map.get_name(), "center": list(atlas_map.location),
             "zoom": atlas_map.options["zoom"], "snap": atlas_map.options["zoom_snap"]}
    return _code(_read_template("atlas_early.js")).replace(
        "ATLAS_START_VIEW", json.dumps(start, separators=(",", ":"))).replace(
        "ATLAS_DIGIT_TEXT", json.dumps(DIGITS))


class RawHTML(Element):
    """HTML inserted as it is. ``branca.element.Element(text)`` would compile ``text`` as a
    Jinja template (a region name ``{{ 7 * 7 }}`` evaluated, ``{%`` stopping the build)."""

    _template = Template("{{ this.raw }}")  # branca's Template does not autoescape

    def __init__(self, raw: str) -> None:
        super().__init__()
        self._name, self.raw = "RawHTML", raw


class AtlasScript(MacroElement):
    """The atlas JavaScript, after folium's map is created (it drives that map)."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name, self.code = "AtlasScript", code

    def render(self, **kwargs: Any) -> None:
        self.code = self.code.replace("ATLAS_LEAFLET_MAP", self._parent.get_name())
        super().render(**kwargs)


def _policy(document: str, origin: str = "") -> str:
    """A Content-Security-Policy allowing exactly the document's inline scripts and styles."""
    scripts, styles = (" ".join(_hash(code) for code in re.findall(
        rf"<{tag}>(.*?)</{tag}>", document, re.S)) for tag in ("script", "style"))
    return (f"default-src 'none'; script-src {origin} {scripts}; style-src {origin} {styles}; "
            "img-src data:; base-uri 'none'; form-action 'none'")


def render_page(data: dict[str, Any], *, cdn: bool = False, check: bool = True) -> str:
    """Render DATA as one self-contained HTML document: a folium map with Leaflet inlined.

    Parameters
    ----------
    data : dict
        DATA following the contract of this module's docstring.
    cdn : bool, default False
        Load Leaflet from jsDelivr (with subresource integrity) instead of inlining it.
    check : bool, default True
        Validate DATA first and raise on any problem.

    Returns
    -------
    str
        The HTML document, with a Content-Security-Policy that allows its own inline code
        only (so opening it makes no request).

    Raises
    ------
    ValueError
        When ``check`` and DATA does not follow the contract.
    """
    if check and (problems := validate(data)):
        raise ValueError("map DATA does not follow the contract: " + "; ".join(problems[:8]))
    leaflet = leaflet_assets()
    text = {**DEFAULT_TEXT, **data.get("text", {})}
    if not data.get("periods"):  # no period control: none of its words
        text = {k: v for k, v in text.items() if k not in PERIOD_TEXT}
    lang = (data.get("languages") or ["en"])[0]
    title = ascii_html(str(text["title"]))
    atlas_map = folium.Map(tiles=None, zoom_snap=0.25, zoom_delta=0.5,
                           wheel_px_per_zoom_level=120, zoom_control=False, min_zoom=1,
                           max_zoom=12, world_copy_jump=False, control_scale=False)
    atlas_map.default_js, atlas_map.default_css = [], []
    atlas_map._name, atlas_map._id = "atlas", "map"  # the div and its map: #atlas_map
    figure = Figure(title=title)
    figure.add_child(atlas_map)
    assets, script = f"<style>{leaflet.css}</style>", f"<script>{leaflet.js}</script>"
    if cdn:
        assets = (f'<link rel="stylesheet" href="{leaflet.cdn_css}" integrity='
                  f'"{leaflet.integrity_css}" crossorigin="anonymous">')
        script = (f'<script src="{leaflet.cdn_js}" integrity="{leaflet.integrity_js}" '
                  'crossorigin="anonymous"></script>')
    figure.header.add_child(RawHTML(  # no frame before the map's <div> (an empty page)
        f'<link rel="expect" href="#{atlas_map.get_name()}" blocking="render">'
        f'<meta name="description" content="{ascii_html(str(text.get("howto", "")))}">'
        f"{assets}<style>{(css := _read_template('atlas_map.css'))}</style>"), name="atlas_assets")
    first, rest = split(pack({**data, "text": text}))
    figure.html.add_child(RawHTML(
        f'<script id="atlas-first" type="application/json">{safe_json(first)}</script>'
        "<noscript>This map needs JavaScript.</noscript>"), name="atlas_data")
    atlas_map.add_child(AtlasScript(atlas_script(data)))
    document = figure.render().replace("\r\n", "\n")
    # after the map's <div>, before folium's L.map(...): the early drawing, the head's styles
    # (atlas/maps/first_paint.py), then Leaflet
    end, early = document.index("</body>"), f"<script>{early_script(atlas_map)}</script>"
    document = defer_styles(document[:end] + f"{early}{script}\n" + document[end:], early,
                            css, (leaflet.css, css))
    # the bulk of DATA after the script: the parser reaches the script (and the script paints
    # the regions) before it reads it; atlas_paint.js reads it after the first paint
    end = document.rindex("</html>")
    document = (document[:end] + f'<script id="atlas-data" type="application/json">'
                f"{safe_json(rest)}</script>\n" + document[end:])
    policy = _policy(document, "https://cdn.jsdelivr.net" if cdn else "")
    document = document.replace("<html>", f'<html lang="{html.escape(lang)}">', 1)
    document = document.replace(FOLIUM_CHARSET, "", 1)  # said first, once: no guessing
    return document.replace("<head>", '<head><meta charset="utf-8"><meta http-equiv='
                            f'"Content-Security-Policy" content="{policy}">', 1)
