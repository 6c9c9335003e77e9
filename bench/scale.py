"""Wall time of a balance against n: SIMPOR's earlier path, its defaults and SMOTE, in one run.

For each n (d = 30 features, Gaussian classes one unit apart; the minority
counts below, the largest shaped like the credit-card fraud set: 284,807 rows,
492 fraud), times

* ``today``: SIMPOR as it ran before this cost work (``step_rule="adaptive",
  kde_tol=0``: every trial on all the data),
* ``default``: SIMPOR's defaults (newton rule, certified local evaluation),
* ``smote``: imbalanced-learn's SMOTE, the cost users compare against,

and prints wall time, ascent trials per synthetic row, (trial point, data
point) pairs evaluated, their fraction of the dense count and the time
ratios. Up to n = 30,000 each SIMPOR path balances the whole set. Above,
where the earlier path takes hours here, both paths run the ascent of the
same sample of the synthetic rows a full balance makes (``--sample-rows``,
from randomly chosen minority rows, up to 64 rows each, as the sampler
groups them) and the time is extrapolated to the full balance by rows;
the informative stage (seconds at these sizes, bench/informative_cost.py)
is left out there. Ratios come from one run on one machine; absolute times
move with its load.

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
FULL_MAX = 30_000  # above: a sample of the ascent, extrapolated
PATHS = {"today": dict(step_rule="adaptive", kde_tol=0.0), "default": {}}


def make_data(n: int, n_minority: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, D))
    X[:n_minority] += 1.0 / np.sqrt(D)  # class means one unit apart
    y = np.r_[np.ones(n_minority, int), np.zeros(n - n_minority, int)]
    return X, y


def time_simpor(X, y, informative, **params) -> dict:
    from baselines import BaselineSIMPOR  # the earlier path's adaptive rule is a baseline

    sampler = BaselineSIMPOR(random_state=0, device="cpu", informative=informative, **params)
    start = time.perf_counter()
    X_res, _ = sampler.fit_resample(X, y)
    seconds = time.perf_counter() - start
    trials = sampler.n_iter_.astype(np.float64)
    dense = float((trials + 1).sum() * X.shape[0])  # every trial streams the class and the rest: all rows
    return {"seconds": seconds, "rows": int(X_res.shape[0] - X.shape[0]), "trials_per_row": float(trials.mean()),
            "pairs": dense * sampler.pair_fraction_, "pair_fraction": float(sampler.pair_fraction_),
            "converged": float(sampler.converged_fraction_)}


def sample_seeds(X, y, n_rows: int, seed: int = 0) -> dict:
    """The standardised set, its classes and bandwidth, and a sample of a full balance's seeds:
    randomly chosen minority rows, each as many times as a full balance uses it (at most 64)."""
    from simpor_ext.bandwidth import Standardizer, resolve_bandwidth
    from simpor_ext.synthesis import neighbour_radii

    Z = Standardizer.fit(X).transform(X, np.float64)
    members = np.flatnonzero(y == 1)
    numer, denom = Z[members], Z[y == 0]
    total = denom.shape[0] - numer.shape[0]
    per_source = min(64, max(1, round(total / numer.shape[0])))
    sources = np.random.default_rng(seed).choice(numer.shape[0], max(1, n_rows // per_source), replace=False)
    R = neighbour_radii(numer, Z, 10, None)
    return dict(Z=Z, seeds=np.repeat(members[sources], per_source), seed_R=np.repeat(R[sources], per_source),
                numer=numer, denom=denom, bandwidth=resolve_bandwidth("scott", *Z.shape), total=total)


def time_sampled(sample: dict, **params) -> dict:
    """The sampled rows grown as the sampler grows a class (simpor_ext.synthesis.grow: the same
    draws, order and chunks, on the CPU backend), extrapolated to the full balance."""
    from simpor_ext._backends import get_backend
    from simpor_ext.synthesis import grow

    backend = get_backend("cpu", None)
    start = time.perf_counter()
    rows = grow(sample["Z"], sample["seeds"], sample["seed_R"], sample["numer"], sample["denom"], sample["bandwidth"],
                np.random.default_rng(0), ascent=dict(params, device=backend), chunk=backend.batch_size,
                progress=lambda _: None)
    seconds = time.perf_counter() - start
    m, n = rows.n_iter.size, sample["Z"].shape[0]
    trials, pairs = float(rows.n_iter.sum()), float(rows.pairs.sum())
    scale = sample["total"] / m
    return {"seconds": seconds * scale, "sample_seconds": seconds, "sample_rows": m, "rows": sample["total"],
            "trials_per_row": trials / m, "pairs": pairs * scale, "pair_fraction": pairs / ((trials + m) * n)}


def time_smote(X, y) -> dict:
    from imblearn.over_sampling import SMOTE

    start = time.perf_counter()
    SMOTE(random_state=0).fit_resample(X, y)
    return {"seconds": time.perf_counter() - start}


def run(sizes, informative, sample_rows: int) -> list[dict]:
    rows = []
    for n in sizes:
        X, y = make_data(n, MINORITY[n])
        row = {"n": n, "minority": MINORITY[n], "smote": time_smote(X, y), "sampled": n > FULL_MAX}
        sample = sample_seeds(X, y, sample_rows) if row["sampled"] else None
        for name, params in PATHS.items():
            row[name] = time_sampled(sample, **params) if sample else time_simpor(X, y, informative, **params)
        row["speed_up"] = row["today"]["seconds"] / row["default"]["seconds"]
        row["default_over_smote"] = row["default"]["seconds"] / row["smote"]["seconds"]
        rows.append(row)
        print(format_row(row), flush=True)
    return rows


HEADER = (f"{'n':>8} {'minority':>8} {'path':>8} {'seconds':>9} {'trials/row':>10} {'pairs':>9} {'fraction':>8} "
          f"{'x SMOTE':>8} {'speed-up':>8}")


def format_row(row: dict) -> str:
    lines = []
    for name in PATHS:
        r = row[name]
        speed = f"{row['speed_up']:.2f}" if name == "default" else "1"
        seconds = f"{r['seconds']:>8.1f}" + ("*" if row["sampled"] else " ")
        lines.append(f"{row['n']:>8} {row['minority']:>8} {name:>8} {seconds} {r['trials_per_row']:>10.1f} "
                     f"{r['pairs']:>9.2e} {r['pair_fraction']:>8.3f} {r['seconds'] / row['smote']['seconds']:>8.0f} "
                     f"{speed:>8}")
    lines.append(f"{row['n']:>8} {row['minority']:>8} {'smote':>8} {row['smote']['seconds']:>9.3f}")
    if row["sampled"]:
        lines.append(f"{'':>8} * extrapolated from the ascent of {row['default']['sample_rows']} of "
                     f"{row['default']['rows']} rows (measured {row['today']['sample_seconds']:.1f} s and "
                     f"{row['default']['sample_seconds']:.1f} s)")
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
    for name, style in (("today", "o--"), ("default", "o-")):
        ax.plot(n, [r[name]["seconds"] for r in rows], style, label=f"SIMPOR {name}")
    ax.plot(n, [r["smote"]["seconds"] for r in rows], "s:", label="SMOTE")
    if any(r["sampled"] for r in rows):
        ax.axvspan(FULL_MAX * 1.5, max(n) * 1.5, color="0.9", label="SIMPOR extrapolated")
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
    p.add_argument("--sample-rows", type=int, default=1024,
                   help=f"above n = {FULL_MAX:,}: synthetic rows whose ascent is timed and extrapolated")
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
    rows = run(sizes, informative, args.sample_rows)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    if args.plot:
        plot(rows, args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
