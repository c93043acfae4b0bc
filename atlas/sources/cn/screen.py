"""Screens of China's yearly city series for jumps no city makes in a year.

A city's urban-unit employment or registered population does not change threefold in a year;
when the yearbook panel says so, a unit or coverage error is the likely cause (Shangluo's
2010 population is 19 where its neighbouring years say 243-248; Jieyang's 2000 employment is
12x its 2001-2002 level; Dongguan's employment is 9.7x higher from 2013 on). Two screens:

- a **point outlier**: a year at least ``JUMP`` times above or below the median of its
  neighbouring observed years (up to two on each side), which agree among themselves within
  ``AGREE``; the value is left out of the changes and means over the years (the
  composition, population and unemployment rate of that very year keep the published
  figure, which ``data_quality`` flags);
- a **break**: after that, two consecutive observed years ``JUMP`` times apart; a change
  over a window that spans it is not computed.

Each finding is a plain-words note for the city's ``data_quality``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

JUMP = 3.0  # a year-on-year factor that no city's employment or population makes
AGREE = 1.5  # neighbouring years that agree within this factor describe the city's level
NEIGHBOURS = 2  # years on each side
PERSONS_PER_UNIT = 10_000  # both screened series count 10,000 persons


def point_outliers(frame: pd.DataFrame, column: str) -> pd.Series:
    """True for the rows of ``frame`` (``adcode_cnmaps, year, column``) whose value is a
    point outlier of its city's series (see the module docstring).

    All rows at once: each observed year's neighbours (up to ``NEIGHBOURS`` observed years
    on each side, of the same city) side by side, sorted, their median taken as
    :func:`numpy.median` takes it (the middle value, or the mean of the two middle ones)."""
    valid = frame.loc[frame[column] > 0, ["adcode_cnmaps", "year", column]].sort_values(
        ["adcode_cnmaps", "year"], kind="stable")
    values = valid[column].to_numpy(float)
    city = valid["adcode_cnmaps"].to_numpy()
    around = np.full((len(values), 2 * NEIGHBOURS), np.nan)
    offsets = [*range(-NEIGHBOURS, 0), *range(1, NEIGHBOURS + 1)]
    for slot, offset in enumerate(offsets):
        rows = np.arange(len(values))
        other = rows + offset
        inside = (other >= 0) & (other < len(values))
        same = np.zeros(len(values), dtype=bool)
        same[inside] = city[other[inside]] == city[inside]
        around[same, slot] = values[other[same]]
    count = np.sum(~np.isnan(around), axis=1)
    ordered = np.sort(around, axis=1)  # NaN last
    low = np.where(count > 0, ordered[:, 0], np.nan)
    high = np.take_along_axis(ordered, np.maximum(count - 1, 0)[:, None], axis=1)[:, 0]
    lower_middle = np.take_along_axis(ordered, np.maximum((count - 1) // 2, 0)[:, None],
                                      axis=1)[:, 0]
    upper_middle = np.take_along_axis(ordered, (count // 2)[:, None].clip(max=2 * NEIGHBOURS - 1),
                                      axis=1)[:, 0]
    median = np.where(count % 2 == 1, lower_middle, (lower_middle + upper_middle) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = values / median
        agree = (count >= 2) & (high <= AGREE * low)
        jumped = agree & ((ratio >= JUMP) | (ratio <= 1 / JUMP))
    flagged = pd.Series(False, index=frame.index)
    flagged[valid.index[jumped]] = True
    return flagged


def breaks(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Consecutive observed years of a city ``JUMP`` times apart: ``adcode_cnmaps, before,
    after, factor`` (``frame`` after :func:`point_outliers` were left out)."""
    valid = frame.loc[frame[column] > 0, ["adcode_cnmaps", "year", column]].sort_values(
        ["adcode_cnmaps", "year"])
    previous = valid.groupby("adcode_cnmaps")[[column, "year"]].shift()
    factor = valid[column] / previous[column]
    jumped = (factor >= JUMP) | (factor <= 1 / JUMP)
    return pd.DataFrame({"adcode_cnmaps": valid.loc[jumped, "adcode_cnmaps"],
                         "before": previous.loc[jumped, "year"].astype(int),
                         "after": valid.loc[jumped, "year"].astype(int),
                         "factor": factor[jumped]}).reset_index(drop=True)


def screened(frame: pd.DataFrame, column: str, what: str
             ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``frame`` with the point outliers of ``column`` left out, the breaks that remain, and
    a note per outlier (``adcode_cnmaps, year, note``; ``what`` names the series)."""
    outliers = point_outliers(frame, column)
    notes = pd.DataFrame({
        "adcode_cnmaps": frame.loc[outliers, "adcode_cnmaps"],
        "year": frame.loc[outliers, "year"].astype(int),
        "note": [f"{what} {int(year)} ({PERSONS_PER_UNIT * value:,.0f}) is at least "
                 f"{JUMP:g}x off its neighbouring years: left out of the changes and means "
                 "over the years"
                 for year, value in zip(frame.loc[outliers, "year"],
                                        frame.loc[outliers, column], strict=True)]})
    clean = frame.assign(**{column: frame[column].mask(outliers)})
    return clean, breaks(clean, column), notes.reset_index(drop=True)


def unreverted(found: pd.DataFrame, change: pd.Series, first: int, last: int,
               what: str) -> pd.Series:
    """Per city whose change over ``first..last`` (percent, by adcode) spans a break that the
    window's ends do not undo (they are still ``JUMP`` times apart), a note saying the change
    is not computed; a break that reverts within the window (a two-year dip) leaves it."""
    inside = found.loc[(found["before"] >= first) & (found["after"] <= last)]
    # the largest break of each city names the problem
    inside = inside.assign(size=np.abs(np.log(inside["factor"]))).sort_values(
        "size", ascending=False, kind="stable").drop_duplicates("adcode_cnmaps")
    inside = inside.set_index("adcode_cnmaps")
    factor = 1 + change.reindex(inside.index) / 100
    kept = inside.loc[(factor >= JUMP) | (factor <= 1 / JUMP)]
    return pd.Series([f"{what} jumps {f:.3g}x from {b} to {a} (a break in the series): its "
                      f"change {first}-{last} is not computed"
                      for f, b, a in zip(kept["factor"], kept["before"], kept["after"],
                                         strict=True)], index=kept.index, dtype=object)


# the series screened, what their notes call them and the change indicators they feed
SCREENED = {"yearbook": ("emp_units_total_10k", "urban-unit employment", "employment_change"),
            "panel": ("pop_total_yearend_10k", "population", "population_change")}
WHAT = {indicator: what for _, what, indicator in SCREENED.values()}


def screen_panels(yearbook: pd.DataFrame, panel: pd.DataFrame
                  ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, pd.DataFrame], pd.DataFrame]:
    """The yearbook and the CSMAR panel screened (:func:`screened`), the breaks per change
    indicator, and every outlier's note."""
    frames, found, notes = {"yearbook": yearbook, "panel": panel}, {}, []
    for name, (column, what, indicator) in SCREENED.items():
        frames[name], found[indicator], outliers = screened(frames[name], column, what)
        notes.append(outliers)
    return frames["yearbook"], frames["panel"], found, pd.concat(notes, ignore_index=True)


def outlier_notes(outliers: pd.DataFrame, first: int, last: int) -> pd.Series:
    """The notes of the outliers inside ``first..last``, per city (adcode)."""
    inside = outliers.loc[outliers["year"].between(first, last)]
    return pd.Series(inside["note"].to_numpy(), index=inside["adcode_cnmaps"].to_numpy(),
                     dtype=object)


def joined(*notes: pd.Series) -> pd.Series:
    """Notes per city joined with "; "."""
    present = [n for n in notes if len(n)]
    if not present:
        return pd.Series(dtype=object)
    return pd.concat(present).groupby(level=0, sort=True).agg("; ".join)
