"""CI: the atlas as a wheel installs anywhere and builds the same atlas as the checkout.

    python .ci/check_wheel.py [--keep DIR]

1. builds a wheel (``pip wheel --no-deps``) from a clean copy of the checkout's files (so
   that no stale ``build/`` folder can add or hide anything);
2. checks that the wheel holds every file of the ``atlas`` package that is not Python (the
   declarations, the manifest, the reference tables, the SQL, the map templates ...):
   ``[tool.setuptools.package-data]`` in pyproject.toml must list them;
3. installs it (not editable) into a fresh virtual environment that sees this
   environment's packages for the dependencies only (a ``.pth`` line), and checks that
   ``atlas`` is imported from that environment's site-packages;
4. builds the atlas there from another folder with the synthetic inputs of
   ``tests/fixtures/data`` (database, maps and exports), and the database again with the
   checkout (``python -m atlas.cli`` from the checkout, database only);
5. compares the two databases table by table (:mod:`atlas.store.fingerprint`; only
   ``build_info``'s ``git_commit`` may differ: an installed wheel has no git checkout; nor
   do the keys that record when a build ran, ``EXCLUDED_BUILD_INFO`` of
   :mod:`atlas.store.fingerprint`: ``created_at`` and the ``build_id``).

Prints one line per step and exits 1 with a line naming what differs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "data"
STARTED = time.perf_counter()


def say(message: str) -> None:
    print(f"  [{time.perf_counter() - STARTED:5.1f} s] {message}", flush=True)


def run(command: list[str], cwd: Path) -> str:
    """Run a command; on failure print its output and exit 1."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(done.stdout[-4000:], done.stderr[-4000:], sep="\n", file=sys.stderr)
        sys.exit(f"check_wheel: {' '.join(command)} failed with status {done.returncode}")
    return done.stdout


def clean_copy(target: Path) -> Path:
    """The checkout's tracked and untracked-but-not-ignored files, copied to ``target``."""
    listed = run(["git", "ls-files", "-co", "--exclude-standard", "-z"], ROOT).split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(source.read_bytes())
    return target


def package_files(root: Path) -> set[str]:
    """Files of the ``atlas`` package under ``root`` that a wheel must carry (no caches)."""
    return {path.relative_to(root).as_posix() for path in (root / "atlas").rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
            and path.suffix not in {".pyc", ".pyo"}}


def build_wheel(work: Path) -> Path:
    source = clean_copy(work / "source")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", ".", "-w",
         str(work / "dist")], source)
    wheel = next((work / "dist").glob("*.whl"))
    say(f"built {wheel.name} ({wheel.stat().st_size // 1024} KiB)")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {name for name in archive.namelist() if name.startswith("atlas/")}
    missing = sorted(package_files(source) - shipped)
    if missing:
        sys.exit(f"check_wheel: the wheel lacks {len(missing)} package file(s): "
                 f"{', '.join(missing[:8])} (add them to [tool.setuptools.package-data] "
                 "in pyproject.toml)")
    say(f"the wheel carries all {len(package_files(source))} files of the atlas package")
    return wheel


def install(wheel: Path, work: Path) -> Path:
    """A virtual environment with the wheel installed; its python."""
    venv = work / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], work)
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                    work).strip())
    # the dependencies come from this environment, after the venv's own site-packages
    (site / "zz_ci_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile",
         "--target", str(site), str(wheel)], work)
    where = run([str(python), "-c", "import atlas; print(atlas.__file__)"], work).strip()
    if not Path(where).resolve().is_relative_to(site.resolve()):
        sys.exit(f"check_wheel: atlas was imported from {where}, not from the wheel in {site}")
    say(f"installed into {venv.name}: atlas imported from {where}")
    return python


def compare(first: Path, second: Path) -> None:
    """Exit 1 unless the two databases have the same content (fingerprints)."""
    import duckdb

    sys.path.insert(0, str(ROOT))  # the checkout's atlas, whatever this environment installed
    from atlas.store.fingerprint import EXCLUDED_BUILD_INFO, differing, fingerprints

    prints = []
    for path in (first, second):
        con = duckdb.connect(str(path), read_only=True)
        try:
            info = dict(con.execute("SELECT key, value FROM build_info").fetchall())
            prints.append((fingerprints(con), info))
        finally:
            con.close()
    (a, info_a), (b, info_b) = prints
    tables = [name for name in differing(a, b) if name != "build_info"]
    keys = sorted(key for key in set(info_a) | set(info_b)
                  if key not in {"git_commit", *EXCLUDED_BUILD_INFO}
                  and info_a.get(key) != info_b.get(key))
    if tables or keys:
        sys.exit(f"check_wheel: the wheel's atlas differs from the checkout's in table(s) "
                 f"{tables} and build_info key(s) {keys}")
    say(f"the two databases have identical content ({len(a)} tables and views compared)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="atlas-wheel-") as temporary:
        work = args.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        python = install(build_wheel(work), work)
        elsewhere = work / "elsewhere"
        elsewhere.mkdir(exist_ok=True)
        run([str(python), "-m", "atlas.cli", "build", "--data-dir", str(FIXTURES),
             "--out", str(work / "wheel-out")], elsewhere)
        produced = [work / "wheel-out" / name for name in
                    ("atlas.duckdb", "maps/index.html", "maps/us_areas.html",
                     "exports/us_area_top100.xlsx")]
        if not all(path.is_file() for path in produced):
            sys.exit(f"check_wheel: the wheel's build lacks {[str(p) for p in produced]}")
        say("built the atlas with the wheel from another folder (database, maps, exports)")
        run([sys.executable, "-m", "atlas.cli", "build", "--data-dir", str(FIXTURES),
             "--out", str(work / "checkout-out"), "--no-maps", "--no-exports"], ROOT)
        say("built the database with the checkout")
        compare(work / "wheel-out" / "atlas.duckdb", work / "checkout-out" / "atlas.duckdb")


if __name__ == "__main__":
    main()
