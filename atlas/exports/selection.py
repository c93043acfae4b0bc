"""The geography a level's regions belong to (state, province, World Bank region) and the
``--state`` / ``--province`` / ``--region`` and ``--any-county-in`` filters.

A name matches whatever its spelling: case, spaces and punctuation are ignored, Chinese
province names match with or without their suffix (省, 市, 自治区, ...), pinyin matches in any
case, a parenthesised alternative counts on its own ("Xizang (Tibet)" matches "Tibet"), and
US states match by postal code or name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

from atlas.errors import ConfigError

# longest first, so 新疆维吾尔自治区 loses 维吾尔自治区 and not just 自治区
CHINESE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


@dataclass(frozen=True)
class Geography:
    """How a level's regions are placed in a larger geography.

    Attributes
    ----------
    columns
        Columns naming the principal geography, shown joined (first is the canonical value).
    header
        Column header in the workbook.
    concept
        The word for it in messages ("state", "province", "World Bank region").
    members
        Column listing every member geography joined by '-' (US: states with member
        counties), or None where a region lies in one only.
    """

    columns: tuple[str, ...]
    header: str
    concept: str
    members: str | None = None


US = Geography(("state",), "State", "state", "states")
LEVEL_GEOGRAPHY = {
    "cn_city": Geography(("province", "state"), "Province 省", "province"),
    "country": Geography(("state",), "Region (World Bank)", "World Bank region"),
}


def geography_for(level: str) -> Geography:
    """The geography of ``level`` (US levels, and any other, use the US state)."""
    return LEVEL_GEOGRAPHY.get(level, US)


def name_keys(name: str) -> set[str]:
    """Spelling-free keys of a name: casefolded, without punctuation or a Chinese suffix,
    plus the text inside and outside parentheses on its own."""
    text = unicodedata.normalize("NFKC", str(name)).casefold().strip().replace("&", " and ")
    variants = {text, re.sub(r"\(.*?\)", "", text), *re.findall(r"\((.*?)\)", text)}
    keys = set()
    for variant in variants:
        key = re.sub(r"[\W_]+", "", variant)
        for suffix in CHINESE_SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                key = key[: -len(suffix)]
                break
        if key:
            keys.add(key)
    return keys


def geography_label(frame: pd.DataFrame, level: str) -> pd.Series:
    """The principal geography of every row, e.g. ``OH`` or ``河北省 Hebei``."""
    columns = [c for c in geography_for(level).columns if c in frame.columns]
    if not columns:
        return pd.Series("", index=frame.index)
    parts = frame[columns].astype("string").fillna("")
    label = parts.iloc[:, 0]
    for column in columns[1:]:
        label = (label + " " + parts[column]).str.strip()
    return label.astype(object)


def _resolver(values: pd.DataFrame, aliases: dict[str, str]) -> dict[str, set[str]]:
    """Key -> canonical values, from the geography columns and extra aliases."""
    keys: dict[str, set[str]] = {}
    for row in values.itertuples(index=False):
        canonical = row[0]
        if not isinstance(canonical, str):
            continue
        for name in [*row, *([aliases[canonical]] if canonical in aliases else [])]:
            if isinstance(name, str):
                for key in name_keys(name):
                    keys.setdefault(key, set()).add(canonical)
    return keys


def resolve(requested: list[str], values: pd.DataFrame, level: str, option: str,
            aliases: dict[str, str] | None = None) -> set[str]:
    """Canonical geography values for the requested names; an unknown name is an error.

    ``values`` holds the geography columns (the canonical one first); ``aliases`` maps a
    canonical value to another name (US state code -> state name).
    """
    values = values.drop_duplicates()
    keys = _resolver(values, aliases or {})
    found: set[str] = set()
    for name in requested:
        matches = set().union(*(keys.get(key, set()) for key in name_keys(name)))
        if len(matches) != 1:
            shown = sorted(geography_label(values, level).dropna().unique())
            problem = "ambiguous" if matches else "unknown"
            raise ConfigError(f"{option}: {problem} {geography_for(level).concept} '{name}' "
                              f"for level {level}; valid values: {shown}")
        found |= matches
    return found


def select(frame: pd.DataFrame, level: str, states: list[str], any_county_in: list[str],
           aliases: dict[str, str] | None = None) -> tuple[pd.Series, pd.Series]:
    """Rows in the requested geographies, and a note for those outside their principal one.

    Parameters
    ----------
    frame
        The level's regions.
    states
        Principal geographies (``--state`` / ``--province`` / ``--region``): any of them.
    any_county_in
        US levels: keep a region if any of its member counties lies in one of these states.
        A region whose principal state is not among the requested ones gets a note.
    aliases
        Other names of the canonical values (US state code -> state name).

    Returns
    -------
    keep, note
        Boolean mask and note text ("" where there is nothing to say), aligned with ``frame``.
        The two filters combine as "any of": principal geography in ``states`` or a member
        county in ``any_county_in``.
    """
    geography = geography_for(level)
    columns = [c for c in geography.columns if c in frame.columns]
    principal = frame[columns[0]]
    note = pd.Series("", index=frame.index, dtype=object)
    if not states and not any_county_in:
        return pd.Series(True, index=frame.index), note
    keep = pd.Series(False, index=frame.index)
    requested: set[str] = set()
    if states:
        requested = resolve(states, frame[columns], level, option_for(level), aliases)
        keep |= principal.isin(requested)
    if any_county_in:
        if geography.members is None or geography.members not in frame.columns:
            raise ConfigError(f"--any-county-in applies to US levels (regions made of "
                              f"counties); for level {level} use {option_for(level)}")
        members = frame[geography.members].fillna("").str.split("-")
        known = pd.DataFrame({columns[0]: sorted({m for items in members for m in items if m})})
        wanted = resolve(any_county_in, known, level, "--any-county-in", aliases)
        shared = members.map(lambda items: sorted(set(items) & wanted))
        by_county = shared.map(bool)
        outside = by_county & ~principal.isin(wanted | requested)
        note[outside] = [f"principal state {p}; member counties also in {', '.join(s)}"
                         for p, s in zip(principal[outside], shared[outside], strict=True)]
        keep |= by_county
    return keep, note


def option_for(level: str) -> str:
    """The CLI option that filters ``level`` by principal geography: --state, --province or
    --region (all three are accepted at every level)."""
    return "--" + {"province": "province", "World Bank region": "region"}.get(
        geography_for(level).concept, "state")
