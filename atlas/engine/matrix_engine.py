"""``region_measure_sums`` and ``region_group_sums`` as matrix products (the default engine).

The same tables as the SQL reference pass (``region_sums_level.sql``), computed per level:

1. the level's categories (``category_margins``) with their facts (``category_facts``:
   reference share, diversity group, sheltered, every statistic of every measure) become the
   columns of the statistics matrix S, sorted by diversity group (``matrix_codes``, one
   integer code per category);
2. the composition streams out of DuckDB as Arrow, grouped by region (one list of
   ``(code, jobs, imputed)`` per region: the CSR form of the region x category matrix, with
   the list offsets as row pointers), regions in ``region_id`` order; no pandas in between;
3. blocks of regions become dense matrices (at most ``BLOCK_CELLS`` cells, so memory stays
   bounded at any size) and :func:`atlas.engine.matrix_sums.block_sums` multiplies them with S
   (BLAS) and with the group indicator;
4. the substitutable excess of every region and measure (:func:`substitutable_excess`) comes
   from the group sums and the reference level's, once every level is summed;
5. the sums go back into DuckDB through Arrow, lists in ``measure_order``.

NULLs follow the SQL exactly: a sum over only NULL terms is NULL (unscored categories), the
unscored lists are NULL for regions without a row in a category with a score gap.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from atlas.engine.matrix_sums import GAP_STATISTICS, STATISTICS, CategoryFacts, block_sums
from atlas.store.blas import one_blas_thread
from atlas.store.database import beside, one_thread
from atlas.store.fingerprint import quote_name

BLOCK_CELLS = 1 << 20  # dense cells per block of regions (8 MB per dense matrix: in cache)
EXCESS_ROWS = 256  # regions per step of the excess (its regions x groups x measures temporary)
SHARE_ROWS = 4096  # regions per step of the reference shares
LIST_COLUMNS = ("unscored", "e_score", "e_ge_10", "e_ge_50", "unscored_vulnerable",
                "e_vulnerable", "unscored_substitutable", "e_substitutable")


def level_facts(con: duckdb.DuckDBPyConnection, level: str,
                measures: list[str]) -> tuple[CategoryFacts, int]:
    """The level's columns (categories sorted by group, then code) and ``n_reference``;
    writes ``matrix_codes(category, code)`` for the composition stream."""
    stats = ", ".join(f"f.{quote_name(f'{m}__{s}')}" + (" * f.unsheltered" if s == "sub" else "")
                      + f" AS s_{s}_{i}" for s in STATISTICS for i, m in enumerate(measures))
    table = con.execute(f"""
        SELECT m.category, coalesce(f.grp, m.category) AS grp, f.r{', ' + stats if stats else ''}
        FROM category_margins AS m
        LEFT JOIN category_facts AS f ON f.level = m.level AND f.category = m.category
        WHERE m.level = ?
        ORDER BY grp, m.category""", [level]).to_arrow_table()
    k_count, m_count = table.num_rows, len(measures)
    categories = table.column("category").to_numpy(zero_copy_only=False)
    groups = table.column("grp").to_numpy(zero_copy_only=False)
    matrix = np.empty((k_count, len(STATISTICS) * m_count))
    for column in range(matrix.shape[1]):
        matrix[:, column] = table.column(3 + column).to_numpy(zero_copy_only=False)
    gaps = np.zeros((k_count, len(GAP_STATISTICS) * m_count), dtype=bool)
    position = {c: i for i, c in enumerate(categories)}
    order = {m: i for i, m in enumerate(measures)}
    for category, measure, statistic in con.execute(
            "SELECT category, measure, statistic FROM score_gaps WHERE level = ?",
            [level]).fetchall():
        if measure in order:
            gaps[position[category], GAP_STATISTICS.index(statistic) * m_count
                 + order[measure]] = True
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]) if k_count else \
        np.zeros(0, dtype=np.int64)
    con.register("_matrix_codes", pa.table({
        "category": table.column("category"),
        "code": pa.array(np.arange(k_count, dtype=np.int32))}))
    con.execute("CREATE OR REPLACE TEMP TABLE matrix_codes AS SELECT * FROM _matrix_codes")
    con.unregister("_matrix_codes")
    n_reference = con.execute("SELECT count(*) FILTER (WHERE r > 0) FROM category_facts "
                              "WHERE level = ?", [level]).fetchone()[0]
    facts = CategoryFacts(categories, groups[starts], starts,
                          table.column("r").to_numpy(zero_copy_only=False).astype(float),
                          matrix, gaps, m_count)
    return facts, n_reference


def composition(con: duckdb.DuckDBPyConnection, level: str) -> tuple[pa.Array, np.ndarray,
                                                                       np.ndarray, np.ndarray,
                                                                       np.ndarray]:
    """The level's composition in CSR form: region ids (sorted), row offsets, and per row the
    category code, jobs and imputed flag (Arrow buffers, no copies where Arrow allows)."""
    table = con.execute("""
        SELECT e.region_id, list({'c': c.code, 'e': e.employment, 'i': e.imputed}) AS cells
        FROM employment AS e JOIN matrix_codes AS c ON c.category = e.category
        WHERE e.level = ?
        GROUP BY e.region_id
        ORDER BY e.region_id""", [level]).to_arrow_table()
    cells = _one_chunk(table.column("cells"))
    offsets = cells.offsets.to_numpy().astype(np.int64)
    values = cells.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
    offsets -= offsets[0]
    codes, jobs, imputed = (values.field(name) for name in ("c", "e", "i"))
    if jobs.null_count or imputed.null_count:
        raise ValueError("NULL employment or imputed flag")  # the SQL pass handles these
    return (_one_chunk(table.column("region_id")), offsets,
            codes.to_numpy(), jobs.to_numpy(),
            imputed.to_numpy(zero_copy_only=False))


def _one_chunk(column: pa.ChunkedArray) -> pa.Array:
    """The column as one array: its only chunk as it is (``combine_chunks`` copies even one
    chunk: 0.2-0.35 s of CPU for the 10M cells of a 10M-row composition), else the chunks
    concatenated."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def level_sums(facts: CategoryFacts, offsets: np.ndarray, codes: np.ndarray, jobs: np.ndarray,
               imputed: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`block_sums` over blocks of at most ``BLOCK_CELLS`` cells, concatenated, with
    one BLAS thread (:mod:`atlas.store.blas`): the same bits on every machine, in a build or
    called on its own."""
    regions = len(offsets) - 1
    step = max(1, BLOCK_CELLS // max(1, len(facts.categories)))
    parts = []
    with one_blas_thread():
        for start in range(0, regions, step):
            stop = min(regions, start + step)
            low, high = offsets[start], offsets[stop]
            parts.append(block_sums(codes[low:high], jobs[low:high], imputed[low:high],
                                    offsets[start:stop + 1] - low, facts))
    if not parts:
        return {}
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def _lists(values: np.ndarray, null_rows: np.ndarray | None = None) -> pa.Array:
    """An Arrow list column from ``(rows, M)`` values, NaN elements as NULL elements and
    ``null_rows`` as NULL lists."""
    rows, width = values.shape
    flat = values.reshape(-1)
    child = pa.array(flat, mask=np.isnan(flat), type=pa.float64())
    offsets = pa.array(np.arange(0, rows * width + 1, width, dtype=np.int32))
    mask = pa.array(null_rows) if null_rows is not None else None
    return pa.ListArray.from_arrays(offsets, child, mask=mask)


def _doubles(values: np.ndarray) -> pa.Array:
    return pa.array(values, mask=np.isnan(values), type=pa.float64())


def _repeated(codes: np.ndarray, names: pa.Array | np.ndarray) -> pa.DictionaryArray:
    """A string column as codes into ``names`` (cheaper for DuckDB than repeated strings)."""
    names = names if isinstance(names, pa.Array) else pa.array(names.astype(object),
                                                               type=pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), names)


@dataclass
class LevelSums:
    """One level's sums (:func:`level_sums`), before they are written."""

    level: str
    region_ids: pa.Array
    sums: dict[str, np.ndarray]
    facts: CategoryFacts
    n_reference: int

    def with_group(self) -> np.ndarray:
        """``(regions,)``: the regions with a row in some diversity group other than ``''``
        (the others have no substitutable excess: a NULL list, as in ``region_excess.sql``)."""
        grouped = np.array([group != "" for group in self.facts.groups], dtype=bool)
        return (self.sums["group_present"] & grouped).any(axis=1)


def reference_shares(reference: LevelSums) -> dict[str, np.ndarray]:
    """``X_g^ref / E^ref`` per diversity group of the reference level: its substitutable jobs
    per measure (NULLs left out) over all its jobs (0 when it has none); added in blocks, so
    no copy of the group sums is made."""
    sums = reference.sums
    substitutable = sums["group_substitutable"]
    jobs = np.zeros(substitutable.shape[1:])
    for start in range(0, len(substitutable), SHARE_ROWS):
        jobs += np.nansum(substitutable[start:start + SHARE_ROWS], axis=0)
    total = sums["total_employment"].sum()
    shares = jobs / total if total != 0 else np.zeros_like(jobs)
    return {str(group): shares[g] for g, group in enumerate(reference.facts.groups)
            if group != ""}


def substitutable_excess(level: LevelSums, reference: dict[str, np.ndarray]) -> np.ndarray:
    """``(regions, M)``: ``sum_g max(0, X_g / E - X_g^ref / E^ref)`` over the groups a region
    has rows in, as ``region_excess.sql`` defines it (a NULL ``X_g`` counts 0, a group the
    reference lacks has ``X^ref = 0``, the group ``''`` none); NaN (NULL) without any group or
    where ``e_substitutable`` is NULL, and for a region without jobs.

    ``X_g`` is NaN wherever it is NULL or the region has no row in the group, and ``fmax``
    turns NaN into 0; the group ``''`` gets ``X^ref = inf``, so it adds 0 too. Blocks of
    ``EXCESS_ROWS`` regions keep the temporary small.
    """
    sums, groups = level.sums, level.facts.groups
    grouped = np.array([group != "" for group in groups], dtype=bool)
    m_count = level.facts.measures
    shifted = np.full((len(groups), m_count), np.inf)
    for g in np.flatnonzero(grouped):
        shifted[g] = reference.get(str(groups[g]), np.zeros(m_count))
    substitutable, total = sums["group_substitutable"], sums["total_employment"]
    excess = np.empty((len(total), m_count))
    for start in range(0, len(total), EXCESS_ROWS):
        rows = slice(start, start + EXCESS_ROWS)
        with np.errstate(invalid="ignore", divide="ignore"):
            term = np.divide(substitutable[rows], total[rows, None, None])
        term -= shifted
        np.fmax(term, 0.0, out=term)
        excess[rows] = term.sum(axis=1)
    excess[~level.with_group() | (total == 0)] = np.nan
    excess[np.isnan(sums["e_substitutable"])] = np.nan
    return excess


def level_tables(level: LevelSums, excess: np.ndarray | None) -> dict[str, pa.Table]:
    """The level's rows of ``region_measure_sums`` and ``region_group_sums`` (``excess``
    None: NULL lists, filled by ``region_excess.sql``)."""
    sums, facts, region_ids = level.sums, level.facts, level.region_ids
    regions = len(region_ids)
    name_of_level = np.array([level.level])
    columns: dict[str, pa.Array] = {
        "level": _repeated(np.zeros(regions), name_of_level), "region_id": region_ids}
    for name in ("total_employment", "imputed_employment", "published_employment", "e_ln_e",
                 "e_sq", "e_sq_over_r", "krugman"):
        columns[name] = _doubles(sums[name])
    columns["n_categories"] = pa.array(sums["n_categories"], type=pa.int64())
    columns["n_reference"] = pa.array(np.full(regions, level.n_reference, dtype=np.int64))
    for name in LIST_COLUMNS:
        null_rows = np.isnan(sums[name]).all(axis=1) if name.startswith("unscored") else None
        columns[name] = _lists(sums[name], null_rows)
    columns["substitutable_excess"] = (
        _lists(excess, ~level.with_group()) if excess is not None
        else pa.nulls(regions, pa.list_(pa.float64())))
    region, group = np.nonzero(sums["group_present"])
    return {"region_measure_sums": pa.table(columns), "region_group_sums": pa.table({
        "level": _repeated(np.zeros(len(region)), name_of_level),
        "region_id": _repeated(region, region_ids),
        "grp": _repeated(group, facts.groups),
        "employment": _doubles(sums["group_employment"][region, group]),
        "e_substitutable": _lists(sums["group_substitutable"][region, group]),
    })}


def reference_first(levels: list[str], references: dict[str, str]) -> list[str]:
    """``levels`` with every level that is some level's reference first (in their order), so
    that each level's reference shares are known when the level is summed."""
    referenced = set(references.values())
    return sorted(levels, key=lambda level: level not in referenced)


def finish_level(level: LevelSums, references: dict[str, str],
                 shares: dict[str, dict[str, np.ndarray]]) -> tuple[dict[str, pa.Table], bool]:
    """The level's tables with its substitutable excess, and whether the excess is in them:
    not when its reference was not summed here (``region_excess.sql`` fills it). Records the
    level's own reference shares in ``shares`` if some level refers to it."""
    if level.level in set(references.values()):
        shares[level.level] = reference_shares(level)
    reference = references.get(level.level, level.level)
    if reference not in shares:
        return level_tables(level, None), False
    return level_tables(level, substitutable_excess(level, shares[reference])), True


def write_tables(con: duckdb.DuckDBPyConnection, levels: list[dict[str, pa.Table]]) -> None:
    """Append the levels' rows, one insert per table (an insert into the database file costs
    about 50 ms whatever its size; row order is not a contract), with one DuckDB thread
    (:func:`atlas.store.database.one_thread`: a second adds CPU time, not speed) each, the
    two tables at once (:func:`atlas.store.database.beside`)."""
    if not levels:
        return
    rows = {table: pa.concat_tables([tables[table] for tables in levels])
            for table in ("region_measure_sums", "region_group_sums")}
    with one_thread(con), beside(con, "main") as run:  # the two tables at once
        run(_insert, "region_measure_sums", rows["region_measure_sums"])
        _insert(con, "region_group_sums", rows["region_group_sums"])


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    con.register("_matrix_rows", rows)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _matrix_rows")
    finally:
        con.unregister("_matrix_rows")


def matrix_level(con: duckdb.DuckDBPyConnection, level: str, measures: list[str]
                 ) -> LevelSums | None:
    """The matrix engine's sums of one level (after ``region_sums.sql``; None when the level
    has no rows), for :func:`finish_level`."""
    facts, n_reference = level_facts(con, level, measures)
    region_ids, offsets, codes, jobs, imputed = composition(con, level)
    sums = level_sums(facts, offsets, codes, jobs, imputed)
    return LevelSums(level, region_ids, sums, facts, n_reference) if sums else None
