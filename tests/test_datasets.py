"""bench/keel.py and bench/data_sets.py: the KEEL parser on synthetic text, fold
discovery, the imblearn .npz loader, the Breast Cancer builder, the package's
Moon builder (simpor_ext.moon), and (when the data folder is there) every
real data set."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import data_sets
import keel
from simpor_ext.moon import MOON_NOISE, make_moon


DATA = data_sets.find_data_dir()
needs_keel = pytest.mark.skipif(not (DATA / "keel").is_dir(), reason=f"KEEL data not found at {DATA / 'keel'}")
needs_imblearn = pytest.mark.skipif(not (DATA / "imblearn-benchmark").is_dir(),
                                    reason=f"imblearn benchmark data not found at {DATA / 'imblearn-benchmark'}")

# Nominal input first, ranges with and without a space, integer type, double
# spaces and tabs, "@input"/"@output" singular, a comment and blank lines.
KEEL_TEXT = """@relation  toy
@attribute Sex {M, F, I}
@attribute Length real [0.075, 0.815]
@attribute\tRings integer[1,29]
@attribute Width REAL[0.0,1.0]
@attribute Class  {positive,negative}
@input Sex, Length, Rings, Width
@output Class
% a comment line
@data

F, 0.53, 3, 0.1, negative
 M ,0.475 ,  7,0.2,positive\t
I,\t0.2, 10, 0.3,  negative
"""


def test_parse_onehot_nominal_and_whitespace():
    t = keel.parse_keel(KEEL_TEXT)
    assert t.relation == "toy"
    assert t.feature_names == ["Sex=M", "Sex=F", "Sex=I", "Length", "Rings", "Width"]
    expected = np.array([[0, 1, 0, 0.53, 3, 0.1], [1, 0, 0, 0.475, 7, 0.2], [0, 0, 1, 0.2, 10, 0.3]])
    np.testing.assert_array_equal(t.X, expected)
    assert t.X.dtype == np.float64
    np.testing.assert_array_equal(t.y, [0, 1, 0])
    assert [a.kind for a in t.attributes] == ["nominal", "real", "integer", "real", "nominal"]
    assert t.output == "Class"


def test_parse_ordinal_nominal():
    t = keel.parse_keel(KEEL_TEXT, nominal="ordinal")
    assert t.feature_names == ["Sex", "Length", "Rings", "Width"]
    np.testing.assert_array_equal(t.X[:, 0], [1, 0, 2])  # index in the declared {M, F, I}


def test_crlf_line_ends():
    t = keel.parse_keel(KEEL_TEXT.replace("\n", "\r\n"))
    assert t.X.shape == (3, 6)
    np.testing.assert_array_equal(t.y, [0, 1, 0])


def test_onehot_columns_come_from_the_header_not_the_values():
    # A test fold without any "I" rows must still get the Sex=I column.
    text = KEEL_TEXT.replace("I,\t0.2, 10, 0.3,  negative\n", "")
    t = keel.parse_keel(text)
    assert t.feature_names[:3] == ["Sex=M", "Sex=F", "Sex=I"]
    assert t.X.shape == (2, 6)
    assert not t.X[:, 2].any()


def test_inputs_order_drives_columns_and_unlisted_attributes_are_dropped():
    text = KEEL_TEXT.replace("@input Sex, Length, Rings, Width", "@inputs Width, Length")
    t = keel.parse_keel(text)
    assert t.feature_names == ["Width", "Length"]
    np.testing.assert_array_equal(t.X[:, 0], [0.1, 0.2, 0.3])


def test_without_inputs_outputs_the_last_attribute_is_the_class():
    text = "\n".join(l for l in KEEL_TEXT.splitlines() if not l.startswith(("@input", "@output")))
    t = keel.parse_keel(text)
    assert t.output == "Class"
    assert t.X.shape == (3, 6)


def test_other_positive_label():
    t = keel.parse_keel(KEEL_TEXT, positive_label="negative")
    np.testing.assert_array_equal(t.y, [1, 0, 1])


@pytest.mark.parametrize(
    "row, match",
    [
        ("F, 0.53, 3, 0.1, 1.0, negative", "expected 5 values"),
        ("F, 0.53, 3, negative", "expected 5 values"),
        ("X, 0.53, 3, 0.1, negative", "not among the declared"),
        ("F, ?, 3, 0.1, negative", "missing value"),
        ("F, abc, 3, 0.1, negative", "not a number"),
    ],
)
def test_malformed_rows_raise_with_line_number(row, match):
    lineno = len(KEEL_TEXT.splitlines()) + 1
    with pytest.raises(ValueError, match=rf"line {lineno}: .*{match}"):
        keel.parse_keel(KEEL_TEXT + row + "\n")


def test_malformed_header_raises():
    with pytest.raises(ValueError, match="no @data"):
        keel.parse_keel(KEEL_TEXT.split("@data")[0])
    with pytest.raises(ValueError, match="not a declared attribute"):
        keel.parse_keel(KEEL_TEXT.replace("@output Class", "@output Klass"))
    with pytest.raises(ValueError, match="cannot parse attribute"):
        keel.parse_keel(KEEL_TEXT.replace("@attribute Length real", "@attribute Length string"))
    with pytest.raises(ValueError, match="nominal must be"):
        keel.parse_keel(KEEL_TEXT, nominal="binary")


def _write_keel_folder(root: Path, name: str, prefix: str, folds: list[int]) -> None:
    folder = root / "keel" / name
    folder.mkdir(parents=True)
    for k in folds:
        for part in ("tra", "tst"):
            (folder / f"{prefix}-5-{k}{part}.dat").write_text(KEEL_TEXT)
    (folder / "README.txt").write_text("not a fold")


def test_fold_discovery_prefix_and_missing_fold(tmp_path):
    _write_keel_folder(tmp_path, "pima", "pimaImb", [1, 2, 3, 4, 5])
    _write_keel_folder(tmp_path, "abalone9-18", "abalone9-18", [1, 2, 3, 4])
    (tmp_path / "keel" / "empty").mkdir()
    assert keel.keel_names(tmp_path) == ["abalone9-18", "pima"]
    pairs = keel.keel_fold_paths("pima", tmp_path)
    assert [p.name for p, _ in pairs] == [f"pimaImb-5-{k}tra.dat" for k in range(1, 6)]
    assert [p.name for _, p in pairs] == [f"pimaImb-5-{k}tst.dat" for k in range(1, 6)]
    folds = list(keel.keel_folds("abalone9-18", tmp_path))
    assert [f.fold for f in folds] == [0, 1, 2, 3]
    assert folds[0].X_train.shape == (3, 6) and folds[0].X_test.shape == (3, 6)
    assert folds[0].feature_names[0] == "Sex=M"
    with pytest.raises(FileNotFoundError):
        keel.keel_fold_paths("nope", tmp_path)


def test_data_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SIMPOR_DATA_DIR", str(tmp_path))
    assert data_sets.find_data_dir() == tmp_path
    assert data_sets.find_data_dir(tmp_path / "x") == tmp_path / "x"
    with pytest.raises(FileNotFoundError, match="--data-dir"):
        keel.keel_names()
    monkeypatch.delenv("SIMPOR_DATA_DIR")
    # The default is beside the repository bench/ lives in, not beside the installed package.
    assert data_sets.find_data_dir() == data_sets.DEFAULT_DATA_DIR
    assert data_sets.DEFAULT_DATA_DIR == Path(__file__).resolve().parents[2] / "shared" / "data"


def test_imblearn_npz_loader_and_folds(tmp_path):
    folder = tmp_path / "imblearn-benchmark"
    folder.mkdir()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    label = np.where(np.arange(50) < 10, 1, -1)
    np.savez(folder / "toy.npz", data=X, label=label)
    assert data_sets.imblearn_names(tmp_path) == ["toy"]
    X2, y = data_sets.load_imblearn("toy", tmp_path)
    np.testing.assert_array_equal(X2, X)
    assert y.dtype == np.int64 and y.sum() == 10 and set(np.unique(y)) == {0, 1}
    folds = list(data_sets.imblearn_folds("toy", tmp_path))
    assert len(folds) == 5
    assert all(f.y_test.sum() == 2 for f in folds)  # stratified
    test_rows = np.sort(np.concatenate([np.flatnonzero((X[:, None] == f.X_test[None]).all(-1).any(1)) for f in folds]))
    np.testing.assert_array_equal(test_rows, np.arange(50))


def test_make_moon_matches_paper_sizes():
    s = make_moon(random_state=3)
    assert np.bincount(s.y_train).tolist() == [1200, 400]
    assert np.bincount(s.y_test).tolist() == [300, 100]
    assert s.X_train.shape == (1600, 2)
    t = make_moon(random_state=3)
    np.testing.assert_array_equal(s.X_train, t.X_train)
    assert not np.array_equal(s.X_train, make_moon(random_state=4).X_train)
    assert MOON_NOISE > 0


@pytest.mark.parametrize("ir, n_min", [(3, 120), (7, 50)])
def test_make_breast_cancer_matches_table2(ir, n_min):
    s = data_sets.make_breast_cancer(ir, random_state=0)
    assert int(np.sum(s.y_train == 0) + np.sum(s.y_test == 0)) == 357
    assert int(np.sum(s.y_train == 1) + np.sum(s.y_test == 1)) == n_min
    assert s.X_train.shape[1] == 30
    assert len(s.y_test) == pytest.approx(0.2 * (357 + n_min), abs=1)
    assert s.imbalance_ratio == pytest.approx(357 / n_min, rel=0.1)


# --------------------------------------------------------------------------
# Real data (skipped when ../shared/data is absent)
# --------------------------------------------------------------------------
@needs_keel
def test_every_real_keel_set_parses():
    names = keel.keel_names(DATA)
    assert len(names) == 44
    for name in names:
        folds = list(keel.keel_folds(name, DATA))
        assert len(folds) == (4 if name == "abalone9-18" else 5), name
        for f in folds:
            assert f.X_train.shape[1] == f.X_test.shape[1] and np.isfinite(f.X_train).all()
            assert 0 < f.y_train.sum() < len(f.y_train), name


@needs_keel
def test_real_abalone_nominal_sex_is_encoded():
    f = next(keel.keel_folds("abalone9-18", DATA))
    assert f.feature_names[:3] == ["Sex=M", "Sex=F", "Sex=I"]
    np.testing.assert_array_equal(f.X_train[:, :3].sum(1), 1.0)
    g = next(keel.keel_folds("abalone9-18", DATA, nominal="ordinal"))
    assert set(np.unique(g.X_train[:, 0])) <= {0.0, 1.0, 2.0}
    assert len(keel.keel_fold_paths("pima", DATA)) == 5


@needs_imblearn
def test_real_imblearn_sets_load():
    names = data_sets.imblearn_names(DATA)
    assert len(names) == 22
    X, y = data_sets.load_imblearn("ecoli", DATA)
    assert X.shape == (336, 7) and int(y.sum()) == 35
    X, y = data_sets.load_imblearn("abalone_19", DATA)
    assert int(y.sum()) == 32
