"""Ascent trials per synthetic row on real data: the step rules in one run.

For each data set (the benchmark collection in ../shared/data, or
SIMPOR_DATA_DIR), balances the whole set with ``informative=None`` (so the
ascent alone is timed) under each rule (default: adaptive, the rule of
earlier versions; newton; hessian; auto, the default) and prints trials per
row and seconds per rule, each rule's time as a ratio to the first rule's,
the fraction of rows that converged (the rest used up ``max_iter``) and the
mean log posterior ratio reached (the rules stop at local maxima of the same
function, so these should agree closely).

    python bench/trials.py                          # the default sets
    python bench/trials.py --datasets mammography --rules newton hessian --json out.json
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from data_sets import data_set_parser, load_imblearn  # bench/data_sets.py

DEFAULT = ("ecoli", "abalone", "satimage", "pen_digits", "mammography", "letter_img", "us_crime")


def run_rule(X, y, rule: str) -> dict:
    from baselines import BaselineSIMPOR  # SIMPOR, the baseline rules allowed

    sampler = BaselineSIMPOR(step_rule=rule, informative=None, device="cpu", random_state=0)
    start = time.perf_counter()
    sampler.fit_resample(X, y)
    return {"seconds": time.perf_counter() - start, "trials_per_row": float(sampler.n_iter_.mean()),
            "log_ratio": float(sampler.log_ratio_.mean()), "converged": float(sampler.converged_fraction_)}


def main(argv=None) -> int:
    p = data_set_parser(__doc__, DEFAULT)
    p.add_argument("--rules", nargs="+", default=["adaptive", "newton", "hessian", "auto"],
                   help="step rules to run; times are given as ratios to the first")
    args = p.parse_args(argv)
    first = args.rules[0]
    print(f"{'data set':<14} {'n':>6} {'d':>4} " + " ".join(f"{r + ': trials, s, ' + first + '/' + r:>34}"
                                                            for r in args.rules)
          + "   converged per rule   mean log f per rule")
    rows = []
    for name in args.datasets:
        X, y = load_imblearn(name)
        row = {"dataset": name, "n": X.shape[0], "d": X.shape[1]} | {r: run_rule(X, y, r) for r in args.rules}
        cells = [f"{row[r]['trials_per_row']:>10.1f} {row[r]['seconds']:>8.2f} "
                 f"{row[first]['seconds'] / row[r]['seconds']:>13.2f}x" for r in args.rules]
        print(f"{name:<14} {row['n']:>6} {row['d']:>4} " + " ".join(cells) + "   "
              + " ".join(f"{row[r]['converged']:.4f}" for r in args.rules) + "   "
              + " ".join(f"{row[r]['log_ratio']:.4f}" for r in args.rules), flush=True)
        rows.append(row)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
