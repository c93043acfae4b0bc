"""The database documents itself: a comment on every table, view and column.

``TABLES`` is the single source of those comments; ``apply_comments`` writes them with
``COMMENT ON``, ``missing_comments`` lists what has none, and ``data_dictionary_markdown``
renders ``docs/data_dictionary.md`` from the database itself.
"""

from __future__ import annotations

import duckdb

from atlas.dictionary import REGION_INDEX_COLUMNS
from atlas.sources.world_catalog import WORLD_TABLES

LEVEL = "Geography level (us_area, us_state, us_nation, ...)."
REGION = "Region code within the level (see regions.region_id)."
MEASURE = "Exposure measure name (see the measures table)."
TAXONOMY = "Category taxonomy (soc2018: SOC 2018 detailed occupations, BLS OEWS codes)."
CATEGORY = "Category code in the taxonomy (SOC 2018 code; XX-0000 = imputed residual)."
SHARE_NOTE = "0/1 for a scored occupation, an employment share once derived."

EXTRA_REGION_COLUMNS = ("name_zh", "name_pinyin", "province", "tier", "tier_zh", "tier_rank",
                        "gdp_per_capita", "income_group", "iso3", "data_quality")
REGION_ONLY_COLUMNS = {
    "global_south": "Low or lower-middle income country (World Bank FY2025).",
    "composition_source": "Where the composition comes from: ilostat (survey shares), modelled "
                          "(compositional model, see composition_model_errors) or "
                          "ilo_modelled_counts (country); NULL where there is none.",
    "population_year": "Year of the population figure (country: latest annual value, never a "
                       "projection year).",
}

TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "levels": ("Geography levels and the taxonomy of their compositions.", {
        "level": LEVEL,
        "taxonomy": TAXONOMY,
        "reference_level": "Level whose aggregate composition is the reference r_i for hachman "
                           "and krugman (us_nation for the US levels).",
        "description": "What the regions of the level are.",
    }),
    "regions": ("One row per region: names and context, before any index is computed.", {
        "level": LEVEL, "region_id": REGION,
        "name": REGION_INDEX_COLUMNS["name"], "state": REGION_INDEX_COLUMNS["state"],
        "states": REGION_INDEX_COLUMNS["states"], "kind": REGION_INDEX_COLUMNS["kind"],
        "published_total": "Published total employment (OEWS 00-0000), jobs.",
        "unemployment_rate": REGION_INDEX_COLUMNS["unemployment_rate"],
        "labor_force": REGION_INDEX_COLUMNS["labor_force"],
        "population": REGION_INDEX_COLUMNS["population"],
        "median_hh_income": REGION_INDEX_COLUMNS["median_hh_income"],
        "poverty_rate": REGION_INDEX_COLUMNS["poverty_rate"],
        "lower_tier": REGION_INDEX_COLUMNS["flag_lower_tier"],
        **{c: REGION_INDEX_COLUMNS[c] for c in EXTRA_REGION_COLUMNS},
        **REGION_ONLY_COLUMNS,
    }),
    "us_region_details": ("US regions: OEWS area codes and county membership.", {
        "level": LEVEL, "region_id": REGION,
        "area_code": "BLS OEWS 7-digit area code (oe.area).",
        "state_fips": "Principal state FIPS code.",
        "counties": "Number of member counties (2023 county set).",
        "counties_without_laus": "Member counties with no LAUS 2023 row (Kalawao HI).",
    }),
    "employment": ("Composition: jobs per region and category, OEWS May 2025. Sums to the "
                   "published total of every region.", {
        "level": LEVEL, "region_id": REGION, "category": CATEGORY,
        "employment": "Jobs (OEWS tot_emp; for imputed rows the unallocated residual).",
        "imputed": "True for residual rows that stand for suppressed OEWS cells.",
    }),
    "categories": ("Categories of each taxonomy with national facts.", {
        "taxonomy": TAXONOMY, "category": CATEGORY, "title": "Category title.",
        "national_employment": "National employment, OEWS May 2025, jobs.",
        "median_wage": "National median annual wage, US$ (hourly-only: hourly median x 2080).",
        "low_wage": "1 if median_wage is below the all-occupation national median ($50,980).",
    }),
    "measures": ("Exposure measures and traits.", {
        "measure": MEASURE, "label": "Short label.",
        "scale": "unit: a score on 0..1; z: a z-score; trait: a 0/1 attribute, not exposure.",
        "description": "What the score measures.", "source": "Publication behind the score.",
    }),
    "exposure_scores": ("Score of every category under every measure, published or derived by "
                        "score(to) = sum w score(from) / sum w over a category map.", {
        "taxonomy": TAXONOMY, "measure": MEASURE, "category": CATEGORY,
        "score": "The score (unit measures 0..1; z measures a z-score).",
        "ge_10": f"Share of the category's jobs with score >= 0.1 ({SHARE_NOTE})",
        "ge_50": f"Share of the category's jobs with score >= 0.5 ({SHARE_NOTE})",
        "vulnerable": "Share of the category's jobs that are vulnerable: score >= 0.5 and "
                      f"national median wage below the all-occupation median ({SHARE_NOTE})",
        "rule": "How the score was obtained: exact, broad|minor|major_members (the unpublished "
                "codes an aggregate stands for), broad|minor|major_siblings (employment-weighted "
                "published siblings), imputed_major_group_mean, imputed_national_mean, "
                "soc_major_group.",
    }),
    "unmatched_codes": ("OEWS detailed codes without a score under a measure.", {
        "category": CATEGORY, "title": "SOC title.",
        "national_employment": "National employment, jobs.", "measure": MEASURE,
        "taxonomy": TAXONOMY,
    }),
    "region_geometry": ("Region polygons: Census 2023 counties dissolved into OEWS areas, "
                        "states and the nation. WKB, EPSG:4326.", {
        "level": LEVEL, "region_id": REGION,
        "geometry": "WKB polygon or multipolygon, EPSG:4326 (geopandas.GeoSeries.from_wkb).",
    }),
    "rust_belt_states": ("States whose areas can be rust-belt areas (data/reference/).", {
        "state_fips": "State FIPS code.", "state_abbr": "Postal abbreviation.",
        "state_name": "State name.",
    }),
    "risk_weights": ("Weights of the collapse-risk components (from the TOML config).", {
        "component": "vulnerable_share, concentration (1 - entropy_norm), unemployment_rate or "
                     "smallness (-ln total_employment).",
        "weight": "Weight w_k in collapse_risk = sum w_k p_k / sum w_k.",
    }),
    "region_exposure": ("Exposure of every region under every measure.", {
        "level": LEVEL, "region_id": REGION, "measure": MEASURE,
        "exposure_mean": REGION_INDEX_COLUMNS["exposure_mean"],
        "share_ge_10": REGION_INDEX_COLUMNS["share_ge_10"],
        "share_ge_50": REGION_INDEX_COLUMNS["share_ge_50"],
        "exposed_jobs": REGION_INDEX_COLUMNS["exposed_jobs"],
        "coverage": REGION_INDEX_COLUMNS["coverage"],
        "vulnerable_share": "Employment share in occupations with this measure's score >= 0.5 "
                            "and a national median wage below the all-occupation median "
                            "(NULL for measures without a vulnerable share, e.g. ILO).",
    }),
    "measure_order": ("The order of the measures in the lists of region_measure_sums.", {
        "measures": "Measure names; position i of every list in region_measure_sums is "
                    "measures[i].",
    }),
    "region_measure_sums": ("Per region, the sums every index needs (one grouped pass over each "
                            "level's composition); per-measure sums are lists in the order of "
                            "measure_order. region_exposure and region_diversity are views over "
                            "it.", {
        "level": LEVEL, "region_id": REGION,
        "total_employment": REGION_INDEX_COLUMNS["total_employment"],
        "imputed_employment": "Jobs in imputed residual rows.",
        "published_employment": "Jobs in published (not imputed) categories: P.",
        "n_categories": "Number of published categories with jobs in the region.",
        "n_reference": "N: categories with jobs in the level's reference level.",
        "e_ln_e": "sum e_i ln e_i over published categories.",
        "e_sq": "sum e_i^2 over published categories.",
        "e_sq_over_r": "sum e_i^2 / r_i over published categories (r_i: reference share).",
        "krugman": REGION_INDEX_COLUMNS["krugman"],
        "unscored": "Per measure: jobs in categories without a score (NULL: none); "
                    "scored jobs = total_employment - unscored[i].",
        "e_score": "Per measure: sum_S e_i * score_i.",
        "e_ge_10": "Per measure: sum_S e_i * ge_10_i.",
        "e_ge_50": "Per measure: sum_S e_i * ge_50_i.",
        "unscored_vulnerable": "Per measure: jobs in categories without a vulnerable share "
                               "(NULL: none).",
        "e_vulnerable": "Per measure: sum_V e_i * vulnerable_i.",
    }),
    "region_totals": ("Employment size of every region (sum of its composition).", {
        "level": LEVEL, "region_id": REGION,
        "total_employment": REGION_INDEX_COLUMNS["total_employment"],
        "imputed_employment": "Jobs in imputed residual rows.",
        "published_employment": "Jobs in published (not imputed) categories: the P of the "
                                "diversity indices.",
    }),
    "region_diversity": ("Diversity of each region's composition over published categories.", {
        "level": LEVEL, "region_id": REGION,
        "n_categories": "Number of published categories with jobs in the region.",
        "entropy_norm": REGION_INDEX_COLUMNS["entropy_norm"], "hhi": REGION_INDEX_COLUMNS["hhi"],
        "effective_n": REGION_INDEX_COLUMNS["effective_n"],
        "hachman": REGION_INDEX_COLUMNS["hachman"], "krugman": REGION_INDEX_COLUMNS["krugman"],
    }),
    "region_indices": ("One row per level and region: exposure, vulnerability, diversity, "
                       "context, collapse risk, rank and flags.", {
        column: text for column, text in REGION_INDEX_COLUMNS.items()
        if column not in {"selection_rank", "allocation", "allocation_need"}
    }),
    "region_top_categories": ("The five categories with the most exposed jobs (e_i x score_i) "
                              "in each region, default measure.", {
        "level": LEVEL, "region_id": REGION, "position": "1 = most exposed jobs.",
        "category": CATEGORY, "title": "Category title.", "employment": "Jobs in the region.",
        "score": "Score under the measure.", "exposed_jobs": "employment x score.",
        "measure": MEASURE,
    }),
    "rank_uncertainty": ("Rank of every region over all specifications: unit-scale exposure "
                         "measures x weight vectors (defaults + Dirichlet draws).", {
        "level": LEVEL, "region_id": REGION,
        "median_rank": REGION_INDEX_COLUMNS["median_rank"],
        "rank_p05": REGION_INDEX_COLUMNS["rank_p05"], "rank_p95": REGION_INDEX_COLUMNS["rank_p95"],
        "p_top_decile": REGION_INDEX_COLUMNS["p_top_decile"],
        "p_trap": "Share of specifications in which the region is a trap.",
        "n_specs": "Number of specifications (measures x weight vectors).",
        "flag_robust_trap": REGION_INDEX_COLUMNS["flag_robust_trap"],
    }),
    "scenario_base": ("Substitution-tilted exposed jobs per region, the base of the scenarios: "
                      "sum_i e_i score_i min(1, a_i / a_mean).", {
        "level": LEVEL, "region_id": REGION,
        "tilted_exposed_jobs": "Job-equivalents of exposed task time, each occupation weighted "
                               "by its automation score relative to the mean (capped at 1).",
    }),
    "scenario_results": ("Projected job losses per region under each AI-adoption scenario "
                         "(totals over the horizon).", {
        "level": LEVEL, "region_id": REGION, "scenario": "Scenario name (config [scenarios]).",
        "displaced": "adoption x displacement x tilted_exposed_jobs: workers displaced.",
        "net_loss": "displaced x (1 - reabsorption): jobs lost after local re-employment.",
        "net_loss_per_year": "net_loss / horizon_years.",
        "unemployment_rate_shock": "100 x net_loss / labor_force: change in the unemployment "
                                   "rate, percentage points (NULL without a labour force).",
        "adoption": "Share of exposed task time automated within the horizon.",
        "displacement": "Share of automated time that removes jobs rather than augmenting them.",
        "reabsorption": "Share of displaced workers re-employed locally within the horizon.",
        "horizon_years": "Horizon in years.",
    }),
    "region_lisa": ("Local Moran's I of collapse_risk per region (queen contiguity, islands "
                    "attached to their nearest region, 999 permutations, fixed seed).", {
        "level": LEVEL, "region_id": REGION,
        "quadrant": "1 High-High, 2 Low-High, 3 Low-Low, 4 High-Low.",
        "p_value": "Pseudo p-value from conditional permutations.",
        "high_high": "High-High at p < 0.05: a trap-zone cell.",
        "trap_zone": REGION_INDEX_COLUMNS["trap_zone"],
    }),
    "trap_zones": ("Contiguous trap zones: connected High-High clusters of collapse risk.", {
        "level": LEVEL, "zone_id": "Zone id, <level>-Z01 = the zone with the most jobs.",
        "zone_name": "Name of the member region with the most jobs.",
        "regions": "Number of member regions.", "jobs": "Jobs in the zone.",
        "mean_collapse_risk": "Mean collapse_risk of the members.",
        "members": "Member region names, '; '-separated.",
    }),
    "region_context": ("Context indicators per region, long (one row per region and "
                       "indicator; a missing indicator is a missing row).", {
        "level": LEVEL, "region_id": REGION,
        "indicator": "Indicator name (see context_indicators).", "value": "The value.",
    }),
    "context_indicators": ("Metadata of the context indicators of each level.", {
        "level": LEVEL, "indicator": "Indicator name.", "label": "Short label.",
        "unit": "Unit of the value.", "formula": "How the value is computed.",
        "source": "Publisher and series.", "vintage": "Years the values come from.",
    }),
    **WORLD_TABLES,
    "provenance": ("Every input file of this build.", {
        "file": "Path under the data directory.", "sha256": "sha256 of the file as read.",
        "bytes": "File size.", "rows": "Rows read (tables; NULL for geometry files).",
        "vintage": "Data vintage.", "licence": "Licence or terms (see SOURCES.md).",
        "loaded_at": "When the build read it (UTC).",
    }),
    "build_info": ("How this database was built.", {
        "key": "atlas_version, git_commit, created_at, data_dir, config (JSON), duckdb_version, "
               "uncertainty_seed, trap_zone_seed.",
        "value": "The value.",
    }),
}

VIEWS: dict[str, str] = {
    "v_us_areas_ranked": "US areas ordered by risk_rank with the main indices and flags.",
    "v_measure_comparison": "One row per region, one column per measure: exposure_mean.",
    "v_state_summary": "Per state: areas, jobs, employment-weighted exposure and risk, flags.",
}


def apply_comments(con: duckdb.DuckDBPyConnection) -> None:
    """``COMMENT ON`` every documented table and column, and on the views."""
    for table, (comment, columns) in TABLES.items():
        if not _exists(con, table):
            continue
        con.execute(f"COMMENT ON TABLE {table} IS {_quote(comment)}")
        present = {row[0] for row in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table]).fetchall()}
        for column, text in columns.items():
            if column in present:
                con.execute(f'COMMENT ON COLUMN {table}."{column}" IS {_quote(text)}')
    for view, comment in VIEWS.items():
        if _exists(con, view):
            con.execute(f"COMMENT ON VIEW {view} IS {_quote(comment)}")
            for column, source in _view_column_sources(con, view).items():
                con.execute(f'COMMENT ON COLUMN {view}."{column}" IS {_quote(source)}')


def _view_column_sources(con: duckdb.DuckDBPyConnection, view: str) -> dict[str, str]:
    """Comments for view columns: the documented column of the same name, or the measure."""
    known: dict[str, str] = {}
    for _, columns in TABLES.values():
        for column, text in columns.items():
            known.setdefault(column, text)
    known.update(VIEW_COLUMNS)
    measures = dict(con.execute("SELECT measure, label FROM measures").fetchall()) if _exists(
        con, "measures") else {}
    out = {}
    for (column,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ?",
                                 [view]).fetchall():
        if column in known:
            out[column] = known[column]
        elif column in measures:
            out[column] = f"exposure_mean under {column} ({measures[column]})."
    return out


VIEW_COLUMNS = {
    "areas": "Number of OEWS areas whose principal state this is.",
    "jobs": "Jobs in those areas (OEWS May 2025).",
    "trap_areas": "Areas with flag_trap.", "rust_belt_areas": "Areas with flag_rust_belt.",
    "lower_tier_areas": "Areas with flag_lower_tier.",
    "mean_collapse_risk": "Employment-weighted mean collapse_risk of the areas.",
    "mean_exposure": "Employment-weighted mean exposure_mean of the areas.",
    "highest_risk_area": "Name of the area with the best (lowest) risk_rank in the state.",
}


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True if a table or view of that name exists."""
    return _exists(con, name)


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? UNION ALL "
                            "SELECT count(*) FROM duckdb_views() WHERE view_name = ?",
                            [name, name]).df().iloc[:, 0].sum())


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def missing_comments(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tables, views and columns of the main schema without a comment."""
    missing = [f"table {name}" for name, comment in con.execute(
        "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()
        if not comment]
    missing += [f"view {name}" for name, comment in con.execute(
        "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal "
        "AND schema_name = 'main'").fetchall() if not comment]
    missing += [f"column {table}.{column}" for table, column, comment in con.execute(
        "SELECT table_name, column_name, comment FROM duckdb_columns() "
        "WHERE NOT internal AND schema_name = 'main' ORDER BY table_name, column_index"
    ).fetchall() if not comment]
    return missing


def data_dictionary_markdown(con: duckdb.DuckDBPyConnection) -> str:
    """``docs/data_dictionary.md``, generated from the comments in the database."""
    lines = ["# Data dictionary of `atlas.duckdb`", "",
             "Generated by `atlas dictionary` from the `COMMENT ON` text in the database "
             "(`SELECT * FROM duckdb_columns()` shows the same). Do not edit by hand.", ""]
    objects = con.execute("""
        SELECT table_name AS name, 'table' AS kind, comment FROM duckdb_tables()
        WHERE schema_name = 'main'
        UNION ALL
        SELECT view_name, 'view', comment FROM duckdb_views()
        WHERE NOT internal AND schema_name = 'main'
        ORDER BY kind, name""").fetchall()
    for name, kind, comment in objects:
        lines += [f"## `{name}` ({kind})", "", comment or "", "", "| column | type | meaning |",
                  "|---|---|---|"]
        for column, dtype, text in con.execute(
                "SELECT column_name, data_type, comment FROM duckdb_columns() "
                "WHERE table_name = ? ORDER BY column_index", [name]).fetchall():
            cell = (text or "").replace("|", "\\|")
            lines.append(f"| `{column}` | {dtype} | {cell} |")
        lines.append("")
    return "\n".join(lines)
