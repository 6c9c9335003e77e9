"""Aggregate per-split records: mean ± std, winners, mean ranks, head-to-head, times; Markdown."""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Iterable, Optional, Sequence

import numpy as np
from scipy.stats import rankdata, wilcoxon

from evaluation import LABELS, METRICS

TIE = 1e-9  # means closer than this count as a tie


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    v = np.asarray([x for x in values if not math.isnan(x)], dtype=float)
    if v.size == 0:
        return float("nan"), float("nan")
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def per_dataset(records: Iterable[dict], methods: Sequence[str]) -> dict:
    """``{dataset: {"source", "n_trials", "methods": {method: {metric: [mean, std], ...}}}}``."""
    grouped: dict = defaultdict(lambda: defaultdict(list))
    source: dict = {}
    for r in records:
        grouped[r["dataset"]][r["method"]].append(r)
        source[r["dataset"]] = r["source"]
    out = {}
    for ds, by_method in grouped.items():
        entry = {"source": source[ds], "methods": {}}
        for m in methods:
            rs = by_method.get(m, [])
            stats = {k: _mean_std([r[k] for r in rs]) for k in METRICS}
            stats["resample_s"] = _mean_std([r["resample_s"] for r in rs])
            stats["fit_s"] = _mean_std([r["fit_s"] for r in rs])
            stats["n_trials"] = len(rs)
            stats["fallbacks"] = sum(bool(r["fallback"]) for r in rs)
            entry["methods"][m] = stats
        entry["n_trials"] = max(s["n_trials"] for s in entry["methods"].values())
        out[ds] = entry
    return out


def winners(table: dict, metric: str = "f1") -> dict:
    """Per data set, the method(s) with the highest mean ``metric``."""
    out = {}
    for ds, entry in table.items():
        means = {m: s[metric][0] for m, s in entry["methods"].items() if not math.isnan(s[metric][0])}
        if not means:
            out[ds] = []
            continue
        best = max(means.values())
        out[ds] = [m for m, v in means.items() if v >= best - TIE]
    return out


def mean_ranks(table: dict, methods: Sequence[str], metric: str = "f1",
               source: Optional[str] = None) -> dict:
    """Mean rank (1 = best, ties share the average rank) of each method over data sets."""
    ranks = defaultdict(list)
    for entry in table.values():
        if source is not None and entry["source"] != source:
            continue
        vals = np.array([entry["methods"][m][metric][0] for m in methods], dtype=float)
        if np.isnan(vals).any():
            continue
        rounded = np.round(vals / TIE) * TIE
        for m, rk in zip(methods, rankdata(-rounded, method="average")):
            ranks[m].append(float(rk))
    return {m: (float(np.mean(ranks[m])) if ranks[m] else float("nan")) for m in methods}


def head_to_head(table: dict, ours: str, others: Sequence[str], metric: str = "f1") -> dict:
    """Wins/ties/losses of ``ours`` against each other method over data sets (mean ``metric``),
    the mean and median difference, and a two-sided Wilcoxon signed-rank p-value."""
    out = {}
    for other in others:
        diffs = []
        for entry in table.values():
            a, b = entry["methods"][ours][metric][0], entry["methods"][other][metric][0]
            if not (math.isnan(a) or math.isnan(b)):
                diffs.append(a - b)
        d = np.asarray(diffs)
        wins, losses = int(np.sum(d > TIE)), int(np.sum(d < -TIE))
        try:
            p = float(wilcoxon(d, zero_method="zsplit").pvalue) if d.size and np.any(np.abs(d) > TIE) else 1.0
        except ValueError:
            p = float("nan")
        out[other] = {"wins": wins, "ties": int(d.size - wins - losses), "losses": losses,
                      "mean_diff": float(d.mean()) if d.size else float("nan"),
                      "median_diff": float(np.median(d)) if d.size else float("nan"),
                      "wilcoxon_p": p, "n": int(d.size)}
    return out


def timing(records: Iterable[dict], methods: Sequence[str]) -> dict:
    """Total and mean resampling (and MLP training) seconds per method."""
    tot, fit, n = defaultdict(float), defaultdict(float), defaultdict(int)
    for r in records:
        tot[r["method"]] += r["resample_s"]
        fit[r["method"]] += r["fit_s"]
        n[r["method"]] += 1
    return {m: {"resample_total_s": tot[m], "resample_mean_s": tot[m] / max(n[m], 1),
                "fit_total_s": fit[m], "n_splits": n[m]} for m in methods}


def summarise(records: list, methods: Sequence[str]) -> dict:
    table = per_dataset(records, methods)
    sources = sorted({e["source"] for e in table.values()})
    summary = {
        "per_dataset": table,
        "winners": {k: winners(table, k) for k in METRICS},
        "mean_rank": {k: {"all": mean_ranks(table, methods, k),
                          **{s: mean_ranks(table, methods, k, s) for s in sources}} for k in METRICS},
        "timing": timing(records, methods),
        "fallbacks": {m: sum(bool(r["fallback"]) for r in records if r["method"] == m) for m in methods},
    }
    if "simpor" in methods and len(methods) > 1:
        others = [m for m in methods if m != "simpor"]
        summary["simpor_vs"] = {k: head_to_head(table, "simpor", others, k) for k in METRICS}
    return summary


# --------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------
def _fmt(ms: Sequence[float], bold: bool = False) -> str:
    mean, std = ms
    if math.isnan(mean):
        return "—"
    s = f"{mean:.3f} ± {std:.3f}"
    return f"**{s}**" if bold else s


def metric_table(summary: dict, methods: Sequence[str], metric: str) -> str:
    table, win = summary["per_dataset"], summary["winners"][metric]
    head = "| data set | source | " + " | ".join(LABELS[m] for m in methods) + " |"
    lines = [head, "|---|---|" + "---:|" * len(methods)]
    for ds, entry in table.items():
        cells = [_fmt(entry["methods"][m][metric], m in win[ds]) for m in methods]
        lines.append(f"| {ds} | {entry['source']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def rank_table(summary: dict, methods: Sequence[str]) -> str:
    sources = [s for s in ("paper", "keel", "imblearn") if s in summary["mean_rank"]["f1"]]
    cols = ["all"] + sources
    lines = ["| metric | subset | " + " | ".join(LABELS[m] for m in methods) + " |",
             "|---|---|" + "---:|" * len(methods)]
    for k in METRICS:
        for c in cols:
            ranks = summary["mean_rank"][k][c]
            best = min(ranks.values())
            cells = [f"**{ranks[m]:.2f}**" if ranks[m] == best else f"{ranks[m]:.2f}" for m in methods]
            lines.append(f"| {k} | {c} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def wins_table(summary: dict, methods: Sequence[str]) -> str:
    lines = ["| metric | " + " | ".join(LABELS[m] for m in methods) + " |", "|---|" + "---:|" * len(methods)]
    for k in METRICS:
        counts = {m: sum(m in w for w in summary["winners"][k].values()) for m in methods}
        lines.append(f"| {k} | " + " | ".join(str(counts[m]) for m in methods) + " |")
    return "\n".join(lines)


def h2h_table(summary: dict) -> str:
    if "simpor_vs" not in summary:
        return "(SIMPOR not run)"
    lines = ["| metric | vs | W / T / L | mean Δ | median Δ | Wilcoxon p |", "|---|---|---|---:|---:|---:|"]
    for k in METRICS:
        for other, h in summary["simpor_vs"][k].items():
            lines.append(f"| {k} | {LABELS[other]} | {h['wins']} / {h['ties']} / {h['losses']} | "
                         f"{h['mean_diff']:+.4f} | {h['median_diff']:+.4f} | {h['wilcoxon_p']:.3g} |")
    return "\n".join(lines)


def timing_table(summary: dict, methods: Sequence[str]) -> str:
    t = summary["timing"]
    ref = t.get("smote", {}).get("resample_total_s", 0.0)
    lines = ["| method | resampling, total s | mean s per split | × SMOTE | MLP training, total s | fallbacks |",
             "|---|---:|---:|---:|---:|---:|"]
    for m in methods:
        ratio = f"{t[m]['resample_total_s'] / ref:.0f}" if ref > 0 and m != "none" else "—"
        lines.append(f"| {LABELS[m]} | {t[m]['resample_total_s']:.1f} | {t[m]['resample_mean_s']:.3f} | "
                     f"{ratio} | {t[m]['fit_total_s']:.1f} | {summary['fallbacks'][m]} |")
    return "\n".join(lines)


def markdown(summary: dict, methods: Sequence[str], settings: dict) -> str:
    n_sets = len(summary["per_dataset"])
    parts = [
        "# SIMPOR quality benchmark",
        "",
        f"{n_sets} data sets, {settings['trials']} trial(s) each, methods: "
        + ", ".join(LABELS[m] for m in methods) + ".",
        "",
        "Settings: " + "; ".join(f"{k} = {v}" for k, v in settings.items() if k not in ("datasets", "methods")),
        "",
        "Scores are test-fold means ± sample std over the trials; **bold** marks the best mean per data set "
        "(ties share it). Ranks: 1 = best, averaged over data sets, ties share the average rank.",
        "",
        "## Mean rank per method",
        "",
        rank_table(summary, methods),
        "",
        "## Data sets won (best mean, ties counted for each tied method)",
        "",
        wins_table(summary, methods),
        "",
        "## SIMPOR head to head (per data set mean; Δ = SIMPOR − other)",
        "",
        h2h_table(summary),
        "",
        "## Resampling time",
        "",
        timing_table(summary, methods),
        "",
    ]
    for k, title in zip(METRICS, ("Macro F1", "ROC AUC", "Macro precision", "Macro recall")):
        parts += [f"## {title}", "", metric_table(summary, methods, k), ""]
    return "\n".join(parts)
