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
# # What drives collapse risk?
# `collapse_risk` is a weighted mean of within-level percentile ranks of four components:
# vulnerable jobs (0.4), occupational concentration (0.2), unemployment (0.2) and small size
# (0.2). Which components put the trap regions where they are, and how do rust-belt areas
# compare with the rest?

# %%
import os

import duckdb
import matplotlib.pyplot as plt

DB = os.environ.get("ATLAS_DB", "../out/atlas.duckdb")
con = duckdb.connect(DB, read_only=True)
areas = con.execute("SELECT * FROM region_indices WHERE level = 'us_area'").df()
COMPONENTS = ["risk_p_vulnerable", "risk_p_concentration", "risk_p_unemployment",
              "risk_p_smallness"]

# %%
areas[COMPONENTS + ["collapse_risk"]].corr().round(2)

# %% [markdown]
# ## The trap regions

# %%
traps = areas.loc[areas.flag_trap].sort_values("risk_rank")
traps[["risk_rank", "name", "total_employment", "collapse_risk", "vulnerable_share",
       "entropy_norm", "unemployment_rate"]].head(20)

# %%
fig, axis = plt.subplots(figsize=(8, 4))
means = areas.groupby("flag_trap")[COMPONENTS].mean().T
means.columns = ["other areas", "trap areas"]
means.plot.barh(ax=axis)
axis.set_xlabel("mean percentile rank within the 528 areas")
axis.set_title("Risk components: trap areas vs the rest")
fig.tight_layout()

# %% [markdown]
# ## Rust belt vs the rest

# %%
summary = areas.groupby("flag_rust_belt").agg(
    areas=("region_id", "size"),
    jobs=("total_employment", "sum"),
    collapse_risk=("collapse_risk", "mean"),
    vulnerable_share=("vulnerable_share", "mean"),
    production_share=("production_share", "mean"),
    unemployment_rate=("unemployment_rate", "mean"),
)
summary

# %%
fig, axis = plt.subplots(figsize=(6, 4.5))
for flag, group in areas.groupby("flag_rust_belt"):
    axis.scatter(group.vulnerable_share, group.collapse_risk, s=10, alpha=0.6,
                 label="rust belt" if flag else "other")
axis.set_xlabel("vulnerable_share")
axis.set_ylabel("collapse_risk")
axis.legend()
fig.tight_layout()
