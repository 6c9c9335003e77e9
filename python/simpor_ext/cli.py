"""The ``simpor-ext`` command line: ``demo``, ``balance`` and ``info``.

Every failure the user can cause (a missing file, a bad column, a bad option
value, an unwritable output) ends in one line on stderr and a non-zero exit
status, never a traceback: 1 for bad input data or a failed run, 2 for bad
usage or option values, 130 when interrupted (Ctrl-C), 143 when terminated
(SIGTERM, unwound like Ctrl-C so no temporary file is left); either signal
once OUTPUT is in place leaves the run complete (exit status 0, and a line
saying it was ignored). ``--debug`` re-raises instead. Warnings, from
``warnings`` or the package's ``logging``, print as one ``simpor-ext:
warning:`` line each.
pandas, matplotlib and the demo's models are imported by the commands that
need them.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from ._backends import FALLBACK_NOTICE
from ._cli_balance import run_balance
from ._cli_options import (INFORMATIVE_OPTIONS, SAMPLER_OPTIONS, integer, positive_int, sampler_defaults, separator,
                           with_default)
from ._cli_signals import Terminated, handle_signals
from ._cli_tables import EXIT_INPUT, EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_USAGE, CLIError, one_line


# --------------------------------------------------------------------- parsing
class _Parser(argparse.ArgumentParser):
    """argparse with a one-line usage error (exit status 2) instead of the
    usage block."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


_SAMPLER_DESTS = {dest for _, dest, _ in SAMPLER_OPTIONS} | {f"al_{field}" for _, field, _ in INFORMATIVE_OPTIONS}


class _SamplerHelp(argparse.HelpFormatter):
    """Appends SIMPOR's live defaults to the sampler flags' help, reading them
    (which imports the sampler) only when help is actually shown."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = super()._get_help_string(action) or ""
        if action.dest in _SAMPLER_DESTS:
            text = with_default(text, action.dest, sampler_defaults()).replace("%", "%%")
        return text


def _add_sampler_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("sampler options (simpor_ext.SIMPOR parameters)")
    for flag, dest, kwargs in SAMPLER_OPTIONS:
        group.add_argument(flag, dest=dest, default=None, **kwargs)
    al = parser.add_argument_group("active learning (SIMPOR's informative=)")
    al.add_argument("--no-informative", action="store_true",
                    help="skip active learning: every sample of a class is a seed (informative=None)")
    for flag, field, kwargs in INFORMATIVE_OPTIONS:
        al.add_argument(flag, dest=f"al_{field}", default=None, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(
        prog="simpor-ext",
        description="SIMPOR oversampling (Synthetic Information towards Maximum Posterior Ratio).",
    )
    parser.add_argument("--version", action="version", version=f"simpor-ext {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    _add_demo_parser(commands)
    _add_balance_parser(commands)
    _add_info_parser(commands)
    return parser


def _add_demo_parser(commands) -> None:
    p = commands.add_parser("demo", help="balance the paper's Moon data with SIMPOR and SMOTE, train, compare, plot",
                            description="Balance the paper's Moon data (IR 3:1) with SIMPOR and SMOTE, "
                                        "train the paper's MLP on raw / SMOTE / SIMPOR data and compare test macro-F1.")
    p.add_argument("--out", type=Path, default=Path("simpor-demo"), metavar="DIR",
                   help="folder for the PNG (default: ./simpor-demo)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="SIMPOR backend")
    p.add_argument("--seed", type=integer, default=0, help="seed for data, samplers and models (default 0)")
    p.add_argument("--n-samples", type=positive_int, default=3000, metavar="N",
                   help="size of the balanced Moon set before 1/3 of class B is removed (paper: 3000)")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG")
    p.set_defaults(handler=_run_demo)


def _add_balance_parser(commands) -> None:
    p = commands.add_parser("balance", help="oversample a CSV or Parquet table with SIMPOR",
                            formatter_class=_SamplerHelp,
                            description="Oversample the minority classes of a CSV or Parquet table with SIMPOR. "
                                        "Original rows come first, synthetic rows are appended. The input is "
                                        "never modified; the output is written atomically.")
    p.add_argument("input", type=Path, metavar="INPUT", help="input table (.csv, .tsv, .parquet; csv may be compressed)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUTPUT",
                   help="output table; format from the extension")
    p.add_argument("--target", required=True, metavar="COLUMN", help="the label column; all others are features")
    p.add_argument("--sep", type=separator, metavar="SEP",
                   help="field delimiter of a CSV input: one character, or 'tab' (default: ',', tab for .tsv, "
                        "unless the header reads as one column holding another of ',', ';', tab, '|': that one)")
    p.add_argument("--origin-column", metavar="NAME",
                   help="add a column holding, for each synthetic row, the 0-based input row it was grown from")
    p.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    verbosity = p.add_mutually_exclusive_group()
    verbosity.add_argument("--progress", action="store_true", default=None,
                           help="always show the progress bar (default: only when stderr is a terminal)")
    verbosity.add_argument("-q", "--quiet", action="store_true", help="no progress bar, no summary line")
    _add_sampler_options(p)
    p.set_defaults(handler=run_balance)


def _add_info_parser(commands) -> None:
    p = commands.add_parser("info", help="version, compiled backends, GPU, OpenMP threads")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=_run_info)


# ------------------------------------------------------------------------ info
def _info_report() -> dict[str, Any]:
    from . import __version__, device_info

    info = device_info()
    report: dict[str, Any] = {"version": __version__, "python": sys.version.split()[0], **info}
    try:
        import onnxruntime

        report["onnxruntime"] = {"version": onnxruntime.__version__,
                                 "providers": onnxruntime.get_available_providers()}
    except ImportError as exc:
        report["onnxruntime"] = {"error": str(exc)}
    return report


def _format_info(report: dict[str, Any]) -> str:
    cpu = report["cpu"]
    openmp = f"OpenMP, {cpu.get('max_threads')} threads" if cpu.get("openmp") else "no OpenMP (1 thread)"
    backends = "cpu" + (", cuda" if report["cuda_built"] else "")
    if report["cuda_available"]:
        gpu = "yes: " + ", ".join(report["cuda_devices"])
    else:
        gpu = f"none: {report['cuda_reason']}"
    ort = report["onnxruntime"]
    ort_line = (f"{ort['version']} ({', '.join(ort['providers'])})" if "version" in ort
                else f"unavailable ({ort['error']})")
    lines = [
        f"simpor-ext {report['version']} (Python {report['python']})",
        f"native backends: {backends}",
        f"cpu:             {openmp}, SIMD {cpu.get('simd', '?')}",
        f"gpu:             {gpu}",
        f"onnxruntime:     {ort_line}",
    ]
    return "\n".join(lines)


def _run_info(args: argparse.Namespace) -> int:
    report = _info_report()
    if args.json:
        import json

        print(json.dumps(report, indent=2, default=str))
    else:
        print(_format_info(report))
    return 0


# ------------------------------------------------------------------------ demo
def _check_demo_args(args: argparse.Namespace) -> None:
    """Fail on the device and the plot folder before a minute of work."""
    from ._backends import get_backend

    try:
        get_backend(args.device)
    except RuntimeError as exc:
        raise CLIError(one_line(exc)) from None
    if args.n_samples < 60:
        raise CLIError(f"--n-samples must be at least 60, got {args.n_samples}", EXIT_USAGE)
    if args.no_plot:
        return
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CLIError(f"cannot create the plot folder {args.out}: {exc.strerror or exc}") from None
    if not os.access(args.out, os.W_OK):
        raise CLIError(f"plot folder not writable: {args.out}")


def _run_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    _check_demo_args(args)
    run_demo(out_dir=None if args.no_plot else args.out, device=args.device,
             seed=args.seed, n_samples=args.n_samples)
    return 0


# ------------------------------------------------------------------- main
def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one line each, without file and line numbers."""
    print(f"simpor-ext: warning: {' '.join(str(message).split())}", file=sys.stderr)


class _OneLineLog(logging.Handler):
    """The package's log records of level WARNING and up, as warnings are shown."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"simpor-ext: {record.levelname.lower()}: {' '.join(record.getMessage().split())}", file=sys.stderr)


def _not_the_fallback_notice(record: logging.LogRecord) -> bool:
    # The summary line names the device that ran; ``info`` says why no GPU.
    return record.msg != FALLBACK_NOTICE


@contextlib.contextmanager
def _package_log_to_stderr():
    package = logging.getLogger(__package__)
    handler, propagate = _OneLineLog(logging.WARNING), package.propagate
    handler.addFilter(_not_the_fallback_notice)
    package.addHandler(handler)
    package.propagate = False
    try:
        yield
    finally:
        package.removeHandler(handler)
        package.propagate = propagate


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``simpor-ext`` console script; returns the exit status.

    With ``argv`` given (a caller in this process) the signal handlers are put
    back on return; without, the process is ending, and a signal after a
    complete run stays noted instead of killing it during shutdown.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    warnings.showwarning = _show_warning
    with handle_signals(restore=argv is not None), _package_log_to_stderr():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except CLIError as exc:
        if args.debug:
            raise
        print(f"simpor-ext: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        if Terminated.received:
            print("simpor-ext: terminated", file=sys.stderr)
            return EXIT_TERMINATED
        print("simpor-ext: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. ``simpor-ext info | head -1``
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 -- keep the interpreter's final flush quiet
        return EXIT_INPUT
    except Exception as exc:  # anything unforeseen still gets one line
        if args.debug:
            raise
        print(f"simpor-ext: error: {type(exc).__name__}: {one_line(exc)} (rerun with --debug for details)",
              file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":
    sys.exit(main())
