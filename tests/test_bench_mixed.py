"""bench/mixed_quality.py: every method scored on a mixed and an all-categorical
set, the encodings, the cross-validated smoothing, and --resume."""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SIMPOR_DATA_DIR") or REPO.parent / "shared" / "data")

needs_data = pytest.mark.skipif(not (DATA / "mixed" / "zoo_3.csv").is_file() or not (DATA / "keel").is_dir(),
                                reason=f"the mixed data sets are not in {DATA}")


@pytest.fixture(autouse=True)
def package_log_level():
    """The script sets the package logger's level, as a script may; the tests after this one see it as it was."""
    logger = logging.getLogger("simpor_ext")
    level = logger.level
    yield
    logger.setLevel(level)


@needs_data
def test_every_method_scores_on_a_mixed_and_a_categorical_set(tmp_path):
    import mixed_quality as mq

    methods = "simpor,smotenc,ros,none,simpor_onehot,simpor_frequent,simpor_lcv"
    argv = ["--datasets", "zoo_3", "abalone9-18", "--trials", "1", "--methods", methods, "--max-epochs", "5",
            "--out", str(tmp_path), "--data-dir", str(DATA)]
    assert mq.main(argv) == 0
    payload = json.loads((tmp_path / "mixed_results.json").read_text())
    records = payload["records"]
    assert {(r["dataset"], r["method"]) for r in records} == {(ds, m) for ds in ("zoo_3", "abalone9-18")
                                                             for m in methods.split(",")}
    assert not [r for r in records if r["fallback"]], [r["error"] for r in records if r["fallback"]]
    for r in records:  # every oversampler balanced the fold
        if r["method"] != "none":
            assert r["n_class0"] == r["n_class1"], r
        assert 0 <= r["f1"] <= 1
    assert {r["n_categorical"] for r in records if r["dataset"] == "zoo_3"} == {16}
    assert {(r["n_numeric"], r["n_categorical"]) for r in records if r["dataset"] == "abalone9-18"} == {(7, 1)}
    assert "| SIMPOR vs |" in (tmp_path / "mixed_results.md").read_text()
    # --resume runs only what is missing
    assert mq.main(argv[:6] + ["ros,simpor_seed"] + argv[7:] + ["--resume"]) == 0
    again = json.loads((tmp_path / "mixed_results.json").read_text())["records"]
    assert len(again) == len(records) + 2


def test_cross_validated_smoothing_follows_the_data():
    """Columns whose category decides the density's shape ask for little smoothing; noise columns for a lot."""
    import mixed_quality as mq

    rng = np.random.default_rng(0)
    n = 300
    group = rng.integers(0, 3, n)
    X = pd.DataFrame({"x": rng.normal(size=n) + 4 * group, "g": group.astype(str).astype(object)})
    noise = X.assign(g=rng.integers(0, 3, n).astype(str).astype(object))
    assert mq.lcv_smoothing(X, ["g"]) < 0.2 and mq.lcv_smoothing(noise, ["g"]) > 0.5


def test_readme_block_is_the_committed_run():
    """The README's mixed-data table is what bench/mixed_quality.py --report writes from the committed records."""
    import mixed_quality as mq

    payload = json.loads((REPO / "bench" / "results" / "mixed" / "mixed_results.json").read_text())
    summary, markdown = mq.report_of(payload["records"], payload["methods"])
    assert f"{mq.BEGIN}\n{mq.readme_block(summary)}\n{mq.END}" in (REPO / "README.md").read_text()
    assert (REPO / "bench" / "results" / "mixed" / "mixed_results.md").read_text() == markdown + "\n"
