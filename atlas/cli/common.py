"""What every command of the ``atlas`` CLI shares: the error console and the database
option."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console(stderr=True)
DEFAULT_DB = Path("out/atlas.duckdb")
DbOption = Annotated[Path, typer.Option("--db", help="The atlas database to read.")]
