"""
The posterior ratio and the ascent on a sphere
==============================================

What SIMPOR does to one seed, drawn with the kernels it runs
(:func:`simpor_ext.kernels.log_ratio_grad` and
:func:`simpor_ext.kernels.ascend`): the log posterior ratio ``log f`` of the
minority class B against the majority A, a sphere (here a circle) around a
minority row, random start points on it, and the path each start takes to a
local maximum of ``log f`` on the circle.
"""

# %%
# Moon data, standardised as the sampler standardises it, and the Scott
# bandwidth in those units.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.neighbors import NearestNeighbors

from simpor_ext import kernels
from simpor_ext.moon import make_moon

split = make_moon(random_state=0, n_samples=900)
X, y = split.X_train, split.y_train
Z = (X - X.mean(0)) / X.std(0)
B, A = Z[y == 1], Z[y == 0]
h = len(Z) ** (-1 / (Z.shape[1] + 4))
print(f"{len(B)} minority rows, {len(A)} majority rows, bandwidth h = {h:.3f}")

# %%
# Three minority seeds where log f is lowest (near or across the border) and
# each one's radius bound R: the mean distance to its 10 nearest minority
# neighbours (paper eq. 14). SIMPOR draws each row's radius from U(0, R); the
# circles here use 0.9 R so that they are easy to see.
log_f_at_B, _ = kernels.log_ratio_grad(B, B, A, h)
seeds = B[np.argsort(log_f_at_B)[[5, 15, 30]]]
dist, _ = NearestNeighbors(n_neighbors=11).fit(B).kneighbors(seeds)
radii = 0.9 * dist[:, 1:].mean(1)

rng = np.random.default_rng(0)
n_starts = 7
seed_rows = np.repeat(seeds, n_starts, axis=0)
row_radii = np.repeat(radii, n_starts)
directions = rng.normal(size=seed_rows.shape)
directions /= np.linalg.norm(directions, axis=1, keepdims=True)

# %%
# The ascent, stopped after 0, 1, 2, ... trials, traces each start's path;
# the last call runs to convergence (the default ``max_iter=300``).
steps = [
    kernels.ascend(seed_rows, row_radii, directions, B, A, h, max_iter=k)
    for k in range(6)
]
paths = [step.points for step in steps]
final = kernels.ascend(seed_rows, row_radii, directions, B, A, h)
print(
    f"trials per row: mean {final.n_iter.mean():.1f}, "
    f"all converged: {bool(final.converged.all())}"
)
start_f = steps[0].log_ratio  # log f where each ascent starts
print(
    f"log f at the start points: mean {start_f.mean():+.2f}; "
    f"at the maxima: mean {final.log_ratio.mean():+.2f}"
)

# %%
# Left: ``log f`` over the plane (orange: the minority's posterior is the
# larger; the black line is ``log f = 0``), each seed's circle, the start
# points (hollow), the ascent's paths and the maxima it reached (stars).
# Right: ``log f`` around the first seed's circle against the angle, with the
# same start points and maxima: each start climbs to a local maximum of the
# circle it lies on, so rows grown from one seed gather at one or a few of
# its maxima.
xs, ys = np.linspace(-2.3, 2.5, 220), np.linspace(-2.2, 2.4, 200)
grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
log_f, _ = kernels.log_ratio_grad(grid, B, A, h)
log_f = log_f.reshape(len(ys), len(xs))

fig, (ax, ax2) = plt.subplots(
    1, 2, figsize=(13, 5.5), gridspec_kw={"width_ratios": [1.15, 1]}
)
levels = np.linspace(-6, 6, 25)
cs = ax.contourf(xs, ys, np.clip(log_f, -6, 6), levels=levels, cmap="PuOr_r")
ax.contour(xs, ys, log_f, levels=[0], colors="k", linewidths=1)
fig.colorbar(cs, ax=ax, label="log f (clipped to ±6)")
ax.scatter(*A.T, s=3, c="#1f4e79", alpha=0.35, label="majority A")
ax.scatter(*B.T, s=3, c="#b35806", alpha=0.6, label="minority B")
for seed, r in zip(seeds, radii):
    ax.add_patch(plt.Circle(seed, r, fill=False, color="k", lw=1))
    ax.plot(*seed, "k+", ms=8)
trace = np.stack(paths + [final.points], axis=1)  # (row, step, 2)
for row, centre, r in zip(trace, seed_rows, row_radii):
    theta = np.unwrap(
        np.arctan2(*(row - centre).T[::-1])
    )  # each step rotates along the circle
    arc = np.concatenate([np.linspace(a, b, 20) for a, b in zip(theta[:-1], theta[1:])])
    ax.plot(
        centre[0] + r * np.cos(arc),
        centre[1] + r * np.sin(arc),
        "-",
        color="#2ca02c",
        lw=1.5,
    )
ax.scatter(
    *paths[0].T,
    s=22,
    facecolors="none",
    edgecolors="k",
    lw=0.8,
    label="start points",
    zorder=3,
)
ax.scatter(
    *final.points.T,
    s=70,
    marker="*",
    c="#2ca02c",
    edgecolors="k",
    lw=0.5,
    label="maxima",
    zorder=4,
)
ax.set(
    xlim=(xs[0], xs[-1]),
    ylim=(ys[0], ys[-1]),
    aspect="equal",
    xlabel="z0 (standardised)",
    ylabel="z1 (standardised)",
    title="log f and three seeds' circles",
)
ax.legend(loc="lower left", fontsize=8, markerscale=1.5)

angles = np.linspace(-np.pi, np.pi, 721)
circle = seeds[0] + radii[0] * np.stack([np.cos(angles), np.sin(angles)], axis=1)
on_circle, _ = kernels.log_ratio_grad(circle, B, A, h)
ax2.plot(angles, on_circle, color="k", lw=1.2, label="log f on the first circle")


def angle_of(points):
    d = points - seeds[0]
    return np.arctan2(d[:, 1], d[:, 0])


first = slice(0, n_starts)
ax2.scatter(
    angle_of(paths[0][first]),
    start_f[first],
    s=30,
    facecolors="none",
    edgecolors="k",
    label="start points",
)
ax2.scatter(
    angle_of(final.points[first]),
    final.log_ratio[first],
    s=110,
    marker="*",
    c="#2ca02c",
    edgecolors="k",
    lw=0.5,
    label="maxima reached",
    zorder=3,
)
ax2.set(
    xlabel="angle on the circle (radians)",
    ylabel="log f",
    title="Around the first seed's circle",
)
ax2.legend(fontsize=8)
fig.tight_layout()
plt.show()
