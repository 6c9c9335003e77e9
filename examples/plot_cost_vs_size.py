"""
What a balance costs as the data grow
=====================================

SIMPOR's time is almost all the ascent: every trial of every synthetic row
evaluates the kernel sums of the class and its contrast set, so a balance
costs about (synthetic rows) x (trials per row) x (rows of the data). With
the imbalance ratio held fixed, the synthetic rows grow with the data, and
the time grows about as the square of the data's size. SMOTE, which
interpolates between neighbours, is shown beside it.

The :ref:`cost` page has the committed measurements at larger sizes (to
credit-card shape, 284,807 rows) and on real data sets.
"""

# %%
# Two Gaussian classes in 10 dimensions, one unit apart, 1:20. Active
# learning is switched off (``informative=None``) so that the ascent alone is
# timed; it adds a roughly fixed cost, small beside the ascent on large data.
import time

import matplotlib.pyplot as plt
import numpy as np
from imblearn.over_sampling import SMOTE

from simpor_ext import SIMPOR


def make_data(n, d=10, ratio=20, seed=0):
    rng = np.random.default_rng(seed)
    n_min = n // (ratio + 1)
    X = rng.normal(size=(n, d))
    X[:n_min, 0] += 1.0
    y = np.r_[np.ones(n_min, dtype=int), np.zeros(n - n_min, dtype=int)]
    return X, y


def best_of(fn, repeat=2):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


sizes = [500, 1000, 2000, 4000, 8000]
rows = []
for n in sizes:
    X, y = make_data(n)
    sampler = SIMPOR(informative=None, random_state=0, n_jobs=2)
    simpor_s = best_of(lambda: sampler.fit_resample(X, y))
    smote_s = best_of(lambda: SMOTE(random_state=0).fit_resample(X, y))
    trials = sampler.n_iter_.mean()
    rows.append((n, simpor_s, smote_s, trials))
    print(
        f"n = {n:>5}: {sampler.sample_origin_.size:>5} synthetic rows, "
        f"SIMPOR {simpor_s:6.3f} s ({trials:.1f} trials per row), SMOTE {smote_s:.4f} s"
    )

# %%
# Time against size on log-log axes. Between the two largest sizes SIMPOR's
# time grows by the factor printed below; a slope of 2 is what (synthetic
# rows) x (rows of the data) predicts. Times on small data are dominated by
# fixed costs (standardisation, the neighbour search, thread start-up).
n, simpor_t, smote_t, trials = map(np.array, zip(*rows))
slope = np.log(simpor_t[-1] / simpor_t[-2]) / np.log(n[-1] / n[-2])
print(
    f"SIMPOR's time grew as n^{slope:.2f} between n = {n[-2]} and {n[-1]}; "
    f"SIMPOR / SMOTE at n = {n[-1]}: {simpor_t[-1] / smote_t[-1]:.0f}x"
)

fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4))
ax.loglog(n, simpor_t, "o-", color="#d62728", label="SIMPOR (informative=None)")
ax.loglog(n, smote_t, "s-", color="#1f77b4", label="SMOTE")
ax.loglog(n, simpor_t[-1] * (n / n[-1]) ** 2, ":", color="grey", label="slope 2")
ax.set(
    xlabel="rows n (1:20, d = 10)",
    ylabel="seconds (best of 2)",
    title="Time to balance",
)
ax.legend(fontsize=8)
ax2.semilogx(n, trials, "o-", color="#d62728")
ax2.set(
    xlabel="rows n",
    ylabel="mean ascent trials per synthetic row",
    ylim=(0, max(trials) * 1.3),
    title="Trials per row stay flat",
)
fig.tight_layout()
plt.show()

# %%
# The number of trials per row does not grow with the data, so the cost per
# synthetic row is a few passes over the data. On a GPU the same passes run
# on thousands of threads (``device="cuda"``), and on a Dask cluster the
# ascent of many rows is split across workers (``client=``); see :ref:`gpu`
# and :ref:`dask`.
