"""Synthetic map DATA (the contract of ``atlas.maps.page``): 40 square regions on a 8 x 5 grid.

Names include a CJK city with pinyin, accented and long names and two hostile ones (an HTML
injection and a spreadsheet formula). Region ``r00`` (the largest) ranks 12th with a 90%
interval of 5th-31st; ``r38`` and ``r39`` have no data. Everything is deterministic.
"""

from __future__ import annotations

from typing import Any

XSS_NAME = '<img src=x onerror="window.__xss=1;alert(1)">'
FORMULA_NAME = '=HYPERLINK("http://evil.example","click me")'
LONG_NAME = ("Northwestern Lower Peninsula of Michigan and the Upper Great Lakes "
             "Nonmetropolitan Area, MI")
NAMES: dict[str, tuple[str, list[str], str]] = {  # id: (name, alt names, subtitle)
    "r00": ("Youngstown-Warren, OH-PA", [], "OH-PA · metropolitan"),
    "r01": ("鹤岗市 Hegang", ["鹤岗", "Hegang", "hegang shi"], "黑龙江省 Heilongjiang · 四线城市"),
    "r02": ("Philippines", ["PHL", "菲律宾", "Republic of the Philippines"], "PHL · LMC"),
    "r03": ("São Paulo", ["Sao Paulo", "BRA"], "SP"),
    "r04": (XSS_NAME, [], "<b>bold?</b>"),
    "r05": (FORMULA_NAME, [], "=1+1"),
    "r06": (LONG_NAME, [], "MI"),
    "r07": ("Zürich", ["Zurich", "CHE"], "ZH"),
    "r08": ("西安市 Xi'an", ["西安", "Xi'an", "Xian"], "陕西省 Shaanxi"),
}
COLS, ROWS, SIZE = 8, 5, 4.0  # grid of SIZE-degree squares from (-100, 25)
YLORRD = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]
BIVARIATE = ["#e8e8e8", "#e4acac", "#c85a5a", "#b0d5df", "#ad9ea5", "#985356",
             "#64acbe", "#627f8c", "#574249"]
LEVEL_PLURAL = "test areas"


def region_ids() -> list[str]:
    """Ids ``r00`` ... ``r39`` in grid order (row by row from the south-west)."""
    return [f"r{i:02d}" for i in range(COLS * ROWS)]


def square(i: int) -> dict[str, Any]:
    """The GeoJSON polygon of grid cell ``i``."""
    x0, y0 = -100 + SIZE * (i % COLS), 25 + SIZE * (i // COLS)
    ring = [[x0, y0], [x0 + SIZE, y0], [x0 + SIZE, y0 + SIZE], [x0, y0 + SIZE], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def _region(i: int, rid: str, n: int) -> dict[str, Any]:
    name, alt, sub = NAMES.get(rid, (f"Test Area {i:02d}", [], "ZZ"))
    if i >= n - 2:  # the last two: no data
        return {"n": name, "alt": alt, "s": sub, "nodata": True, "v": {}, "c": {}, "f": [],
                "reason": "No employment by occupation for this area (OEWS suppressed)."}
    rank = 12 if i == 0 else (i if i < 12 else i + 1)
    risk = round(1 - rank / n, 4)
    share = round(0.10 + 0.01 * (i % 17), 4)
    x_cls, y_cls = i % 3, (i // 3) % 3
    return {
        "n": name, "alt": alt, "s": sub, "rank": rank,
        "rank_lo": 5 if i == 0 else max(1, rank - 3), "rank_hi": 31 if i == 0 else rank + 4,
        "risk": risk, "emp": 500_000 - 10_000 * i,
        "v": {"risk": risk, "share": share, "unemp": 3.0 + 0.1 * i, "pctile": i / n,
              "shock": 0.05 * i, "tied": 0.0 if i % 2 else 0.015, "biv": [share, 1 - risk]},
        "c": {"risk": min(4, int(5 * (1 - rank / n))), "share": min(4, (i % 17) // 4),
              "unemp": min(4, i // 8), "pctile": min(4, i // 8), "shock": min(4, i // 8),
              "tied": 0 if i % 2 else 2, "biv": 3 * y_cls + x_cls},
        "f": [k for k, test in (("trap", rank <= 4), ("rust", i % 5 == 0), ("lower", i % 2 == 1))
              if test],
        "pillars": [
            {"key": "shock", "label": "AI shock to the pillar jobs", "score": 0.73,
             "components": [
                 {"key": "share_ge_50", "label": "Jobs with >= 50% of tasks exposed",
                  "value": share, "fmt": "pct", "percentile": 0.81},
                 {"key": "vulnerable", "label": "Vulnerable jobs", "value": 0.2, "fmt": "pct",
                  "percentile": 0.64}]},
            {"key": "absorb", "label": "Weak absorption capacity", "score": 0.35,
             "components": [
                 {"key": "unemp", "label": "Unemployment rate", "value": 3.0 + 0.1 * i,
                  "fmt": "rate", "percentile": 0.35}]},
            {"key": "size", "label": "Small labour market", "score": None,
             "components": [{"key": "jobs", "label": "Jobs", "value": None, "fmt": "int",
                             "percentile": None}]},
        ],
        "top": [["Customer service representatives", 12_345, 0.62],
                ["Office clerks, general", 9_876, 0.55], [XSS_NAME, 10, 0.5]],
        "trend": ({"label": "Unemployment rate, %", "years": list(range(2015, 2024)),
                   "values": [5.1, 4.8, 4.5, 4.1, 3.9, 8.0, 5.9, 4.2, 4.0], "fmt": "rate"}
                  if i % 3 == 0 else None),
        "scenario": {"label": "Central scenario", "displaced": 4_200 - 10 * i,
                     "net_loss": 1_260 - 3 * i, "shock_pp": 0.42, "years": 10},
        "missing": ["OEWS suppressed 3 occupations: their jobs are estimated"] if i == 1 else [],
        "centroid": [25 + SIZE * (i // COLS) + SIZE / 2, -100 + SIZE * (i % COLS) + SIZE / 2],
        "label_rank": i + 1,
        "z": "Zone 1 (Youngstown-Warren)" if i < 3 else None,
    }


def layers() -> list[dict[str, Any]]:
    """Six univariate layers (one with tied classes) and a bivariate one."""
    five = ["0.0 - 0.2", "0.2 - 0.4", "0.4 - 0.6", "0.6 - 0.8", "0.8 - 1.0"]
    base = {"colors": YLORRD, "scheme": "Quantiles, 5 classes"}
    return [
        {**base, "key": "risk", "label": "Collapse risk (0-1)", "fmt": "num", "labels": five,
         "what": "How exposed and fragile the local economy is, compared with the others."},
        {**base, "key": "share", "label": "Jobs with >= 50% of tasks exposed", "fmt": "pct",
         "labels": ["10% - 13%", "14% - 17%", "18% - 21%", "22% - 25%", "26% - 27%"],
         "what": "The share of jobs in which AI could speed up at least half of the tasks."},
        {**base, "key": "unemp", "label": "Unemployment rate 2023", "fmt": "rate",
         "labels": ["3.0% - 3.7%", "3.8% - 4.5%", "4.6% - 5.3%", "5.4% - 6.1%", "6.2% - 6.7%"],
         "what": "Unemployed people as a share of the labour force."},
        {**base, "key": "pctile", "label": "Risk percentile", "fmt": "pctile",
         "labels": five, "what": "Where the area stands among all test areas."},
        {**base, "key": "shock", "label": "Scenario central: unemployment shock", "fmt": "pp",
         "labels": ["0 - 0.35", "0.4 - 0.75", "0.8 - 1.15", "1.2 - 1.55", "1.6 - 1.9"],
         "what": "How much the unemployment rate would rise in the central scenario."},
        {"key": "tied", "label": "Tied values", "fmt": "pct", "scheme": "Quantiles",
         "colors": YLORRD[:3], "labels": ["0.0%", "0.0%", "1.5%"],
         "what": "A layer whose classes collapse because many values are equal."},
        {"key": "biv", "kind": "bivariate", "label": "AI shock x weak absorption",
         "colors": BIVARIATE, "labels": [], "x_label": "AI shock to the pillar jobs",
         "y_label": "Weak absorption capacity", "x_classes": ["low", "medium", "high"],
         "y_classes": ["low", "medium", "high"], "x_fmt": "pct", "y_fmt": "num",
         "what": "Darker purple: a big AI shock where the economy absorbs it badly."},
    ]


def fixture_data() -> dict[str, Any]:
    """The synthetic DATA dict."""
    ids = region_ids()
    n = len(ids)
    features = [{"type": "Feature", "id": rid, "properties": {}, "geometry": square(i)}
                for i, rid in enumerate(ids)]
    outline = {"type": "Feature", "id": "west", "properties": {},
               "geometry": {"type": "Polygon", "coordinates": [[
                   [-100, 25], [-84, 25], [-84, 45], [-100, 45], [-100, 25]]]}}
    return {
        "geo": {"type": "FeatureCollection", "features": features},
        "outlines": {"type": "FeatureCollection", "features": [outline]},
        "regions": {rid: _region(i, rid, n) for i, rid in enumerate(ids)},
        "layers": layers(),
        "flags": [
            {"key": "trap", "label": "Trap areas", "color": "#000000", "dash": None, "on": True,
             "what": "Top-decile collapse risk and a bottom-third diversity."},
            {"key": "rust", "label": "Rust-belt areas", "color": "#2166ac", "dash": "6 3",
             "on": False, "what": "Areas in the historic manufacturing belt."},
            {"key": "lower", "label": "Lower-tier areas", "color": "#1b7837", "dash": "2 3",
             "on": False, "what": "Nonmetropolitan or fewer than 100,000 jobs."},
        ],
        "text": {"title": "Test atlas: where could AI push local economies into a trap?",
                 "howto": "Each square is a synthetic test area.", "level_plural": LEVEL_PLURAL,
                 "level_singular": "test area", "method_url": "index.html#method",
                 "search_placeholder": "type an area name", "outline_key": "Test state borders",
                 "built": "2026-01-02", "sources": ["Test survey 2025 (public domain)",
                                                   "Test boundaries 2024 (CC BY 4.0)"]},
        "nodata": "#bdbdbd", "bounds": [[25, -100], [45, -68]], "count": n - 2,
        "languages": ["en"],
    }
