#!/usr/bin/env python
"""Do the synthetic rows grown from one seed point the same way?

For each data set (trial 0 of bench/suite.py's split, training fold capped
as in the quality benchmark) SIMPOR resamples the training fold; each
synthetic row's displacement from its seed (``sample_origin_``) is taken in
SIMPOR's standardised units, ``(x - center_) / scale_``. For every seed that
grew two or more rows, the mean cosine between the displacements of each pair
of its rows is computed; the table gives the mean, median and 10th percentile
of that over the seeds. A value near 1 means the seed's rows lie along one
ray, at different radii.

The same is measured with ``max_iter=0`` (no ascent: the rows stay where they
were drawn, uniformly on their spheres), which shows what the ascent changes.

    python bench/seed_directions.py                          # default sets
    python bench/seed_directions.py --datasets moon,glass1 --json out.json --md out.md
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Optional

os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # see quality.py
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import suite  # noqa: E402
from quality import cap_training_rows  # noqa: E402

DEFAULT_SETS = ("moon", "breast_cancer_ir3", "breast_cancer_ir7", "ecoli", "yeast4", "abalone_19", "us_crime")


def seed_cosines(displacement: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Mean pairwise cosine of the displacements grown from each seed (seeds with >= 2 rows)."""
    norms = np.linalg.norm(displacement, axis=1, keepdims=True)
    unit = displacement / np.where(norms > 0, norms, 1.0)
    out = []
    for seed in np.unique(origin):
        u = unit[origin == seed]
        m = len(u)
        if m >= 2:
            total = u.sum(0)
            out.append((total @ total - np.sum(u * u)) / (m * (m - 1)))
    return np.asarray(out)


def measure(X: np.ndarray, y: np.ndarray, seed: int = 0, **params) -> dict:
    """Resample with SIMPOR(**params) and summarise the per-seed cosines."""
    from baselines import BaselineSIMPOR  # SIMPOR, the adaptive baseline allowed

    sampler = BaselineSIMPOR(random_state=seed, **params)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X_res, _ = sampler.fit_resample(X, y)
    seconds = time.perf_counter() - t0
    origin = sampler.sample_origin_
    z = (np.asarray(X_res, dtype=float)[len(X):] - sampler.center_) / sampler.scale_
    z0 = (X[origin] - sampler.center_) / sampler.scale_
    cos = seed_cosines(z - z0, origin)
    rows = np.bincount(np.unique(origin, return_inverse=True)[1])
    return {"n_synthetic": int(len(origin)), "n_seeds": int(len(rows)), "n_seeds_multi": int(len(cos)),
            "rows_per_seed": float(rows.mean()), "mean_cos": float(cos.mean()) if len(cos) else float("nan"),
            "median_cos": float(np.median(cos)) if len(cos) else float("nan"),
            "p10_cos": float(np.percentile(cos, 10)) if len(cos) else float("nan"), "seconds": seconds}


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", default=",".join(DEFAULT_SETS), help="comma-separated names from bench/suite.py")
    p.add_argument("--data-dir", type=Path, default=None, help="as in quality.py")
    p.add_argument("--max-train", type=int, default=3000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="FILE")
    p.add_argument("--md", metavar="FILE", help="also write the table as Markdown")
    args = p.parse_args(argv)
    command = " ".join(["python bench/seed_directions.py", *(sys.argv[1:] if argv is None else argv)])
    specs = suite.select([d.strip() for d in args.datasets.split(",") if d.strip()], suite.catalogue(args.data_dir))
    rows = []
    for spec in specs:
        split = spec.split(0)
        X, y = cap_training_rows(split.X_train, split.y_train, args.max_train, 0)
        row = {"dataset": spec.name, "n": int(len(y)), "d": int(X.shape[1]),
               "simpor": measure(X, y, args.seed), "adaptive": measure(X, y, args.seed, step_rule="adaptive"),
               "no_ascent": measure(X, y, args.seed, max_iter=0)}
        rows.append(row)
        print(f"{spec.name}: mean cosine {row['simpor']['mean_cos']:.3f} (no ascent "
              f"{row['no_ascent']['mean_cos']:.3f}), {row['simpor']['n_seeds_multi']} seeds with >= 2 rows",
              flush=True)
    lines = ["| data set | rows | d | synthetic | seeds (>= 2 rows) | rows per seed | mean cos | median | 10th pct "
             "| mean cos, adaptive rule | mean cos, no ascent |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        s, a, z = r["simpor"], r["adaptive"], r["no_ascent"]
        lines.append(f"| {r['dataset']} | {r['n']} | {r['d']} | {s['n_synthetic']} | {s['n_seeds']} "
                     f"({s['n_seeds_multi']}) | {s['rows_per_seed']:.1f} | {s['mean_cos']:.3f} | "
                     f"{s['median_cos']:.3f} | {s['p10_cos']:.3f} | {a['mean_cos']:.3f} | {z['mean_cos']:.3f} |")
    table = "\n".join(lines)
    print(table)
    if args.json:
        Path(args.json).write_text(json.dumps({"seed": args.seed, "max_train": args.max_train, "rows": rows},
                                              indent=1))
    if args.md:
        Path(args.md).write_text(
            "# Directions of the rows grown from one seed\n\n"
            f"`{command}` (SIMPOR defaults, random_state={args.seed}, "
            f"trial 0 of each set, training folds capped at {args.max_train} rows). Per seed with two or more "
            "synthetic rows: the mean cosine between the displacements (synthetic row minus seed, in SIMPOR's "
            "standardised units) of each pair of its rows; then the mean, median and 10th percentile over the "
            "seeds. The last two columns repeat the mean with `step_rule=\"adaptive\"` (the default before the "
            "newton rule) and with `max_iter=0` (no ascent).\n\n" + table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
