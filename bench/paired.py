"""One method in two results folders: did a change move its scores beyond noise?

Pairs the records of ``--method`` in ``--before`` and ``--after`` (each a
bench/quality.py output folder, or its results.json) by (data set, trial,
fold), averages each data set's splits, and prints per metric the mean and
median per-set difference (after - before), a two-sided Wilcoxon signed-rank
p-value over the data sets, and the number of sets that moved up and down.
It also prints the summed resampling time of each run.

    python bench/paired.py --before bench/results --after /tmp/q_new --method simpor
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy.stats import wilcoxon

METRICS = ("f1", "auc", "precision", "recall")


def load_records(where: str, method: str) -> dict:
    """(data set, trial, fold) -> record, for `method`'s successful splits."""
    path = Path(where)
    if path.is_dir():
        jsonl = path / "records.jsonl"
        records = [json.loads(line) for line in jsonl.open()] if jsonl.exists() \
            else json.loads((path / "results.json").read_text())["records"]
    else:
        records = json.loads(path.read_text())["records"]
    return {(r["dataset"], r["trial"], r["fold"]): r for r in records if r["method"] == method and not r.get("error")}


def compare(before: dict, after: dict, metric: str) -> dict:
    """Per-set means over the shared splits, and the paired test over the sets."""
    per_set = defaultdict(list)
    for key in before.keys() & after.keys():
        per_set[key[0]].append(after[key][metric] - before[key][metric])
    d = np.array([np.mean(v) for v in per_set.values()])
    p = float(wilcoxon(d, zero_method="zsplit").pvalue) if np.any(d != 0) else 1.0
    return {"sets": int(d.size), "mean_diff": float(d.mean()), "median_diff": float(np.median(d)),
            "wilcoxon_p": p, "up": int((d > 0).sum()), "down": int((d < 0).sum())}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", required=True)
    p.add_argument("--after", required=True)
    p.add_argument("--method", default="simpor")
    p.add_argument("--json", help="write the comparison as JSON")
    args = p.parse_args(argv)
    before, after = load_records(args.before, args.method), load_records(args.after, args.method)
    shared = before.keys() & after.keys()
    if not shared:
        raise SystemExit(f"no {args.method} split is in both runs")
    out = {m: compare(before, after, m) for m in METRICS}
    out["resample_s"] = {"before": sum(before[k]["resample_s"] for k in shared),
                         "after": sum(after[k]["resample_s"] for k in shared)}
    print(f"{args.method}: {len(shared)} shared splits")
    print(f"{'metric':<10} {'sets':>5} {'mean diff':>10} {'median diff':>12} {'Wilcoxon p':>11} {'up':>4} {'down':>5}")
    for m in METRICS:
        r = out[m]
        print(f"{m:<10} {r['sets']:>5} {r['mean_diff']:>+10.4f} {r['median_diff']:>+12.4f} {r['wilcoxon_p']:>11.3f} "
              f"{r['up']:>4} {r['down']:>5}")
    t = out["resample_s"]
    print(f"resampling time, summed: before {t['before']:.1f} s, after {t['after']:.1f} s "
          f"({t['before'] / t['after']:.2f}x)")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
