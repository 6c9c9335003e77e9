"""``simpor-ext demo``: the paper's Moon experiment (§6.2) in under a minute.

Builds the imbalanced Moon data (IR 3:1, train 1200:400, test 300:100 at the
paper's size), balances the training set with SMOTE and SIMPOR, trains the
paper's MLP (Table 1) on raw / SMOTE / SIMPOR data, prints class counts and
test macro-F1, and draws the balanced data with each model's decision
boundary. One seeded run; the paper averages five.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, TextIO

import numpy as np

PLOT_NAME = "moon_balanced.png"


@dataclass
class Outcome:
    """One balancing method: its training set, timing and test score."""

    name: str
    X: np.ndarray
    y: np.ndarray
    n_original: int
    seconds: float = 0.0
    f1: float = float("nan")
    model: object = field(default=None, repr=False)


def moon_data(n_samples: int, seed: int):
    """``X_train, X_test, y_train, y_test`` of the paper's imbalanced Moon
    set (§6.2.1; see :func:`simpor_ext.moon.make_moon`)."""
    from .moon import make_moon

    split = make_moon(seed, n_samples=n_samples)
    return split.X_train, split.X_test, split.y_train, split.y_test


def paper_mlp(seed: int):
    """The Moon classifier of the paper's Table 1 (3 x 100 ReLU, Adam 0.01,
    batch 32, at most 200 epochs, stopping when the training loss stalls)."""
    from .scoring import default_mlp

    return default_mlp(None, seed)


def _balance(name: str, sampler, X: np.ndarray, y: np.ndarray) -> Outcome:
    start = time.perf_counter()
    X_res, y_res = sampler.fit_resample(X, y) if sampler is not None else (X, y)
    return Outcome(name, np.asarray(X_res), np.asarray(y_res), len(y), time.perf_counter() - start)


def _train_and_score(outcome: Outcome, X_test: np.ndarray, y_test: np.ndarray, seed: int) -> None:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import f1_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        outcome.model = paper_mlp(seed).fit(outcome.X, outcome.y)
    outcome.f1 = float(f1_score(y_test, outcome.model.predict(X_test), average="macro"))


def _counts(y: np.ndarray) -> str:
    labels, counts = np.unique(y, return_counts=True)
    return ", ".join(f"{label}: {count}" for label, count in zip(labels, counts))


def _backend_line(device: str) -> str:
    from ._backends import device_info, get_backend

    backend = get_backend(device)
    if backend.name == "cuda" or device == "cpu":
        return backend.description
    return f"{backend.description}; no GPU: {device_info()['cuda_reason']}"


def _table(outcomes: list[Outcome]) -> str:
    rows = [f"{'method':<8} {'train class counts':<22} {'added':>6} {'balance s':>10} {'test macro-F1':>14}"]
    for o in outcomes:
        seconds = f"{o.seconds:.2f}" if o.name != "raw" else "-"
        rows.append(f"{o.name:<8} {_counts(o.y):<22} {len(o.y) - o.n_original:>6} {seconds:>10} {o.f1:>14.4f}")
    return "\n".join(rows)


def plot(outcomes: list[Outcome], path: Path) -> Path:
    """Each balanced training set (synthetic rows outlined) over its model's
    decision regions, one panel per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X_all = np.vstack([o.X for o in outcomes])
    lo, hi = X_all.min(axis=0) - 0.3, X_all.max(axis=0) + 0.3
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 250), np.linspace(lo[1], hi[1], 250))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    fig, axes = plt.subplots(1, len(outcomes), figsize=(5 * len(outcomes), 4.6), sharex=True, sharey=True)
    for ax, o in zip(np.atleast_1d(axes), outcomes):
        _panel(ax, o, gx, gy, o.model.predict_proba(grid)[:, 1].reshape(gx.shape))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _panel(ax, o: Outcome, gx, gy, proba) -> None:
    ax.contourf(gx, gy, proba, levels=[0, 0.5, 1], colors=["#c6dbef", "#fdd0a2"], alpha=0.6)
    ax.contour(gx, gy, proba, levels=[0.5], colors="k", linewidths=1.2)
    n = o.n_original
    if len(o.y) > n:  # under the real points, so both stay visible
        ax.scatter(*o.X[n:].T, s=9, facecolors="none", edgecolors="#fd8d3c", linewidths=0.6,
                   label="synthetic (class B)")
    for label, color in ((0, "#2171b5"), (1, "#a63603")):
        real = o.y[:n] == label
        ax.scatter(*o.X[:n][real].T, s=5, c=color, label=f"class {'AB'[label]}")
    ax.set_title(f"{o.name}: test macro-F1 {o.f1:.3f}")
    ax.legend(loc="lower left", fontsize=8, markerscale=2)


def run_demo(out_dir: Optional[Path] = Path("simpor-demo"), device: str = "auto", seed: int = 0,
             n_samples: int = 3000, stream: TextIO = sys.stdout) -> list[Outcome]:
    """Run the demo, writing its report to ``stream``; return the outcomes.

    ``out_dir=None`` skips the plot.
    """
    from imblearn.over_sampling import SMOTE

    from . import SIMPOR
    from .moon import MOON_NOISE

    start = time.perf_counter()
    X_train, X_test, y_train, y_test = moon_data(n_samples, seed)
    say = lambda text="": print(text, file=stream, flush=True)  # noqa: E731
    say(f"SIMPOR demo: Moon data (paper section 6.2, make_moons noise {MOON_NOISE}, IR 3:1), seed {seed}")
    say(f"train: {_counts(y_train)} | test: {_counts(y_test)}")
    say(f"SIMPOR backend: {_backend_line(device)}")
    samplers = [("raw", None), ("SMOTE", SMOTE(random_state=seed)),
                ("SIMPOR", SIMPOR(device=device, random_state=seed))]
    outcomes = [_balance(name, sampler, X_train, y_train) for name, sampler in samplers]
    for o in outcomes:
        _train_and_score(o, X_test, y_test, seed)
    say()
    say(_table(outcomes))
    if out_dir is not None:
        say(f"\nplot: {plot(outcomes, Path(out_dir) / PLOT_NAME)}")
    say(f"total time: {time.perf_counter() - start:.1f} s (one run; the paper reports the mean of five)")
    return outcomes
