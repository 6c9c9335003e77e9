"""
Where each synthetic row comes from
===================================

After ``fit_resample`` the sampler says, for every synthetic row, which input
row it was grown from (``sample_origin_``), on which sphere (``radii_``),
how high the log posterior ratio is there (``log_ratio_``) and how many
ascent trials it took (``n_iter_``); ``informative_indices_`` is the
informative set S that active learning found and that was balanced first.
"""

# %%
# Balance a small Moon set with the defaults (active learning included).
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from simpor_ext import SIMPOR
from simpor_ext.moon import make_moon

split = make_moon(random_state=0, n_samples=600)
X, y = split.X_train, split.y_train
sampler = SIMPOR(random_state=0, n_jobs=2)
X_res, y_res = sampler.fit_resample(X, y)
n = len(X)
print(
    f"{n} rows in, {len(X_res)} out; the first {n} are the input rows, unchanged:",
    np.array_equal(X_res[:n], X),
)
print(
    f"informative set S: {sampler.informative_indices_.size} rows "
    f"after {sampler.n_rounds_} rounds"
)

# %%
# One row per synthetic row: where it came from and what the ascent did.
synthetic = pd.DataFrame(
    {
        "grown_from": sampler.sample_origin_,
        "seed_in_S": np.isin(sampler.sample_origin_, sampler.informative_indices_),
        "radius": sampler.radii_,
        "log_ratio": sampler.log_ratio_,
        "trials": sampler.n_iter_,
        "converged": sampler.converged_,
    },
    index=pd.RangeIndex(n, len(X_res), name="output row"),
)
print(synthetic.head(8).to_string(float_format="{:.3f}".format))
per_seed = np.bincount(sampler.sample_origin_, minlength=n)
S = sampler.informative_indices_
print(
    f"\n{np.count_nonzero(per_seed)} seeds, "
    f"each grew {per_seed[per_seed > 0].min()} to {per_seed.max()} rows"
)
print(
    f"S holds {np.sum(y[S] == 1)} minority and {np.sum(y[S] == 0)} majority rows; "
    f"{synthetic['seed_in_S'].sum()} synthetic rows were grown from seeds in S"
)

# %%
# Algorithm 2 first grows the class inside S until S is balanced (those rows
# come first), then brings the whole class to its target from the rows
# outside S, each seed used evenly. When S already holds at least as many
# minority rows as majority rows, the first stage has nothing to add.

# %%
# The rows grown from two of the busiest seeds, in the sampler's standardised
# space ``(x - center_) / scale_``, where the spheres are round: each
# synthetic row lies on its own circle of radius ``radii_`` around its seed,
# and the rows of one seed point the same way, towards the minority side.
Z = (X - sampler.center_) / sampler.scale_
Z_new = (X_res[n:] - sampler.center_) / sampler.scale_
top = np.flatnonzero(per_seed == per_seed.max())
mean_radius = np.array(
    [sampler.radii_[sampler.sample_origin_ == seed].mean() for seed in top]
)
busiest = top[
    np.argsort(mean_radius)[::-1][:2]
]  # of the busiest seeds, the two with the widest spheres

fig, axes = plt.subplots(
    1, 3, figsize=(14, 4.8), gridspec_kw={"width_ratios": [1.3, 1, 1]}
)
ax = axes[0]
ax.scatter(*Z[y == 0].T, s=5, c="#1f77b4", alpha=0.35, label="majority")
ax.scatter(*Z[y == 1].T, s=5, c="#ff7f0e", alpha=0.7, label="minority")
ax.scatter(
    *Z[sampler.informative_indices_].T,
    s=26,
    facecolors="none",
    edgecolors="k",
    lw=0.6,
    label="informative set S",
)
ax.scatter(*Z_new.T, s=8, c="#d62728", marker="x", lw=0.6, alpha=0.5, label="synthetic")
ax.scatter(
    *Z[busiest].T, s=150, marker="+", c="k", lw=1.5, label="the seeds on the right"
)
ax.set(
    aspect="equal",
    title="Balanced training set (standardised)",
    xlabel="z0",
    ylabel="z1",
)
ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3)

for ax, seed, colour in zip(axes[1:], busiest, ["#2ca02c", "#9467bd"]):
    rows = np.flatnonzero(sampler.sample_origin_ == seed)
    half = 1.5 * sampler.radii_[rows].max()
    near = np.abs(Z - Z[seed]).max(1) < 1.3 * half
    ax.scatter(*Z[near & (y == 0)].T, s=10, c="#1f77b4", alpha=0.4)
    ax.scatter(*Z[near & (y == 1)].T, s=10, c="#ff7f0e", alpha=0.7)
    for r in sampler.radii_[rows]:
        ax.add_patch(
            plt.Circle(Z[seed], r, fill=False, color=colour, lw=0.8, alpha=0.6)
        )
    for p in Z_new[rows]:
        ax.plot(*np.stack([Z[seed], p]).T, color=colour, lw=0.6, alpha=0.7)
    ax.scatter(
        *Z_new[rows].T,
        s=40,
        c=colour,
        marker="x",
        label=f"{rows.size} rows grown from it",
    )
    ax.plot(*Z[seed], "k+", ms=12, mew=1.5)
    ax.set(
        xlim=(Z[seed, 0] - half, Z[seed, 0] + half),
        ylim=(Z[seed, 1] - half, Z[seed, 1] + half),
        aspect="equal",
        title=f"Input row {seed}: one circle per row",
        xlabel="z0",
    )
    ax.legend(fontsize=8, loc="upper right")
fig.tight_layout()
plt.show()

# %%
# The same provenance from the command line: ``simpor-ext balance ...
# --origin-column grown_from`` writes ``sample_origin_`` as a column (see
# :ref:`sphx_glr_auto_examples_plot_command_line.py`).
