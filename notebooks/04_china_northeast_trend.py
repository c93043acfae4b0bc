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
from matplotlib.ticker import MaxNLocator

from atlas.exports.ranking import top_decile_cut
from atlas.store.database import stored_config

DB = os.environ.get("ATLAS_DB", "../out/atlas.duckdb")
NORTHEAST = ("黑龙江省", "吉林省", "辽宁省")
con = duckdb.connect(DB, read_only=True)

# %%
trend = con.execute("""
    SELECT t.region_id, a.name_pinyin, a.province, t.year, t.collapse_risk, t.risk_rank,
        t.regions_in_level, t.pillar_shock, t.pillar_absorption, t.group_entropy,
        t.exposure_mean, t.substitutable_share, t.employment_change
    FROM v_cn_city_trend AS t
    JOIN region_attributes_wide AS a ON a.level = 'cn_city' AND a.region_id = t.region_id
    WHERE t.collapse_risk IS NOT NULL
    ORDER BY t.region_id, t.year""").df()
trend["northeast"] = trend["province"].isin(NORTHEAST)
trend.groupby(["year", "northeast"]).size().unstack()

# %% [markdown]
# The Northeast's resource and old-industry cities, from the data: Northeast cities whose
# industrial share (sections B-D: mining, manufacturing, utilities) in the first year was at
# least the rust-belt ratio of the configuration times the share over all cities.

# %%
config = stored_config(con)
ratio = config.flags.rust_belt_min_industrial_ratio
first_level = f"cn_city@{trend['year'].min()}"
industry = con.execute("""
    SELECT region_id, industrial_share, reference_industrial_share FROM region_indices
    WHERE level = ?""", [first_level]).df().set_index("region_id")
industrial = industry.index[industry["industrial_share"]
                            >= ratio * industry["reference_industrial_share"]]
trend["resource"] = trend["northeast"] & trend["region_id"].isin(industrial)
resource = sorted(trend.loc[trend["resource"], "name_pinyin"].unique())
print(f"{len(resource)} Northeast industrial cities:", ", ".join(resource))

# %% [markdown]
# Their diversity (entropy over the 19 sections, size-neutral) and exposure paths against
# the national median (all ranked cities of the year), with the two pillars and collapse risk.

# %%
columns = ["group_entropy", "exposure_mean", "substitutable_share", "pillar_shock",
           "pillar_absorption", "collapse_risk"]
national = trend.groupby("year")[columns].median()
cities = trend.loc[trend["resource"]].groupby("year")[columns].median()
national.add_suffix(" (all)").join(cities.add_suffix(" (NE industrial)")).round(3).iloc[::4]

# %%
fig, axes = plt.subplots(2, 3, figsize=(13, 6.4), sharex=True)
for axis, column in zip(axes.flat, columns, strict=True):
    axis.plot(national.index, national[column], color="grey", label="national median")
    axis.plot(cities.index, cities[column], marker="o", markersize=3,
              label="Northeast industrial cities (median)")
    axis.set_title(column.replace("_", " "))
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))  # years: 2004, not 2002.5
axes[0, 0].legend(fontsize=8)
fig.suptitle("Northeast China's industrial cities against the national median, 2003-2019")
fig.tight_layout()

# %%
trend["group"] = trend["northeast"].map({True: "Northeast", False: "other cities"})

# %% [markdown]
# Each year's traps are its top 10%. How many of them are Northeast cities, against the
# Northeast's share of all ranked cities?

# %%
# the engine's cut: ceil(trap_top_share x ranked regions), as flag_trap uses it
trend["top_decile"] = trend["risk_rank"] <= trend["regions_in_level"].apply(
    lambda n: top_decile_cut(int(n), config))
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
axis.xaxis.set_major_locator(MaxNLocator(integer=True))
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
cut = top_decile_cut(int(trend.loc[trend.year == last, "regions_in_level"].iloc[0]), config)
northeast = table.xs("Northeast", level="group")
northeast.loc[northeast[f"rank {last}"] <= cut].sort_values(f"rank {last}").round(2)
