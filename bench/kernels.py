"""Throughput of the posterior-ratio kernels, next to array-library baselines.

Prints a table (and JSON with --json) of (candidate, data point) pairs per
second for ``kernels.log_ratio_grad`` and for one ascent iteration, the
NumPy (CPU) or PyTorch (CUDA) implementation of the same maths measured in the
same run, and the machine's float32 matmul rate. Ratios are what to compare
across runs; absolute numbers depend on the machine and its load.

On the GPU each side is timed twice, like with like: a whole call (NumPy
arrays in, NumPy arrays out: uploads and copies back included) and the
computation alone on data already on the device (our kernels timed with CUDA
events, PyTorch on device tensors).

    python bench/kernels.py                      # CPU grid n x d x dtype
    python bench/kernels.py --device cuda        # the issue's GPU problem size, numeric and with 8 categorical columns
    python bench/kernels.py --device cuda --e2e  # + end-to-end balance()
    python bench/kernels.py --n-cat 0 8 32       # mixed data: categorical columns (levels 2..9, cycled)

On mixed data the baselines add the categorical term as one more matmul
(one-hot codes of the candidates against the classes' one-hot codes times
minus their log weights: the same log f up to a constant that cancels).
"""
from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

from simpor_ext import device_info, kernels
from simpor_ext._backends import no_codes
from simpor_ext.categories import log_weights


def best_time(fn, repeat: int) -> float:
    fn()  # warm-up (thread pools, caches, GPU upload paths)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def numpy_log_ratio_grad(points, numer, denom, h, onehot=None, chunk=256):
    """The same maths as plain NumPy: GEMM for scores, exp, GEMM for weighted sums.
    ``onehot``: mixed data, (candidates, B, A) as one_hot_terms makes them."""
    def one_class(p, c, pc, cc):
        half_sq = 0.5 * (c * c).sum(1) / h**2
        s = p @ (c.T / h**2) - half_sq
        if pc is not None:
            s += pc @ cc.T
        top = s.max(1, keepdims=True)
        w = np.exp(s - top)
        total = w.sum(1)
        return top[:, 0] + np.log(total), (w @ c) / total[:, None]

    px, bx, ax = onehot or (None, None, None)
    out_lr, out_g = [], []
    for i in range(0, len(points), chunk):
        p, pc = points[i:i + chunk], None if px is None else px[i:i + chunk]
        lb, mb = one_class(p, numer, pc, bx)
        la, ma = one_class(p, denom, pc, ax)
        out_lr.append(lb - la)
        out_g.append((mb - ma) / h**2)
    return np.concatenate(out_lr), np.concatenate(out_g)


def torch_log_ratio_grad(points, numer, denom, h, onehot=None, chunk=2048):
    """PyTorch on the GPU: chunked matmul + softmax (what one would write by hand)."""
    import torch

    def one_class(p, c, half_sq, pc, cc):
        s = p @ (c.T / h**2) - half_sq
        if pc is not None:
            s = s + pc @ cc.T
        lse = torch.logsumexp(s, dim=1)
        return lse, torch.softmax(s, dim=1) @ c

    px, bx, ax = onehot or (None, None, None)
    hb, ha = 0.5 * (numer * numer).sum(1) / h**2, 0.5 * (denom * denom).sum(1) / h**2
    lr, g = [], []
    for i in range(0, points.shape[0], chunk):
        p, pc = points[i:i + chunk], None if px is None else px[i:i + chunk]
        lb, mb = one_class(p, numer, hb, pc, bx)
        la, ma = one_class(p, denom, ha, pc, ax)
        lr.append(lb - la)
        g.append((mb - ma) / h**2)
    return torch.cat(lr), torch.cat(g)


def one_hot_terms(codes, cats, levels, dtype):
    """The categorical term as a matmul: sum_c w_c [x_c != b_c] = sum_c w_c -
    onehot(x) . (onehot(b) * -w), whose constant cancels in log f and in the
    weights. Returns (candidates, B, A) one-hot blocks."""
    offsets = np.concatenate([[0], np.cumsum(levels)[:-1]])

    def encode(c, scale):
        out = np.zeros((c.shape[0], int(np.sum(levels))), dtype=dtype)
        for j in range(c.shape[1]):
            out[np.arange(c.shape[0]), offsets[j] + c[:, j]] = scale[j]
        return out
    ones, minus_w = np.ones(len(levels)), -np.asarray(cats.log_weight)
    return encode(codes, ones), encode(cats.numer, minus_w), encode(cats.denom, minus_w)


def matmul_gflops(repeat: int) -> float:
    a = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
    return 2 * 2048**3 / best_time(lambda: a @ a, repeat) / 1e9


def make_data(rng, n, m, d, dtype, minority=0.1):
    n_b = max(1, int(n * minority))
    numer = rng.normal(size=(n_b, d)) + 0.5
    denom = rng.normal(size=(n - n_b, d))
    points = numer[rng.integers(0, n_b, m)] + 0.3 * rng.normal(size=(m, d))
    return [a.astype(dtype) for a in (points, numer, denom)]


def category_levels(n_cat):
    """Levels of the benchmark's categorical columns: 2..9, cycled."""
    return 2 + np.arange(n_cat) % 8


def make_codes(rng, n_b, n_a, m, n_cat):
    """Codes of B (leaning to low categories), A and the candidates (B's), and kernels.Categories."""
    levels = category_levels(n_cat)
    numer = np.stack([np.minimum(rng.integers(0, c, n_b), rng.integers(0, c, n_b)) for c in levels], 1)
    denom = np.stack([rng.integers(0, c, n_a) for c in levels], 1)
    numer, denom = (np.ascontiguousarray(x, dtype=np.int32).reshape(-1, n_cat) for x in (numer, denom))
    cats = kernels.Categories(numer, denom, log_weights(levels, 0.3))
    return numer[rng.integers(0, n_b, m)], cats


def unit_rows(rng, m, d, dtype):
    u = rng.normal(size=(m, d))
    return (u / np.linalg.norm(u, axis=1, keepdims=True)).astype(dtype)


def device_kernel_seconds(points, numer, denom, h, repeat, codes=None, cats=None):
    """Our kernels alone on data uploaded once (CUDA events), per evaluation."""
    from simpor_ext._backends import cuda

    module = cuda.module()
    timer = module._time_kernels_f32 if points.dtype == np.float32 else module._time_kernels_f64
    sets = kernels.make_sets(numer, denom, h, cats, dtype=points.dtype.type)
    return timer(sets, points, no_codes(len(points)) if codes is None else codes, repeat)


def bench_case(device, n, d, m, dtype, repeat, baseline, n_cat=0):
    """Our kernels next to the baseline on one problem: a row of the table."""
    rng = np.random.default_rng(n + d)
    points, numer, denom = make_data(rng, n, m, d, dtype)
    h = 0.5 * np.sqrt(d / 2)
    radii = np.full(m, 0.2, dtype)
    dirs = unit_rows(rng, m, d, dtype)
    codes, cats, onehot = None, None, None
    if n_cat:
        codes, cats = make_codes(rng, len(numer), len(denom), m, n_cat)
        onehot = one_hot_terms(codes, cats, category_levels(n_cat), dtype)
    t_call, t_device = baseline(points, numer, denom, h, onehot)
    row = time_ours(device, points, numer, denom, h, radii, dirs, repeat, codes, cats)
    row.update(dtype=np.dtype(dtype).name, n=n, d=d, m=m, n_cat=n_cat)
    add_baseline(row, t_call, t_device)
    if n_cat:
        row["categorical_cost_ratio"] = categorical_cost(device, points, numer, denom, h, codes, cats, repeat)
    return row


def categorical_cost(device, points, numer, denom, h, codes, cats, repeat):
    """Seconds of a log f evaluation with the categorical columns over the same
    numeric problem's without them, timed alternately (best of each) so that
    drifts in the machine's speed cancel: the cost of a mixed pair relative to
    a numeric pair of the same numeric d."""
    def numeric():
        kernels.log_ratio_grad(points, numer, denom, h, device=device)

    def mixed():
        kernels.log_ratio_grad(points, numer, denom, h, codes=codes, categories=cats, device=device)

    t_numeric, t_mixed = np.inf, np.inf
    for _ in range(repeat):
        t_numeric = min(t_numeric, best_time(numeric, 1))
        t_mixed = min(t_mixed, best_time(mixed, 1))
    return t_mixed / t_numeric


def time_ours(device, points, numer, denom, h, radii, dirs, repeat, codes=None, cats=None):
    (m, _), n = points.shape, len(numer) + len(denom)
    mixed = dict(codes=codes, categories=cats)
    t_eval = best_time(lambda: kernels.log_ratio_grad(points, numer, denom, h, device=device, **mixed), repeat)
    # max_iter=1: the start evaluation plus one trial, two passes over the data
    t_step = best_time(lambda: kernels.ascend(points, radii, dirs, numer, denom, h, max_iter=1, device=device,
                                              **mixed), repeat)
    row = dict(device=device, pairs_per_s=m * n / t_eval, ascent_pairs_per_s=2 * m * n / t_step)
    if device == "cuda":
        row["kernel_pairs_per_s"] = m * n / device_kernel_seconds(points, numer, denom, h, repeat, codes, cats)
    return row


def add_baseline(row, t_call, t_device):
    m, n = row["m"], row["n"]
    if t_call is not None:
        row["baseline_pairs_per_s"] = m * n / t_call
        row["speedup"] = row["pairs_per_s"] / row["baseline_pairs_per_s"]
    if t_device is not None:
        row["baseline_kernel_pairs_per_s"] = m * n / t_device
        row["kernel_speedup"] = row["kernel_pairs_per_s"] / row["baseline_kernel_pairs_per_s"]


def cpu_baseline(repeat):
    """NumPy seconds per call; there is no separate device time on the CPU."""
    return lambda p, b, a, h, onehot: (best_time(lambda: numpy_log_ratio_grad(p, b, a, h, onehot), repeat), None)


def cuda_baseline(repeat):
    """PyTorch seconds per call (NumPy in and out) and on device tensors."""
    try:
        import torch
    except ImportError:
        return lambda *args: (None, None)
    if not torch.cuda.is_available():
        return lambda *args: (None, None)

    def run(p, b, a, h, onehot):
        def upload(arrays):
            return None if arrays is None else tuple(torch.from_numpy(x).cuda() for x in arrays)

        def call():
            tp, tb, ta = upload((p, b, a))
            return [t.cpu().numpy() for t in torch_log_ratio_grad(tp, tb, ta, h, upload(onehot))]

        tp, tb, ta = upload((p, b, a))
        on_device_onehot = upload(onehot)

        def on_device():
            torch_log_ratio_grad(tp, tb, ta, h, on_device_onehot)
            torch.cuda.synchronize()
        return best_time(call, repeat), best_time(on_device, repeat)
    return run


def end_to_end(device, seed=0):
    """balance() on credit-card-shaped data: 284,807 x 30, 492 minority, full balance."""
    from simpor_ext import balance

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(284_807, 30)).astype(np.float32)
    y = np.zeros(len(X), dtype=int)
    y[rng.choice(len(X), 492, replace=False)] = 1
    X[y == 1] += 0.7
    t = time.perf_counter()
    Xr, yr = balance(X, y, device=device, max_iter=300, random_state=seed)
    return dict(e2e_seconds=time.perf_counter() - t, rows_added=int(len(Xr) - len(X)),
                counts=np.bincount(yr).tolist())


def print_table(rows, gflops):
    print(f"machine: {platform.processor() or platform.machine()}; float32 matmul up to {gflops:.1f} GFLOP/s "
          "(x matmul: against the best matmul measured beside each row)")
    gpu = any("kernel_pairs_per_s" in r for r in rows)
    cols = [("pairs/s", "pairs_per_s"), ("ascent/s", "ascent_pairs_per_s"), ("base/s", "baseline_pairs_per_s"),
            ("x base", "speedup")]
    if gpu:  # the same comparison on device-resident data
        cols += [("kernel/s", "kernel_pairs_per_s"), ("kbase/s", "baseline_kernel_pairs_per_s"),
                 ("x kbase", "kernel_speedup")]
    else:
        cols += [("x matmul", "flop_ratio_vs_matmul")]
    if any("categorical_cost_ratio" in r for r in rows):
        cols += [("x cat", "categorical_cost_ratio")]

    def cell(v, key):
        if v is None:
            return "-"
        ratios = ("speedup", "kernel_speedup", "flop_ratio_vs_matmul", "categorical_cost_ratio")
        return f"{v:.2f}" if key in ratios else f"{v:.3e}"
    print(f"{'dev':5} {'dtype':8} {'n':>7} {'d':>4} {'cat':>3} {'m':>6} " + " ".join(f"{h:>10}" for h, _ in cols))
    for r in rows:
        print(f"{r['device']:5} {r['dtype']:8} {r['n']:>7} {r['d']:>4} {r['n_cat']:>3} {r['m']:>6} "
              + " ".join(f"{cell(r.get(k), k):>10}" for _, k in cols))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--n", type=int, nargs="+", help="data sizes (default: 1e3 1e4 1e5 on cpu, 284807 on cuda)")
    ap.add_argument("--d", type=int, nargs="+", help="dimensions (default: 2 30 100 on cpu, 30 on cuda)")
    ap.add_argument("--m", type=int, help="candidates (default: ~2e8 pairs per call on cpu, 32768 on cuda)")
    ap.add_argument("--n-cat", type=int, nargs="+",
                    help="categorical columns per case (default: 0 on cpu; 0 and 8 on cuda)")
    ap.add_argument("--dtype", nargs="+", default=["float32", "float64"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--e2e", action="store_true", help="also time balance() on credit-card-shaped data")
    ap.add_argument("--json", help="write the rows here as JSON")
    args = ap.parse_args(argv)

    gpu = args.device == "cuda"
    ns = args.n or ([284_807] if gpu else [1_000, 10_000, 100_000])
    ds = args.d or ([30] if gpu else [2, 30, 100])
    n_cats = args.n_cat or ([0, 8] if gpu else [0])
    baseline = (cuda_baseline if gpu else cpu_baseline)(args.repeat)
    rows = []
    for dtype in args.dtype:
        for n in ns:
            for d in ds:
                for n_cat in n_cats:
                    m = args.m or (32_768 if gpu else int(np.clip(2e8 / (n * d / 30), 64, 4096)))
                    before = 0.0 if gpu else matmul_gflops(args.repeat)
                    row = bench_case(args.device, n, d, m, np.dtype(dtype).type, args.repeat, baseline, n_cat)
                    if not gpu:  # a GPU kernel next to a CPU matmul says nothing
                        # The best matmul rate measured just before and after the case: the
                        # machine's speed drifts over a grid, and noise only ever slows it.
                        row["matmul_gflops_f32"] = max(before, matmul_gflops(args.repeat))
                        row["flop_ratio_vs_matmul"] = row["pairs_per_s"] * 4 * d / (row["matmul_gflops_f32"] * 1e9)
                    rows.append(row)
    gflops = max(r["matmul_gflops_f32"] for r in rows) if not gpu else matmul_gflops(args.repeat)
    print_table(rows, gflops)
    if any("categorical_cost_ratio" in r for r in rows):
        print("x cat: seconds per log f evaluation with the categorical columns over the same numeric problem's "
              "without them (timed alternately): a mixed pair's cost over a numeric pair's at the same d")
    if gpu and not any("baseline_pairs_per_s" in r for r in rows):
        print("note: PyTorch with CUDA not available, baseline column skipped")
    result = dict(device_info=device_info(), matmul_gflops_f32=gflops, rows=rows)
    if args.e2e:
        result["end_to_end"] = end_to_end(args.device)
        print("end-to-end balance:", result["end_to_end"])
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2, default=str)


if __name__ == "__main__":
    main()
