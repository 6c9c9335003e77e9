"""One method in two results folders: did a change move its scores beyond noise?

Keeps the records of ``--method`` on the (data set, trial, fold) splits both
``--before`` and ``--after`` ran (each a bench/quality.py output folder, or
its results.json), averages each data set's splits and prints per metric,
over all the data sets, the wins / ties / losses of ``after``, the mean and
median per-set difference (after - before) and a two-sided Wilcoxon
signed-rank p-value: bench/summary.py's head-to-head test. It also prints
the summed resampling time of each run (each on its own machine and load).

    python bench/paired.py --before bench/results --after /tmp/q_new --method simpor
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from evaluation import METRICS
from summary import head_to_head, load_records, per_dataset


def shared_splits(before: list[dict], after: list[dict], method: str) -> list[dict]:
    """`method`'s successful records of the splits both runs have, relabelled "before" and "after"."""
    def by_split(records):
        return {(r["dataset"], r["trial"], r["fold"]): r for r in records if r["method"] == method and not r.get("error")}

    b, a = by_split(before), by_split(after)
    return [dict(run[k], method=label) for k in sorted(b.keys() & a.keys()) for label, run in (("before", b), ("after", a))]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", required=True, type=Path)
    p.add_argument("--after", required=True, type=Path)
    p.add_argument("--method", default="simpor")
    p.add_argument("--json", help="write the comparison as JSON")
    args = p.parse_args(argv)
    records = shared_splits(load_records(args.before), load_records(args.after), args.method)
    if not records:
        raise SystemExit(f"no {args.method} split is in both runs")
    table = per_dataset(records, ["after", "before"])
    out = {m: head_to_head(table, "after", {"earlier": ["before"]}, m, sorted(table))["before"] for m in METRICS}
    out["resample_s"] = {label: sum(r["resample_s"] for r in records if r["method"] == label)
                         for label in ("before", "after")}
    print(f"{args.method}: {len(records) // 2} shared splits")
    print(f"{'metric':<10} {'sets':>5} {'W / T / L':>12} {'mean diff':>10} {'median diff':>12} {'Wilcoxon p':>11}")
    for m in METRICS:
        r = out[m]
        print(f"{m:<10} {r['n']:>5} {r['wins']:>4} /{r['ties']:>2} /{r['losses']:>3} {r['mean_diff']:>+10.4f} "
              f"{r['median_diff']:>+12.4f} {r['wilcoxon_p']:>11.3f}")
    t = out["resample_s"]
    print(f"resampling time, summed: before {t['before']:.1f} s, after {t['after']:.1f} s "
          f"({t['before'] / t['after']:.2f}x; each run on its own machine and load)")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
