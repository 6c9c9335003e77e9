"""What the informative stage (entropy active learning) costs next to the ascent.

For two-class data (n rows, d features, 1:ratio imbalance, scikit-learn's
``make_classification``) and each ``n_jobs``, times

* the informative stage alone: ``find_informative`` on the inputs SIMPOR gives
  it (standardised features, the fit's generator, threads from ``n_jobs``),
  with the default settings (Table 1 MLP, 5 rounds, 10 warm epochs a round);
* the ascent: a whole ``SIMPOR(informative=None).fit_resample`` (standardising,
  neighbour radii and the ascent of every synthetic row);

and prints their ratio, the size of S and whether S is the same for every
``n_jobs``. One warm-up call per process comes first, so that importing
skl2onnx and onnxruntime (about 0.3 s, once per process) is not in any row.
Ratios are what to compare across machines; absolute times depend on the load.

    python bench/informative_cost.py --quick           # n = 1000, best of 3
    python bench/informative_cost.py --sizes 10000     # one size
    python bench/informative_cost.py --sizes 100000 --no-ascent  # the stage alone
    python bench/informative_cost.py --json out.json   # table + JSON
"""
from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
from joblib import cpu_count
from sklearn.datasets import make_classification

import simpor_ext
from simpor_ext import SIMPOR
from simpor_ext.bandwidth import Standardizer
from simpor_ext.informative import ActiveLearning, find_informative
from simpor_ext.sampler import n_threads_for


def problem(n: int, d: int, ratio: float, seed: int):
    X, y = make_classification(n_samples=n, n_features=d, n_informative=min(d, 10), weights=[ratio / (ratio + 1)],
                               flip_y=0.01, random_state=seed)
    return X, y


def informative_stage(X, y, n_jobs, seed):
    """The stage as SIMPOR runs it (sampler._fit_resample), and nothing else."""
    labels, codes = np.unique(y, return_inverse=True)
    Z = Standardizer.fit(X).transform(X, np.float64)
    t = time.perf_counter()
    found = find_informative(Z, X, codes, labels.size, ActiveLearning(), "mlp", np.random.default_rng(seed),
                             n_threads_for(n_jobs))
    return time.perf_counter() - t, found


def ascent(X, y, n_jobs, seed):
    t = time.perf_counter()
    SIMPOR(informative=None, device="cpu", n_jobs=n_jobs, random_state=seed).fit_resample(X, y)
    return time.perf_counter() - t


def measure(n, d, ratio, n_jobs_list, repeat, seed, with_ascent=True):
    X, y = problem(n, d, ratio, seed)
    rows, first_s = [], None
    for n_jobs in n_jobs_list:
        stage, found = min((informative_stage(X, y, n_jobs, seed) for _ in range(repeat)), key=lambda r: r[0])
        asc = min(ascent(X, y, n_jobs, seed) for _ in range(repeat)) if with_ascent else None
        first_s = found.indices if first_s is None else first_s
        rows.append(dict(n=n, d=d, minority=int(np.bincount(y).min()), n_jobs=n_jobs, threads=n_threads_for(n_jobs),
                         S=int(found.indices.size), rounds=found.n_rounds, informative_s=stage, ascent_s=asc,
                         ratio=stage / asc if asc else None, same_S=bool(found.indices.tobytes() == first_s.tobytes())))
    return rows


def print_table(rows):
    head = ["n", "d", "minority", "n_jobs", "threads", "|S|", "rounds", "informative s", "ascent s",
            "informative/ascent", "same S"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---:|" * len(head))
    for r in rows:
        cells = [r["n"], r["d"], r["minority"], r["n_jobs"], r["threads"], r["S"], r["rounds"],
                 f"{r['informative_s']:.2f}", "-" if r["ascent_s"] is None else f"{r['ascent_s']:.2f}",
                 "-" if r["ratio"] is None else f"{r['ratio']:.2f}",
                 "yes" if r["same_S"] else "NO"]
        print("| " + " | ".join(map(str, cells)) + " |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000], help="row counts n")
    p.add_argument("--d", type=int, default=30, help="features")
    p.add_argument("--ratio", type=float, default=20.0, help="majority rows per minority row")
    p.add_argument("--n-jobs", type=int, nargs="+", default=[-1, 64], help="n_jobs values to compare")
    p.add_argument("--repeat", type=int, default=1, help="best of this many runs per cell")
    p.add_argument("--quick", action="store_true", help="n = 1000 only, best of 3")
    p.add_argument("--no-ascent", action="store_true",
                   help="time the informative stage only (the ascent grows as n^2: 30-40 s at n = 1e4 "
                        "on 2 cores, so about an hour at 1e5)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="FILE", help="also write the rows and the machine to FILE")
    args = p.parse_args(argv)
    sizes, repeat = ([1000], max(args.repeat, 3)) if args.quick else (args.sizes, args.repeat)

    Xw, yw = problem(300, args.d, args.ratio, args.seed)  # warm-up: imports, thread pools
    informative_stage(Xw, yw, -1, args.seed)
    ascent(Xw, yw, -1, args.seed)

    machine = dict(platform=platform.platform(), processor=platform.processor() or platform.machine(),
                   cores=cpu_count(), simpor_ext=getattr(simpor_ext, "__version__", "?"))
    print(f"# {machine['processor']}, {machine['cores']} cores (joblib), {machine['platform']}")
    rows = []
    for n in sizes:
        rows += measure(n, args.d, args.ratio, args.n_jobs, repeat, args.seed, with_ascent=not args.no_ascent)
    print_table(rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(machine=machine, args=vars(args), rows=rows), f, indent=1)


if __name__ == "__main__":
    main()
