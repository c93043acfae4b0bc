"""``python -m atlas.cli ...``: the ``atlas`` command line (as the README calls it)."""

from atlas.cli.main import main

main(prog_name="python -m atlas.cli")
