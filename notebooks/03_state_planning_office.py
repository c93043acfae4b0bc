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
# # A worked example for a state planning office: Ohio
# Ohio's OEWS areas, ranked by collapse risk, and a $50 million transition fund split among
# the ten riskiest, in proportion to exposed jobs x collapse risk, with a $1 million floor and
# an $8 million cap per area. The same as
# `atlas rank --state OH --top 10 --budget 50000000 --floor 1000000 --cap 8000000`.

# %%
import os

import duckdb
import matplotlib.pyplot as plt

from atlas.exports.ranking import RankRequest, rank_regions

DB = os.environ.get("ATLAS_DB", "../out/atlas.duckdb")
STATE = "OH"
con = duckdb.connect(DB, read_only=True)

# %%
ranked = rank_regions(con, RankRequest(level="us_area", states=[STATE]))
ranked[["selection_rank", "risk_rank", "name", "total_employment", "collapse_risk",
        "pillar_shock", "pillar_absorption", "employment_change", "flag_trap",
        "flag_transition_target", "flag_rust_belt"]]

# %%
fund = rank_regions(con, RankRequest(level="us_area", states=[STATE], top=10,
                                     budget=50_000_000, rule="risk_weighted",
                                     floor=1_000_000, cap=8_000_000))
assert fund.allocation.sum() == 50_000_000
fund[["name", "exposed_jobs", "collapse_risk", "allocation_need", "allocation"]]

# %%
fig, axis = plt.subplots(figsize=(8, 4.5))
axis.barh(fund["name"][::-1], fund["allocation"][::-1] / 1e6)
axis.set_xlabel("allocation, US$ million")
axis.set_title(f"{STATE}: $50M split among the 10 areas with the highest collapse risk")
fig.tight_layout()

# %% [markdown]
# Each area's amount is `clamp(t * need, floor, cap)` with the one `t` that spends the whole
# budget, rounded to whole dollars by the largest-remainder method.
