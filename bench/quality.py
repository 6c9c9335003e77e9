#!/usr/bin/env python
"""Quality benchmark: SIMPOR against SMOTE, BorderlineSMOTE, ADASYN, ROS, no resampling and its ablations.

Reproduces the paper's experiments (§6: Moon, Breast Cancer) and extends
them to the 44 KEEL and 22 imbalanced-learn benchmark data sets. For every
data set and trial, each method resamples the standardised training fold,
the paper's Table 1 MLP is trained on the result and scored on the test fold
(macro F1, ROC AUC, macro precision, macro recall). See bench/evaluation.py
for the protocol, bench/suite.py for the splits and bench/summary.py for the
statistics.

Outputs in ``--out``: ``results.md`` (tables), ``results.json`` (settings,
every per-split number, the summary), ``records.jsonl`` (the per-split
records as they finish) and PNG figures.

``--resume`` keeps every record already in ``--out`` (``records.jsonl``, or
the records of ``results.json`` when there is no ``records.jsonl``), runs only
the (data set, trial, method) triples still missing from the ones asked for,
and writes the union: that is how methods or data sets are added to an
existing results folder. It refuses settings that differ from the folder's.

Examples
--------
    python bench/quality.py --quick --out /tmp/q            # CI-sized smoke run
    python bench/quality.py --datasets paper --trials 5      # the paper's sets
    python bench/quality.py --datasets all --jobs 2 --out bench/results
    python bench/quality.py --methods simpor_no_al,simpor_no_ascent --datasets paper \
        --max-train 3000 --resume --out bench/results      # add the ablations
"""
from __future__ import annotations

import os

# libgomp's default spin-waiting makes OpenMP loops crawl when the cores are
# shared (measured: SIMPOR on ecoli 3 s instead of 0.05 s on a busy 2-core
# box); passive waiting changes no result, only how idle threads wait.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import argparse  # noqa: E402
import json
import logging
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import evaluation as ev  # noqa: E402
import suite  # noqa: E402
import summary as sm  # noqa: E402

log = logging.getLogger("quality")

QUICK_DATASETS = ["moon", "breast_cancer_ir7", "glass1", "ecoli"]
QUICK_TRIALS = 2
QUICK_MAX_EPOCHS = 30


def _csv(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _param(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", type=_csv, default=None,
                   help="comma-separated names and/or groups: paper, keel, imblearn, all (default: all)")
    p.add_argument("--methods", type=_csv, default=list(ev.METHODS),
                   help=f"comma-separated subset of {','.join(ev.METHODS)} (default: all)")
    p.add_argument("--trials", type=int, default=None, help="train/test evaluations per data set (default 5)")
    p.add_argument("--quick", action="store_true",
                   help=f"smoke run: {','.join(QUICK_DATASETS)} (those present), {QUICK_TRIALS} trials, "
                        f"MLP capped at {QUICK_MAX_EPOCHS} epochs; explicit options override")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="folder holding keel/ and imblearn-benchmark/ (default: $SIMPOR_DATA_DIR or ../shared/data)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (data set x trial units in parallel)")
    p.add_argument("--max-epochs", type=int, default=None,
                   help="cap the Table 1 epoch count of every MLP (same cap for every method)")
    p.add_argument("--max-train", type=int, default=None,
                   help="stratified random subsample of training folds larger than this (seeded by the trial; "
                        "the same rows for every method; test folds untouched)")
    p.add_argument("--simpor-param", type=_param, action="append", default=[], metavar="KEY=VALUE",
                   help="SIMPOR constructor argument (JSON value), e.g. max_iter=100; default: SIMPOR's defaults")
    p.add_argument("--resume", action="store_true",
                   help="keep every record already in OUT (records.jsonl, else results.json), run only the "
                        "missing ones asked for, write the union")
    p.add_argument("--no-figures", action="store_true")
    p.add_argument("--figure-dataset", default="breast_cancer_ir7", help="data set of the Figure 4 (PCA/HDR) plot")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    if args.datasets is None:
        args.datasets = QUICK_DATASETS if args.quick else ["all"]
    if args.trials is None:
        args.trials = QUICK_TRIALS if args.quick else 5
    if args.max_epochs is None and args.quick:
        args.max_epochs = QUICK_MAX_EPOCHS
    unknown = [m for m in args.methods if m not in ev.METHODS]
    if unknown:
        p.error(f"unknown method(s) {unknown}; choose from {', '.join(ev.METHODS)}")
    if args.trials < 1 or args.jobs < 1:
        p.error("--trials and --jobs must be >= 1")
    return args


# --------------------------------------------------------------------------
# One unit of work: every method on one (data set, trial) split
# --------------------------------------------------------------------------
_SPECS: dict = {}


def _specs(data_dir: Optional[Path]) -> dict:
    key = str(data_dir)
    if key not in _SPECS:
        _SPECS[key] = suite.catalogue(data_dir)
    return _SPECS[key]


def cap_training_rows(X: np.ndarray, y: np.ndarray, max_train: Optional[int], seed: int) -> tuple:
    """Stratified random subsample of at most ``max_train`` rows (every class keeps >= 2 rows)."""
    if max_train is None or len(y) <= max_train:
        return X, y
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(len(y)), train_size=max_train, stratify=y, random_state=seed)
    keep = np.sort(keep)
    return X[keep], y[keep]


def run_unit(name: str, trial: int, methods: list[str], max_epochs: Optional[int],
             simpor_params: dict, data_dir: Optional[Path], keep: bool = False,
             max_train: Optional[int] = None) -> tuple[list[dict], list]:
    """Every method on one split: the records, and the MethodRuns too when ``keep`` (for figures)."""
    spec = _specs(data_dir)[name]
    split = spec.split(trial)
    X_train, y_train = cap_training_rows(split.X_train, split.y_train, max_train, trial)
    base = {"dataset": name, "source": spec.source, "trial": trial, "fold": spec.fold_of(trial),
            "seed": trial, "mlp": spec.config.name, "n_train_full": int(len(split.y_train)),
            "n_test": int(len(split.y_test)), "n_features": int(split.X_train.shape[1])}
    runs = ev.evaluate_split(X_train, y_train, split.X_test, split.y_test, methods,
                             spec.config, seed=trial, max_epochs=max_epochs, simpor_params=simpor_params, keep=True)
    for run in runs:
        run.record = {**base, **run.record}
    return [run.record for run in runs], (runs if keep else [])


def _unit_cost(spec: suite.DatasetSpec) -> float:
    """Rough cost for scheduling the biggest units first (SIMPOR is ~ n^2)."""
    split = spec.split(0)
    n = len(split.y_train)
    return float(n) * n * max(split.X_train.shape[1], 1) ** 0.5


def run_all(args: argparse.Namespace, specs: list, out: Path, kept: dict) -> list[dict]:
    """Run the missing units; fills ``kept[(dataset, trial)]`` with the MethodRuns figures need."""
    records_path = out / "records.jsonl"
    done = sm.load_records(out) if args.resume else []
    if records_path.exists():
        records_path.unlink()
    if done:  # records.jsonl then holds every record, old and new
        with open(records_path, "w") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in done)
    have = {(r["dataset"], r["trial"], r["method"]) for r in done}
    units = [(s, t) for s in specs for t in range(args.trials)
             if any((s.name, t, m) not in have for m in args.methods)]
    if done:
        log.info("resuming: %d records kept, %d units to run", len(done), len(units))
    costs = {s.name: _unit_cost(s) for s in {s for s, _ in units}} if args.jobs > 1 else {}
    units.sort(key=lambda u: -costs.get(u[0].name, 0.0))
    simpor_params = dict(args.simpor_param)
    records = list(done)
    t_start = time.perf_counter()

    figure_units = set() if args.no_figures else {("moon", 0), (args.figure_dataset, 0)}

    def store(result: tuple, k: int) -> None:
        unit_records, runs = result
        if runs:
            kept[(unit_records[0]["dataset"], unit_records[0]["trial"])] = runs
        with open(records_path, "a") as fh:
            for r in unit_records:
                if (r["dataset"], r["trial"], r["method"]) not in have:
                    fh.write(json.dumps(r) + "\n")
                    records.append(r)
        r0 = unit_records[0]
        scores = " ".join(f"{r['method']}={r['f1']:.3f}({r['resample_s']:.1f}s)" for r in unit_records)
        log.info("[%d/%d %.0fs] %s trial %d: %s", k, len(units), time.perf_counter() - t_start,
                 r0["dataset"], r0["trial"], scores)

    methods = [m for m in ev.METHODS if m in args.methods]
    if args.jobs == 1:
        for k, (spec, t) in enumerate(units, 1):
            store(run_unit(spec.name, t, methods, args.max_epochs, simpor_params, args.data_dir,
                           (spec.name, t) in figure_units, args.max_train), k)
    else:
        # SIMPOR's n_jobs default (all cores) then means this worker's share of them.
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // args.jobs)))
        import multiprocessing as mp

        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=mp.get_context("spawn")) as pool:
            futures = [pool.submit(run_unit, s.name, t, methods, args.max_epochs, simpor_params, args.data_dir,
                                   (s.name, t) in figure_units, args.max_train) for s, t in units]
            for k, fut in enumerate(as_completed(futures), 1):
                store(fut.result(), k)
    return records


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------
def make_figures(args: argparse.Namespace, catalogue: dict, methods: list[str], out: Path, kept: dict) -> dict:
    """Figures 3 and 4 from trial 0 of Moon and ``--figure-dataset``, every method in
    ``methods`` (run here for those this invocation did not run)."""
    import figures

    def runs_of(name: str) -> list:
        runs = kept.get((name, 0), [])
        if [r.method for r in runs] != methods:
            runs = run_unit(name, 0, methods, args.max_epochs, dict(args.simpor_param),
                            args.data_dir, keep=True, max_train=args.max_train)[1]
        return runs

    info: dict = {}
    runs = runs_of("moon")
    figures.decision_boundaries(runs, out / "fig3_moon_boundaries.png",
                                title="Moon (IR 3:1, trial 0): resampled training data and MLP decision boundary")
    info["fig3"] = {"dataset": "moon", "trial": 0, "f1": {r.method: r.record["f1"] for r in runs}}

    name = args.figure_dataset
    if name in catalogue:
        runs = runs_of(name)
        hdr = figures.pca_hdr(runs, out / f"fig4_pca_hdr_{name}.png",
                              title=f"{name} (trial 0): PCA of the resampled training data; HDR on PC1")
        info["fig4"] = {"dataset": name, "trial": 0, "hdr": hdr}
    else:
        log.warning("figure data set %r not available; Figure 4 skipped", name)
    return info


# --------------------------------------------------------------------------
def _versions() -> dict:
    import imblearn
    import sklearn

    import subprocess

    v = {"python": platform.python_version(), "numpy": np.__version__, "scikit-learn": sklearn.__version__,
         "imbalanced-learn": imblearn.__version__}
    try:
        import simpor_ext

        v["simpor_ext"] = f"{simpor_ext.__version__} ({Path(simpor_ext.__file__).parent})"
    except ImportError:
        pass
    try:
        v["git_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                         cwd=Path(__file__).parent, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return v


#: Settings that change the numbers: a resumed run must use the folder's.
PROTOCOL = ("trials", "quick", "max_epochs", "max_train", "simpor_params")


def _settings(args: argparse.Namespace, out: Path, specs: list, versions: dict, argv: list) -> dict:
    """This run's settings, or (``--resume``) the folder's with this run appended to ``runs``."""
    run = {"argv": argv, "methods": [m for m in ev.METHODS if m in args.methods], "n_datasets": len(specs),
           "jobs": args.jobs, "omp": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")},
           "versions": versions}
    mine = {"trials": args.trials, "quick": args.quick, "max_epochs": args.max_epochs, "max_train": args.max_train,
            "simpor_params": dict(args.simpor_param) or "defaults",
            "mlp": {k: ev.config_dict(c) for k, c in ev.TABLE1.items() if k != "credit_card"},
            "cpu_count": os.cpu_count(), "machine": platform.machine()}
    previous = out / "results.json"
    if not (args.resume and previous.exists()):
        return {**mine, "jobs": args.jobs, "omp": run["omp"], "versions": versions, "evaluation_wall_s": 0.0,
                "runs": [run]}
    settings = json.loads(previous.read_text())["settings"]
    clash = {k: (settings.get(k), mine[k]) for k in PROTOCOL if settings.get(k) != mine[k]}
    if clash:
        raise SystemExit(f"--resume with settings that differ from {previous}'s (theirs, yours): {clash}")
    settings.setdefault("runs", [{"argv": None, "methods": json.loads(previous.read_text())["methods"],
                                  "n_datasets": settings.get("n_datasets"), "jobs": settings.get("jobs"),
                                  "omp": settings.get("omp"), "versions": settings.get("versions"),
                                  "wall_s": settings.get("evaluation_wall_s")}])
    settings["runs"].append(run)
    return settings


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    if not args.verbose:
        logging.getLogger("simpor_ext").setLevel(logging.WARNING)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    catalogue = suite.catalogue(args.data_dir)
    specs = suite.select(args.datasets, catalogue)
    log.info("%d data sets x %d trials x %d methods -> %s", len(specs), args.trials, len(args.methods), out)

    # Before the run: the commit may move while it goes.
    settings = _settings(args, out, specs, _versions(), sys.argv[1:] if argv is None else list(argv))
    previous = out / "results.json"
    figures_before = json.loads(previous.read_text()).get("figures", {}) if args.resume and previous.exists() else {}
    t0 = time.perf_counter()
    kept: dict = {}
    records = run_all(args, specs, out, kept)
    order = {name: i for i, name in enumerate(catalogue)}
    records.sort(key=lambda r: (order.get(r["dataset"], len(order)), r["dataset"], r["trial"],
                                ev.METHODS.index(r["method"])))
    eval_s = time.perf_counter() - t0
    settings["runs"][-1]["wall_s"] = round(eval_s, 1)
    settings["evaluation_wall_s"] = round(float(settings.get("evaluation_wall_s") or 0.0) + eval_s, 1)
    settings["n_datasets"] = len({r["dataset"] for r in records})

    methods = [m for m in ev.METHODS if any(r["method"] == m for r in records)]
    figures_info = figures_before
    if not args.no_figures:
        figures_info = make_figures(args, catalogue, methods, out, kept)
    payload = {"settings": settings, "datasets": list(dict.fromkeys(r["dataset"] for r in records)),
               "methods": methods, "figures": figures_info, "records": records}
    if args.resume and previous.exists():
        payload["bayes_ceiling"] = json.loads(previous.read_text()).get("bayes_ceiling", {})
    sm.write_outputs(payload, out, ceiling_points=20_000 if args.quick else 200_000)
    log.info("done in %.0fs: %s", time.perf_counter() - t0, out / "results.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
