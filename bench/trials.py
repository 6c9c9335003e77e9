"""Ascent trials per synthetic row on real data: the newton rule against the
adaptive rule of earlier versions, in one run.

For each data set (the benchmark collection in ../shared/data, or
SIMPOR_DATA_DIR), balances the whole set with ``informative=None`` (so the
ascent alone is timed) under both rules and prints trials per row, seconds,
their ratios and the mean log posterior ratio reached (the two rules stop at
local maxima of the same function, so these should agree closely).

    python bench/trials.py                          # the default sets
    python bench/trials.py --datasets mammography --json out.json
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from data_sets import data_set_parser, load_imblearn  # bench/data_sets.py

DEFAULT = ("ecoli", "abalone", "satimage", "pen_digits", "mammography", "letter_img", "us_crime")


def run_rule(X, y, rule: str) -> dict:
    from simpor_ext import SIMPOR

    sampler = SIMPOR(step_rule=rule, informative=None, device="cpu", random_state=0)
    start = time.perf_counter()
    sampler.fit_resample(X, y)
    return {"seconds": time.perf_counter() - start, "trials_per_row": float(sampler.n_iter_.mean()),
            "log_ratio": float(sampler.log_ratio_.mean()), "converged": float(sampler.converged_fraction_)}


def main(argv=None) -> int:
    p = data_set_parser(__doc__, DEFAULT)
    args = p.parse_args(argv)
    print(f"{'data set':<14} {'n':>6} {'d':>4} {'adaptive':>9} {'newton':>7} {'fewer':>6} "
          f"{'time ratio':>10} {'log f adaptive':>15} {'log f newton':>13}")
    rows = []
    for name in args.datasets:
        X, y = load_imblearn(name)
        row = {"dataset": name, "n": X.shape[0], "d": X.shape[1],
               "adaptive": run_rule(X, y, "adaptive"), "newton": run_rule(X, y, "newton")}
        a, b = row["adaptive"], row["newton"]
        print(f"{name:<14} {row['n']:>6} {row['d']:>4} {a['trials_per_row']:>9.1f} {b['trials_per_row']:>7.1f} "
              f"{a['trials_per_row'] / b['trials_per_row']:>5.1f}x {a['seconds'] / b['seconds']:>9.1f}x "
              f"{a['log_ratio']:>15.3f} {b['log_ratio']:>13.3f}", flush=True)
        rows.append(row)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
