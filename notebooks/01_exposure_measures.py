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
# # Exposure measures compared
# How much do the exposure measures agree: Eloundou et al.'s GPT-4 ratings vs their human
# ratings vs Felten, Raj and Seamans's AIOE? Across occupations (national employment as weight
# where it matters) and across the 528 US areas. Reads the built atlas (`ATLAS_DB`, default
# `../out/atlas.duckdb`).

# %%
import os

import duckdb
import matplotlib.pyplot as plt

DB = os.environ.get("ATLAS_DB", "../out/atlas.duckdb")
con = duckdb.connect(DB, read_only=True)
MEASURES = ["eloundou_gpt4_beta", "eloundou_human_beta", "eloundou_automation",
            "felten_aioe_pct", "felten_lm_aioe_pct"]

# %% [markdown]
# ## Across occupations
# One row per published SOC detailed occupation (imputed residual rows excluded).

# %%
occupations = con.execute("""
    PIVOT (
        SELECT s.category, c.title, c.national_employment, s.measure, s.score
        FROM exposure_scores s
        JOIN categories c USING (taxonomy, category)
        WHERE c.national_employment IS NOT NULL AND s.taxonomy = 'soc2018'
    ) ON measure USING first(score)
""").df()
occupations[MEASURES].corr(method="spearman").round(2)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
for axis, other in zip(axes, ["eloundou_human_beta", "felten_aioe_pct"], strict=True):
    axis.scatter(occupations["eloundou_gpt4_beta"], occupations[other],
                 s=occupations["national_employment"] / 2e4, alpha=0.4)
    axis.set_xlabel("Eloundou GPT-4 beta (share of tasks exposed)")
    axis.set_ylabel(other)
    axis.set_title(f"Occupations: GPT-4 beta vs {other}")
fig.tight_layout()

# %% [markdown]
# ## Across regions
# `v_measure_comparison` has one row per region and one column per measure.

# %%
areas = con.execute("SELECT * FROM v_measure_comparison WHERE level = 'us_area'").df()
areas[MEASURES].corr(method="spearman").round(2)

# %%
fig, axis = plt.subplots(figsize=(5.5, 4.5))
axis.scatter(areas["eloundou_gpt4_beta"], areas["felten_aioe_pct"], s=8, alpha=0.6)
axis.set_xlabel("Mean exposure, Eloundou GPT-4 beta")
axis.set_ylabel("Mean exposure, Felten AIOE percentile")
axis.set_title("528 US areas")
fig.tight_layout()

# %% [markdown]
# The measures rank occupations differently (the AIOE rewards cognitive abilities in general,
# Eloundou et al. rate what a GPT-4-class model could speed up), but across regions both mostly
# track the share of office and professional work, so the regional rankings agree more.
