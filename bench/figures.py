"""Figures of the quality benchmark (matplotlib, PNG).

* :func:`decision_boundaries` — paper Figure 3: the resampled Moon training
  data and the MLP's decision boundary, one panel per method.
* :func:`pca_hdr` — paper Figure 4: the resampled training data projected on
  the first two principal components, and a 1-D histogram on the first with
  the hard-to-differentiate ratio HDR = intersection / minority count.
* :func:`rank_bars`, :func:`f1_deltas` — overview of the whole run.
* :func:`cd_diagrams` — Demšar's critical-difference diagram: mean ranks on
  one axis, a bar over each group of methods Nemenyi's test cannot tell apart.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402

import stats  # noqa: E402
from evaluation import LABELS, MethodRun  # noqa: E402

MAJ, MIN, SYN = "#1f77b4", "#ff7f0e", "#d62728"


def _minority(y: np.ndarray, n_original: int) -> int:
    return int(np.argmin(np.bincount(y[:n_original], minlength=2)))


def _scatter(ax, P: np.ndarray, y: np.ndarray, n_original: int, size: float = 6) -> None:
    mino = _minority(y, n_original)
    real = np.arange(len(y)) < n_original
    ax.scatter(*P[real & (y != mino)].T, s=size, c=MAJ, alpha=0.45, lw=0, label="majority")
    ax.scatter(*P[real & (y == mino)].T, s=size, c=MIN, alpha=0.8, lw=0, label="minority")
    if (~real).any():
        ax.scatter(*P[~real].T, s=size * 1.5, c=SYN, alpha=0.6, linewidths=0.6, marker="x", label="synthetic")


def decision_boundaries(runs: Sequence[MethodRun], path: Path, *, title: str = "") -> None:
    """Figure 3: one panel per method with the training data it produced and the MLP boundary.

    Coordinates are the standardised features the sampler and the MLP saw.
    """
    n = len(runs)
    cols = min(3, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 4.0 * rows), squeeze=False)
    allX = np.vstack([r.X_train for r in runs])
    lo, hi = allX.min(0) - 0.3, allX.max(0) + 0.3
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 250), np.linspace(lo[1], hi[1], 250))
    grid = np.c_[gx.ravel(), gy.ravel()]
    for ax, run in zip(axes.flat, runs):
        proba = run.classifier.predict_proba(grid)[:, list(run.classifier.classes_).index(1)]
        ax.contourf(gx, gy, proba.reshape(gx.shape), levels=[0, 0.5, 1], colors=["#dbe9f6", "#fde3cc"], alpha=0.7)
        ax.contour(gx, gy, proba.reshape(gx.shape), levels=[0.5], colors="k", linewidths=1.2)
        _scatter(ax, run.X_train, run.y_train, run.n_original, size=5)
        rec = run.record
        ax.set_title(f"{LABELS[run.method]} — test F1 {rec['f1']:.3f}\n"
                     f"{rec['n_class0']}:{rec['n_class1']} after resampling", fontsize=9)
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(loc="lower left", fontsize=7, markerscale=2)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def hdr(p_minority: np.ndarray, p_majority: np.ndarray, bins: np.ndarray) -> tuple[float, int, int]:
    """Hard-to-differentiate ratio (paper §6.4.2) on a 1-D projection.

    Returns
    -------
    ratio, intersection, n_minority
        ``intersection = sum_b min(count_minority[b], count_majority[b])`` over
        the shared histogram ``bins``; ``ratio = intersection / n_minority``.
    """
    h_min, _ = np.histogram(p_minority, bins)
    h_maj, _ = np.histogram(p_majority, bins)
    inter = int(np.minimum(h_min, h_maj).sum())
    return inter / max(len(p_minority), 1), inter, int(len(p_minority))


def pca_hdr(runs: Sequence[MethodRun], path: Path, *, n_bins: int = 50, title: str = "") -> dict:
    """Figure 4: PCA 2-D scatter (top) and 1-D histogram with HDR (bottom), per method.

    The PCA is fitted once on the original (standardised) training rows, so
    every method is drawn in the same axes; histogram bins are shared too.

    Returns
    -------
    dict
        ``{method: {"hdr", "intersection", "n_minority", "n_majority"}}``.
    """
    base = runs[0]
    pca = PCA(n_components=2, random_state=0).fit(base.X_train[: base.n_original])
    proj = [pca.transform(r.X_train) for r in runs]
    allp = np.vstack(proj)[:, 0]
    bins = np.linspace(allp.min(), allp.max(), n_bins + 1)
    fig, axes = plt.subplots(2, len(runs), figsize=(3.2 * len(runs), 6.0), squeeze=False)
    out = {}
    for j, (run, P) in enumerate(zip(runs, proj)):
        mino = _minority(run.y_train, run.n_original)
        _scatter(axes[0, j], P, run.y_train, run.n_original, size=4)
        axes[0, j].set_title(f"{LABELS[run.method]} — F1 {run.record['f1']:.3f}", fontsize=9)
        axes[0, j].set_xticks([])
        axes[0, j].set_yticks([])
        pm, pM = P[run.y_train == mino, 0], P[run.y_train != mino, 0]
        ratio, inter, n_min = hdr(pm, pM, bins)
        out[run.method] = {"hdr": ratio, "intersection": inter, "n_minority": n_min, "n_majority": int(len(pM))}
        ax = axes[1, j]
        ax.hist(pM, bins, color=MAJ, alpha=0.55, label="majority")
        ax.hist(pm, bins, color=MIN, alpha=0.55, label="minority (+synthetic)")
        ax.set_title(f"HDR {100 * ratio:.1f}% ({inter} / {n_min})", fontsize=9)
        ax.set_yticks([])
    axes[0, 0].legend(loc="best", fontsize=7, markerscale=2)
    axes[1, 0].legend(loc="best", fontsize=7)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return out


def rank_bars(summary: dict, methods: Sequence[str], path: Path) -> None:
    """Mean rank of each method (F1 and AUC), over all data sets and per source."""
    groups = [g for g in ("all", "paper", "keel", "imblearn") if g in summary["mean_rank"]["f1"]]
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    width = 0.8 / len(methods)
    for ax, metric in zip(axes, ("f1", "auc")):
        for i, m in enumerate(methods):
            vals = [summary["mean_rank"][metric][g][m] for g in groups]
            ax.bar(np.arange(len(groups)) + i * width, vals, width, label=LABELS[m])
        ax.set_xticks(np.arange(len(groups)) + 0.4 - width / 2)
        ax.set_xticklabels(groups)
        ax.set_ylabel("mean rank (1 = best)")
        ax.set_title(f"mean rank by {metric}")
    axes[1].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def f1_deltas(summary: dict, path: Path, ours: str = "simpor", reference: str = "smote") -> None:
    """Per data set, sorted: mean F1 of ``ours`` minus ``reference``'s (left) and minus the
    best of the other methods of the main comparison, picked per data set after the fact (right)."""
    table = summary["per_dataset"]
    others = [m for m in summary["main_methods"] if m != ours]
    sets = summary["ranked_datasets"]
    fig, axes = plt.subplots(1, 2, figsize=(11, max(4.0, 0.15 * len(sets))))
    for ax, against in zip(axes, (reference, None)):
        rows = []
        for ds in sets:
            ms = table[ds]["methods"]
            other = ms[against]["f1"][0] if against else max(ms[m]["f1"][0] for m in others)
            rows.append((ms[ours]["f1"][0] - other, ds))
        rows.sort()
        vals = [d for d, _ in rows]
        ax.barh(np.arange(len(rows)), vals, color=["#2ca02c" if d >= 0 else "#d62728" for d in vals])
        ax.set_yticks(np.arange(len(rows)))
        ax.set_yticklabels([n for _, n in rows], fontsize=6)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.axvline(0, color="k", lw=0.8)
        name = LABELS[against] if against else "best other method (per data set)"
        ax.set_xlabel(f"mean macro F1: {LABELS[ours]} − {name}")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _cd_panel(ax, test: dict, metric: str) -> None:
    names = sorted(test["mean_rank"], key=test["mean_rank"].get)
    r = np.array([test["mean_rank"][m] for m in names])
    k, cd = len(names), test["cd"]
    ax.set_xlim(0.5, k + 0.5)
    ax.set_ylim(-(k // 2 + 2.5), 2.2)
    ax.axis("off")
    ax.plot([1, k], [0, 0], color="k", lw=1)
    for t in range(1, k + 1):
        ax.plot([t, t], [0, 0.15], color="k", lw=1)
        ax.text(t, 0.3, str(t), ha="center", fontsize=8)
    ax.plot([1, 1 + cd], [1.4, 1.4], color="k", lw=1.5)
    ax.text(1 + cd / 2, 1.6, f"CD = {cd:.2f}", ha="center", fontsize=8)
    half = (k + 1) // 2
    for i, (m, x) in enumerate(zip(names, r)):
        left = i < half
        y = -(i + 1.5) if left else -(k - i + 0.5)
        end = 0.6 if left else k + 0.4
        ax.plot([x, x, end], [0, y, y], color="k", lw=0.8)
        ax.text(end + (-0.05 if left else 0.05), y, f"{LABELS[m]} {x:.2f}", ha="right" if left else "left",
                va="center", fontsize=8)
    for row, (a, b) in enumerate(stats.cliques(r, cd)):
        y = -0.35 - 0.25 * row
        ax.plot([r[a] - 0.03, r[b] + 0.03], [y, y], color="#d62728", lw=3, solid_capstyle="round")
    f = test["friedman"]
    ax.set_title(f"{metric}: {f['n']} data sets, Friedman p = {f['p']:.2g}; bars join methods "
                 f"Nemenyi cannot tell apart (α = {test['alpha']})", fontsize=9)


def cd_diagrams(tests: Sequence[dict], path: Path, metrics: Sequence[str] = ("macro F1", "ROC AUC")) -> None:
    """One critical-difference diagram per comparison in ``tests`` (summary.compare outputs)."""
    fig, axes = plt.subplots(len(tests), 1, figsize=(9, 2.6 * len(tests)), squeeze=False)
    for ax, test, metric in zip(axes[:, 0], tests, metrics):
        _cd_panel(ax, test, metric)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
