"""bench/quality.py end to end: a tiny --quick run writes every output and scores
every method on every data set; --resume adds methods to a results folder."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SIMPOR_DATA_DIR") or REPO.parent / "shared" / "data")
METHODS = ["simpor", "smote", "borderline_smote", "adasyn", "ros", "none", "simpor_no_al", "simpor_no_ascent"]
LABELS = ["SIMPOR", "SMOTE", "BorderlineSMOTE", "ADASYN", "ROS", "None", "SIMPOR w/o AL", "SIMPOR w/o ascent"]
SCRIPT = str(REPO / "bench" / "quality.py")


def test_quick_run_end_to_end(tmp_path):
    datasets = ["moon", "breast_cancer_ir7"]
    if (DATA / "keel" / "glass1").is_dir():
        datasets.append("glass1")
    if (DATA / "imblearn-benchmark" / "ecoli.npz").is_file():
        datasets.append("ecoli")
    out = tmp_path / "out"
    cmd = [sys.executable, str(REPO / "bench" / "quality.py"), "--quick", "--datasets", ",".join(datasets),
           "--trials", "1", "--max-epochs", "12", "--out", str(out), "--data-dir", str(DATA)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    for name in ("results.md", "results.json", "fig3_moon_boundaries.png", "fig4_pca_hdr_breast_cancer_ir7.png",
                 "mean_ranks.png", "f1_simpor_deltas.png", "cd_f1_auc.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name

    payload = json.loads((out / "results.json").read_text())
    assert payload["methods"] == METHODS
    assert payload["datasets"] == datasets
    records = payload["records"]
    for ds in datasets:
        for m in METHODS:
            rs = [r for r in records if r["dataset"] == ds and r["method"] == m]
            assert len(rs) == 1, (ds, m)
            for key in ("f1", "auc", "precision", "recall", "resample_s"):
                assert rs[0][key] is not None and math.isfinite(rs[0][key]), (ds, m, key)
            assert 0.0 <= rs[0]["f1"] <= 1.0
    for r in records:  # every resampler balanced the training fold (or says why not)
        if r["method"] not in ("none", "adasyn") and not r["fallback"]:
            assert r["n_class0"] == r["n_class1"], r
    table = payload["summary"]["per_dataset"]
    assert set(table) == set(datasets)
    assert all(table[ds]["methods"][m]["n_trials"] == 1 for ds in datasets for m in METHODS)
    assert set(payload["summary"]["mean_rank"]["f1"]["all"]) == set(METHODS)
    assert payload["summary"]["tests"]["f1"]["friedman"]["n"] == len(datasets)
    assert 0.85 < payload["bayes_ceiling"]["0.3"]["f1"] < 0.95
    hdr = payload["figures"]["fig4"]["hdr"]
    assert set(hdr) == set(METHODS) and all(0.0 <= v["hdr"] <= 1.0 for v in hdr.values())

    md = (out / "results.md").read_text()
    assert all(label in md for label in LABELS)
    assert all(f"| {ds} |" in md for ds in datasets)


def _run(out: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, SCRIPT, "--quick", "--trials", "1", "--max-epochs", "5", "--no-figures",
           "--out", str(out), *extra]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)


def test_resume_adds_methods_to_a_results_folder(tmp_path):
    out = tmp_path / "out"
    first = _run(out, "--datasets", "breast_cancer_ir3,breast_cancer_ir7", "--methods", "smote,none")
    assert first.returncode == 0, first.stderr[-3000:]
    (out / "records.jsonl").unlink()  # as in a committed folder: results.json only
    before = json.loads((out / "results.json").read_text())["records"]
    second = _run(out, "--datasets", "breast_cancer_ir7", "--methods", "ros", "--resume")
    assert second.returncode == 0, second.stderr[-3000:]
    payload = json.loads((out / "results.json").read_text())
    have = {(r["dataset"], r["method"]) for r in payload["records"]}
    assert have == {(ds, m) for ds in ("breast_cancer_ir3", "breast_cancer_ir7") for m in ("smote", "none")} | {
        ("breast_cancer_ir7", "ros")}
    assert all(r in payload["records"] for r in before)  # kept unchanged
    assert payload["methods"] == ["smote", "ros", "none"]
    assert [r["methods"] for r in payload["settings"]["runs"]] == [["smote", "none"], ["ros"]]
    s = payload["summary"]
    assert s["main_methods"] == ["smote", "none"]  # ros is missing on breast_cancer_ir3
    assert "| breast_cancer_ir3 | paper |" in (out / "results.md").read_text()
    clash = _run(out, "--datasets", "breast_cancer_ir3", "--methods", "ros", "--resume", "--max-train", "100")
    assert clash.returncode != 0 and "differ" in clash.stderr


def test_bad_arguments_are_rejected(tmp_path):
    for extra in (["--methods", "smote,nope"], ["--datasets", "no_such_set"]):
        proc = subprocess.run([sys.executable, SCRIPT, "--out", str(tmp_path), *extra],
                              cwd=REPO, capture_output=True, text=True, timeout=120)
        assert proc.returncode != 0, extra
