"""``atlas sql`` and ``atlas rank`` stay light: the build's heavy packages are not imported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from atlas.engine.synth import write_synthetic_database

HEAVY = ("esda", "libpysal", "folium")
PROBE = """
import json, sys
from atlas.cli import main
loaded = {{"after_import": [m for m in {heavy!r} if m in sys.modules]}}
try:
    main({argv!r})
except SystemExit as exc:
    loaded["exit"] = exc.code
loaded["after_command"] = [m for m in {heavy!r} if m in sys.modules]
print(json.dumps(loaded))
"""


def probe(argv: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY, argv=argv)],
                         capture_output=True, text=True, check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def synth_db(tmp_path_factory):
    return write_synthetic_database(tmp_path_factory.mktemp("cli") / "synth.duckdb", 30, 8)


@pytest.mark.parametrize("command", [
    ["sql", "SELECT count(*) AS n FROM region_indices"],
    ["rank", "--level", "synth", "--top", "5"],
])
def test_light_commands_do_not_import_the_build(synth_db, command):
    result = probe([*command, "--db", str(synth_db)])
    assert result["after_import"] == []
    assert result.get("exit") in (None, 0)
    assert result["after_command"] == []
