"""SIMPOR(client=...): the ascent on a Dask cluster gives the single-machine bytes (issue #19)."""
import os
import pickle
import signal
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

pytest.importorskip("distributed", reason="dask.distributed not installed: pip install '.[dask]'")
import dask.array as da  # noqa: E402
import dask.dataframe as dd  # noqa: E402
from distributed import Client, LocalCluster, get_task_stream  # noqa: E402

import simpor_ext.distributed as simpor_distributed  # noqa: E402
from baselines import BaselineSIMPOR  # noqa: E402  (bench/baselines.py)
from simpor_ext import SIMPOR, balance, cuda_available  # noqa: E402

FAST = dict(informative=None, random_state=7, device="cpu")


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        yield c


@pytest.fixture
def small_chunks(monkeypatch):
    """Several tasks per class from a small data set (normal use: the backend's batch size)."""
    monkeypatch.setitem(simpor_distributed.CHUNK_ROWS, "cpu", 16)


def data(n_classes=2, n=400, d=5, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    sizes = [n - 60 * (n_classes - 1)] + [60] * (n_classes - 1)
    y = np.repeat(np.arange(n_classes), sizes)
    X = (rng.normal(size=(n, d)) + 0.7 * y[:, None]).astype(dtype)
    return X, y


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_bytes_as_one_machine(client, small_chunks, n_classes, dtype):
    X, y = data(n_classes, dtype=dtype)
    X_local, y_local = balance(X, y, **FAST)
    sampler = SIMPOR(client=client, **FAST)
    X_dask, y_dask = sampler.fit_resample(X, y)
    assert X_dask.dtype == dtype and X_dask.tobytes() == X_local.tobytes()
    assert np.array_equal(y_dask, y_local)
    assert sampler.device_ == "cpu"


@pytest.mark.parametrize("numeric", [2, 0], ids=["mixed", "categorical only"])
def test_mixed_data_same_bytes_as_one_machine(client, small_chunks, numeric):
    """The categories of each row are chosen in its chunk's task, on the worker: the same bytes."""
    X, y = data()
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(X[:, :numeric], columns=[f"x{j}" for j in range(numeric)]).assign(
        kind=np.where(y == 1, rng.choice(["a", "b"], len(y)), rng.choice(["a", "b", "c"], len(y))),
        flag=(X[:, 2] > 0) | (y == 1))
    local = balance(frame, y, **FAST)[0]
    pd.testing.assert_frame_equal(SIMPOR(client=client, **FAST).fit_resample(frame, y)[0], local)


def test_informative_and_auto_client(client):
    """Active learning stays on the client; "auto" finds the default client."""
    X, y = data()
    params = dict(random_state=3, device="cpu", informative={"max_rounds": 2})
    X_local, _ = balance(X, y, **params)
    X_dask, _ = balance(X, y, client="auto", **params)
    assert X_dask.tobytes() == X_local.tobytes()


def test_pandas_and_dask_inputs(client, small_chunks):
    X, y = data(3)
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1].astype(np.float32), "c": np.round(X[:, 2] * 10).astype(int)})
    labels = pd.Series(y, name="label")
    X_local, y_local = balance(frame, labels, **FAST)
    X_dask, y_dask = balance(frame, labels, client=client, **FAST)
    pd.testing.assert_frame_equal(X_dask, X_local)
    pd.testing.assert_series_equal(y_dask, y_local)
    X_dd, y_dd = balance(dd.from_pandas(frame, npartitions=3), dd.from_pandas(labels, npartitions=3),
                         client=client, **FAST)
    pd.testing.assert_frame_equal(X_dd, X_local)
    X_da, _ = balance(da.from_array(frame.to_numpy(np.float64), chunks=100), da.from_array(y, chunks=100),
                      client=client, **FAST)
    assert X_da.tobytes() == balance(frame.to_numpy(np.float64), y, **FAST)[0].tobytes()


def test_dask_array_too_large_for_memory(monkeypatch):
    monkeypatch.setattr(simpor_distributed, "_available_bytes", lambda: 1000)
    X = da.zeros((1000, 10), chunks=100)
    with pytest.raises(MemoryError, match="0.00 GiB.*available"):
        balance(X, np.r_[np.zeros(900), np.ones(100)], **FAST)


def test_every_worker_runs_tasks(client, small_chunks):
    X, y = data(n=1200)
    with get_task_stream(client) as stream:
        balance(X, y, client=client, **FAST)
    workers = {t["worker"] for t in stream.data if str(t["key"]).startswith("ascend_chunk")}
    assert len(workers) == 2


def _memory_chunk_holder(dask_scheduler):
    """A worker holding a finished ascent chunk, or None."""
    for ts in dask_scheduler.tasks.values():
        if str(ts.key).startswith("ascend_chunk") and ts.state == "memory" and ts.who_has:
            return next(iter(ts.who_has)).address
    return None


def test_worker_killed_mid_fit(client, monkeypatch):
    monkeypatch.setitem(simpor_distributed.CHUNK_ROWS, "cpu", 8)
    X, y = data(n=3000, d=8)
    params = dict(FAST, max_iter=300, step_rule="fixed", step=0.02)  # slow ascents: many trials per row
    X_local, _ = BaselineSIMPOR(**params).fit_resample(X, y)
    pids = client.run(os.getpid)
    state = {"done": False, "killed_while_running": False}

    def kill_after_first_chunk():
        deadline = time.monotonic() + 60
        while not state["done"] and time.monotonic() < deadline:
            holder = client.run_on_scheduler(_memory_chunk_holder)
            if holder is not None:
                os.kill(pids[holder], signal.SIGKILL)
                state["killed_while_running"] = not state["done"]
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_after_first_chunk)
    killer.start()
    try:
        X_dask, _ = BaselineSIMPOR(client=client, **params).fit_resample(X, y)
    finally:
        state["done"] = True
        killer.join()
    assert state["killed_while_running"]
    assert X_dask.tobytes() == X_local.tobytes()
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the worker for the next tests


def test_clone_shares_the_client_and_pickle_drops_it(client):
    sampler = SIMPOR(client=client, **FAST)
    assert clone(sampler).client is client and sampler.client is client
    restored = pickle.loads(pickle.dumps(sampler))
    assert restored.client is None and restored.get_params()["random_state"] == 7
    assert pickle.loads(pickle.dumps(SIMPOR(client="auto"))).client == "auto"


def test_bad_clients(client):
    X, y = data()
    with pytest.raises(ValueError, match="'client' parameter"):
        balance(X, y, client=5, **FAST)

    class LooksLikeAClient:
        def submit(self): ...
        def scatter(self): ...
        def gather(self): ...

    with pytest.raises(TypeError, match="distributed.Client, got LooksLikeAClient"):
        balance(X, y, client=LooksLikeAClient(), **FAST)
    closed = Client(client.scheduler.address, set_as_default=False)
    closed.close()
    with pytest.raises(ValueError, match="is closed, not running"):
        balance(X, y, client=closed, **FAST)


def test_missing_extra_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now raises ImportError
    X, y = data()
    with pytest.raises(ImportError, match=r"simpor_ext\[dask\]"):
        balance(X, y, client="auto", **FAST)


@pytest.mark.skipif(cuda_available(), reason="this machine has a GPU: device='cuda' would run")
def test_cuda_on_a_worker_without_gpu(client):
    X, y = data()
    with pytest.raises(RuntimeError, match="device='cuda' requested but no GPU"):
        balance(X, y, client=client, **dict(FAST, device="cuda"))


def test_cli_scheduler_flag_and_environment(client, tmp_path):
    import subprocess

    X, y = data()
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]).assign(label=y)
    frame.to_csv(tmp_path / "in.csv", index=False)
    common = [sys.executable, "-m", "simpor_ext", "balance", "in.csv", "--target", "label", "--random-state", "7",
              "--no-informative", "--device", "cpu", "--quiet"]
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    for name, extra, extra_env in (("local.csv", [], {}),
                                   ("flag.csv", ["--scheduler", client.scheduler.address], {}),
                                   ("env.csv", [], {"DASK_SCHEDULER_ADDRESS": client.scheduler.address})):
        done = subprocess.run(common + ["-o", name] + extra, cwd=tmp_path, env={**env, **extra_env},
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    local = (tmp_path / "local.csv").read_bytes()
    assert (tmp_path / "flag.csv").read_bytes() == local and (tmp_path / "env.csv").read_bytes() == local
    bad = subprocess.run(common + ["-o", "bad.csv", "--scheduler", "tcp://127.0.0.1:1"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "--scheduler: cannot connect to tcp://127.0.0.1:1" in bad.stderr


# ------------------------------------------------- the CLI's --scheduler address
@pytest.fixture
def http_port():
    """A loopback HTTP server (a mistyped dashboard port): it takes connections and never
    answers Dask's handshake. Its port, and an Event set at each connection."""
    import http.server

    connected = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        timeout = 30  # a stalled request ends by itself

        def setup(self):
            connected.set()
            super().setup()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    backstop = threading.Timer(300, server.shutdown)  # the server stops by itself
    threading.Thread(target=server.serve_forever, daemon=True).start()
    backstop.start()
    try:
        yield server.server_address[1], connected
    finally:
        backstop.cancel()
        server.shutdown()
        server.server_close()


def _cli_in(tmp_path, *extra):
    import subprocess

    X, y = data()
    pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]).assign(label=y).to_csv(tmp_path / "in.csv",
                                                                                        index=False)
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    # Python's Ctrl-C handler, which a shell starting a background job turns off.
    script = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
              "from simpor_ext.cli import main; sys.exit(main())")
    return subprocess.Popen([sys.executable, "-c", script, "balance", "in.csv", "-o", "out.csv", "--target", "label",
                             "--no-informative", *extra], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _one_line_error(proc, timeout):
    try:
        _, err = proc.communicate(timeout=timeout)
    finally:
        proc.kill()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("address, code, needles", [
    ("tcp://127.0.0.1:{http}", 1, ["no Dask scheduler at tcp://127.0.0.1:", "no Dask handshake within 5 s"]),
    ("notanaddress", 2, ["'notanaddress' is not a scheduler address", "tcp://HOST:PORT"]),
    ("http://127.0.0.1:1", 2, ["'http://127.0.0.1:1' is a web address", "tcp://HOST:PORT"]),
    ("tcp://127.0.0.1:1", 1, ["cannot connect to tcp://127.0.0.1:1", "Connection refused"]),
], ids=["http port", "no scheme or port", "http scheme", "refused"])
def test_cli_scheduler_that_is_not_dask_fails_in_one_line(tmp_path, http_port, address, code, needles):
    """An HTTP port hung for minutes; a malformed address printed its error,
    then waited 40 s and ended on a traceback; a refused port was retried for 20 s."""
    started = time.monotonic()
    proc = _cli_in(tmp_path, "--scheduler", address.format(http=http_port[0]))
    line = _one_line_error(proc, timeout=60)
    assert time.monotonic() - started < 30, line  # the import, then at most the 5 s handshake
    assert proc.returncode == code, line
    for needle in needles:
        assert needle in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_cli_ctrl_c_while_connecting_to_the_scheduler(tmp_path, http_port):
    """Ctrl-C in the handshake with a port that never answers: 'interrupted', exit 130, at once."""
    port, connected = http_port
    proc = _cli_in(tmp_path, "--scheduler", f"tcp://127.0.0.1:{port}")
    try:
        assert connected.wait(120), proc.communicate()
    finally:
        if not connected.is_set():
            proc.kill()
    time.sleep(1.0)  # well inside the handshake (it gives up after 5 s)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    line = _one_line_error(proc, timeout=30)
    assert time.monotonic() - sent < 5, line
    assert proc.returncode == 130 and line == "simpor-ext: interrupted", line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_cli_summary_names_the_cluster_and_its_backends(client, tmp_path, capsys, monkeypatch):
    """A mixed cluster records device_ "cpu,cuda", which the summary resolved
    as a device name (ValueError after the output was written)."""
    from simpor_ext import cli

    fit_resample = SIMPOR.fit_resample

    def fit_on_a_mixed_cluster(self, X, y):
        result = fit_resample(self, X, y)
        assert self.device_ == "cpu"  # what these workers ran
        self.device_ = "cpu,cuda"  # what a cluster with GPU workers records
        return result

    monkeypatch.setattr(SIMPOR, "fit_resample", fit_on_a_mixed_cluster)
    X, y = data()
    pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]).assign(label=y).to_csv(tmp_path / "in.csv",
                                                                                        index=False)
    address = client.scheduler.address
    code = cli.main(["balance", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), "--target", "label",
                     "--no-informative", "--device", "cpu", "--scheduler", address])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.strip().endswith(f" s on the Dask cluster at {address} (cpu,cuda); wrote {tmp_path / 'out.csv'}"), out
