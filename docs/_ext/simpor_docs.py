"""Pages generated at build time, so that no number or flag in them is typed by hand.

At ``builder-inited`` this extension writes into ``docs/_generated/``:

* ``cli_*.rst``: the ``simpor-ext`` command-line reference, rendered from
  ``simpor_ext.cli.build_parser()`` (usage, every flag, its help and the
  defaults the parser itself shows);
* ``results_*.md`` and ``figures/``: the quality benchmark's tables and
  sentences, summarised again from the per-split records in
  ``bench/results/results.json`` with ``bench/summary.py`` and rendered by
  ``bench/report.py``, and its figures as ``bench/summary.py`` drew them;
* ``cost_*.md``, ``method_*.md``: tables of the committed cost measurements
  (``bench/results/trials.json``, ``kde_tol.json``, ``scale.json``,
  ``seed_directions.json``);
* ``mixed_*.md``: the mixed-data benchmark (``bench/results/mixed/``, written
  by ``bench/mixed_quality.py``) and the cost of a pair with categorical
  columns (``bench/results/kernels_cpu.json``, from ``bench/kernels.py``).

Pages include these files; a file is rewritten only when its text changes.
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Iterable

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
RESULTS = ROOT / "bench" / "results"
OUT = DOCS / "_generated"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _load(name: str):
    return json.loads((RESULTS / name).read_text())


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------
def _rst_escape(text: str) -> str:
    for ch in ("\\", "*", "`", "|", "_"):
        text = text.replace(ch, "\\" + ch)
    return text


def _subcommands(parser: argparse.ArgumentParser) -> dict:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _parser_rst(parser: argparse.ArgumentParser, title: str, marker: str) -> list[str]:
    formatter = parser._get_formatter()
    lines = [title, marker * len(title), ""]
    if parser.description:
        lines += [_rst_escape(parser.description), ""]
    usage = parser.format_usage().strip().removeprefix("usage: ")
    lines += [".. code-block:: text", "", "   " + "\n   ".join(usage.splitlines()), ""]
    for group in parser._action_groups:
        actions = [a for a in group._group_actions
                   if a.help is not argparse.SUPPRESS and not isinstance(a, argparse._SubParsersAction)]
        if not actions:
            continue
        lines += [f".. rubric:: {group.title[0].upper() + group.title[1:]}", ""]
        for action in actions:
            invocation = formatter._format_action_invocation(action)
            lines.append(f"``{invocation}``")
            help_text = formatter._expand_help(action) if action.help else ""
            lines += ["   " + _rst_escape(" ".join(help_text.split())), ""]
    return lines


def write_cli_reference(out: Path) -> None:
    import os

    from simpor_ext.cli import build_parser

    # argparse wraps usage and help to the terminal's width: the page's code column is narrower.
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "72"
    try:
        _write_cli_pages(build_parser(), out)
    finally:
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns


def _write_cli_pages(parser: argparse.ArgumentParser, out: Path) -> None:
    top = _parser_rst(parser, "simpor-ext", "-")
    for name, sub in _subcommands(parser).items():
        _write(out / f"cli_{name}.rst", "\n".join(_parser_rst(sub, f"simpor-ext {name}", "-")) + "\n")
    _write(out / "cli_main.rst", "\n".join(top) + "\n")


# --------------------------------------------------------------------------
# Quality benchmark
# --------------------------------------------------------------------------
def _ablation_sentence(summary: dict) -> str:
    """What each stage contributes, in the words of the head-to-head tests against the ablations."""
    import report

    vs = summary.get("simpor_vs", {})
    f1 = vs.get("f1", {})
    if "simpor_no_ascent" not in f1 or "simpor_no_al" not in f1:
        return ""
    asc, al = f1["simpor_no_ascent"], f1["simpor_no_al"]
    prec, rec = vs["precision"]["simpor_no_ascent"], vs["recall"]["simpor_no_ascent"]

    def verdict(h: dict) -> str:
        return "a difference the data show" if h["holm_p"] < 0.05 else "no difference the data can show"

    return (f"Against its ablations, on the {asc['n']} sets: the ascent changes SIMPOR's macro F1 by "
            f"{asc['mean_diff']:+.3f} on average (Holm p = {report.p_str(asc['holm_p'])}, {verdict(asc)}), "
            f"through macro precision ({prec['mean_diff']:+.3f}, Holm p = {report.p_str(prec['holm_p'])}) "
            f"at a cost in macro recall ({rec['mean_diff']:+.3f}, Holm p = {report.p_str(rec['holm_p'])}); "
            f"active learning changes it by {al['mean_diff']:+.3f} (Holm p = {report.p_str(al['holm_p'])}, "
            f"{verdict(al)}).")


def write_results(out: Path) -> None:
    import report
    import summary as summary_mod

    payload = _load("results.json")
    s = summary_mod.summarise_payload(payload)  # results.json stores inf as null: ir_table needs the real one
    pieces = {
        "scope": report._scope(payload),
        "ranks": report.rank_table(s) + "\n\n"
        + "\n".join("- " + report.significance_sentence(s["tests"][k], k) for k in ("f1", "auc") if s["tests"][k]),
        "h2h": report.h2h_table(s, ("f1", "auc")) + "\n\n" + report.holm_sentence(s, "f1"),
        "ir": report.ir_table(s),
        "ablations_sentence": _ablation_sentence(s),
        "h2h_all": report.h2h_table(s, report.METRICS),
        "paper": report.paper_table(payload, ("f1", "auc")) + "\n\n" + report.ceiling_sentence(payload),
        "timing": report.timing_table(s, payload["methods"]) + "\n\n"
        + report.cost_sentence(s["timing"], lead="SIMPOR took"),
        "extremes": report.extremes(s),
    }
    for name, text in pieces.items():
        _write(out / f"results_{name}.md", text.strip() + "\n")
    # Every table, as bench/summary.py writes results.md (its title dropped: the page has its own).
    full = report.results_markdown(payload).split("\n", 1)[1]
    _write(out / "results_tables.md", _promote(full).strip() + "\n")
    _write(out / "params_paired.md", _paired_table() + "\n")

    fig = out / "figures"
    fig.mkdir(parents=True, exist_ok=True)
    # As bench/summary.py drew them from the same results.json.
    for name in ("cd_f1_auc.png", "f1_simpor_deltas.png", "fig3_moon_boundaries.png",
                 "fig4_pca_hdr_breast_cancer_ir7.png", "scale.png"):
        shutil.copyfile(RESULTS / name, fig / name)


#: The paired comparisons of SIMPOR before and after a change of default (bench/paired.py).
PAIRED = (
    ("paired_auto_rule.json", '``step_rule="auto"`` against ``"newton"`` (the default before it), same run otherwise'),
    ("paired_defaults_capped.json", '``step_rule="newton", kde_tol=1e-3`` against ``"adaptive", kde_tol=0`` '
                                    "(the defaults before them), training folds capped at 3,000 rows in both"),
    ("paired_earlier_defaults.json", "the same change, and training folds no longer capped (11 sets grew)"),
    ("paired_lbfgs_newton.json", "newton on L-BFGS circles against its steepest-ascent circles (auto picks newton "
                                 "on some rows), same protocol"),
)


def _paired_table() -> str:
    import report

    rows = []
    for name, change in PAIRED:
        d = _load(name)
        f1, auc = d["f1"], d["auc"]
        rows.append([change.replace("``", "`"), f1["n"], f"{f1['wins']} / {f1['ties']} / {f1['losses']}",
                     f"{f1['mean_diff']:+.4f}", report.p_str(f1["wilcoxon_p"]), f"{auc['mean_diff']:+.4f}",
                     report.p_str(auc["wilcoxon_p"])])
    return _table(["change (after against before)", "sets", "macro F1: W / T / L", "mean Δ F1", "Wilcoxon p",
                   "mean Δ AUC", "Wilcoxon p"], ["---", "---:", "---", "---:", "---:", "---:", "---:"], rows)


def _promote(markdown: str) -> str:
    """Headings one level up (## -> #), so that an included file starts at its own top level."""
    return "\n".join(line[1:] if line.startswith("##") else line for line in markdown.splitlines())


def write_bench_notes(out: Path) -> None:
    """bench/RESULTS.md (without its title) and SUMMARY.md's prose (after the generated block)."""
    import report

    log = (ROOT / "bench" / "RESULTS.md").read_text(encoding="utf-8").split("\n", 1)[1]
    _write(out / "bench_results_log.md", _promote(log).strip() + "\n")
    summary = (RESULTS / "SUMMARY.md").read_text(encoding="utf-8").split(report.END, 1)[1]
    # "Reading them" is on the results page already; the protocol starts with the authors' experiments.
    start = summary.find("\n## How the authors")
    _write(out / "bench_protocol.md", _promote(summary[start:] if start >= 0 else summary).strip() + "\n")


# --------------------------------------------------------------------------
# Cost and method tables
# --------------------------------------------------------------------------
def _table(header: Iterable[str], align: str, rows: Iterable[Iterable[str]]) -> str:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _secs(s: float) -> str:
    return f"{s:.2f}" if s < 10 else f"{s:,.1f}"


def write_cost_tables(out: Path) -> None:
    trials = _load("trials.json")
    rules = [r for r in ("adaptive", "newton", "hessian", "auto") if r in trials[0]]
    rows = []
    for t in trials:
        rows.append([t["dataset"], f"{t['n']:,}", t["d"]]
                    + [f"{t[r]['trials_per_row']:.1f} / {t[r]['seconds']:.2f}" for r in rules]
                    + [f"{t[r]['log_ratio']:.4f}" for r in ("newton", "auto")])
    _write(out / "cost_trials.md", _table(
        ["data set", "n", "d"] + [f"{r}: trials per row / s" for r in rules] + ["mean log f: newton", "auto"],
        ["---"] + ["---:"] * (2 + len(rules) + 2), rows) + "\n")

    kde = _load("kde_tol.json")
    rows = []
    for entry in kde:
        base = next(r for r in entry["runs"] if r["kde_tol"] == 0)
        for r in entry["runs"]:
            rows.append([entry["dataset"], f"{entry['n']:,}", entry["d"], f"{r['kde_tol']:g}", f"{r['seconds']:.2f}",
                         f"{base['seconds'] / r['seconds']:.2f}x", f"{r['pair_fraction']:.3f}",
                         f"{r['log_ratio']:.4f}", f"{r['max_error']:.1e}"])
    _write(out / "cost_kde_tol.md", _table(
        ["data set", "n", "d", "kde_tol", "seconds", "speed-up", "pair fraction", "mean log f", "max error"],
        ["---"] + ["---:"] * 8, rows) + "\n")

    scale = _load("scale.json")
    rows = []
    for r in scale:
        star = "*" if r.get("sampled") else ""
        rows.append([f"{r['n']:,}", f"{r['minority']:,}", _secs(r["today"]["seconds"]) + star,
                     f"{r['today']['trials_per_row']:.1f}", _secs(r["default"]["seconds"]) + star,
                     f"{r['default']['trials_per_row']:.1f}", f"{r['default']['pair_fraction']:.3f}",
                     f"{r['speed_up']:.2f}x", f"{r['smote']['seconds']:.3f}", f"{r['default_over_smote']:,.0f}x"])
    _write(out / "cost_scale.md", _table(
        ["n", "minority", "earlier path, s", "trials per row", "defaults, s", "trials per row", "pair fraction",
         "speed-up", "SMOTE, s", "defaults / SMOTE"], ["---:"] * 10, rows) + "\n")

    seeds = _load("seed_directions.json")
    rows = []
    for r in seeds["rows"]:
        s, z = r["simpor"], r["no_ascent"]
        rows.append([r["dataset"], f"{r['n']:,}", r["d"], f"{s['n_synthetic']:,}", f"{s['rows_per_seed']:.1f}",
                     f"{s['mean_cos']:.3f}", f"{s['median_cos']:.3f}", f"{s['p10_cos']:.3f}", f"{z['mean_cos']:.3f}"])
    _write(out / "method_seed_directions.md", _table(
        ["data set", "rows", "d", "synthetic", "rows per seed", "mean cos", "median", "10th pct",
         "mean cos, no ascent"], ["---"] + ["---:"] * 8, rows) + "\n")


class ExampleOrder:
    """The gallery's order: from what SIMPOR does to how to use it (sphinx-gallery sort key)."""

    ORDER = ("plot_posterior_ratio_sphere.py", "plot_moon_boundaries.py", "plot_mixed_data.py",
             "plot_pipeline_gridsearch.py", "plot_provenance.py", "plot_cost_vs_size.py", "plot_command_line.py")

    def __init__(self, src_dir: str) -> None:
        self.src_dir = src_dir

    def __call__(self, filename: str) -> tuple:
        return (self.ORDER.index(filename) if filename in self.ORDER else len(self.ORDER), filename)

    def __repr__(self) -> str:  # sphinx-gallery compares configurations by repr
        return f"<{type(self).__name__}>"


def write_mixed(out: Path) -> None:
    """The mixed-data tables: the benchmark's report, and the pair-cost ratios."""
    report = (RESULTS / "mixed" / "mixed_results.md").read_text(encoding="utf-8")
    _write(out / "mixed_results.md", report.replace("### ", "**", ).replace(" (macro F1)\n", " (macro F1)**\n"))
    rows = [r for r in _load("kernels_cpu.json")["rows"] if "categorical_cost_ratio" in r]
    _write(out / "mixed_cost.md", _table(
        ["dtype", "n", "numeric d", "categorical columns", "mixed pair / numeric pair"],
        ["---", "---:", "---:", "---:", "---:"],
        ([r["dtype"], f"{r['n']:,}", r["d"], r["n_cat"], f"{r['categorical_cost_ratio']:.2f}x"] for r in rows)) + "\n")


def generate(app) -> None:
    write_cli_reference(OUT)
    write_results(OUT)
    write_cost_tables(OUT)
    write_bench_notes(OUT)
    write_mixed(OUT)


def setup(app):
    app.connect("builder-inited", generate)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
