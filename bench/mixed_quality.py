#!/usr/bin/env python
"""Quality on mixed numeric and categorical data: SIMPOR's categorical path against the alternatives.

The protocol of bench/quality.py, on the data sets with nominal columns: the
7 of ``<data>/mixed`` (3 all-categorical) and the KEEL sets abalone19 and
abalone9-18 (nominal Sex). Per data set 5 trials (KEEL: its own folds; the
others: stratified 5-fold, shuffled). In each trial every method resamples
the training fold, whose numeric columns are standardised with the fold's
statistics; the paper's Table 1 MLP (the Breast Cancer column, as for the
KEEL sets in quality.py) is trained on the result with the numeric columns
as they are and the categorical ones one-hot encoded, and scored on the test
fold (macro F1, ROC AUC, macro precision, macro recall).

Methods (``--methods``, or a group: ``main``, ``rules``, ``bandwidths``):

* ``simpor``: SIMPOR on the mixed columns, package defaults;
* ``simpor_onehot``: the workaround without categorical support: one-hot
  encode, then numeric SIMPOR on the encoded columns;
* ``smotenc``: imbalanced-learn's SMOTENC (SMOTEN where every column is categorical);
* ``ros``, ``none``: RandomOverSampler, no resampling;
* ``simpor_frequent``, ``simpor_seed``: the other ``categorical_rule`` values;
* ``simpor_s<S>``: ``categorical_bandwidth=S``; ``simpor_lcv``: S chosen by
  likelihood cross-validation (the leave-one-out log-likelihood of the
  training fold's mixed product-kernel density, numeric h fixed by Scott).

    python bench/mixed_quality.py --out bench/results/mixed --jobs 2
    python bench/mixed_quality.py --methods rules,bandwidths --out bench/results/mixed --resume
    python bench/mixed_quality.py --out bench/results/mixed --report README.md   # tables and the README block only
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # as in quality.py: shared cores

import argparse  # noqa: E402
import json
import logging
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import evaluation as ev  # noqa: E402
import keel  # noqa: E402
import summary as sm  # noqa: E402
from data_sets import find_data_dir  # noqa: E402

log = logging.getLogger("mixed_quality")

MIXED = ("australian", "crx", "flaref", "car_good", "kddcup_guess_passwd_vs_satan", "kddcup_land_vs_portsweep",
         "zoo_3")
KEEL_NOMINAL = ("abalone19", "abalone9-18")
SMOOTHINGS = (0.05, 0.3, 1.0)
METHODS: dict[str, dict] = {
    "simpor": {},
    "smotenc": {},
    "ros": {},
    "none": {},
    "simpor_onehot": {},
    "simpor_frequent": {"categorical_rule": "frequent"},
    "simpor_seed": {"categorical_rule": "seed"},
    "simpor_lcv": {},
    **{f"simpor_s{s:g}": {"categorical_bandwidth": s} for s in SMOOTHINGS},
}
GROUPS = {
    "main": ["simpor", "smotenc", "ros", "none", "simpor_onehot"],
    "rules": ["simpor", "simpor_frequent", "simpor_seed"],
    "bandwidths": ["simpor", "simpor_lcv"] + [f"simpor_s{s:g}" for s in SMOOTHINGS],
}
LABELS = {"simpor": "SIMPOR", "simpor_onehot": "one-hot + SIMPOR", "smotenc": "SMOTENC/SMOTEN", "ros": "ROS",
          "none": "None", "simpor_frequent": "SIMPOR, frequent rule", "simpor_seed": "SIMPOR, seed rule",
          "simpor_lcv": "SIMPOR, s by LCV", **{f"simpor_s{s:g}": f"SIMPOR, s = {s:g}" for s in SMOOTHINGS}}
TRIALS = 5


@dataclass
class MixedSplit:
    """One training/test split; ``categorical``: the nominal columns' names."""

    X_train: pd.DataFrame
    y_train: np.ndarray
    X_test: pd.DataFrame
    y_test: np.ndarray
    categorical: list


def _read_csv(name: str, data_dir: Path) -> tuple[pd.DataFrame, np.ndarray]:
    df = pd.read_csv(data_dir / "mixed" / f"{name}.csv")
    y = df.pop("class").to_numpy(dtype=np.int64)
    return df.astype({c: object for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])}), y


def _keel_frame(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    table = keel.read_keel(path, nominal="ordinal")
    df = pd.DataFrame(table.X, columns=table.feature_names)
    for a in table.attributes:
        if a.kind == "nominal" and a.name in df.columns:
            df[a.name] = np.asarray(a.categories, dtype=object)[df[a.name].to_numpy(dtype=np.int64)]
    return df, table.y.astype(np.int64)


def load_split(name: str, trial: int, data_dir: Path) -> MixedSplit:
    if name in KEEL_NOMINAL:
        pairs = keel.keel_fold_paths(name, data_dir)
        tra, tst = pairs[trial % len(pairs)]
        (X_train, y_train), (X_test, y_test) = _keel_frame(tra), _keel_frame(tst)
    else:
        from sklearn.model_selection import StratifiedKFold

        X, y = _read_csv(name, data_dir)
        folds = StratifiedKFold(5, shuffle=True, random_state=trial // 5).split(X, y)
        train, test = list(folds)[trial % 5]
        X_train, y_train, X_test, y_test = X.iloc[train], y[train], X.iloc[test], y[test]
    categorical = [c for c in X_train.columns if not pd.api.types.is_numeric_dtype(X_train[c])]
    return MixedSplit(X_train.reset_index(drop=True), y_train, X_test.reset_index(drop=True), y_test, categorical)


# --------------------------------------------------------------------------
# Encoding, the LCV smoothing, samplers
# --------------------------------------------------------------------------
class Encoding:
    """The training fold's statistics: numeric columns standardised; for the
    classifier, categorical columns one-hot encoded (unseen categories: all zeros)."""

    def __init__(self, split: MixedSplit):
        from sklearn.preprocessing import OneHotEncoder

        self.categorical = split.categorical
        self.numeric = [c for c in split.X_train.columns if c not in self.categorical]
        num = split.X_train[self.numeric].to_numpy(np.float64)
        self.mean, self.std = num.mean(0), np.where(num.std(0) > 0, num.std(0), 1.0)
        self.onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        if self.categorical:
            self.onehot.fit(split.X_train[self.categorical].astype(str))

    def standardise(self, X: pd.DataFrame) -> pd.DataFrame:
        out = X.copy()
        if self.numeric:
            out[self.numeric] = (X[self.numeric].to_numpy(np.float64) - self.mean) / self.std
        return out

    def matrix(self, X: pd.DataFrame) -> np.ndarray:
        """The classifier's input from a standardised frame."""
        parts = [X[self.numeric].to_numpy(np.float64)]
        if self.categorical:
            parts.append(self.onehot.transform(X[self.categorical].astype(str)))
        return np.hstack(parts)


def lcv_smoothing(X: pd.DataFrame, categorical: list, grid=np.geomspace(0.01, 1.0, 13)) -> float:
    """s maximising the leave-one-out log-likelihood of the mixed product-kernel
    density of ``X`` (numeric columns standardised, h by Scott's rule; lambda_j
    = s (c_j - 1)/c_j), over ``grid``."""
    from scipy.special import logsumexp

    numeric = [c for c in X.columns if c not in categorical]
    Z = X[numeric].to_numpy(np.float64)
    Z = (Z - Z.mean(0)) / np.where(Z.std(0) > 0, Z.std(0), 1.0)
    n = len(X)
    h = n ** (-1.0 / (Z.shape[1] + 4))
    num = -((Z[:, None] - Z[None]) ** 2).sum(-1) / (2 * h * h) if Z.shape[1] else np.zeros((n, n))
    same = [X[c].to_numpy()[:, None] == X[c].to_numpy()[None] for c in categorical]
    levels = [X[c].nunique() for c in categorical]
    best, best_s = -np.inf, 1.0
    for s in grid:
        log_k = num.copy()
        for eq, c in zip(same, levels):
            if c > 1:
                lam = s * (c - 1) / c
                log_k += np.where(eq, np.log1p(-lam) if lam < 1 else -np.inf, np.log(lam / (c - 1)))
        np.fill_diagonal(log_k, -np.inf)
        ll = float(logsumexp(log_k, axis=1).sum())
        if ll > best:
            best, best_s = ll, float(s)
    return best_s


def resample(method: str, X: pd.DataFrame, y: np.ndarray, enc: Encoding, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The classifier's training matrix after ``method`` resampled the standardised fold."""
    from simpor_ext import SIMPOR

    n_min = int(np.bincount(y).min())
    k = max(1, min(5, n_min - 1))
    if method == "none":
        return enc.matrix(X), y
    if method == "simpor_onehot":
        E_res, y_res = SIMPOR(random_state=seed, categorical_features=None).fit_resample(enc.matrix(X), y)
        return np.asarray(E_res, np.float64), np.asarray(y_res)
    if method == "ros":
        from imblearn.over_sampling import RandomOverSampler

        sampler: Any = RandomOverSampler(random_state=seed)
    elif method == "smotenc":
        from imblearn.over_sampling import SMOTEN, SMOTENC

        positions = [X.columns.get_loc(c) for c in enc.categorical]
        sampler = SMOTEN(k_neighbors=k, random_state=seed) if len(positions) == X.shape[1] else \
            SMOTENC(positions, k_neighbors=k, random_state=seed)
    else:
        params = dict(METHODS[method])
        if method == "simpor_lcv":
            params["categorical_bandwidth"] = lcv_smoothing(X, enc.categorical)
        sampler = SIMPOR(random_state=seed, categorical_features=enc.categorical, **params)
    X_res, y_res = sampler.fit_resample(X, y)
    return enc.matrix(pd.DataFrame(X_res, columns=X.columns)), np.asarray(y_res)


def run_method(method: str, X: pd.DataFrame, split: MixedSplit, E_test: np.ndarray, enc: Encoding, seed: int,
               max_epochs: Optional[int]) -> dict:
    """``X``: the standardised training fold; ``E_test``: the classifier's test matrix."""
    record: dict = {"method": method, "error": None, "fallback": False}
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            E_res, y_res = resample(method, X, split.y_train, enc, seed)
    except (ValueError, RuntimeError) as exc:  # scored on the raw data instead
        record.update(error=f"{type(exc).__name__}: {exc}", fallback=True)
        E_res, y_res = enc.matrix(X), split.y_train
    record["resample_s"] = time.perf_counter() - t0
    counts = np.bincount(y_res, minlength=2)
    record.update(n_train=int(len(split.y_train)), n_synthetic=int(len(y_res) - len(split.y_train)),
                  n_class0=int(counts[0]), n_class1=int(counts[1]))
    ev.fit_and_score(record, E_res, y_res, E_test, split.y_test, ev.TABLE1["breast_cancer"], seed, max_epochs)
    return record


def run_unit(name: str, trial: int, methods: list, data_dir: Path, max_epochs: Optional[int]) -> list[dict]:
    split = load_split(name, trial, data_dir)
    enc = Encoding(split)
    base = {"dataset": name, "source": "keel" if name in KEEL_NOMINAL else "mixed", "trial": trial,
            "n_train": int(len(split.y_train)), "n_categorical": len(split.categorical),
            "n_numeric": len(enc.numeric)}
    X, E_test = enc.standardise(split.X_train), enc.matrix(enc.standardise(split.X_test))
    return [{**base, **run_method(m, X, split, E_test, enc, trial, max_epochs)} for m in methods]


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------
def report_of(records: list[dict], methods: list[str]) -> tuple[dict, str]:
    """Per-set means, Friedman and Nemenyi over ``methods`` and, for each
    family, SIMPOR against each other method (Wilcoxon, Holm within the family)."""
    table = sm.per_dataset(records, methods)
    datasets = list(table)
    out: dict = {"per_dataset": table, "tests": {}, "simpor_vs": {}}
    lines = []
    for family, members in GROUPS.items():
        present = [m for m in members if m in methods]
        if len(present) < 2 or "simpor" not in present:
            continue
        out["tests"][family] = {k: sm.compare(table, present, datasets, k) for k in ("f1", "auc")}
        others = [m for m in present if m != "simpor"]
        out["simpor_vs"][family] = {k: sm.head_to_head(table, "simpor", {family: others}, k, datasets)
                                    for k in ("f1", "auc")}
        lines.append(_family_markdown(family, present, table, datasets, out))
    return out, "\n\n".join(lines)


BEGIN = "<!-- BEGIN generated by bench/mixed_quality.py; edit there, not here -->"
END = "<!-- END generated by bench/mixed_quality.py -->"


def readme_block(summary: dict) -> str:
    """SIMPOR against the alternatives of the ``main`` family, for the README."""
    test = summary["tests"]["main"]["f1"]
    h2h = summary["simpor_vs"]["main"]["f1"]
    table = summary["per_dataset"]
    ranks = sorted(test["mean_rank"].items(), key=lambda kv: kv[1])
    lines = [f"On the {len(test['datasets'])} data sets with nominal columns ({', '.join(test['datasets'])}), "
             f"{max(e['n_trials'] for e in table.values())} trials each, macro F1 of the paper's MLP:", "",
             "| SIMPOR against | wins / ties / losses | mean Δ F1 | Wilcoxon p | Holm p |", "|---|---|---:|---:|---:|"]
    lines += _h2h_rows(h2h, 3)
    verdict = ("no method differs significantly from another on these sets" if test["friedman"]["p"] >= 0.05
               else "the methods differ")
    lines += ["", "Mean ranks (1 = best): " + ", ".join(f"{LABELS[m]} {v:.2f}" for m, v in ranks)
              + f"; Friedman p = {test['friedman']['p']:.2g}: {verdict}."]
    return "\n".join(lines)


def _family_markdown(family: str, present: list, table: dict, datasets: list, out: dict) -> str:
    head = "| data set | " + " | ".join(LABELS[m] for m in present) + " |"
    rows = [head, "|---|" + "---:|" * len(present)]
    for ds in datasets:
        means = [table[ds]["methods"][m]["f1"][0] for m in present]
        best = np.nanmax(means)
        rows.append(f"| {ds} | " + " | ".join(f"**{v:.3f}**" if v >= best - 1e-12 else f"{v:.3f}"
                                               for v in means) + " |")
    test = out["tests"][family]["f1"]
    if test is not None:
        rows.append("| mean rank | " + " | ".join(f"{test['mean_rank'][m]:.2f}" for m in present) + " |")
        rows.append(f"\nFriedman p = {test['friedman']['p']:.2g} over {len(test['datasets'])} data sets "
                    f"(Nemenyi CD {test['cd']:.2f}).")
    h2h = out["simpor_vs"][family]["f1"]
    rows.append("\n| SIMPOR vs | W / T / L | mean Δ F1 | Wilcoxon p | Holm p |\n|---|---|---:|---:|---:|")
    rows += _h2h_rows(h2h, 4)
    return f"### {family} (macro F1)\n\n" + "\n".join(rows)


def _h2h_rows(h2h: dict, digits: int) -> list[str]:
    """SIMPOR against each other method: wins / ties / losses, mean Δ F1, Wilcoxon and Holm p."""
    return [f"| {LABELS[o]} | {r['wins']} / {r['ties']} / {r['losses']} | {r['mean_diff']:+.{digits}f} | "
            f"{r['wilcoxon_p']:.2g} | {r['holm_p']:.2g} |" for o, r in h2h.items()]


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", nargs="+", default=list(MIXED + KEEL_NOMINAL))
    p.add_argument("--methods", default="main", help="comma-separated methods and groups (main, rules, bandwidths)")
    p.add_argument("--trials", type=int, default=TRIALS)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--max-epochs", type=int, default=None, help="cap the MLP's epochs (same for every method)")
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--resume", action="store_true", help="keep the records in OUT, run only what is missing")
    p.add_argument("--report", type=Path, metavar="README", default=None,
                   help="run nothing: rewrite OUT's tables from its records, and README's generated block")
    args = p.parse_args(argv)
    if args.report is not None:
        return write_report(args.out, args.report)
    methods = list(dict.fromkeys(m for item in args.methods.split(",") for m in GROUPS.get(item, [item])))
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        p.error(f"unknown method(s) {unknown}; choose from {', '.join(METHODS)} or {', '.join(GROUPS)}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("simpor_ext").setLevel(logging.WARNING)  # as quality.py: no progress lines
    data_dir = find_data_dir(args.data_dir)
    args.out.mkdir(parents=True, exist_ok=True)
    path, partial = args.out / "mixed_results.json", args.out / "mixed_records.jsonl"
    records = sm.load_records(args.out, partial.name, path.name) if args.resume else []
    partial.write_text("".join(json.dumps(r) + "\n" for r in records))  # every record so far, kept as units end
    have = {(r["dataset"], r["trial"], r["method"]) for r in records}
    units = [(ds, t, [m for m in methods if (ds, t, m) not in have]) for ds in args.datasets
             for t in range(args.trials)]
    units = [u for u in units if u[2]]
    t_start = time.perf_counter()
    if args.jobs == 1:
        results = (run_unit(ds, t, ms, data_dir, args.max_epochs) for ds, t, ms in units)
        for k, unit in enumerate(results, 1):
            _keep(records, unit, partial)
            log.info("[%d/%d %.0fs] %s", k, len(units), time.perf_counter() - t_start,
                     " ".join(f"{r['dataset']}/{r['method']}={r['f1']:.3f}" for r in unit))
    else:
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // args.jobs)))
        import multiprocessing as mp

        with ProcessPoolExecutor(args.jobs, mp_context=mp.get_context("spawn")) as pool:
            futures = [pool.submit(run_unit, ds, t, ms, data_dir, args.max_epochs) for ds, t, ms in units]
            for k, fut in enumerate(as_completed(futures), 1):
                _keep(records, fut.result(), partial)
                log.info("[%d/%d %.0fs]", k, len(units), time.perf_counter() - t_start)
    order = {m: i for i, m in enumerate(METHODS)}
    records.sort(key=lambda r: (r["dataset"], r["trial"], order[r["method"]]))
    all_methods = [m for m in METHODS if any(r["method"] == m for r in records)]
    summary, markdown = report_of(records, all_methods)
    settings = {"trials": args.trials, "max_epochs": args.max_epochs, "argv": sys.argv[1:] if argv is None else argv,
                "wall_s": round(time.perf_counter() - t_start, 1), "cpu_count": os.cpu_count()}
    path.write_text(json.dumps(sm.finite({"settings": settings, "methods": all_methods, "records": records,
                                          "summary": summary}), indent=1))
    (args.out / "mixed_results.md").write_text(markdown + "\n")
    partial.unlink()
    print(markdown)
    return 0


def write_report(out: Path, readme: Path) -> int:
    """The tables and the README block, again from the committed records."""
    import report

    payload = json.loads((out / "mixed_results.json").read_text())
    summary, markdown = report_of(payload["records"], payload["methods"])
    (out / "mixed_results.md").write_text(markdown + "\n")
    report.replace_block(readme, readme_block(summary), BEGIN, END)
    return 0


def _keep(records: list, unit: list, partial: Path) -> None:
    records.extend(unit)
    with open(partial, "a") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in unit)


if __name__ == "__main__":
    sys.exit(main())
