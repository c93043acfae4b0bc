"""The inputs as people read them: the README's table and ``atlas inputs``.

The README's data table is generated from ``atlas/spec/manifest.toml`` (one row per file the build
reads), so the two cannot drift apart unnoticed (a test compares them). ``input_status``
checks each file of a data directory against the sha256 that its folder's ``SOURCES.md``
records.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from atlas.sources.inputs import PROJECT_ROOT, InputSpec, sha256_of

README = PROJECT_ROOT / "README.md"
START = ("<!-- inputs:start: generated from atlas/spec/manifest.toml by "
         "`atlas inputs --update-readme` -->")
END = "<!-- inputs:end -->"
SHA256 = re.compile(r"\b[0-9a-f]{64}\b")


def files(specs: dict[str, InputSpec]) -> dict[str, list[InputSpec]]:
    """Manifest entries grouped by file (one file can serve several entries: Excel sheets)."""
    grouped: dict[str, list[InputSpec]] = {}
    for spec in specs.values():
        grouped.setdefault(spec.path, []).append(spec)
    return dict(sorted(grouped.items()))


def inputs_markdown(specs: dict[str, InputSpec]) -> str:
    """The README's data table: file, what the atlas uses it for, vintage, licence."""
    lines = ["| file | used for | vintage | licence |", "|---|---|---|---|"]
    for path, entries in files(specs).items():
        cells = [_joined(entries, attribute) for attribute in ("use", "vintage", "licence")]
        lines.append(f"| `{path}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _joined(entries: list[InputSpec], attribute: str) -> str:
    values = dict.fromkeys(getattr(e, attribute) for e in entries if getattr(e, attribute))
    return "; ".join(values).replace("|", "/")


def readme_block(text: str) -> str:
    """The generated block of the README (between the markers), without the markers."""
    start, end = text.index(START) + len(START), text.index(END)
    return text[start:end].strip()


def update_readme(specs: dict[str, InputSpec], path: Path = README) -> bool:
    """Rewrite the README's generated block; returns True if it changed."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(START) + len(START), text.index(END)
    new = text[:start] + "\n" + inputs_markdown(specs) + "\n" + text[end:]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def recorded_sha256(data_dir: Path, path: str) -> str | None:
    """The sha256 that the folder's ``SOURCES.md`` gives for a file, if it lists one."""
    sources = data_dir / Path(path).parent / "SOURCES.md"
    if not sources.is_file():
        return None
    name = Path(path).name
    for line in sources.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip().split(" ")[0].strip("`") for cell in line.split("|")]
        if name in cells:
            found = SHA256.findall(line)
            if found:
                return found[-1]
    return None


def input_status(specs: dict[str, InputSpec], data_dir: Path) -> pd.DataFrame:
    """Per file: present or missing, size, and whether its sha256 matches ``SOURCES.md``."""
    rows = []
    for path, entries in files(specs).items():
        full = data_dir / path
        recorded = recorded_sha256(data_dir, path)
        if not full.is_file():
            status, size = "MISSING", None
        else:
            size = full.stat().st_size
            status = ("not in SOURCES.md" if recorded is None else
                      "sha256 matches SOURCES.md" if sha256_of(full) == recorded else
                      "sha256 DIFFERS from SOURCES.md")
        rows.append({"file": path, "inputs": ", ".join(e.key for e in entries),
                     "bytes": size, "status": status})
    return pd.DataFrame(rows)
