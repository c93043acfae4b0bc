"""The commands that write documents from the atlas and its inputs: the data dictionary, the
inputs table and the diagnostics report (registered on the ``atlas`` app by ``atlas.cli.main``)."""

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


def report(
    update_docs: Annotated[bool, typer.Option(
        "--update-docs", help="Rewrite the generated blocks of README.md and docs/method.md "
                              "and docs/risk_diagnostics.md from the atlas.")] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """The diagnostics of the composite and the top regions of every level, as Markdown."""
    from atlas.store.database import open_atlas
    from atlas.store.files import atomic_write
    from atlas.texts.report import diagnostics_document, generated_documents

    con = open_atlas(db)
    try:
        if not update_docs:
            typer.echo(diagnostics_document(con))
            return
        documents = generated_documents(con)
    finally:
        con.close()
    for path, text in documents.items():
        atomic_write(path, lambda p, text=text: p.write_text(text, encoding="utf-8"))
        console.print(f"wrote {path}")
