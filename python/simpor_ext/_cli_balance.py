"""``simpor-ext balance``: from the parsed flags to the written table.

The sampler's own parameter rules check the flags (their messages name the
flag); the input is never modified and the output is written atomically.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any, Optional

from ._cli_options import INFORMATIVE_OPTIONS, SAMPLER_OPTIONS, flag_message
from ._cli_scheduler import scheduler_client
from ._cli_signals import late_signals, run_complete
from ._cli_tables import (EXIT_USAGE, AtomicOutput, CLIError, table_format, one_line, read_table, resolve_strategy,
                          split_features)


def _informative(args: argparse.Namespace) -> Any:
    """SIMPOR's ``informative=``: None, "auto", or a dict of the flags given."""
    given = {field: getattr(args, f"al_{field}") for _, field, _ in INFORMATIVE_OPTIONS
             if getattr(args, f"al_{field}") is not None}
    if args.no_informative:
        if given:
            flags = ", ".join(f for f, field, _ in INFORMATIVE_OPTIONS if field in given)
            raise CLIError(f"--no-informative conflicts with {flags}", EXIT_USAGE)
        return None
    if not given:
        return "auto"
    if given.get("refit_epochs") == "none":
        given["refit_epochs"] = None
    return given


def _sampler_params(args: argparse.Namespace, y) -> dict[str, Any]:
    params = {dest: getattr(args, dest) for _, dest, _ in SAMPLER_OPTIONS if getattr(args, dest) is not None}
    if "sampling_strategy" in params:
        params["sampling_strategy"] = resolve_strategy(params["sampling_strategy"], y)
    informative = _informative(args)
    if informative != "auto":
        params["informative"] = informative
    show_progress = args.progress if args.progress is not None else sys.stderr.isatty()
    params["verbose"] = bool(show_progress) and not args.quiet
    return params


def _make_sampler(params: dict[str, Any]):
    from . import SIMPOR

    sampler = SIMPOR(**params)
    try:
        sampler._validate_params()  # the sampler's own rules, before any work
    except (TypeError, ValueError) as exc:
        raise CLIError(flag_message(one_line(exc)), EXIT_USAGE) from None
    return sampler


def _fit_resample(sampler, X, y):
    from sklearn.utils._param_validation import InvalidParameterError  # scikit-learn >= 1.2

    try:
        return sampler.fit_resample(X, y)
    except InvalidParameterError as exc:
        raise CLIError(flag_message(one_line(exc)), EXIT_USAGE) from None
    except (ValueError, RuntimeError, MemoryError) as exc:
        # The sampler's advice names its parameter; here the flag that sets it.
        raise CLIError(one_line(exc).replace("categorical_features", "--categorical")) from None


def _output_frame(df, target: str, X_res, y_res, origin_column: Optional[str], sampler):
    import numpy as np
    import pandas as pd

    # Whole blocks joined with concat: inserting columns into a wide frame
    # fragments it (and pandas warns).
    n = len(df)
    features = pd.DataFrame(X_res).iloc[n:].reset_index(drop=True)
    labels = pd.Series(np.asarray(y_res)[n:], name=target, dtype=df[target].dtype)
    synthetic = pd.concat([features, labels], axis=1)[list(df.columns)]
    out = pd.concat([df, synthetic], ignore_index=True)
    if origin_column is not None:
        origin = pd.Series(pd.array([pd.NA] * n + list(np.asarray(sampler.sample_origin_)), dtype="Int64"),
                           name=origin_column)
        out = pd.concat([out, origin], axis=1)
    return out


def _summary(y, y_res, seconds: float, device: str, output: Path) -> str:
    import pandas as pd

    before = pd.Series(y).value_counts(sort=False)
    with contextlib.suppress(TypeError):  # labels that do not compare keep the file's order
        before = before.sort_index()  # the sampler's (np.unique's) order, as the README shows
    after = pd.Series(y_res).value_counts(sort=False)
    added = ", ".join(f"{label!s} +{after[label] - before[label]} ({before[label]} -> {after[label]})"
                      for label in before.index)
    return (f"simpor-ext: rows added per class: {added}; {len(y)} -> {len(y_res)} rows in {seconds:.1f} s "
            f"on {device}; wrote {output}")


def _device_used(sampler, scheduler: Optional[str]) -> str:
    """What ran, from what the fit recorded in ``device_``. Never resolved again
    after the work: this machine may have no GPU where the fit used a cluster's,
    and a mixed cluster's ``"cpu,cuda"`` is no device name."""
    from ._backends import cpu, cuda, n_threads_for

    if scheduler:
        return f"the Dask cluster at {scheduler} ({sampler.device_})"
    if sampler.device_ == "cpu":
        return cpu.description(n_threads_for(sampler.n_jobs))
    try:
        names = cuda.device_names()
    except Exception:  # noqa: BLE001 -- a name is a nicety; the rows are written
        names = []
    return f"{sampler.device_} ({', '.join(names)})" if names else sampler.device_


def _check_paths(args: argparse.Namespace) -> None:
    if table_format(args.input) == "parquet" and args.sep is not None:
        raise CLIError("--sep applies to CSV input; the input is Parquet", EXIT_USAGE)
    if args.origin_column is not None and args.origin_column == args.target:
        raise CLIError("--origin-column must differ from --target", EXIT_USAGE)
    if args.input.exists() and args.output.exists() and os.path.samefile(args.input, args.output):
        raise CLIError("output is the input file; the input is never modified: choose another OUTPUT", EXIT_USAGE)


def _load(args: argparse.Namespace):
    df = read_table(args.input, args.sep)
    X, y = split_features(df, args.target, args.input)
    if args.origin_column is not None and args.origin_column in df.columns:
        raise CLIError(f"--origin-column {args.origin_column!r} is already a column of the input", EXIT_USAGE)
    return df, X, y


def run_balance(args: argparse.Namespace) -> int:
    _check_paths(args)
    output = AtomicOutput(args.output, overwrite=args.overwrite)  # fail on the output before any work
    try:
        df, X, y = _load(args)
        params = _sampler_params(args, y)
        scheduler = params.pop("client", None) or os.environ.get("DASK_SCHEDULER_ADDRESS")
        with scheduler_client(scheduler) as client:
            sampler = _make_sampler({**params, "client": client})
            start = time.perf_counter()
            X_res, y_res = _fit_resample(sampler, X, y)
            seconds = time.perf_counter() - start
        output.write(_output_frame(df, args.target, X_res, y_res, args.origin_column, sampler))
        run_complete()  # the rename below completes the run: no signal may undo it now
        output.commit()
    except BaseException as exc:
        # A signal that came just before the switch can surface after the
        # rename: the file is complete, and so is the run.
        if not (isinstance(exc, KeyboardInterrupt) and output.committed):
            output.discard()
            raise
        run_complete()
    if not args.quiet:
        print(_summary(y, y_res, seconds, _device_used(sampler, scheduler), args.output))
    for name in late_signals():
        print(f"simpor-ext: {name} ignored: {args.output} was already written", file=sys.stderr)
    return 0
