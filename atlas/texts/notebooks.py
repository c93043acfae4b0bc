"""The researchers' notebooks as Jupyter files: ``notebooks/*.py`` (jupytext percent format,
the reviewed source) written as ``.ipynb`` beside a built atlas (``atlas notebooks``).

A notebook reads the atlas named by ``ATLAS_DB`` or, without it, :data:`DEFAULT_DB` (the
path from the ``notebooks/`` folder of a checkout); the written copy gets the path from its
own folder to the atlas instead, so it opens and runs in Jupyter without setting anything.
Outputs are never stored in the sources; ``run=True`` executes each copy (nbclient) so that it
opens with its tables and figures.
"""

from __future__ import annotations

import os
from pathlib import Path

from atlas.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "notebooks"
DEFAULT_DB = '"../out/atlas.duckdb"'
NEEDS = "pip install -e '.[notebooks]'"


def sources(folder: Path = SOURCES) -> list[Path]:
    """The notebooks of ``folder`` (``NN_name.py``), in order."""
    return sorted(folder.glob("[0-9][0-9]_*.py"))


def _modules():
    try:
        import jupytext
        import nbformat
    except ImportError as exc:
        raise ConfigError(f"atlas notebooks needs jupytext and nbformat ({NEEDS}): "
                          f"{exc.name} is not installed") from exc
    return jupytext, nbformat


def notebook(source: Path, db: Path, out_dir: Path):
    """The notebook of ``source`` (an ``nbformat`` node), reading ``db`` by its path from
    ``out_dir``.

    Raises
    ------
    ConfigError
        when ``source`` does not name :data:`DEFAULT_DB` in exactly one code cell (the
        written copy could not find the atlas).
    """
    jupytext, _ = _modules()
    document = jupytext.read(source)
    cells = [c for c in document.cells if c.cell_type == "code" and DEFAULT_DB in c.source]
    if len(cells) != 1:
        raise ConfigError(f"{source}: expected one code cell reading the atlas with the default "
                          f"{DEFAULT_DB} (DB = os.environ.get(\"ATLAS_DB\", {DEFAULT_DB})), "
                          f"found {len(cells)}")
    where = Path(os.path.relpath(Path(db).resolve(), Path(out_dir).resolve())).as_posix()
    cells[0].source = cells[0].source.replace(DEFAULT_DB, f'"{where}"')
    document.metadata.pop("jupytext", None)  # a plain .ipynb, not paired with the source
    return document


def write_notebooks(db: Path, out_dir: Path, *, run: bool = False,
                    folder: Path = SOURCES) -> list[Path]:
    """Write every notebook of ``folder`` as ``out_dir/<name>.ipynb``; returns the files.

    Parameters
    ----------
    db : Path
        The built atlas the notebooks read.
    out_dir : Path
        Where the ``.ipynb`` files go (created).
    run : bool
        Execute each notebook first (its outputs are kept); a failing cell raises.
    folder : Path
        The notebook sources (default: ``notebooks/`` of this checkout).
    """
    _, nbformat = _modules()
    found = sources(folder)
    if not found:
        raise ConfigError(f"{folder}: no notebooks (NN_name.py); they ship with a checkout "
                          "of the project, not with the package")
    if not Path(db).is_file():
        raise ConfigError(f"{db}: no atlas database; build it first (python build_atlas.py)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in found:
        document = notebook(source, db, out_dir)
        if run:
            from nbclient import NotebookClient

            NotebookClient(document, timeout=600, kernel_name="python3",
                           resources={"metadata": {"path": str(out_dir)}}).execute()
        path = out_dir / f"{source.stem}.ipynb"
        nbformat.write(document, str(path))
        written.append(path)
    return written
