"""The commands that write documents from the atlas and its inputs: the data dictionary, the
inputs table, the diagnostics report and the notebooks (registered on the ``atlas`` app by
``atlas.cli.main``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from atlas.cli.common import DEFAULT_DB, DbOption, console
from atlas.texts.terminal import print_frame


def dictionary(
    output: Annotated[Path, typer.Option("-o", "--output", help="Markdown file to write.")] = Path(
        "docs/data_dictionary.md"),
    db: DbOption = DEFAULT_DB,
) -> None:
    """Write the data dictionary (Markdown) from the database's own comments."""
    from atlas.exports.ranking import open_atlas
    from atlas.store.files import atomic_write
    from atlas.texts.catalog import data_dictionary_markdown

    con = open_atlas(db)
    try:
        text = data_dictionary_markdown(con)
    finally:
        con.close()
    atomic_write(output, lambda p: p.write_text(text + "\n", encoding="utf-8"))
    console.print(f"wrote {output}")


def inputs(
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", envvar="ATLAS_DATA_DIR",
        help="Folder with the real inputs; default ../shared/data.")] = None,
    markdown: Annotated[bool, typer.Option(
        "--markdown", help="Print the README's data table instead.")] = False,
    update_readme: Annotated[bool, typer.Option(
        "--update-readme", help="Rewrite the README's data table from the manifest.")] = False,
) -> None:
    """List the input files the build reads, and check them against SOURCES.md."""
    from atlas.sources.inputs import load_manifest, resolve_data_dir
    from atlas.texts.inputs_table import input_status, inputs_markdown
    from atlas.texts.inputs_table import update_readme as rewrite_readme

    specs = load_manifest()
    if markdown:
        typer.echo(inputs_markdown(specs))
        return
    if update_readme:
        changed = rewrite_readme(specs)
        console.print("README data table " + ("updated" if changed else "already up to date"))
        return
    status = input_status(specs, resolve_data_dir(data_dir))
    print_frame(status, title=f"{len(status)} input files")
    if (status["status"] == "MISSING").any():
        raise typer.Exit(code=1)


def sources(
    db: Annotated[Path | None, typer.Option(
        "--db", help="Also show what a built atlas records (input_terms, figure_lineage).")
                  ] = None,
) -> None:
    """List every input's terms (public domain, open with attribution, research use only,
    unknown) and attribution, from atlas/spec/manifest.toml; restricted inputs stay out of the
    shareable outputs."""
    import pandas as pd

    from atlas.spec.manifest import load_manifest
    from atlas.store.terms import input_terms

    frame = input_terms(load_manifest())
    shown = frame[["input", "terms", "restricted", "attribution", "levels"]]
    print_frame(shown, title=f"{len(frame)} inputs and their terms "
                f"({int(frame['restricted'].sum())} restricted)")
    if db is not None:
        import duckdb

        con = duckdb.connect(str(db), read_only=True)
        try:
            lineage = con.execute("SELECT * FROM figure_lineage WHERE restricted").df()
        finally:
            con.close()
        print_frame(pd.DataFrame(lineage), title="figures left out of shareable outputs")


def report(
    update_docs: Annotated[bool, typer.Option(
        "--update-docs", help="Rewrite the generated blocks of README.md and docs/method.md, "
                              "docs/risk_diagnostics.md and docs/top30.md from the atlas.")
    ] = False,
    db: DbOption = DEFAULT_DB,
    docs_root: Annotated[Path | None, typer.Option(
        "--docs-root", hidden=True, help="The project whose documents --update-docs rewrites "
                                         "(default: this checkout).")] = None,
) -> None:
    """The diagnostics of the composite and the top regions of every level, as Markdown."""
    from atlas.store.database import open_atlas
    from atlas.store.files import atomic_write
    from atlas.texts.report import ROOT, diagnostics_document, generated_documents

    con = open_atlas(db)
    try:
        if not update_docs:
            typer.echo(diagnostics_document(con))
            return
        documents = generated_documents(con, docs_root or ROOT)
    finally:
        con.close()
    for path, text in documents.items():
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            console.print(f"{path} is up to date")
            continue
        atomic_write(path, lambda p, text=text: p.write_text(text, encoding="utf-8"))
        console.print(f"wrote {path}")


def notebooks(
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the .ipynb files.")
                      ] = Path("out/notebooks"),
    db: DbOption = DEFAULT_DB,
    run: Annotated[bool, typer.Option(
        "--run", help="Execute each notebook first, so it opens with its tables and figures.")
    ] = False,
) -> None:
    """Write the notebooks (notebooks/*.py) as Jupyter .ipynb files that read this atlas;
    open them with `jupyter lab out/notebooks`."""
    from atlas.texts.notebooks import write_notebooks

    for path in write_notebooks(db, output, run=run):
        console.print(f"wrote {path}")
