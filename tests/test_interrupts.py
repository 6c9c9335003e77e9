"""Ctrl-C during the native ascent: the call is cancelled within a round and
KeyboardInterrupt reaches the caller, not after the whole batch."""
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from simpor_ext import _core, kernels
from problems import unit_rows


def _long_problem(m=2000, n=40000, d=30):
    rng = np.random.default_rng(0)
    numer, denom = rng.normal(size=(n // 20, d)) + 0.2, rng.normal(size=(n, d))
    return numer[rng.integers(0, n // 20, m)], np.full(m, 2.0), unit_rows(rng, m, d), numer, denom, 0.7


def test_cancel_ends_a_native_call_in_flight():
    args = _long_problem()
    stop = threading.Event()

    def cancel_soon():
        time.sleep(0.5)
        while not stop.is_set():
            _core._cancel()
            time.sleep(0.01)

    helper = threading.Thread(target=cancel_soon)
    helper.start()
    try:
        with pytest.raises(RuntimeError, match="cancelled"):
            seeds, radii, dirs, numer, denom, h = args
            spec = kernels.AscentSpec(300, 0.1, None, 2.0, "newton", 0.0)
            _core.ascend_f64(kernels.make_sets(numer, denom, h), seeds, np.empty((len(seeds), 0), np.int32), radii,
                             dirs, spec, 0)
    finally:
        stop.set()
        helper.join()
    # the flag is reset by the next call: it runs to the end
    seeds, radii, dirs = (a[:3] for a in args[:3])
    assert kernels.ascend(seeds, radii, dirs, *args[3:], max_iter=2, device="cpu").points.shape == (3, 30)


# The scripts restore Python's Ctrl-C handler: a shell that starts a job in the
# background (CI runners among them) makes it ignore SIGINT, which Python keeps.
SCRIPT = textwrap.dedent("""
    import signal, sys, time
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import numpy as np
    from simpor_ext import balance
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40000, 30)); y = np.r_[np.ones(2000, int), np.zeros(38000, int)]
    print("start", flush=True)
    try:
        balance(X, y, informative=None, device="cpu", random_state=0)
        print("finished", flush=True)
    except KeyboardInterrupt:
        print(f"interrupted {time.time()}", flush=True)
        sys.exit(130)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_during_the_ascent_raises_keyboard_interrupt_at_once():
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "start"
    time.sleep(3)  # the radii are done well before: this is the ascent (tens of seconds in all)
    sent = time.time()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out
    handled = float(out.split()[-1])
    assert handled - sent < 5.0  # one round of trials, not the rest of a 1024-seed batch


AL_SCRIPT = textwrap.dedent("""
    import signal, sys, time
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import numpy as np
    from simpor_ext import balance
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6000, 10)); y = np.r_[np.ones(600, int), np.zeros(5400, int)]
    slow_mlp = {"initial_size": 4000, "mlp_params": {"max_iter": 5000, "tol": 0.0, "n_iter_no_change": 10000}}
    print("start", flush=True)
    try:
        balance(X, y, informative=slow_mlp, max_iter=1, device="cpu", random_state=0)
        print("finished", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(130)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_during_active_learning_is_not_swallowed():
    """scikit-learn's MLP catches KeyboardInterrupt and returns half-trained;
    the sampler must stop instead of going on with that model."""
    proc = subprocess.Popen([sys.executable, "-c", AL_SCRIPT], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "start"
    time.sleep(4)  # inside the MLP's fit: 5,000 epochs on 4,000 rows
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130 and out.strip() == "interrupted", out
