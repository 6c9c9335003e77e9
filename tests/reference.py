"""Independent float64 NumPy reference for the posterior-ratio maths.

Deliberately naive (it materialises the m x n matrices): small and obviously
correct, used only to check the native kernels.
"""
from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist


def category_terms(codes, cls_codes, log_weight) -> np.ndarray:
    """(m, n) log kernel weights of the categorical columns: sum over the
    columns where a point's category differs from the class row's of its
    log weight (0 without categorical columns)."""
    if codes is None:
        return 0.0
    differ = np.asarray(codes)[:, None, :] != np.asarray(cls_codes)[None, :, :]
    return (differ * np.asarray(log_weight, np.float64)).sum(-1)


def _scores(points, cls, h, codes=None, cls_codes=None, log_weight=None) -> np.ndarray:
    # sum of squared differences, as written, without an m x n x d array
    sq = cdist(points, cls, "sqeuclidean") if points.shape[1] else np.zeros((len(points), len(cls)))
    return -sq / (2.0 * h * h) + category_terms(codes, cls_codes, log_weight)


def _lse_and_mean(points: np.ndarray, cls: np.ndarray, h: float, *categorical) -> tuple[np.ndarray, np.ndarray]:
    scores = _scores(points, cls, h, *categorical)
    top = scores.max(axis=1, keepdims=True)
    w = np.exp(scores - top)
    total = w.sum(axis=1)
    return top[:, 0] + np.log(total), (w @ cls) / total[:, None]


def log_ratio_grad(points, numer, denom, h, codes=None, numer_codes=None, denom_codes=None, log_weight=None):
    """log f = LSE_B - LSE_A and grad log f = (mu_B - mu_A) / h^2, in float64;
    with category codes, each kernel term also weighted by exp of the log
    weights of the categorical columns that differ (the product kernel)."""
    p, b, a = (np.asarray(x, dtype=np.float64).reshape(len(x), -1) for x in (points, numer, denom))
    lse_b, mu_b = _lse_and_mean(p, b, h, codes, numer_codes, log_weight)
    lse_a, mu_a = _lse_and_mean(p, a, h, codes, denom_codes, log_weight)
    return lse_b - lse_a, (mu_b - mu_a) / (h * h)


def log_ratio(points, numer, denom, h):
    return log_ratio_grad(points, numer, denom, h)[0]


def tangential_gradient(points, seeds, numer, denom, h):
    """Component of grad log f tangent to each point's sphere around its seed."""
    _, g = log_ratio_grad(points, numer, denom, h)
    u = np.asarray(points, np.float64) - np.asarray(seeds, np.float64)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    return g - (g * u).sum(1, keepdims=True) * u, g


def rel_err(got, want) -> float:
    """Relative L2 error."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-300))


def hessian(point, numer, denom, h, cut=np.inf, keep=None, code=None, numer_codes=None, denom_codes=None,
            log_weight=None):
    """Hessian of log f at one point, (Cov_B - Cov_A) / h^4, with the
    kernel-weighted covariances (normalised weights and means over all of
    each class) summed over the points within `cut` nats of the class's
    largest weight, at most `keep` of them (the heaviest; ties by index);
    ``code``: the point's categories (weights as in :func:`log_ratio_grad`)."""
    p = np.asarray(point, np.float64)
    H = np.zeros((p.size, p.size))
    for cls, cls_codes, sign in ((numer, numer_codes, 1.0), (denom, denom_codes, -1.0)):
        c = np.asarray(cls, np.float64)
        s = _scores(p[None], c, h, None if code is None else np.asarray(code)[None], cls_codes, log_weight)[0]
        w = np.exp(s - s.max())
        w /= w.sum()
        mu = w @ c
        order = np.lexsort((np.arange(s.size), -s))  # heaviest first, ties by index
        order = order[s[order] >= s.max() - cut][:keep]
        dev = c[order] - mu
        H += sign * (dev * w[order, None]).T @ dev
    return H / h**4


def sphere_newton_direction(u, g, H, r):
    """The hessian rule's direction: v solving (M + lambda I) v = r t, M =
    -r^2 P H P + r (g.u) P + u u^T, P = I - u u^T, with the least lambda of
    0, then 1e-6, 3e-6, 9e-6, ... times max |diag M| that makes M + lambda I
    positive definite; returns (v, lambda)."""
    P = np.eye(u.size) - np.outer(u, u)
    M = -(r * r) * P @ H @ P + r * (g @ u) * P + np.outer(u, u)
    scale = np.abs(np.diag(M)).max()
    shift = 0.0
    while np.linalg.eigvalsh(M + shift * np.eye(u.size)).min() <= 1e-12 * scale:
        shift = 1e-6 * scale if shift == 0 else 3 * shift
    v = np.linalg.solve(M + shift * np.eye(u.size), r * (P @ g))
    return v - (v @ u) * u, shift


def sphere_hessian(point, seed, numer, denom, h):
    """The Hessian of log f on the sphere around `seed` through `point`, in
    angle units (nats per radian^2) on the tangent plane: r^2 P H P - r (g.u) P."""
    p, s = np.asarray(point, np.float64), np.asarray(seed, np.float64)
    r = np.linalg.norm(p - s)
    u = (p - s) / r
    g = log_ratio_grad(p[None], numer, denom, h)[1][0]
    P = np.eye(u.size) - np.outer(u, u)
    return r * r * P @ hessian(p, numer, denom, h) @ P - r * (g @ u) * P


def lbfgs_inverse(pair_s, pair_y):
    """The BFGS inverse-Hessian matrix the pairs (rows, oldest first) build
    from H0 = (s.y / y.y) I of the newest pair: H <- V^T H V + rho s s^T,
    V = I - rho y s^T, rho = 1 / y.s, one pair after the other."""
    S, Y = np.asarray(pair_s, np.float64), np.asarray(pair_y, np.float64)
    H = (S[-1] @ Y[-1]) / (Y[-1] @ Y[-1]) * np.eye(S.shape[1])
    for s, y in zip(S, Y):
        rho = 1.0 / (y @ s)
        V = np.eye(s.size) - rho * np.outer(y, s)
        H = V.T @ H @ V + rho * np.outer(s, s)
    return H
