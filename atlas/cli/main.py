"""The ``atlas`` command: build the atlas, rank and export regions, query the database.

Every error a user can meet ends in one line on stderr and exit status 1; ``--debug`` (or
``ATLAS_DEBUG=1``) shows the Python traceback instead.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from typer.core import TyperGroup
from typer.exceptions import TyperException

from atlas.cli.common import DEFAULT_DB, DbOption, console
from atlas.cli.docs import dictionary, inputs, notebooks, report, sources
from atlas.cli.validate import validate
from atlas.errors import AtlasError
from atlas.spec import declarations
from atlas.spec.config import load_config
from atlas.spec.declarations import default_level, level_decl
from atlas.spec.options import check_positive
from atlas.texts.terminal import DEFAULT_MAX_WIDTH, print_frame

# the levels declared in atlas/spec/levels.toml (the first is the commands' default)
DEFAULT_LEVEL = default_level()
LEVEL_CHOICES = ", ".join(decl.id for decl in declarations.levels() if decl.in_reports)

# Bounds of the counts of `atlas synth` and `atlas sql`, checked before anything is computed.
SYNTH_MAX_REGIONS, SYNTH_MAX_CATEGORIES, SYNTH_MAX_MEASURES = 10_000_000, 100_000, 1_000
MAX_WIDTH = 100_000
INSTALL_HINT = 'install the atlas with: pip install -e ".[dev,spatial]"'


SETTINGS = {"debug": False}


def debugging() -> bool:
    """True when tracebacks were asked for (``--debug`` or ``ATLAS_DEBUG=1``)."""
    return SETTINGS["debug"] or os.environ.get("ATLAS_DEBUG", "") not in {"", "0"}


def error_line(exc: BaseException) -> str:
    """One line that says what went wrong and how to fix it."""
    if isinstance(exc, AtlasError):
        return str(exc)
    if isinstance(exc, ModuleNotFoundError):
        return f"the Python package '{exc.name}' is not installed; {INSTALL_HINT}"
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        where = Path(exc.filename).parent if exc.filename else "the output folder"
        return f"{where}: the disk is full; free some space there or choose another folder"
    if isinstance(exc, PermissionError):
        return f"{exc.filename}: permission denied (choose a folder you can write to)"
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text} (run with --debug for the traceback)"


class AtlasGroup(TyperGroup):
    """Runs a subcommand; any error becomes one line and exit 1 unless debugging."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):  # exits and usage errors
            raise
        except KeyboardInterrupt:
            console.print("[bold red]interrupted[/]")
            raise typer.Exit(code=130) from None
        except Exception as exc:
            if debugging():
                raise
            fail(exc)


app = typer.Typer(cls=AtlasGroup, add_completion=False, no_args_is_help=True,
                  help="Unemployment-trap risk atlas: where could AI push local economies "
                       "into a geographic unemployment trap?")


@app.callback()
def options(debug: Annotated[bool, typer.Option(
        "--debug", help="Show the Python traceback of an error (also ATLAS_DEBUG=1).")] = False
            ) -> None:
    """Unemployment-trap risk atlas."""
    SETTINGS["debug"] = debug


def fail(exc: BaseException) -> None:
    """Print a user-facing error line and exit with status 1."""
    console.print(f"[bold red]error:[/] {escape(error_line(exc))}", highlight=False,
                  markup=True, soft_wrap=True)
    raise typer.Exit(code=1)


def write_or_print(frame, output: Path | None, title: str | None = None, **printing) -> None:
    """Write ``frame`` to ``output`` (.csv or .parquet) if given, else print it as a table
    (``printing``: options of ``atlas.texts.terminal.print_frame``)."""
    from atlas.exports.write import write_frame

    if output is None:
        print_frame(frame, title=title, **printing)
        return
    write_frame(frame, output)
    console.print(f"wrote {len(frame)} rows to {output}")


@app.command()
def build(
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", envvar="ATLAS_DATA_DIR",
        help="Folder with the real inputs (us/, exposure/, ...); default ../shared/data.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
    config: Annotated[Path | None, typer.Option(
        "--config", help="TOML file overriding atlas/spec/default_config.toml.")] = None,
    maps: Annotated[bool, typer.Option(help="Also write the HTML maps.")] = True,
    exports: Annotated[bool, typer.Option(help="Also write the default exports.")] = True,
    edition: Annotated[str, typer.Option(
        help="shareable (default): the maps and exports leave out every value that comes only "
             "from restricted inputs; internal: keep them, and mark every output 'internal: "
             "do not redistribute'.")] = "shareable",
) -> None:
    """Build out/atlas.duckdb (and maps and exports) from the real inputs."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from atlas.build.database import check_output_folder
    from atlas.build.pipeline import build_all
    from atlas.store.edition import check_edition

    check_output_folder(out)  # one line, before the progress display starts
    check_edition(edition)
    settings = load_config(config)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        task = progress.add_task("starting", total=None)

        def step(message: str) -> None:
            progress.update(task, description=message)
            progress.console.print(f"  - {message}")

        result, written = build_all(out, data_dir, settings, maps=maps, exports=exports,
                                    edition=edition, step=step)
        progress.update(task, description="done")
    counts = dict(result.counts)
    jobs = counts.pop("employment", 0)
    first = level_decl(default_level())
    periods = {key.removeprefix("periods_"): counts.pop(key)
               for key in [k for k in counts if k.startswith("periods_")]}
    levels = ", ".join(
        f"{level} {count}" + (f" (and {periods[level]} earlier periods)" if level in periods
                              else "") for level, count in sorted(counts.items()))
    console.print(
        f"[bold green]built[/] {result.database} in {result.seconds:.1f} s; regions with "
        f"indices: {levels}; employment covered in {first.name}: {jobs:,} jobs"
        + (f" ({first.summary_note})" if first.summary_note else ""))
    if written:
        console.print(f"the {edition} edition: " + (
            "values that come only from restricted inputs are left out (atlas sources)"
            if edition == "shareable" else "every value kept, every output marked internal"))
    for path in written:
        console.print(f"  wrote {path}")
    print_frame(result.summary, title=f"Top 10 {first.name} by collapse risk")


@app.command()
def rank(
    level: Annotated[str, typer.Option(help=f"Level: {LEVEL_CHOICES}, ...")] = DEFAULT_LEVEL,
    flag: Annotated[list[str] | None, typer.Option(
        "--flag", help="Keep regions with this flag (top_decile, trap, transition_target, "
                       "rust_belt, lower_tier, robust_trap, global_south, low_confidence; "
                       "countries: top decile, trap and target within their income group). "
                       "Several --flag options mean ANY of them.")] = None,
    state: Annotated[list[str] | None, typer.Option(
        "--state", "--province", "--region",
        help="Keep regions whose principal state (US: postal code or name, e.g. OH), province "
             "(China: Chinese name with or without 省/市/自治区, or pinyin, e.g. 河北 or hebei) "
             "or World Bank region (countries) this is. Several mean ANY of them.")] = None,
    any_county_in: Annotated[list[str] | None, typer.Option(
        "--any-county-in", help="US levels: also keep regions with any member county in this "
                                "state (a note names their principal state).")] = None,
    min_employment: Annotated[float | None, typer.Option(
        help="Keep regions with at least this many jobs.")] = None,
    measure: Annotated[str | None, typer.Option(
        help="Re-rank with this exposure measure (used for exposure and vulnerability).")] = None,
    top: Annotated[int | None, typer.Option(help="Keep the first N after sorting.")] = None,
    budget: Annotated[str | None, typer.Option(
        metavar="AMOUNT", help="Split this amount (whole currency units, e.g. 250000000 or "
                               "2.5e8) among the selected regions.")] = None,
    rule: Annotated[str | None, typer.Option(
        help="Allocation rule (with --budget): exposed_jobs, risk_weighted (exposed jobs x "
             "collapse risk, the default), equal, or tiered (by the tiers of the robust "
             "ranking).")] = None,
    floor: Annotated[str | None, typer.Option(metavar="AMOUNT",
                                              help="Minimum amount per region.")] = None,
    cap: Annotated[str | None, typer.Option(metavar="AMOUNT",
                                            help="Maximum amount per region.")] = None,
    currency: Annotated[str, typer.Option(
        help="ISO 4217 code that labels every amount (no conversion).")] = "USD",
    tier_shares: Annotated[str | None, typer.Option(
        help="--rule tiered: budget shares of tiers 1, 2, 3 (default 0.6,0.3,0.1), "
             "renormalised over the tiers that have regions.")] = None,
    within: Annotated[str | None, typer.Option(
        help="--rule tiered: split within a tier by 'need' (exposed jobs, default) or "
             "'equal'.")] = None,
    fmt: Annotated[str | None, typer.Option(
        "--format", help="csv, xlsx, parquet or geojson (default: from -o's suffix).")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write.")] = None,
    bom: Annotated[bool, typer.Option(
        help="CSV: UTF-8 with a byte-order mark, so Excel shows Chinese and accented names "
             "(--no-bom for plain UTF-8).")] = True,
    edition: Annotated[str, typer.Option(
        help="-o: shareable (default) leaves out values that come only from restricted "
             "inputs; internal keeps them and marks the file.")] = "shareable",
    db: DbOption = DEFAULT_DB,
) -> None:
    """Rank regions by collapse risk, optionally split a transition fund, and export.

    Sorted by collapse_risk (highest first), ties by larger total_employment, then region_id.
    """
    from atlas.exports.allocation import DEFAULT_TIER_SHARES
    from atlas.exports.ranking import RankRequest, open_atlas, rank_regions, validate_request
    from atlas.exports.sheets import selection_warnings
    from atlas.exports.write import write_ranking
    from atlas.spec.options import parse_amount, parse_tier_shares

    if budget is None:  # an allocation option without an amount to split is refused
        given = [name for name, value in (("--rule", rule), ("--floor", floor), ("--cap", cap),
                                          ("--tier-shares", tier_shares), ("--within", within))
                 if value is not None]
        if given:
            raise AtlasError(f"{', '.join(given)} split a budget: give --budget AMOUNT too, "
                             "or leave them out")
    if rule != "tiered" and (tier_shares is not None or within is not None):
        raise AtlasError("--tier-shares and --within apply only to --rule tiered")
    ignored = ("--currency",) if budget is None and currency != "USD" else ()
    request = RankRequest(
        level=level, flags=list(flag or []), states=list(state or []),
        any_county_in=list(any_county_in or []), min_employment=min_employment,
        measure=measure, top=top, budget=parse_amount("--budget", budget),
        rule=rule or "risk_weighted",
        floor=parse_amount("--floor", floor) or 0, cap=parse_amount("--cap", cap),
        currency=currency, within=within or "need",
        tier_shares=parse_tier_shares(tier_shares) if tier_shares else DEFAULT_TIER_SHARES)
    validate_request(request)  # every option, before the database is opened
    if output is not None:  # exports read an edition copy (atlas.store.edition)
        import tempfile

        from atlas.store.edition import check_edition, edition_database

        open_atlas(db).close()
        with tempfile.TemporaryDirectory() as folder, edition_database(
                db, check_edition(edition), Path(folder)) as copy:
            con = open_atlas(copy)
            try:
                ranking = rank_regions(con, request)
                warnings = report_notes(ranking, selection_warnings(ranking, request, ignored))
                path = write_ranking(con, ranking, request, output, fmt, bom=bom,
                                     warnings=warnings)
            finally:
                con.close()
        console.print(f"wrote {len(ranking)} regions ({edition} edition) to {path}")
        return
    con = open_atlas(db)
    try:
        ranking = rank_regions(con, request)
        report_notes(ranking, selection_warnings(ranking, request, ignored))
    finally:
        con.close()
    columns = ["selection_rank", "risk_rank", "region_id", "name", "total_employment",
               "collapse_risk", "pillar_shock", "pillar_absorption", "risk_tier", "flag_trap",
               "flag_transition_target"]
    if "rank_group" in ranking and ranking["rank_group"].notna().any():  # e.g. income groups
        columns[2:2] = ["rank_group", "group_rank"]
    columns = [c for c in columns if c in ranking]
    columns += [c for c in ("note", "allocation", "allocation_bound") if c in ranking]
    print_frame(ranking[columns], title=f"{level}: {len(ranking)} regions",
                currency_columns={"allocation": request.currency})


def report_notes(ranking, warnings: list[str]) -> list[str]:
    """Say on stderr which selected regions lie outside their requested principal state, and
    each warning about the selection; returns the warnings (the workbook repeats them)."""
    for line in warnings:
        console.print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)
    if "note" not in ranking:
        return warnings
    noted = ranking.loc[ranking["note"] != ""]
    if len(noted):
        names = "; ".join(f"{n} ({note})" for n, note in zip(noted["name"], noted["note"],
                                                             strict=True))
        console.print(f"note: {len(noted)} selected regions have their principal state "
                      f"outside the requested ones (see the note column): {names}",
                      markup=False, highlight=False, soft_wrap=True)
    return warnings


@app.command()
def scenario(
    name: Annotated[str, typer.Option("--name", help="Scenario: slow, central, fast or your own "
                                                      "(config [scenarios]).")] = "central",
    level: Annotated[str, typer.Option(help="Level to list.")] = DEFAULT_LEVEL,
    top: Annotated[int, typer.Option(help="How many regions to show.")] = 20,
    output: Annotated[Path | None, typer.Option("-o", "--output",
                                                help="Write all rows to .csv or .parquet.")] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """AI-adoption scenario: displaced workers, net job loss and unemployment shock by region."""
    from atlas.exports.ranking import open_atlas

    check_positive("--top", top)
    con = open_atlas(db)
    try:
        names = [r[0] for r in con.execute(
            "SELECT DISTINCT scenario FROM scenario_results ORDER BY 1").fetchall()]
        if name not in names:
            raise AtlasError(f"unknown scenario '{name}'; valid scenarios: {names}")
        levels = [r[0] for r in con.execute(
            "SELECT DISTINCT level FROM scenario_results ORDER BY 1").fetchall()]
        if level not in levels:
            raise AtlasError(f"unknown level '{level}'; valid values: {levels}")
        frame = con.execute("""
            SELECT s.region_id, r.name, r.total_employment, s.displaced, s.net_loss,
                   s.net_loss_per_year, s.unemployment_rate_shock, r.unemployment_rate
            FROM scenario_results AS s JOIN region_indices AS r USING (level, region_id)
            WHERE s.scenario = ? AND s.level = ?
            ORDER BY s.unemployment_rate_shock DESC NULLS LAST, s.region_id""",
                            [name, level]).df()
    finally:
        con.close()
    write_or_print(frame if output is not None else frame.head(top), output,
                   title=f"Scenario {name}: {level}, largest unemployment shock")


@app.command()
def synth(
    regions: Annotated[int, typer.Option(help="Number of regions.")] = 10_000,
    categories: Annotated[int, typer.Option(help="Categories per region (K).")] = 100,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same level.")] = 0,
    measures: Annotated[int, typer.Option(help="Exposure measures (at least 2).")] = 9,
    db: Annotated[Path, typer.Option("--db", help="DuckDB file to write (never a built atlas).")
                  ] = Path("out/synth.duckdb"),
    indices: Annotated[bool, typer.Option(help="Also run the engine on the level.")] = True,
) -> None:
    """Write a synthetic level (regions x categories composition rows) into its own database."""
    from atlas.engine.synth import write_synthetic_database

    check_positive("--regions", regions, maximum=SYNTH_MAX_REGIONS)
    check_positive("--categories", categories, minimum=2, maximum=SYNTH_MAX_CATEGORIES)
    check_positive("--measures", measures, minimum=2, maximum=SYNTH_MAX_MEASURES)
    check_positive("--seed", seed, minimum=-(2**63), maximum=2**63 - 1)
    path = write_synthetic_database(db, regions, categories, seed, measures, indices)
    console.print(f"wrote {regions * categories:,} composition rows (level synth) to {path}"
                  + ("" if indices else " without indices"))


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="One SELECT statement.")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write the result to a .csv or .parquet file.")] = None,
    max_width: Annotated[int, typer.Option(
        help="Longest cell shown, in characters; longer text ends in '…'.")
                         ] = DEFAULT_MAX_WIDTH,
    vertical: Annotated[bool, typer.Option(
        "--vertical", help="One block of 'column | value' lines per row (the default when "
                           "the table is wider than the terminal).")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Run one read-only SELECT against the atlas; writes are refused."""
    from atlas.cli.sql_console import run_query

    check_positive("--max-width", max_width, minimum=2, maximum=MAX_WIDTH)
    write_or_print(run_query(db, query), output, max_width=max_width,
                   vertical=True if vertical else None)


@app.command()
def tables(db: DbOption = DEFAULT_DB) -> None:
    """List the atlas's tables and views with their comments."""
    from atlas.cli.sql_console import list_tables

    print_frame(list_tables(db))


for command in (dictionary, inputs, notebooks, report, sources, validate):
    app.command()(command)


def main(argv: list[str] | None = None, prog_name: str = "atlas") -> None:
    """Run the CLI (the ``atlas`` console script; ``build_atlas.py`` prepends ``build``)."""
    app(args=argv, prog_name=prog_name)
