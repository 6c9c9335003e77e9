"""Sphinx configuration of the simpor_ext documentation.

Build from the repository root (after ``pip install ".[docs]"``)::

    python -m sphinx -W -b html docs docs/_build/html

The docs import the *installed* package (the compiled core comes with it).
Pages built from measurements (results, cost tables) and the command-line
reference are written into ``docs/_generated/`` at the start of every build
by ``docs/_ext/simpor_docs.py``, from ``bench/results/`` and
``simpor_ext.cli.build_parser()``; the gallery runs ``examples/*.py``.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT / "bench"))  # bench/report.py, summary.py, ... render the results pages

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # the gallery shares the cores with the build

import logging  # noqa: E402

import simpor_ext  # noqa: E402
from simpor_ext._backends import FALLBACK_NOTICE  # noqa: E402

# The gallery runs with device="auto": on a machine without a GPU the one-line
# fallback notice (a log record) would otherwise open the output of the first example.
logging.getLogger("simpor_ext._backends").addFilter(lambda record: record.msg != FALLBACK_NOTICE)

project = "simpor_ext"
author = "simpor_ext developers"
copyright = "simpor_ext developers"
release = simpor_ext.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "simpor_docs",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**/README.rst", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "_generated"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"

# Every cross-reference must resolve: a broken one fails the -W build.
nitpicky = True
nitpick_ignore_regex = [
    # Types named in docstrings that live outside this project (no intersphinx: the build runs offline).
    (r"py:.*", r"(numpy|np|sklearn|imblearn|onnx|onnxruntime|distributed|pandas|dask)\..*"),
    (r"py:.*", r"(ndarray|array-like|array|dataframe|series|callable|optional|default|shape|of|int|float|"
               r"str|bool|dict|list|tuple|None|object|bytes|path|estimator|NearestNeighbors-like|"
               r"InferenceSession|os\.PathLike|numpy\.random\.Generator)"),
]

# -- API reference ----------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": False, "inherited-members": False}
autodoc_typehints = "none"  # the numpydoc sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- Gallery ----------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "simpor_docs.ExampleOrder",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("simpor_ext",),
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "min_reported_time": 1,
    "show_memory": False,
    "plot_gallery": "True",
}

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"simpor_ext {release}"
html_static_path = ["_static"]
html_css_files = ["simpor.css"]
html_show_sourcelink = False
html_theme_options = {
    "logo": {"text": "simpor_ext"},
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 7,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": [], "install": [], "quickstart": []}
