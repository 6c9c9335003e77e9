"""The step rules kept only as benchmark baselines.

The native ascent (csrc/simpor/ascent_step.hpp) runs two rules besides the
public ones, which no user should pick but the benchmarks compare against:

* ``"adaptive"``, the rule of earlier versions: grow the angle after an
  accepted trial (by ``grow``, at most pi/2), halve it after a rejected one,
  stop when it falls below ``tol`` radians (default 1e-3, at most ``step``)
  or the tangential gradient vanishes;
* ``"fixed"``, the paper's rule: rotate by ``step`` until f stops rising.

:func:`ascend` runs them like :func:`simpor_ext.kernels.ascend`, and
:class:`BaselineSIMPOR` is SIMPOR with them allowed (bench/scale.py's
earlier path, bench/trials.py's rule comparison, bench/seed_directions.py).
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError, StrOptions

from simpor_ext import SIMPOR, kernels
from simpor_ext._backends import BASELINE_STEP_RULES, STEP_RULES, get_backend

__all__ = ["BASELINE_STEP_RULES", "ascend", "BaselineSIMPOR"]


def ascend(seeds, radii, directions, numer, denom, bandwidth: float, *, step_rule: str, codes=None,
           categories: Optional[kernels.Categories] = None, max_iter: int = 300, step: float = 0.1,
           tol: Optional[float] = None, grow: float = 2.0, kde_tol: float = 0.0, device: str = "cpu",
           n_threads: Optional[int] = None) -> kernels.AscentResult:
    """Algorithm 1 with any rule the native ascent runs, baselines included
    (arguments as :func:`simpor_ext.kernels.ascend`'s; ``tol`` of "adaptive"
    is its smallest angle, in radians)."""
    spec = kernels.AscentSpec(int(max_iter), float(step), None if tol is None else float(tol), float(grow),
                              step_rule, float(kde_tol))
    seeds = np.asarray(seeds)
    sets = kernels.make_sets(numer, denom, bandwidth, categories,
                             dtype=kernels._dtype_of(seeds, np.asarray(numer), np.asarray(denom)))
    return kernels.run_ascent(sets, seeds, codes, radii, directions, spec, get_backend(device, n_threads))


class BaselineSIMPOR(SIMPOR):
    """SIMPOR whose ``step_rule`` may also be a baseline ("adaptive": ``tol``
    <= ``step``, both radians; "fixed")."""

    _parameter_constraints: dict = {**SIMPOR._parameter_constraints,
                                    "step_rule": [StrOptions(set(STEP_RULES) | set(BASELINE_STEP_RULES))]}

    def _validate_params(self):
        super()._validate_params()
        if self.step_rule == "adaptive" and self.tol is not None and not (self.tol <= self.step):
            raise InvalidParameterError(f"The 'tol' parameter of {type(self).__name__} must be <= step "
                                        f"({self.step!r}). Got {self.tol!r} instead.")
