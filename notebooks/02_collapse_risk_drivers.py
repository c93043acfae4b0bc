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
# A trap needs both an AI shock to the pillar jobs and weak absorption capacity: collapse
# risk combines the two pillar scores non-compensatorily (the formula and weights in use are
# in the database: `risk_pillars`, `risk_components`). Which components put the trap regions
# where they are, how do the pillars separate resilient hubs from traps, and how do rust-belt
# areas compare with the rest?

# %%
import os

import duckdb
import matplotlib.pyplot as plt

DB = os.environ.get("ATLAS_DB", "../out/atlas.duckdb")
con = duckdb.connect(DB, read_only=True)
areas = con.execute("SELECT * FROM region_indices WHERE level = 'us_area'").df()
# the model's components at this level (the columns of components of other levels are empty)
COMPONENTS = [c for c in areas.columns if c.startswith("risk_p_") and areas[c].notna().any()]
con.execute("SELECT pillar, label, weight, aggregation FROM risk_pillars "
            "WHERE model = (SELECT any_value(risk_model) FROM region_risk)").df()

# %%
areas[COMPONENTS + ["pillar_shock", "pillar_absorption", "collapse_risk"]].corr(
    method="spearman").round(2)

# %% [markdown]
# ## Diagnostics: effective weights and correlation with size

# %%
con.execute("""SELECT item, other, round(value, 3) AS value FROM risk_diagnostics
    WHERE level = 'us_area' AND diagnostic IN ('effective_weight_share', 'spearman')
    ORDER BY diagnostic, value DESC""").df()

# %% [markdown]
# ## The trap regions

# %%
traps = areas.loc[areas.flag_trap].sort_values("risk_rank")
traps[["risk_rank", "name", "total_employment", "collapse_risk", "pillar_shock",
       "pillar_absorption", "substitutable_share", "employment_change",
       "unemployment_persistent"]].head(20)

# %%
fig, axis = plt.subplots(figsize=(8, 4))
means = areas.groupby("flag_trap")[COMPONENTS].mean().T
means.columns = ["other areas", "trap areas"]
means.plot.barh(ax=axis)
axis.set_xlabel("mean component score (percentile within the 528 areas)")
axis.set_title("Risk components: trap areas vs the rest")
fig.tight_layout()

# %% [markdown]
# ## Hubs and traps: the two pillars

# %%
fig, axis = plt.subplots(figsize=(6, 5))
axis.scatter(areas.pillar_shock, areas.pillar_absorption, s=8, alpha=0.5, color="grey")
top = areas.loc[areas.flag_trap]
axis.scatter(top.pillar_shock, top.pillar_absorption, s=14, color="crimson", label="traps")
axis.set_xlabel("AI shock to the pillar jobs (percentile)")
axis.set_ylabel("weak absorption capacity (percentile)")
axis.legend()
fig.tight_layout()

# %% [markdown]
# ## Rust belt vs the rest

# %%
summary = areas.groupby("flag_rust_belt").agg(
    areas=("region_id", "size"),
    jobs=("total_employment", "sum"),
    collapse_risk=("collapse_risk", "mean"),
    mean_rank=("risk_rank", "mean"),
    industrial_share=("industrial_share", "mean"),
    employment_change=("employment_change", "mean"),
)
summary

# %% [markdown]
# ## Who moved most from the v1 composite, and why

# %%
con.execute("""SELECT name, compared_rank AS v1_rank, risk_rank, change, why
    FROM risk_v1_moves WHERE level = 'us_area' ORDER BY change DESC""").df()
