"""Feature standardisation and the KDE bandwidth (paper eq. 10-12).

SIMPOR's posterior ratio uses one isotropic Gaussian kernel of width h for
every class. A single h only makes sense when the features share a scale, so
the sampler works internally on standardised features
``z = (x - center) / scale`` (``center`` the column mean, ``scale`` the column
standard deviation over all training rows) and maps the synthetic rows back to
the caller's units. Columns whose spread is lost in rounding noise are
*constant*: they carry no information for the KDE, take no part in the ascent
and are copied unchanged into every synthetic row. Whether a column varies is
judged relative to its own magnitude, so units never matter.

The statistics are taken on each column divided by a power of two near its
largest magnitude: squares of values above ~1e154 would overflow, and a power
of two changes no bit of the result for ordinary data.

The rules of thumb are the multivariate ones of ``scipy.stats.gaussian_kde``
applied to unit-variance data, with n the number of training rows and d the
number of non-constant features:

* Scott:     ``h = n ** (-1 / (d + 4))``
* Silverman: ``h = (n * (d + 2) / 4) ** (-1 / (d + 4))``

A float bandwidth is used as given, in standardised units (multiples of each
feature's standard deviation).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Union

import numpy as np

__all__ = ["BANDWIDTH_RULES", "Standardizer", "resolve_bandwidth"]

Bandwidth = Union[str, float]


@dataclass(frozen=True)
class Standardizer:
    """Column standardisation used for the KDE, kNN radii and the ascent.

    Attributes
    ----------
    center : ndarray (d,) float64
        Column means.
    scale : ndarray (d,) float64
        Column standard deviations; 1.0 for constant columns.
    varying : ndarray (d,) bool
        Columns whose spread exceeds rounding noise (the ones the ascent moves).
    exponent : ndarray (d,) int
        Each column is divided by ``2 ** exponent`` (its largest magnitude,
        rounded up to a power of two) before any arithmetic.
    """

    center: np.ndarray
    scale: np.ndarray
    varying: np.ndarray
    exponent: np.ndarray
    _unit_center: np.ndarray = field(repr=False)
    _unit_scale: np.ndarray = field(repr=False)

    @classmethod
    def fit(cls, X: np.ndarray) -> "Standardizer":
        X64 = np.asarray(X, dtype=np.float64)
        peak = np.abs(X64).max(axis=0) if X64.shape[0] else np.zeros(X64.shape[1])
        exponent = np.frexp(peak)[1]  # peak / 2**exponent in [0.5, 1)
        unit = np.ldexp(X64, -exponent)
        center = unit.mean(axis=0)
        scale = unit.std(axis=0)
        # A spread below a few ulps of the column's largest value is rounding noise.
        varying = scale > np.finfo(np.float64).eps * 16 * np.ldexp(peak, -exponent)
        scale = np.where(varying, scale, 1.0)
        return cls(center=np.ldexp(center, exponent), scale=np.where(varying, np.ldexp(scale, exponent), 1.0),
                   varying=varying, exponent=exponent, _unit_center=center, _unit_scale=scale)

    def transform(self, X: np.ndarray, dtype: type) -> np.ndarray:
        """Standardised non-constant columns, C-contiguous, in ``dtype``."""
        cols = self.varying
        unit = np.ldexp(np.asarray(X, dtype=np.float64)[:, cols], -self.exponent[cols])
        z = (unit - self._unit_center[cols]) / self._unit_scale[cols]
        return np.ascontiguousarray(z, dtype=dtype)

    def inverse(self, Z: np.ndarray, template: np.ndarray) -> np.ndarray:
        """Rows in the caller's units (float64); constant columns from ``template``.

        ``template`` holds, row by row, the seeds the rows of ``Z`` were grown
        from: constant columns are copied from them exactly. A row beyond the
        largest float64 comes back as +-inf (the caller clips to its dtype).
        """
        out = np.array(template, dtype=np.float64, copy=True)
        cols = self.varying
        unit = np.asarray(Z, dtype=np.float64) * self._unit_scale[cols] + self._unit_center[cols]
        with np.errstate(over="ignore"):
            out[:, cols] = np.ldexp(unit, self.exponent[cols])
        return out


# Rules of thumb on unit-variance data: h from n rows and d non-constant features.
BANDWIDTH_RULES: dict[str, Callable[[float, float], float]] = {
    "scott": lambda n, d: n ** (-1.0 / (d + 4.0)),
    "silverman": lambda n, d: (n * (d + 2.0) / 4.0) ** (-1.0 / (d + 4.0)),
}


def resolve_bandwidth(bandwidth: Bandwidth, n_samples: int, n_dims: int) -> float:
    """The bandwidth h in standardised units.

    Parameters
    ----------
    bandwidth : str or float
        A rule of :data:`BANDWIDTH_RULES`, or h itself (> 0, validated by
        the sampler's parameter constraints).
    n_samples : int
        Training rows n.
    n_dims : int
        Non-constant features d (>= 1).

    Returns
    -------
    float
    """
    if isinstance(bandwidth, str):
        return float(BANDWIDTH_RULES[bandwidth](float(n_samples), float(max(n_dims, 1))))
    return float(bandwidth)
