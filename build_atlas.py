#!/usr/bin/env python
"""Build the whole atlas: ``python build_atlas.py --data-dir ../shared/data --out out``.

Same as ``atlas build``; see ``atlas build --help`` for the options. ``--debug`` shows the
Python traceback of an error.
"""

import sys

from atlas.cli import main

if __name__ == "__main__":
    arguments = sys.argv[1:]
    debug = [a for a in arguments if a == "--debug"]
    main([*debug, "build", *[a for a in arguments if a != "--debug"]],
         prog_name="build_atlas.py")
