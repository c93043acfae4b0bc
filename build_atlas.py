#!/usr/bin/env python
"""Build the whole atlas: ``python build_atlas.py --data-dir ../shared/data --out out``.

Same as ``atlas build``; see ``atlas build --help`` for the options.
"""

from atlas.cli import app

if __name__ == "__main__":
    app(args=["build", *__import__("sys").argv[1:]], prog_name="build_atlas.py")
