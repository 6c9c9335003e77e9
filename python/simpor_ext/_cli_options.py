"""Flags of ``simpor-ext balance``: value parsers and the SIMPOR parameter
table. Each parser raises ``argparse.ArgumentTypeError`` with the reason, so
a bad value is one usage line (exit status 2)."""
from __future__ import annotations

import argparse
import functools
import json
import math
from pathlib import Path
from typing import Any

def positive_int(text: str) -> int:
    value = integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not (0 < value < math.inf):
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text!r}")
    return value


def _probability(text: str) -> float:
    value = _positive_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text!r}")
    return value


def _bandwidth(text: str) -> Any:
    return text if text in ("scott", "silverman") else _positive_float(text)


def _sampling_strategy(text: str) -> Any:
    """Keywords and floats pass through; ``label:count,...`` stays text until
    the labels' type is known (see :func:`_resolve_strategy`)."""
    if ":" in text:
        return text
    try:
        return _probability(text)
    except argparse.ArgumentTypeError:
        return text


def _non_negative_int(text: str) -> int:
    value = integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return value


def _n_jobs(text: str) -> int:
    value = integer(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be a positive integer or negative (-1: all cores), not 0")
    return value


def _angle(text: str) -> float:
    value = _positive_float(text)
    if value > math.pi / 2:
        raise argparse.ArgumentTypeError(f"must be an angle in (0, pi/2] radians, got {text!r}")
    return value


def _size(text: str) -> Any:
    """A count (int >= 1) or a fraction of the rows (float in (0, 1))."""
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        value = _positive_float(text)
        if value >= 1:
            raise argparse.ArgumentTypeError(f"must be an integer >= 1 or a fraction in (0, 1), got {text!r}")
        return value


def _unit_interval(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1], got {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1], got {text!r}")
    return value


def _epochs(text: str) -> Any:
    return "none" if text.lower() == "none" else positive_int(text)


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"must be a JSON object: {exc.msg}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"must be a JSON object, got {text!r}")
    return value


def _scorer(text: str) -> str:
    if text != "mlp" and not text.lower().endswith(".onnx"):
        raise argparse.ArgumentTypeError(f"must be 'mlp' or a path to an .onnx file, got {text!r}")
    if text != "mlp" and not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"ONNX file not found: {text}")
    return text


# Sampler options: (flag, SIMPOR parameter, argparse keywords). Only options
# the user gives are passed on, so SIMPOR's own defaults apply otherwise.
SAMPLER_OPTIONS: list[tuple[str, str, dict]] = [
    ("--sampling-strategy", "sampling_strategy", dict(
        type=_sampling_strategy, metavar="STRATEGY",
        help="auto | minority | 'not majority' | 'not minority' | all | a float "
             "(minority/majority ratio, binary only) | LABEL:COUNT,... target counts")),
    ("--k-neighbors", "k_neighbors", dict(
        type=positive_int, metavar="K",
        help="neighbours for each seed's sphere radius bound R, paper eq. 14")),
    ("--bandwidth", "bandwidth", dict(
        type=_bandwidth, metavar="H",
        help="KDE bandwidth in standard deviations: scott | silverman | a positive float")),
    ("--max-iter", "max_iter", dict(
        type=_non_negative_int, metavar="N", help="maximum ascent trials per synthetic row")),
    ("--step", "step", dict(
        type=_angle, metavar="RAD", help="rotation angle in radians, in (0, pi/2]: the first trial angle "
                                         "(adaptive) or every rotation (fixed)")),
    ("--tol", "tol", dict(
        type=_positive_float, metavar="RAD", help="adaptive rule stops below this angle; <= --step")),
    ("--step-rule", "step_rule", dict(
        choices=("adaptive", "fixed"), help="angle control; fixed is the paper's rule")),
    ("--scorer", "scorer", dict(
        type=_scorer, metavar="SCORER",
        help="active-learning classifier: mlp | path to a pre-trained .onnx classifier")),
    ("--contrast", "contrast", dict(
        choices=("rest", "majority"),
        help="posterior-ratio denominator: every other class, or the majority class as in the paper")),
    ("--device", "device", dict(choices=("auto", "cpu", "cuda"), help="ascent backend")),
    ("--n-jobs", "n_jobs", dict(type=_n_jobs, metavar="N", help="CPU threads")),
    ("--random-state", "random_state", dict(
        type=integer, metavar="SEED", help="seed; the same seed gives the same output bytes")),
]

# Active-learning settings: (flag, ActiveLearning field, argparse keywords).
INFORMATIVE_OPTIONS: list[tuple[str, str, dict]] = [
    ("--initial-size", "initial_size", dict(
        type=_size, metavar="N", help="random stratified initial batch: count or fraction")),
    ("--query-size", "query_size", dict(
        type=_size, metavar="N", help="samples queried per round: count or fraction")),
    ("--entropy-threshold", "threshold", dict(
        type=_unit_interval, metavar="E", help="stop when no pool sample reaches this entropy")),
    ("--max-rounds", "max_rounds", dict(type=_non_negative_int, metavar="N", help="maximum query rounds")),
    ("--refit-epochs", "refit_epochs", dict(
        type=_epochs, metavar="N", help="warm-start epochs per round of the default MLP; 'none' retrains "
                                        "from scratch as the paper does")),
    ("--mlp-params", "mlp_params", dict(
        type=_json_object, metavar="JSON", help="MLPClassifier overrides of the Table 1 settings, "
                                                "e.g. '{\"max_iter\": 50}'")),
    ("--scoring-batch-size", "batch_size", dict(
        type=positive_int, metavar="N", help="rows per scoring call")),
]


@functools.lru_cache(maxsize=None)
def sampler_defaults() -> dict[str, Any]:
    """SIMPOR's and ActiveLearning's defaults, read from the code so the
    help text never drifts from them."""
    import dataclasses
    import inspect

    from .informative import ActiveLearning
    from .sampler import SIMPOR

    defaults = {name: p.default for name, p in inspect.signature(SIMPOR.__init__).parameters.items()
                if p.default is not inspect.Parameter.empty}
    defaults.update({f"al_{f.name}": f.default for f in dataclasses.fields(ActiveLearning)})
    return defaults


_NONE_MEANS = {"n_jobs": "all cores", "random_state": "unseeded", "al_mlp_params": "Table 1 settings",
               "al_refit_epochs": "none"}


def with_default(help_text: str, dest: str, defaults: dict[str, Any]) -> str:
    """``help_text`` followed by the default of ``dest`` as a user would read it."""
    value = defaults.get(dest)
    shown = _NONE_MEANS.get(dest, "none") if value is None else value
    return f"{help_text} (default: {shown})"
