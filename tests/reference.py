"""Independent float64 NumPy reference for the posterior-ratio maths.

Deliberately naive (it materialises the m x n matrices): small and obviously
correct, used only to check the native kernels.
"""
from __future__ import annotations

import numpy as np


def _lse_and_mean(points: np.ndarray, cls: np.ndarray, h: float) -> tuple[np.ndarray, np.ndarray]:
    sq = ((points[:, None, :] - cls[None, :, :]) ** 2).sum(-1)
    scores = -sq / (2.0 * h * h)
    top = scores.max(axis=1, keepdims=True)
    w = np.exp(scores - top)
    total = w.sum(axis=1)
    return top[:, 0] + np.log(total), (w @ cls) / total[:, None]


def log_ratio_grad(points, numer, denom, h):
    """log f = LSE_B - LSE_A and grad log f = (mu_B - mu_A) / h^2, in float64."""
    p, b, a = (np.asarray(x, dtype=np.float64) for x in (points, numer, denom))
    lse_b, mu_b = _lse_and_mean(p, b, h)
    lse_a, mu_a = _lse_and_mean(p, a, h)
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
