"""Random test problems shared by the kernel, ascent and CUDA tests."""
from __future__ import annotations

import numpy as np
import pytest

import simpor_ext
from simpor_ext import kernels
from simpor_ext.categories import log_weights

_INFO = simpor_ext.device_info()

# Backends to run a kernel test on; "cuda" skips with the reason when no GPU.
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not _INFO["cuda_available"], reason=f"no usable GPU: {_INFO['cuda_reason']}"))]


def make_problem(rng, m, n_b, n_a, d, dtype=np.float64, shift=0.5):
    """Candidates, class B (shifted) and contrast set A, all standard normal."""
    points = rng.normal(size=(m, d))
    numer = rng.normal(size=(n_b, d)) + shift
    denom = rng.normal(size=(n_a, d))
    return [a.astype(dtype) for a in (points, numer, denom)]


def unit_rows(rng, m, d, dtype=np.float64):
    u = rng.normal(size=(m, d))
    return (u / np.linalg.norm(u, axis=1, keepdims=True)).astype(dtype)


def ascent_problem(seed=0, m=40, d=4, n_b=60, n_a=240, dtype=np.float64):
    """Seeds drawn from class B, radii, unit directions, B, A and a bandwidth."""
    rng = np.random.default_rng(seed)
    numer = rng.normal(size=(n_b, d)) + 0.8
    denom = rng.normal(size=(n_a, d))
    seeds = numer[rng.integers(0, n_b, m)]
    radii = rng.uniform(0.05, 0.8, m)
    dirs = unit_rows(rng, m, d)
    return [a.astype(dtype) for a in (seeds, radii, dirs, numer, denom)] + [0.6]


def two_classes(n0, n1, d, seed=0):
    """A standard normal class 0 and a class 1 shifted by one unit."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(size=(n0, d)), rng.normal(size=(n1, d)) + 1.0])
    return X, np.r_[np.zeros(n0, int), np.ones(n1, int)]


def sphere_seeds(numer, rng, m, k=10):
    """m rows of class B with r ~ U(0, R), R the mean distance to k same-class neighbours (eq. 13-15)."""
    dist = np.linalg.norm(numer[:, None] - numer[None], axis=-1)
    R = np.sort(dist, axis=1)[:, 1:k + 1].mean(1)
    idx = rng.integers(0, numer.shape[0], m)
    return numer[idx], R[idx] * rng.uniform(size=m), unit_rows(rng, m, numer.shape[1])


def shifted_classes(rng, d=30, n_b=100, n_a=1900):
    """Class B (standard normal shifted by 0.5), contrast set A and Scott's bandwidth."""
    return rng.normal(size=(n_b, d)) + 0.5, rng.normal(size=(n_a, d)), (n_b + n_a) ** (-1 / (d + 4))


def mixed_problem(rng, m=37, n_b=150, n_a=420, d=5, levels=(2, 3, 5, 4, 2, 7, 3, 2), dtype=np.float64):
    """Candidates, class B (shifted), contrast set A, with categorical columns
    whose class B codes lean towards low categories; tiles of 128 points cut
    both classes into several pieces. Returns ([points, numer, denom], the
    candidates' codes, kernels.Categories)."""
    levels = np.asarray(levels)
    points, numer, denom = rng.normal(size=(m, d)), rng.normal(size=(n_b, d)) + 0.4, rng.normal(size=(n_a, d))

    def codes(n, lean):
        return np.stack([np.minimum(rng.integers(0, c, n), rng.integers(0, c, n)) if lean else rng.integers(0, c, n)
                         for c in levels], axis=1).astype(np.int32)
    cats = kernels.Categories(codes(n_b, True), codes(n_a, False), log_weights(levels, 0.3))
    return [a.astype(dtype) for a in (points, numer, denom)], codes(m, True), cats


def mixed_ascent_problem(seed=0, m=40, d=4, n_b=60, n_a=240, levels=(2, 3, 5, 4, 2), dtype=np.float64):
    """ascent_problem with categorical columns: seeds, their codes (their rows'
    in class B), radii, unit directions, B, A, a bandwidth and kernels.Categories."""
    rng = np.random.default_rng(seed)
    (_, numer, denom), _, cats = mixed_problem(rng, 1, n_b, n_a, d, levels)
    numer += 0.4
    idx = rng.integers(0, n_b, m)
    radii, dirs = rng.uniform(0.05, 0.8, m), unit_rows(rng, m, d)
    seeds, numer, denom, radii, dirs = (a.astype(dtype) for a in (numer[idx], numer, denom, radii, dirs))
    return seeds, cats.numer[idx], radii, dirs, numer, denom, 0.6, cats
