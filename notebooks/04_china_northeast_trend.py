# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # China's Northeast, 2003-2019: how old-industry cities became the top of the trap ranking
# Every yearbook year is a level of the atlas (`cn_city@2003` ... `cn_city@2018`, and
# `cn_city` for 2019), each ranked within its own year; `v_cn_city_trend` puts the years of
# every city side by side. Here: the cities of Heilongjiang, Jilin and Liaoning against the
# other cities, on the two pillars, on diversity and on exposure. Ranks are within a year,
# not comparable across levels; exposure is not displacement.

# %%
import os

import duckdb
import matplotlib.pyplot as plt
import pandas as pd

DB = os.environ.get("ATLAS_DB", "../out/atlas.duckdb")
NORTHEAST = ("黑龙江省", "吉林省", "辽宁省")
con = duckdb.connect(DB, read_only=True)

# %%
trend = con.execute("""
    SELECT t.region_id, a.name_pinyin, a.province, t.year, t.collapse_risk, t.risk_rank,
        t.regions_in_level, t.pillar_shock, t.pillar_absorption, t.group_entropy,
        t.substitutable_share, t.employment_change
    FROM v_cn_city_trend AS t
    JOIN region_attributes_wide AS a ON a.level = 'cn_city' AND a.region_id = t.region_id
    WHERE t.collapse_risk IS NOT NULL
    ORDER BY t.region_id, t.year""").df()
trend["group"] = trend["province"].isin(NORTHEAST).map({True: "Northeast",
                                                        False: "other cities"})
trend.groupby(["year", "group"]).size().unstack()

# %% [markdown]
# Median of every indicator per year. The absorption pillar combines prior decline,
# persistent registered unemployment, low GDP per head, lack of diversity and population
# decline over the nine years to each year; the shock pillar the substitutable share and its
# excess over the national mix.

# %%
columns = ["pillar_shock", "pillar_absorption", "group_entropy", "substitutable_share",
           "collapse_risk"]
medians = trend.groupby(["group", "year"])[columns].median()
medians.unstack("group").round(3).tail(6)

# %%
fig, axes = plt.subplots(1, 4, figsize=(13, 3.4), sharex=True)
for axis, column in zip(axes, ["pillar_absorption", "pillar_shock", "group_entropy",
                               "collapse_risk"], strict=True):
    for group, frame in medians[column].groupby(level="group"):
        axis.plot(frame.index.get_level_values("year"), frame.to_numpy(), marker="o",
                  markersize=3, label=group)
    axis.set_title(column.replace("_", " "))
axes[0].legend()
fig.suptitle("Median per year: Northeast China's cities against the other cities")
fig.tight_layout()

# %% [markdown]
# Each year's traps are its top 10%. How many of them are Northeast cities, against the
# Northeast's share of all ranked cities?

# %%
trend["top_decile"] = trend["risk_rank"] <= (trend["regions_in_level"] * 0.1).apply(
    lambda n: -(-n // 1))
shares = trend.groupby("year").apply(
    lambda y: {"northeast_in_top_decile": y.loc[y.top_decile, "group"].eq("Northeast").mean(),
               "northeast_of_all": y["group"].eq("Northeast").mean()},
    include_groups=False).apply(pd.Series)
shares.round(2)

# %%
fig, axis = plt.subplots(figsize=(7, 3.4))
axis.plot(shares.index, shares["northeast_in_top_decile"], marker="o",
          label="share of the top decile")
axis.plot(shares.index, shares["northeast_of_all"], linestyle="--",
          label="share of all ranked cities")
axis.set_ylabel("Northeast cities")
axis.legend()
fig.tight_layout()

# %% [markdown]
# The Northeast cities in 2019's top decile, with their rank in the first year and their
# absorption pillar then and now.

# %%
first, last = trend["year"].min(), trend["year"].max()
wide = trend.pivot_table(index=["region_id", "name_pinyin", "group"], columns="year",
                         values=["risk_rank", "pillar_absorption"])
table = wide[[("risk_rank", first), ("risk_rank", last), ("pillar_absorption", first),
              ("pillar_absorption", last)]]
table.columns = [f"rank {first}", f"rank {last}", f"absorption {first}",
                 f"absorption {last}"]
cut = trend.loc[trend.year == last, "regions_in_level"].iloc[0] * 0.1
northeast = table.xs("Northeast", level="group")
northeast.loc[northeast[f"rank {last}"] <= cut].sort_values(f"rank {last}").round(2)
