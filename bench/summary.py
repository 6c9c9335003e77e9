#!/usr/bin/env python
"""Aggregate the per-split records of bench/quality.py: means, ranks, tests, Moon's ceiling.

Run as a script, it rebuilds everything derived from a results folder's
``results.json`` (the per-split records): the summary inside it,
``results.md``, the figures drawn from the summary and, with ``--docs``, the
generated blocks of README.md (the headline table) and the folder's SUMMARY.md.
The documentation's results pages are rendered from the same records when
the docs are built (docs/_ext/simpor_docs.py).

Which numbers compare what:

* the statistics across data sets (mean ranks, Friedman, Nemenyi, Wilcoxon)
  use the ``paper``, ``keel`` and ``imblearn`` sets, not the Moon variants
  (source ``variant``), so each problem counts once;
* the main comparison takes the methods present on every one of those sets;
  a method present on only some (the ablations, when run on a subset) is
  compared with SIMPOR on the sets where both are, and the tables say on how
  many.

    python bench/summary.py bench/results --docs
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from scipy.stats import wilcoxon  # noqa: E402

import stats  # noqa: E402
from evaluation import ABLATIONS, METHODS, METRICS  # noqa: E402

ALPHA = 0.05
IR_BUCKETS = ((0.0, 5.0), (5.0, 15.0), (15.0, math.inf))


def load_records(where: Path, jsonl: str = "records.jsonl", results: str = "results.json") -> list[dict]:
    """The per-split records of a results folder (``jsonl``, else ``results``; none when it
    holds neither) or of a results file. Lines an interrupted run cut short are skipped."""
    where = Path(where)
    if where.is_file():
        return json.loads(where.read_text())["records"]
    path = where / jsonl
    if not path.exists():
        done = where / results
        return json.loads(done.read_text())["records"] if done.exists() else []
    out = []
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:  # a line cut short by an interrupted run
                    continue
    return out


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    v = np.asarray([x for x in values if x is not None and not math.isnan(x)], dtype=float)
    if v.size == 0:
        return float("nan"), float("nan")
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def per_dataset(records: Iterable[dict], methods: Sequence[str]) -> dict:
    """``{dataset: {"source", "n_trials", "methods": {method: {metric: [mean, std], ...}}}}``;
    a method without records on a set has NaN means and ``n_trials`` 0."""
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
            s = {k: _mean_std([r[k] for r in rs]) for k in METRICS}
            s["resample_s"] = _mean_std([r["resample_s"] for r in rs])
            s["fit_s"] = _mean_std([r["fit_s"] for r in rs])
            s["n_trials"] = len(rs)
            s["fallbacks"] = sum(bool(r["fallback"]) for r in rs)
            entry["methods"][m] = s
        entry["n_trials"] = max(s["n_trials"] for s in entry["methods"].values())
        out[ds] = entry
    return out


def ranked_sets(table: dict) -> list[str]:
    """The data sets the statistics across data sets use (all but the Moon variants)."""
    return [ds for ds, e in table.items() if e["source"] != "variant"]


def complete_methods(table: dict, methods: Sequence[str], datasets: Sequence[str]) -> list[str]:
    """The methods with records on every one of ``datasets``."""
    return [m for m in methods if datasets and all(table[ds]["methods"][m]["n_trials"] for ds in datasets)]


def _matrix(table: dict, methods: Sequence[str], datasets: Sequence[str], metric: str) -> tuple[np.ndarray, list]:
    """Per-set means (rows: the data sets where every method has a finite mean)."""
    rows, kept = [], []
    for ds in datasets:
        v = [table[ds]["methods"][m][metric][0] for m in methods]
        if not any(math.isnan(x) for x in v):
            rows.append(v)
            kept.append(ds)
    return np.asarray(rows, dtype=float).reshape(len(rows), len(methods)), kept


def winners(table: dict, methods: Sequence[str], metric: str = "f1") -> dict:
    """Per data set, the method(s) among ``methods`` with the highest mean ``metric``."""
    out = {}
    for ds, entry in table.items():
        means = {m: entry["methods"][m][metric][0] for m in methods}
        means = {m: v for m, v in means.items() if not math.isnan(v)}
        best = max(means.values(), default=math.nan)
        out[ds] = [m for m, v in means.items() if v >= best - stats.TIE]
    return out


def mean_ranks(table: dict, methods: Sequence[str], datasets: Sequence[str], metric: str) -> dict:
    """Mean rank of each method over ``datasets``, overall and per source."""
    values, kept = _matrix(table, methods, datasets, metric)
    if not kept:
        return {}
    rk = stats.ranks(values)
    src = np.array([table[ds]["source"] for ds in kept])
    out = {"all": dict(zip(methods, rk.mean(0).tolist()))}
    for s in dict.fromkeys(src):
        out[s] = dict(zip(methods, rk[src == s].mean(0).tolist()))
    return out


def compare(table: dict, methods: Sequence[str], datasets: Sequence[str], metric: str) -> Optional[dict]:
    """Friedman's test over ``methods`` on ``datasets`` and Nemenyi's pairwise comparisons."""
    values, kept = _matrix(table, methods, datasets, metric)
    if len(methods) < 3 or len(kept) < 2:
        return None
    mr = dict(zip(methods, stats.ranks(values).mean(0).tolist()))
    return {"methods": list(methods), "datasets": kept, "friedman": stats.friedman(values), "alpha": ALPHA,
            "mean_rank": mr, "cd": stats.critical_difference(len(methods), len(kept), ALPHA),
            "pairs": stats.nemenyi(mr, len(kept), ALPHA)}


def head_to_head(table: dict, ours: str, families: dict, metric: str, datasets: Sequence[str]) -> dict:
    """``ours`` against each other method over the ``datasets`` where both ran: wins/ties/losses of
    the per-set means, mean and median difference, two-sided Wilcoxon signed-rank p, and that p
    Holm-corrected within its family (``families``: name -> list of methods)."""
    out = {}
    for family, others in families.items():
        for other in others:
            values, kept = _matrix(table, [ours, other], datasets, metric)
            d = values[:, 0] - values[:, 1]
            wins, losses = int(np.sum(d > stats.TIE)), int(np.sum(d < -stats.TIE))
            p = float(wilcoxon(d, zero_method="zsplit").pvalue) if np.any(np.abs(d) > stats.TIE) else 1.0
            out[other] = {"family": family, "n": len(kept), "wins": wins, "ties": len(kept) - wins - losses,
                          "losses": losses, "mean_diff": float(d.mean()) if len(d) else math.nan,
                          "median_diff": float(np.median(d)) if len(d) else math.nan, "wilcoxon_p": p}
        adjusted = stats.holm([out[o]["wilcoxon_p"] for o in others])
        for o, q in zip(others, adjusted):
            out[o]["holm_p"] = float(q)
    return out


def ir_buckets(records: Iterable[dict], table: dict, datasets: Sequence[str], others: Sequence[str]) -> list:
    """SIMPOR's mean F1 difference to each of ``others`` by the training folds' imbalance ratio."""
    counts = defaultdict(list)
    for r in records:
        if r["method"] == "none":
            counts[r["dataset"]].append(max(r["n_class0"], r["n_class1"]) / max(min(r["n_class0"], r["n_class1"]), 1))
    ir = {ds: float(np.mean(v)) for ds, v in counts.items()}
    out = []
    for lo, hi in IR_BUCKETS:
        sets = [ds for ds in datasets if ds in ir and lo <= ir[ds] < hi]
        row = {"lo": lo, "hi": hi, "n": len(sets), "vs": {}}
        for o in others:
            values, _ = _matrix(table, ["simpor", o], sets, "f1")
            d = values[:, 0] - values[:, 1]
            row["vs"][o] = {"mean_diff": float(d.mean()) if len(d) else math.nan,
                            "wins": int(np.sum(d > stats.TIE)), "losses": int(np.sum(d < -stats.TIE))}
        out.append(row)
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
    """Everything the report shows, from the per-split records."""
    table = per_dataset(records, methods)
    ranked = ranked_sets(table)
    main = complete_methods(table, methods, ranked)
    ablations = [m for m in methods if m in ABLATIONS]
    summary = {
        "per_dataset": table,
        "ranked_datasets": ranked,
        "main_methods": main,
        "winners": {k: winners(table, main, k) for k in METRICS},
        "mean_rank": {k: mean_ranks(table, main, ranked, k) for k in METRICS},
        "tests": {k: compare(table, main, ranked, k) for k in METRICS},
        "timing": timing(records, methods),
        "fallbacks": {m: sum(bool(r["fallback"]) for r in records if r["method"] == m) for m in methods},
    }
    if "simpor" in main:
        families = {"baselines": [m for m in main if m != "simpor" and m not in ABLATIONS], "ablations": ablations}
        families = {f: ms for f, ms in families.items() if ms}
        summary["simpor_vs"] = {k: head_to_head(table, "simpor", families, k, ranked) for k in METRICS}
        summary["ir_buckets"] = ir_buckets(records, table, ranked, [m for m in ("smote", "ros", "none") if m in main])
    if ablations:
        subset = [ds for ds in ranked if all(table[ds]["methods"][m]["n_trials"] for m in methods)]
        summary["all_methods_subset"] = {k: compare(table, list(methods), subset, k) for k in METRICS}
    return summary


# --------------------------------------------------------------------------
def finite(obj):
    """JSON without NaN/Infinity (they become null); tuples become lists."""
    if isinstance(obj, dict):
        return {str(k): finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def moon_ceilings(payload: dict, n_points: int) -> dict:
    """The Bayes macro-F1 ceiling at the noise of every Moon set in the records and at the authors'
    0.33, kept in ``payload["bayes_ceiling"]`` (computed again only for another ``n_points`` or an
    entry without the test-set spread)."""
    import bayes_moon
    from suite import MOON_NOISES

    present = {r["dataset"] for r in payload["records"]}
    noises = {MOON_NOISES[ds] for ds in present if ds in MOON_NOISES}
    cached = payload.setdefault("bayes_ceiling", {})
    for n in sorted(noises | {bayes_moon.AUTHORS_NOISE}) if noises else ():
        entry = cached.get(f"{n:g}", {})
        if entry.get("n_points") != n_points or "sd_test" not in entry:
            cached[f"{n:g}"] = bayes_moon.bayes_macro_f1(n, n_points=n_points)
    return cached


def summarise_payload(payload: dict) -> dict:
    """Sets ``payload["methods"]`` (those with records, in METHODS order) and
    ``payload["summary"]``, recomputed from the records; returns the summary."""
    payload["methods"] = [m for m in METHODS if any(r["method"] == m for r in payload["records"])]
    payload["summary"] = summarise(payload["records"], payload["methods"])
    return payload["summary"]


def write_outputs(payload: dict, out: Path, docs: Optional[Sequence[Path]] = None,
                  ceiling_points: int = 200_000) -> dict:
    """Summarise ``payload["records"]`` and write results.json, results.md and the summary figures
    into ``out``; with ``docs``, rewrite the generated block of each of those Markdown files.
    ``ceiling_points``: sample size of the Moon ceiling (see bayes_moon.py)."""
    import figures
    import report

    summarise_payload(payload)
    moon_ceilings(payload, ceiling_points)
    summary = payload["summary"]
    if len(summary["ranked_datasets"]) > 1 and summary["main_methods"]:
        figures.rank_bars(summary, summary["main_methods"], out / "mean_ranks.png")
        if summary.get("simpor_vs") and "smote" in summary["main_methods"]:  # SIMPOR against SMOTE and the rest
            figures.f1_deltas(summary, out / "f1_simpor_deltas.png")
        if summary["tests"]["f1"] is not None:
            figures.cd_diagrams([summary["tests"][k] for k in ("f1", "auc")], out / "cd_f1_auc.png")
    (out / "results.md").write_text(report.results_markdown(payload))
    (out / "results.json").write_text(json.dumps(finite(payload), indent=1))
    for path in docs or ():
        report.replace_block(path, report.headline_block(payload) if path.name == "README.md"
                             else report.doc_block(payload))
    return summary


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("results", type=Path, help="folder holding results.json")
    p.add_argument("--docs", action="store_true",
                   help="also rewrite the generated blocks of README.md (repository root) and of "
                        "SUMMARY.md in the results folder")
    args = p.parse_args(argv)
    payload = json.loads((args.results / "results.json").read_text())
    docs = [Path(__file__).resolve().parents[1] / "README.md", args.results / "SUMMARY.md"] if args.docs else None
    write_outputs(payload, args.results, docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
