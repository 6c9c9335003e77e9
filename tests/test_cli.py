"""The ``simpor-ext`` command line on small files.

Success paths and every bad-input path run the real command as a subprocess
(``python -m simpor_ext``) and check the exit status, that stderr is one line
without a traceback, that the input is byte-identical afterwards and that no
output (nor temporary file) is left behind. Each subprocess pays the package
import, so the long matrix of bad option values also runs in-process through
``cli.main`` (the same code the console script calls), with a sample of it as
subprocesses.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simpor_ext
from cli_process import CLI_TIMEOUT, cli_env, run_cli
from simpor_ext import _cli_tables, cli

N_MAJORITY, N_MINORITY = 60, 20
FEATURES = ["height", "width", "depth"]


# ----------------------------------------------------------------- helpers
def run_main(*args, cwd: Path, capsys) -> tuple[int, str, str]:
    """``cli.main`` in this process: (exit status, stdout, stderr)."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        with warnings.catch_warnings():
            try:
                code = cli.main([str(a) for a in args])
            except SystemExit as exc:  # argparse: --help, --version, usage errors
                code = exc.code
    finally:
        os.chdir(old)
    out, err = capsys.readouterr()
    return code, out, err


def blobs(seed: int = 0) -> pd.DataFrame:
    """Two overlapping Gaussian blobs in 3-D, string labels, named columns."""
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(0.0, 1.0, (N_MAJORITY, 3)), rng.normal(1.5, 1.0, (N_MINORITY, 3))])
    df = pd.DataFrame(X, columns=FEATURES)
    df["label"] = ["neg"] * N_MAJORITY + ["pos"] * N_MINORITY
    return df


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.csv"
    blobs().to_csv(path, index=False)
    return path


def folder_state(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (hidden temp files too)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def check_error(code: int, err: str, expected: int, *needles: str) -> None:
    assert code == expected, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]


def check_balanced(out: pd.DataFrame, original: pd.DataFrame) -> None:
    """Original rows first and unchanged, then minority rows up to parity."""
    assert list(out.columns[: original.shape[1]]) == list(original.columns)
    counts = out["label"].value_counts()
    assert counts["pos"] == counts["neg"] == N_MAJORITY
    pd.testing.assert_frame_equal(out.iloc[: len(original)][list(original.columns)], original)
    assert np.isfinite(out[FEATURES].to_numpy()).all()
    assert (out["label"].iloc[len(original):] == "pos").all()


# ------------------------------------------------------------------ basics
def test_help_lists_the_commands(tmp_path):
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("demo", "balance", "info"):
        assert command in result.stdout


def test_version_and_usage_errors(tmp_path, capsys):
    code, out, _ = run_main("--version", cwd=tmp_path, capsys=capsys)
    assert code == 0 and simpor_ext.__version__ in out
    check_error(*run_main(cwd=tmp_path, capsys=capsys)[::2], 2, "COMMAND")
    check_error(*run_main("frobnicate", cwd=tmp_path, capsys=capsys)[::2], 2, "frobnicate")


def test_info(tmp_path, capsys):
    info = simpor_ext.device_info()
    result = run_cli("info", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert simpor_ext.__version__ in result.stdout
    assert "native backends: cpu" in result.stdout
    assert ("OpenMP" in result.stdout) == bool(info["cpu"].get("openmp"))
    if not info["cuda_available"]:
        assert info["cuda_reason"] in result.stdout
    code, out, err = run_main("info", "--json", cwd=tmp_path, capsys=capsys)
    assert code == 0, err
    report = json.loads(out)
    assert report["version"] == simpor_ext.__version__
    assert report["cuda_available"] == info["cuda_available"]
    assert report["cpu"] == info["cpu"]


# --------------------------------------------------------- balance: success
def test_balance_csv_twice_same_bytes(tmp_path, csv_file):
    before = csv_file.read_bytes()
    for name in ("a.csv", "b.csv"):
        result = run_cli("balance", csv_file, "-o", name, "--target", "label", "--random-state", "7",
                         cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    assert csv_file.read_bytes() == before
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    check_balanced(pd.read_csv(tmp_path / "a.csv"), pd.read_csv(csv_file))
    summary = result.stdout.strip().splitlines()[-1]
    assert f"pos +{N_MAJORITY - N_MINORITY}" in summary and "neg +0" in summary
    assert " s on cpu" in summary or " s on cuda" in summary
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv", "data.csv"]


def test_balance_parquet_with_origin_column(tmp_path):
    source = tmp_path / "data.parquet"
    blobs().to_parquet(source, index=False)
    before = source.read_bytes()
    result = run_cli("balance", source, "-o", "out.parquet", "--target", "label", "--origin-column", "origin",
                     "--random-state", "1", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert source.read_bytes() == before
    out = pd.read_parquet(tmp_path / "out.parquet")
    check_balanced(out.drop(columns="origin"), pd.read_parquet(source))
    n = N_MAJORITY + N_MINORITY
    assert out["origin"].iloc[:n].isna().all()
    grown = out["origin"].iloc[n:].to_numpy(dtype=int)
    assert ((grown >= N_MAJORITY) & (grown < n)).all()  # grown from minority rows only


def test_every_sampler_option_three_classes(tmp_path):
    """Every flag at once, TSV in, gzip CSV out, integer labels and an integer feature."""
    rng = np.random.default_rng(3)
    df = pd.DataFrame(rng.normal(size=(90, 2)), columns=["x", "y"])
    df["count"] = rng.integers(0, 9, 90)
    df["cls"] = [0] * 50 + [1] * 25 + [2] * 15
    df.loc[df["cls"] == 1, "x"] += 2.0
    df.loc[df["cls"] == 2, "y"] += 2.0
    source = tmp_path / "three.tsv"
    df.to_csv(source, sep="\t", index=False)
    result = run_cli(
        "balance", source, "-o", "out.csv.gz", "--target", "cls", "--progress",
        "--sampling-strategy", "1:40,2:30", "--k-neighbors", "5", "--bandwidth", "0.5", "--max-iter", "50",
        "--step", "0.2", "--tol", "1e-4", "--step-rule", "newton", "--scorer", "mlp", "--contrast", "majority",
        "--device", "cpu", "--n-jobs", "1", "--random-state", "2",
        "--initial-size", "30", "--query-size", "0.2", "--entropy-threshold", "0.5", "--max-rounds", "2",
        "--refit-epochs", "none", "--mlp-params", '{"max_iter": 30}', "--scoring-batch-size", "64",
        cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "sample" in result.stderr and "100%" in result.stderr  # the progress bar
    out = pd.read_csv(tmp_path / "out.csv.gz", sep=",")
    assert dict(out["cls"].value_counts()) == {0: 50, 1: 40, 2: 30}
    assert out["count"].dtype.kind == "i"  # integer features stay integers
    assert "1 +15" in result.stdout and "2 +15" in result.stdout and "0 +0" in result.stdout


def test_no_informative_and_overwrite(tmp_path, csv_file):
    (tmp_path / "out.csv").write_text("old\n")
    result = run_cli("balance", csv_file, "-o", "out.csv", "--target", "label", "--no-informative", "--overwrite",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    check_balanced(pd.read_csv(tmp_path / "out.csv"), pd.read_csv(csv_file))


# ------------------------------------------------------------ balance: errors
def _text_columns(df):
    return df.assign(city="Tampa", zone=list("ab") * (len(df) // 2))


def _nan(df):
    df = df.copy()
    df.loc[7, "width"] = np.nan
    return df


def _inf(df):
    df = df.copy()
    df.loc[11, "depth"] = np.inf
    return df


def _one_class(df):
    return df.assign(label="neg")


def _label_nan(df):
    df = df.copy()
    df.loc[3, "label"] = None
    return df


BAD_DATA = {
    "nan": (_nan, ["NaN", "row 7", "'width'"]),
    "inf": (_inf, ["infinite", "row 11", "'depth'"]),
    "one class": (_one_class, ["single class", "'neg'"]),
    "one integer class": (lambda df: df.assign(label=0), ["single class (0);"]),  # not np.int64(0)
    "fractional labels": (lambda df: df.assign(label=np.linspace(0, 1, len(df))),
                          ["'label'", "fractional", "class labels"]),
    "header only": (lambda df: df.iloc[:0], ["no rows", "bad.csv"]),  # not 'non-numeric feature columns'
    "missing label": (_label_nan, ["NaN", "row 3", "'label'"]),
}


@pytest.mark.parametrize("case", sorted(BAD_DATA))
def test_bad_data(tmp_path, case):
    make, needles = BAD_DATA[case]
    source = tmp_path / "bad.csv"
    make(blobs()).to_csv(source, index=False)
    state = folder_state(tmp_path)
    result = run_cli("balance", source, "-o", "out.csv", "--target", "label", cwd=tmp_path)
    check_error(result.returncode, result.stderr, 1, *needles)
    assert folder_state(tmp_path) == state  # input byte-identical, nothing written


def test_text_columns_are_categories(tmp_path):
    """Text columns were refused ('non-numeric feature columns'); they are categories now."""
    df = _text_columns(blobs()).assign(zone=lambda f: np.where(f["label"] == "pos", "b", f["zone"]))
    df.to_csv(tmp_path / "data.csv", index=False)
    result = run_cli("balance", "data.csv", "-o", "out.csv", "--target", "label", "--no-informative", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = pd.read_csv(tmp_path / "out.csv")
    new = out.iloc[len(df):]
    assert set(new["zone"]) == {"b"} and set(new["city"]) == {"Tampa"} and set(new["label"]) == {"pos"}


def test_categorical_flag_names_integer_coded_columns(tmp_path):
    df = blobs().assign(level=lambda f: np.where(f["label"] == "pos", 3, np.arange(len(f)) % 5))
    df.to_csv(tmp_path / "data.csv", index=False)
    result = run_cli("balance", "data.csv", "-o", "out.csv", "--target", "label", "--no-informative",
                     "--categorical", "level", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert set(pd.read_csv(tmp_path / "out.csv")["level"].iloc[len(df):]) == {3}


@pytest.mark.parametrize("flag, needles", [("none", ["'city'", "do not hold numbers", "name them in --categorical"]),
                                           ("height,nope", ["unknown column", "'nope'"])])
def test_categorical_flag_errors(tmp_path, flag, needles):
    _text_columns(blobs()).to_csv(tmp_path / "data.csv", index=False)
    result = run_cli("balance", "data.csv", "-o", "out.csv", "--target", "label", "--categorical", flag, cwd=tmp_path)
    check_error(result.returncode, result.stderr, 1, *needles)


def test_huge_value_gives_finite_output(tmp_path):
    """The CLI refuses inf in its input; it wrote inf in its output when one
    value above ~1e154 overflowed the standard deviation."""
    df = blobs()
    df.loc[0, "height"] = 1e300
    df.to_csv(tmp_path / "data.csv", index=False)
    result = run_cli("balance", "data.csv", "-o", "out.csv", "--target", "label", "--no-informative",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = pd.read_csv(tmp_path / "out.csv")
    assert np.isfinite(out[FEATURES].to_numpy()).all()
    assert len(out) == 2 * N_MAJORITY


def test_narrow_integer_columns_stay_in_range(tmp_path):
    """A uint8 column failed after all the work ('Cannot losslessly cast')."""
    rng = np.random.default_rng(0)
    df = blobs().assign(level=rng.integers(0, 4, N_MAJORITY + N_MINORITY).astype(np.uint8),
                        small=rng.integers(-3, 3, N_MAJORITY + N_MINORITY).astype(np.int8))
    df.to_parquet(tmp_path / "data.parquet", index=False)
    result = run_cli("balance", "data.parquet", "-o", "out.parquet", "--target", "label", "--no-informative",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert out["level"].dtype == np.uint8 and out["small"].dtype == np.int8
    for name in ("level", "small"):
        assert out[name].between(df[name].min(), df[name].max()).all()


def test_wide_file_no_fragmentation_warning(tmp_path):
    """pandas' 'DataFrame is highly fragmented' warning was relayed for wide
    files with mixed dtypes; warnings are shown here (PYTHONWARNINGS=default)."""
    rng = np.random.default_rng(0)
    n = N_MAJORITY + N_MINORITY
    df = pd.DataFrame({f"c{j}": rng.normal(size=n) if j % 2 else rng.integers(0, 5, n) for j in range(240)})
    df["label"] = blobs()["label"]
    df.to_csv(tmp_path / "wide.csv", index=False)
    result = run_cli("balance", "wide.csv", "-o", "out.csv", "--target", "label", "--no-informative",
                     "--max-iter", "3", "--origin-column", "origin", cwd=tmp_path, PYTHONWARNINGS="default")
    assert result.returncode == 0, result.stderr
    assert "fragmented" not in result.stderr and "Warning" not in result.stderr, result.stderr
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns) == [*df.columns, "origin"] and len(out) == 2 * N_MAJORITY


@pytest.mark.parametrize("rows, needle", [
    (lambda df: df.iloc[: N_MAJORITY + 1], "simpor-ext: warning: class 'pos' has a single sample"),
    (lambda df: df.assign(**{c: df[c].where(df["label"] == "neg", 1.0) for c in FEATURES}),
     "simpor-ext: warning: class 'pos': its 20 rows are identical, so its 40 synthetic rows are exact copies"),
], ids=["single sample", "identical rows"])
def test_library_warnings_are_one_prefixed_line(tmp_path, rows, needle):
    rows(blobs()).to_csv(tmp_path / "data.csv", index=False)
    result = run_cli("balance", "data.csv", "-o", "out.csv", "--target", "label", "--no-informative",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith(needle) for line in lines), result.stderr
    assert all(line.startswith("simpor-ext: ") for line in lines), result.stderr


def test_sigterm_cleans_up_like_ctrl_c(tmp_path):
    """Job schedulers and container stops send SIGTERM: exit status 143, one
    line, and no hidden temporary file beside the output."""
    rng = np.random.default_rng(0)
    n0, n1 = 8000, 1000  # several seconds of ascent on one thread
    df = pd.DataFrame(np.vstack([rng.normal(size=(n0, 8)), rng.normal(size=(n1, 8)) + 0.5]),
                      columns=[f"f{j}" for j in range(8)]).assign(label=[0] * n0 + [1] * n1)
    df.to_csv(tmp_path / "big.csv", index=False)
    state = folder_state(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "simpor_ext", "balance", "big.csv", "-o", "out.csv", "--target",
                             "label", "--no-informative", "--n-jobs", "1"], cwd=tmp_path, env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + CLI_TIMEOUT
        while not any(p.name.startswith(".out.csv.") for p in tmp_path.iterdir()):  # the work has begun
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=CLI_TIMEOUT)
    finally:
        proc.kill()
    check_error(proc.returncode, err, 143, "terminated")
    assert folder_state(tmp_path) == state


def test_missing_input(tmp_path):
    result = run_cli("balance", "nope.csv", "-o", "out.csv", "--target", "label", cwd=tmp_path)
    check_error(result.returncode, result.stderr, 1, "not found", "nope.csv")
    assert list(tmp_path.iterdir()) == []


def test_unknown_target_column(tmp_path, csv_file):
    state = folder_state(tmp_path)
    result = run_cli("balance", csv_file, "-o", "out.csv", "--target", "class", cwd=tmp_path)
    check_error(result.returncode, result.stderr, 1, "'class'", "'label'")
    assert folder_state(tmp_path) == state


FAST = ["--no-informative", "--max-iter", "5", "--random-state", "3"]


@pytest.mark.parametrize("sep", [";", "\t", "|"], ids=["semicolon", "tab", "pipe"])
def test_other_delimiters_in_a_csv_are_detected(tmp_path, capsys, sep):
    """A ';'-separated .csv was read as one column 'f1;f2;f3;label'."""
    blobs().to_csv(tmp_path / "comma.csv", index=False)
    blobs().to_csv(tmp_path / "other.csv", index=False, sep=sep)
    for name in ("comma", "other"):
        code, _, err = run_main("balance", f"{name}.csv", "-o", f"{name}_out.csv", "--target", "label", *FAST,
                                cwd=tmp_path, capsys=capsys)
        assert code == 0, err
    assert (tmp_path / "other_out.csv").read_bytes() == (tmp_path / "comma_out.csv").read_bytes()


@pytest.mark.parametrize("sep, shown", [(";", "';'"), ("\t", "tab")], ids=["semicolon", "tab"])
def test_missing_target_names_the_delimiter_the_header_shows(tmp_path, capsys, sep, shown):
    blobs().to_csv(tmp_path / "data.csv", index=False, sep=sep)
    state = folder_state(tmp_path)
    code, _, err = run_main("balance", "data.csv", "-o", "out.csv", "--target", "label", "--sep", ",",
                            cwd=tmp_path, capsys=capsys)
    check_error(code, err, 1, "'label' not in data.csv", f"looks {shown}-separated", f"--sep {shown}")
    assert folder_state(tmp_path) == state
    code, _, err = run_main("balance", "data.csv", "-o", "out.csv", "--target", "label", "--sep",
                            "tab" if sep == "\t" else sep, *FAST, cwd=tmp_path, capsys=capsys)
    assert code == 0, err


def test_sep_with_parquet_is_a_usage_error(tmp_path, capsys):
    blobs().to_parquet(tmp_path / "data.parquet", index=False)
    code, _, err = run_main("balance", "data.parquet", "-o", "out.csv", "--target", "label", "--sep", ";",
                            cwd=tmp_path, capsys=capsys)
    check_error(code, err, 2, "--sep", "Parquet")


def test_summary_lists_classes_in_sorted_order(tmp_path, capsys):
    """The README shows the classes sorted (the sampler's order); the summary followed the file's."""
    blobs().iloc[::-1].to_csv(tmp_path / "data.csv", index=False)  # 'pos' rows first
    code, out, err = run_main("balance", "data.csv", "-o", "out.csv", "--target", "label", *FAST, cwd=tmp_path,
                              capsys=capsys)
    assert code == 0, err
    assert "per class: neg +0 (60 -> 60), pos +40 (20 -> 60);" in out, out


def test_step_help_names_every_rule_that_uses_it(tmp_path, capsys):
    """newton (and auto through it) starts from --step; hessian uses it only where its model has no maximum."""
    code, out, _ = run_main("balance", "--help", cwd=tmp_path, capsys=capsys)
    assert code == 0
    text = " ".join(out.split())
    start = text.index("--step RAD the ascent")  # its help, not the usage line
    step = text[start:text.index("--tol TOL", start)]
    assert "the ascent's first trial angle in radians, in (0, pi/2]" in step, step
    assert "(hessian: where its model has no maximum)" in step, step


@pytest.mark.parametrize("recorded", ["cuda", "cpu,cuda"])
def test_summary_describes_the_recorded_device_without_resolving_it(tmp_path, csv_file, capsys, monkeypatch,
                                                                    recorded):
    """The summary resolved ``device_`` again after the fit: "cuda" raised on a
    client without a GPU, and a cluster's "cpu,cuda" is no device name; both
    after the output was written."""
    fit_resample = simpor_ext.SIMPOR.fit_resample

    def fit_recording(self, X, y):
        result = fit_resample(self, X, y)
        self.device_ = recorded  # as a fit on a GPU (or on a mixed cluster) records it
        return result

    monkeypatch.setattr(simpor_ext.SIMPOR, "fit_resample", fit_recording)
    code, out, err = run_main("balance", csv_file, "-o", "out.csv", "--target", "label", *FAST, cwd=tmp_path,
                              capsys=capsys)
    assert code == 0, err
    assert re.search(rf" s on {re.escape(recorded)}( \(.+\))?; wrote out.csv$", out.strip()), out


@pytest.mark.parametrize("how", ["signal", "raised"])
def test_ctrl_c_after_the_output_is_written_completes_the_run(tmp_path, csv_file, capsys, monkeypatch, how):
    """Ctrl-C once the output was renamed into place ended in 'interrupted'
    (exit 130) beside a complete file. Now the run is complete: exit 0 and
    the summary; a signal that came in time to be seen is named."""
    commit = _cli_tables.AtomicOutput.commit

    def commit_then_ctrl_c(self, *args):
        commit(self, *args)
        if how == "signal":
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)  # the handler runs here
        else:  # a signal caught just before the rename, its KeyboardInterrupt raised just after it
            raise KeyboardInterrupt

    monkeypatch.setattr(_cli_tables.AtomicOutput, "commit", commit_then_ctrl_c)
    handler = signal.getsignal(signal.SIGINT)
    code, out, err = run_main("balance", csv_file, "-o", "out.csv", "--target", "label", *FAST, cwd=tmp_path,
                              capsys=capsys)
    assert signal.getsignal(signal.SIGINT) is handler  # put back for a caller in this process
    assert code == 0, err
    assert "wrote out.csv" in out
    expected = "simpor-ext: Ctrl-C ignored: out.csv was already written\n" if how == "signal" else ""
    assert err == expected
    check_balanced(pd.read_csv(tmp_path / "out.csv"), pd.read_csv(csv_file))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "out.csv"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_as_the_output_appears_exits_0(tmp_path, csv_file):
    """The program itself, signalled the moment OUTPUT appears: exit 0, never
    'interrupted' nor killed by the signal during the interpreter's shutdown
    (where Python's handlers no longer run)."""
    script = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
              "from simpor_ext.cli import main; sys.exit(main())")
    for delay in (0.0, 0.05, 0.2):
        (tmp_path / "out.csv").unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, "-c", script, "balance", "data.csv", "-o", "out.csv", "--target",
                                 "label", *FAST], cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + CLI_TIMEOUT
            while not (tmp_path / "out.csv").exists():
                assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
                time.sleep(0.001)
            time.sleep(delay)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=CLI_TIMEOUT)
        finally:
            proc.kill()
        assert proc.returncode == 0, (delay, proc.returncode, err)
        assert "wrote out.csv" in out and "Traceback" not in err, err
        assert err in ("", "simpor-ext: Ctrl-C ignored: out.csv was already written\n"), err
        check_balanced(pd.read_csv(tmp_path / "out.csv"), pd.read_csv(csv_file))


def test_output_folder_missing(tmp_path, csv_file):
    state = folder_state(tmp_path)
    result = run_cli("balance", csv_file, "-o", "no/such/folder/out.csv", "--target", "label", cwd=tmp_path)
    check_error(result.returncode, result.stderr, 1, "does not exist")
    assert folder_state(tmp_path) == state


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write to read-only folders")
def test_output_folder_read_only(tmp_path, csv_file):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = run_cli("balance", csv_file, "-o", locked / "out.csv", "--target", "label", cwd=tmp_path)
    finally:
        locked.chmod(0o700)
    check_error(result.returncode, result.stderr, 1, "not writable")
    assert list(locked.iterdir()) == []


def test_existing_output_is_kept(tmp_path, csv_file):
    (tmp_path / "out.csv").write_text("precious\n")
    state = folder_state(tmp_path)
    result = run_cli("balance", csv_file, "-o", "out.csv", "--target", "label", cwd=tmp_path)
    check_error(result.returncode, result.stderr, 1, "exists", "--overwrite")
    assert folder_state(tmp_path) == state


def test_sampler_failure_leaves_no_output(tmp_path, csv_file):
    """A ratio below the current one passes the CLI's checks but the sampler
    refuses it after the temporary output file exists: one line, exit 1,
    nothing left behind."""
    state = folder_state(tmp_path)
    result = run_cli("balance", csv_file, "-o", "out.csv", "--target", "label", "--sampling-strategy", "0.1",
                     cwd=tmp_path)
    check_error(result.returncode, result.stderr, 1, "ratio")
    assert folder_state(tmp_path) == state


@pytest.mark.skipif(simpor_ext.cuda_available(), reason="a GPU is available here")
def test_cuda_without_gpu(tmp_path, csv_file):
    state = folder_state(tmp_path)
    result = run_cli("balance", csv_file, "-o", "out.csv", "--target", "label", "--device", "cuda", cwd=tmp_path)
    check_error(result.returncode, result.stderr, 1, "cuda")
    assert folder_state(tmp_path) == state


@pytest.mark.parametrize("failed_self_check", [False, True], ids=["no GPU", "self-check failed"])
def test_auto_device_notice(tmp_path, csv_file, capsys, monkeypatch, failed_self_check):
    """The summary names the device that ran, so the library's no-GPU notice
    is not printed; a GPU that failed its self-check is, as one line."""
    from simpor_ext import _backends
    from simpor_ext._backends import cuda as cuda_backend

    reason = ("the GPU self-check failed: its log f differs from the CPU core's by a relative L2 error of 0.01"
              if failed_self_check else "no CUDA device: cudaGetDeviceCount returned cudaErrorNoDevice (100)")
    monkeypatch.setattr(cuda_backend, "availability", lambda: (reason, failed_self_check))
    monkeypatch.setattr(_backends, "_noted", set())  # as in a fresh process
    code, out, err = run_main("balance", csv_file, "-o", "out.csv", "--target", "label", "--no-informative",
                              "--max-iter", "3", cwd=tmp_path, capsys=capsys)
    assert code == 0, err
    assert "cpu" in out or "cpu" in err
    notices = [line for line in err.splitlines() if "running on the CPU" in line]
    assert notices == ([f"simpor-ext: warning: simpor_ext: running on the CPU: {reason}"] if failed_self_check else [])


BAD_OPTIONS = [
    (["-o", "out.xlsx"], ".xlsx"),
    (["--sep", ";;"], "--sep"),
    (["--k-neighbors", "0"], "--k-neighbors"),
    (["--k-neighbors", "three"], "--k-neighbors"),
    (["--bandwidth", "-1"], "--bandwidth"),
    (["--bandwidth", "wide"], "--bandwidth"),
    (["--max-iter", "1.5"], "--max-iter"),
    (["--step", "2"], "--step"),
    (["--tol", "0"], "--tol"),
    (["--step-rule", "adaptive"], "--step-rule"),  # a baseline of bench/, not a user's choice
    (["--step-rule", "random"], "--step-rule"),
    (["--contrast", "minority"], "--contrast"),
    (["--device", "tpu"], "--device"),
    (["--n-jobs", "0"], "--n-jobs"),
    (["--random-state", "x"], "--random-state"),
    (["--scorer", "forest"], "--scorer"),
    (["--scorer", "missing.onnx"], "--scorer"),
    (["--sampling-strategy", "cats:5"], "'cats'"),
    (["--sampling-strategy", "pos:many"], "integer"),
    (["--sampling-strategy", "most"], "sampling_strategy"),
    (["--initial-size", "0"], "--initial-size"),
    (["--query-size", "1.5"], "--query-size"),
    (["--entropy-threshold", "2"], "--entropy-threshold"),
    (["--max-rounds", "-1"], "--max-rounds"),
    (["--refit-epochs", "0"], "--refit-epochs"),
    (["--mlp-params", "max_iter=3"], "--mlp-params"),
    (["--mlp-params", "[1]"], "--mlp-params"),
    (["--no-informative", "--max-rounds", "2"], "--no-informative"),
    (["--origin-column", "label"], "--origin-column"),
    (["--origin-column", "height"], "already"),
    (["-o", "data.csv", "--overwrite"], "input"),
    (["-o", "data.csv/out.csv"], "not a directory"),
]
SUBPROCESS_SAMPLE = [BAD_OPTIONS[2], BAD_OPTIONS[-2]]  # an argparse check and a CLI one


def _bad_option_args(csv_file: Path, options: list[str]) -> list:
    args = ["balance", csv_file, "--target", "label", *options]
    return args if "-o" in options else args + ["-o", "out.csv"]


@pytest.mark.parametrize("options, needle", BAD_OPTIONS, ids=[" ".join(o) for o, _ in BAD_OPTIONS])
def test_bad_option_values(tmp_path, csv_file, capsys, options, needle):
    state = folder_state(tmp_path)
    code, _, err = run_main(*_bad_option_args(csv_file, options), cwd=tmp_path, capsys=capsys)
    expected = 1 if needle == "not a directory" else 2
    check_error(code, err, expected, needle)
    assert folder_state(tmp_path) == state


@pytest.mark.parametrize("options, needle", SUBPROCESS_SAMPLE)
def test_bad_option_values_subprocess(tmp_path, csv_file, options, needle):
    state = folder_state(tmp_path)
    result = run_cli(*_bad_option_args(csv_file, options), cwd=tmp_path)
    check_error(result.returncode, result.stderr, 2, needle)
    assert folder_state(tmp_path) == state


def test_empty_input(tmp_path, capsys):
    (tmp_path / "empty.csv").write_text("")
    code, _, err = run_main("balance", "empty.csv", "-o", "out.csv", "--target", "label", cwd=tmp_path,
                            capsys=capsys)
    check_error(code, err, 1, "empty")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.csv"]


def test_failed_write_leaves_nothing(tmp_path, csv_file, capsys, monkeypatch):
    """The output is written to a temporary file and renamed: a write that
    dies half-way leaves neither a partial OUTPUT nor the temporary file."""
    def half_write(df, path, fmt):
        Path(path).write_text("height,width\n1.0,")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_cli_tables, "_write_table", half_write)
    state = folder_state(tmp_path)
    code, _, err = run_main("balance", csv_file, "-o", "out.csv", "--target", "label", "--no-informative",
                            "--max-iter", "5", cwd=tmp_path, capsys=capsys)
    check_error(code, err, 1, "No space left")
    assert folder_state(tmp_path) == state


# ---------------------------------------------- flags and README vs the code
def _code_defaults() -> dict:
    import dataclasses
    import inspect

    params = inspect.signature(simpor_ext.SIMPOR.__init__).parameters
    sampler = {n: p.default for n, p in params.items() if p.default is not inspect.Parameter.empty}
    learning = {f.name: f.default for f in dataclasses.fields(simpor_ext.ActiveLearning)}
    return {"sampler": sampler, "informative": learning}


def test_every_parameter_has_a_flag():
    from simpor_ext._cli_options import INFORMATIVE_OPTIONS, SAMPLER_OPTIONS

    defaults = _code_defaults()
    flagged = {dest for _, dest, _ in SAMPLER_OPTIONS} | {"informative", "verbose"}  # --no-informative, --progress
    assert set(defaults["sampler"]) == flagged
    assert set(defaults["informative"]) == {field for _, field, _ in INFORMATIVE_OPTIONS}


def _readme_default(text: str):
    return None if text == "None" else text.strip('"') if text.startswith('"') else \
        {"True": True, "False": False}.get(text, None if not text[0].isdigit() else float(text))


def test_readme_lists_every_parameter_with_its_default():
    readme = Path(__file__).resolve().parents[1] / "README.md"
    if not readme.is_file():
        pytest.skip("README.md is not beside the tests")
    rows = dict(re.findall(r"^\| `(\w+)` \| `([^`]+)` \|", readme.read_text(encoding="utf-8"), flags=re.M))
    for group, defaults in _code_defaults().items():
        for name, default in defaults.items():
            assert name in rows, f"README lacks the {group} parameter {name!r}"
            assert _readme_default(rows[name]) == default, f"README default of {name}: {rows[name]} != {default!r}"


# -------------------------------------------------------------------- demo
def test_demo_small(tmp_path):
    """The demo end to end at a fifth of the paper's size (the full size,
    ``simpor-ext demo``, takes under a minute on two cores)."""
    result = run_cli("demo", "--n-samples", "600", "--out", "plots", "--seed", "1", "--device", "cpu",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for method in ("raw", "SMOTE", "SIMPOR"):
        assert any(line.startswith(method + " ") for line in result.stdout.splitlines()), result.stdout
    assert "train: 0: 240, 1: 80 | test: 0: 60, 1: 20" in result.stdout
    assert "backend: cpu" in result.stdout
    png = tmp_path / "plots" / "moon_balanced.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("options, code, needle", [
    (["--n-samples", "10"], 2, "--n-samples"),
    (["--seed", "x"], 2, "--seed"),
    (["--out", "data.csv"], 1, "plot folder"),
    pytest.param(["--device", "cuda"], 1, "cuda",
                 marks=pytest.mark.skipif(simpor_ext.cuda_available(), reason="a GPU is available here")),
])
def test_demo_bad_options(tmp_path, csv_file, capsys, options, code, needle):
    state = folder_state(tmp_path)
    check_error(*run_main("demo", *options, cwd=tmp_path, capsys=capsys)[::2], code, needle)
    assert folder_state(tmp_path) == state
