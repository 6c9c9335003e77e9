"""Flags of ``simpor-ext balance``: value parsers and the SIMPOR parameter
table. The parsers only convert text (a failed conversion is one usage line,
exit status 2); the values are checked by the sampler's own parameter
constraints, whose message :func:`flag_message` maps to the flag."""
from __future__ import annotations

import argparse
import functools
import json
import re
from pathlib import Path
from typing import Any

from ._backends import DEVICES
from .bandwidth import BANDWIDTH_RULES
from .categories import CATEGORICAL_RULES, SMOOTHING_RULES
from .kernels import CONTRASTS, STEP_RULES


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


def separator(text: str) -> str:
    """A CSV field delimiter: one character; 'tab' or '\\t' for a tab."""
    if text.lower() in ("tab", "\\t"):
        return "\t"
    if len(text) != 1 or text in "\"\r\n":
        raise argparse.ArgumentTypeError(f"must be one character or 'tab', got {text!r}")
    return text


def _number(text: str) -> Any:
    """An int where the text is one, else a float."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None


def _number_or_word(text: str) -> Any:
    try:
        return _number(text)
    except argparse.ArgumentTypeError:
        return text


def _sampling_strategy(text: str) -> Any:
    """Keywords and floats pass through; ``label:count,...`` stays text until
    the labels' type is known (see :func:`_resolve_strategy`)."""
    return text if ":" in text else _number_or_word(text)


def _epochs(text: str) -> Any:
    return "none" if text.lower() == "none" else integer(text)


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"must be a JSON object: {exc.msg}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"must be a JSON object, got {text!r}")
    return value


def _categorical_columns(text: str) -> Any:
    """auto, none (an empty list: no categorical column) or comma-separated column names."""
    if text.lower() in ("auto", "none"):
        return "auto" if text.lower() == "auto" else []
    return [name.strip() for name in text.split(",") if name.strip()]


def _scorer(text: str) -> str:
    if text.lower().endswith(".onnx") and not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"ONNX file not found: {text}")
    return text



# Sampler options: (flag, SIMPOR parameter, argparse keywords). Only options
# the user gives are passed on, so SIMPOR's own defaults apply otherwise. The
# choices are the enumerations SIMPOR's constraints are built from, imported
# from light modules (no scikit-learn before a command needs it).
SAMPLER_OPTIONS: list[tuple[str, str, dict]] = [
    ("--sampling-strategy", "sampling_strategy", dict(
        type=_sampling_strategy, metavar="STRATEGY",
        help="auto | minority | 'not majority' | 'not minority' | all | a float "
             "(minority/majority ratio, binary only) | LABEL:COUNT,... target counts")),
    ("--k-neighbors", "k_neighbors", dict(
        type=integer, metavar="K", help="neighbours for each seed's sphere radius bound R, paper eq. 14")),
    ("--bandwidth", "bandwidth", dict(
        type=_number_or_word, metavar="H",
        help="KDE bandwidth in standard deviations: " + " | ".join(BANDWIDTH_RULES) + " | a positive float")),
    ("--max-iter", "max_iter", dict(type=integer, metavar="N", help="maximum ascent trials per synthetic row")),
    ("--step", "step", dict(
        type=_number, metavar="RAD", help="the ascent's first trial angle in radians, in (0, pi/2] (hessian: where "
                                          "its model has no maximum)")),
    ("--tol", "tol", dict(type=_number, metavar="TOL",
                          help="convergence tolerance: the slope of log f along the steepest great circle, in nats "
                               "per radian (1e-4)")),
    ("--step-rule", "step_rule", dict(
        choices=STEP_RULES,
        help="search along the sphere: auto (default: per row, hessian where its Hessian is exact or cheap, "
             "else newton), hessian (CPU: Newton steps on the sphere), newton (L-BFGS steps on the sphere, from "
             "gradients; the GPU's rule)")),
    ("--kde-tol", "kde_tol", dict(
        type=_number, metavar="NATS",
        help="most the returned log posterior ratio may differ from exact (1e-3); 0 evaluates every trial on all "
             "the data")),
    ("--scorer", "scorer", dict(
        type=_scorer, metavar="SCORER",
        help="active-learning classifier: mlp | path to a pre-trained .onnx classifier")),
    ("--contrast", "contrast", dict(
        choices=CONTRASTS,
        help="posterior-ratio denominator: every other class, or the majority class as in the paper")),
    ("--device", "device", dict(choices=DEVICES, help="ascent backend")),
    ("--n-jobs", "n_jobs", dict(type=integer, metavar="N", help="CPU threads (-1: all cores)")),
    ("--scheduler", "client", dict(
        metavar="ADDRESS", help="run the ascent on the Dask cluster of this scheduler (e.g. tcp://host:8786; "
                                "needs simpor_ext[dask]); same output bytes as a local run")),
    ("--random-state", "random_state", dict(
        type=integer, metavar="SEED", help="seed; the same seed gives the same output bytes")),
    ("--categorical", "categorical_features", dict(
        type=_categorical_columns, metavar="COLS",
        help="categorical feature columns: auto (text, category and true/false columns), none, or column names "
             "separated by commas (e.g. integer-coded categories)")),
    ("--categorical-bandwidth", "categorical_bandwidth", dict(
        type=_number_or_word, metavar="S",
        help="smoothing of the categorical kernel, lambda_j = S (c_j - 1) / c_j: " + " | ".join(SMOOTHING_RULES)
             + " (S = h^2) | a float in (0, 1]")),
    ("--categorical-rule", "categorical_rule", dict(
        choices=CATEGORICAL_RULES,
        help="a synthetic row's categories: ratio (those maximising the posterior ratio among the seed's and its "
             "neighbours' values), frequent (SMOTENC's most frequent among the neighbours), seed (the seed's)")),
]

# Active-learning settings: (flag, ActiveLearning field, argparse keywords).
INFORMATIVE_OPTIONS: list[tuple[str, str, dict]] = [
    ("--initial-size", "initial_size", dict(
        type=_number, metavar="N", help="random stratified initial batch: count or fraction")),
    ("--query-size", "query_size", dict(
        type=_number, metavar="N", help="samples queried per round: count or fraction")),
    ("--entropy-threshold", "threshold", dict(
        type=_number, metavar="E", help="stop when no pool sample reaches this entropy")),
    ("--max-rounds", "max_rounds", dict(type=integer, metavar="N", help="maximum query rounds")),
    ("--refit-epochs", "refit_epochs", dict(
        type=_epochs, metavar="N", help="warm-start epochs per round of the default MLP; 'none' retrains "
                                        "from scratch as the paper does")),
    ("--mlp-params", "mlp_params", dict(
        type=_json_object, metavar="JSON", help="MLPClassifier overrides of the Table 1 settings, "
                                                "e.g. '{\"max_iter\": 50}'")),
    ("--scoring-batch-size", "batch_size", dict(
        type=integer, metavar="N", help="rows per scoring call")),
]

_FLAGS = {dest: flag for flag, dest, _ in SAMPLER_OPTIONS + INFORMATIVE_OPTIONS}


def flag_message(message: str) -> str:
    """scikit-learn's message for a bad parameter, led by the flag that set it."""
    found = re.search(r"The '(\w+)' parameter", message)
    flag = _FLAGS.get(found.group(1)) if found else None
    return f"{flag}: {message}" if flag else message


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


_NONE_MEANS = {"client": "$DASK_SCHEDULER_ADDRESS, else local", "tol": "the rule's", "n_jobs": "all cores", "random_state": "unseeded", "al_mlp_params": "Table 1 settings",
               "al_refit_epochs": "none"}


def with_default(help_text: str, dest: str, defaults: dict[str, Any]) -> str:
    """``help_text`` followed by the default of ``dest`` as a user would read it."""
    value = defaults.get(dest)
    shown = _NONE_MEANS.get(dest, "none") if value is None else value
    return f"{help_text} (default: {shown})"
