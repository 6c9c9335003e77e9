"""bench/summary.py and bench/report.py on made-up records: methods missing on
some sets are compared only where present, the Moon variants stay out of the
statistics across data sets, and the generated block replaces only itself."""
from __future__ import annotations

import numpy as np
import pytest

import report
import summary

MAIN = ["simpor", "smote", "ros", "none"]
SETS = [f"set{i}" for i in range(8)]


def _records() -> list[dict]:
    rng = np.random.default_rng(0)
    out = []
    plan = [(ds, "keel") for ds in SETS] + [("moon", "paper"), ("moon_noise0.2", "variant")]
    for j, (ds, source) in enumerate(plan):
        methods = MAIN + (["simpor_no_al", "simpor_no_ascent"] if j < 3 or ds.startswith("moon") else [])
        for trial in range(2):
            for k, m in enumerate(methods):
                f1 = 0.6 + 0.05 * (m == "simpor") - 0.04 * (m == "none") + 0.01 * rng.normal()
                out.append({"dataset": ds, "source": source, "trial": trial, "method": m, "f1": f1,
                            "auc": f1 + 0.1, "precision": f1, "recall": f1, "resample_s": 0.1 * (k + 1),
                            "fit_s": 1.0, "fallback": False, "n_class0": 90 - j, "n_class1": 10 + j})
    return out


@pytest.fixture(scope="module")
def payload() -> dict:
    records = _records()
    methods = [m for m in summary.METHODS if any(r["method"] == m for r in records)]
    return {"settings": {"trials": 2}, "methods": methods, "figures": {}, "records": records,
            "summary": summary.summarise(records, methods),
            "bayes_ceiling": {k: {"f1": f1, "n_points": 10, "n_test": 400, "sd_test": 0.015}
                              for k, f1 in (("0.3", 0.906), ("0.2", 0.968))}}


def test_missing_methods_are_compared_only_where_present(payload):
    s = payload["summary"]
    assert s["ranked_datasets"] == [*SETS, "moon"]  # the variant is left out
    assert s["main_methods"] == MAIN
    t = s["tests"]["f1"]
    assert t["friedman"]["n"] == 9 and t["friedman"]["k"] == 4 and t["methods"] == MAIN
    vs = s["simpor_vs"]["f1"]
    assert [vs[m]["n"] for m in ("smote", "simpor_no_al", "simpor_no_ascent")] == [9, 4, 4]
    assert {vs[m]["family"] for m in ("smote", "ros", "none")} == {"baselines"}
    assert vs["simpor_no_al"]["family"] == "ablations"
    assert vs["none"]["wins"] == 9 and vs["none"]["holm_p"] >= vs["none"]["wilcoxon_p"]
    subset = s["all_methods_subset"]["f1"]
    assert subset["datasets"] == ["set0", "set1", "set2", "moon"] and len(subset["methods"]) == 6
    assert set(s["winners"]["f1"]["set0"]) <= set(MAIN)


def test_reports_render_with_gaps(payload):
    block = report.doc_block(payload)
    assert "Friedman p" in block and "Holm" in block and "SIMPOR w/o AL" in block
    assert "Moon, noise 0.2 | macro F1 | 0.968" in block and "Moon, noise 0.3 | macro F1 | 0.906" in block
    assert "above the ceiling at noise 0.3 (by 1.0 standard deviations of a 2-trial mean" in block
    md = report.results_markdown(payload)
    assert "| set5 | keel |" in md and "—" in md.split("| set5 | keel |")[1].split("\n")[0]


def test_replace_block_touches_only_the_block(tmp_path):
    doc = tmp_path / "README.md"
    doc.write_text(f"# Title\n\nbefore\n{report.BEGIN}\nold\n{report.END}\nafter\n")
    report.replace_block(doc, "new 1\nnew 2")
    assert doc.read_text() == f"# Title\n\nbefore\n{report.BEGIN}\nnew 1\nnew 2\n{report.END}\nafter\n"
    (tmp_path / "other.md").write_text("no markers")
    with pytest.raises(ValueError, match="no generated block"):
        report.replace_block(tmp_path / "other.md", "x")


def test_readme_headline_is_current():
    """README.md's generated block is what `python bench/summary.py bench/results --docs` writes."""
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme, results = root / "README.md", root / "bench" / "results" / "results.json"
    if not (readme.is_file() and results.is_file()):
        pytest.skip("README.md or bench/results/results.json is not beside the tests")
    payload = json.loads(results.read_text())
    summary.summarise_payload(payload)
    text = readme.read_text(encoding="utf-8")
    assert f"{report.BEGIN}\n{report.headline_block(payload)}\n{report.END}" in text
