"""Wall time of a full balance against n, SIMPOR's old and new step rules and SMOTE, in one run.

For each n (d = 30 features, Gaussian classes one unit apart; the minority
counts below, the largest shaped like the credit-card fraud set: 284,807 rows,
492 fraud), balances the set with

* ``adaptive``: SIMPOR as it ran before the newton rule (``step_rule="adaptive"``),
* ``newton``: SIMPOR's defaults,
* ``smote``: imbalanced-learn's SMOTE, the cost users compare against,

and prints wall time, ascent trials per synthetic row, (candidate, point)
pairs evaluated and the time ratios. Ratios come from one run on one machine;
absolute times move with its load.

    python bench/scale.py --quick              # CI-sized: n = 2,000 and 5,000
    python bench/scale.py --n 10000 30000      # chosen sizes
    python bench/scale.py --json out.json --plot scale.png
    python bench/scale.py --n 5000 --dask 2     # SIMPOR(client=...) on 1..2 local Dask workers
"""
from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

# n -> minority rows: 1:20 up to 3e4, then the fraud sets' 1:100 and 1:578.
MINORITY = {2_000: 100, 5_000: 250, 10_000: 500, 30_000: 1_500, 100_000: 1_000, 284_807: 492}
QUICK = (2_000, 5_000)
DEFAULT = (10_000, 30_000, 100_000, 284_807)
D = 30


def make_data(n: int, n_minority: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, D))
    X[:n_minority] += 1.0 / np.sqrt(D)  # class means one unit apart
    y = np.r_[np.ones(n_minority, int), np.zeros(n - n_minority, int)]
    return X, y


def time_simpor(X, y, **params) -> dict:
    from simpor_ext import SIMPOR

    sampler = SIMPOR(random_state=0, device="cpu", **params)
    start = time.perf_counter()
    X_res, _ = sampler.fit_resample(X, y)
    seconds = time.perf_counter() - start
    trials = sampler.n_iter_.astype(np.float64)
    n_points = X.shape[0]  # every trial streams the class and its contrast set ("rest"): all rows
    return {"seconds": seconds, "rows_added": int(X_res.shape[0] - X.shape[0]),
            "trials_per_row": float(trials.mean()), "pairs": float((trials + 1).sum() * n_points),
            "converged": float(sampler.converged_fraction_)}


def time_smote(X, y) -> dict:
    from imblearn.over_sampling import SMOTE

    start = time.perf_counter()
    SMOTE(random_state=0).fit_resample(X, y)
    return {"seconds": time.perf_counter() - start}


def run(sizes, informative) -> list[dict]:
    rows = []
    for n in sizes:
        X, y = make_data(n, MINORITY[n])
        row = {"n": n, "minority": MINORITY[n], "smote": time_smote(X, y)}
        for name, rule in (("adaptive", "adaptive"), ("newton", "newton")):
            row[name] = time_simpor(X, y, step_rule=rule, informative=informative)
        row["adaptive_over_newton"] = row["adaptive"]["seconds"] / row["newton"]["seconds"]
        row["newton_over_smote"] = row["newton"]["seconds"] / row["smote"]["seconds"]
        rows.append(row)
        print(format_row(row), flush=True)
    return rows


HEADER = (f"{'n':>8} {'minority':>8} {'rule':>9} {'seconds':>9} {'trials/row':>10} {'pairs':>9} "
          f"{'x SMOTE':>8} {'speed-up':>8}")


def format_row(row: dict) -> str:
    lines = []
    for name in ("adaptive", "newton"):
        r = row[name]
        speed = f"{row['adaptive_over_newton']:.2f}" if name == "newton" else "1"
        lines.append(f"{row['n']:>8} {row['minority']:>8} {name:>9} {r['seconds']:>9.2f} {r['trials_per_row']:>10.1f} "
                     f"{r['pairs']:>9.2e} {r['seconds'] / row['smote']['seconds']:>8.0f} {speed:>8}")
    lines.append(f"{row['n']:>8} {row['minority']:>8} {'smote':>9} {row['smote']['seconds']:>9.3f}")
    return "\n".join(lines)


def run_dask(sizes, informative, max_workers: int) -> list[dict]:
    """Wall time of one fit on 1..max_workers local Dask workers (one thread each), the local fit as baseline.

    The cluster is started before the clock; its first fit, which imports the
    package on the workers, is not timed.
    """
    from distributed import Client, LocalCluster

    from simpor_ext import SIMPOR

    rows = []
    for n in sizes:
        X, y = make_data(n, MINORITY[n])
        params = dict(random_state=0, device="cpu", informative=informative, n_jobs=1)
        start = time.perf_counter()
        X_local, _ = SIMPOR(**params).fit_resample(X, y)
        local = time.perf_counter() - start
        rows.append({"n": n, "workers": 0, "seconds": local, "speed_up": 1.0, "same_bytes": True})
        print(f"{n:>8} {'local':>8} {local:>9.2f} {1.0:>8.2f} {'yes':>10}", flush=True)
        for workers in range(1, max_workers + 1):
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                SIMPOR(client=client, **params).fit_resample(X[::20], y[::20])  # warm the workers
                start = time.perf_counter()
                X_dask, _ = SIMPOR(client=client, **params).fit_resample(X, y)
                seconds = time.perf_counter() - start
            same = X_dask.tobytes() == X_local.tobytes()
            rows.append({"n": n, "workers": workers, "seconds": seconds, "speed_up": local / seconds,
                         "same_bytes": same})
            print(f"{n:>8} {workers:>8} {seconds:>9.2f} {local / seconds:>8.2f} {'yes' if same else 'NO':>10}",
                  flush=True)
    return rows


def plot(rows: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["n"] for r in rows]
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for name, style in (("adaptive", "o--"), ("newton", "o-")):
        ax.plot(n, [r[name]["seconds"] for r in rows], style, label=f"SIMPOR {name}")
    ax.plot(n, [r["smote"]["seconds"] for r in rows], "s:", label="SMOTE")
    ax.set(xscale="log", yscale="log", xlabel="rows n (d = 30)", ylabel="seconds, full balance",
           title="Balancing cost against n (2 CPU cores)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help=f"sizes {QUICK}")
    p.add_argument("--n", type=int, nargs="+", choices=sorted(MINORITY), help=f"sizes (default {DEFAULT})")
    p.add_argument("--no-informative", action="store_true", help="skip active learning (times the ascent alone)")
    p.add_argument("--dask", type=int, metavar="N",
                   help="instead: SIMPOR on 1..N local Dask workers (one thread each) against the local fit "
                        "on one thread")
    p.add_argument("--json", help="write the rows as JSON")
    p.add_argument("--plot", help="write a log-log PNG of time against n")
    args = p.parse_args(argv)
    sizes = args.n or (QUICK if args.quick else DEFAULT)
    informative = None if args.no_informative else "auto"
    if args.dask:
        print(f"# {platform.processor() or platform.machine()}, d = {D}, float64, device cpu, n_jobs 1")
        print(f"{'n':>8} {'workers':>8} {'seconds':>9} {'speed-up':>8} {'same bytes':>10}")
        rows = run_dask(sizes, informative, args.dask)
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(rows, fh, indent=1)
        return 0
    print(f"# {platform.processor() or platform.machine()}, d = {D}, float64, device cpu")
    print(HEADER)
    rows = run(sizes, informative)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    if args.plot:
        plot(rows, args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
