"""README.md's quick starts run as written.

Every ```python block of README.md runs, in order, in one namespace (as a
reader pasting them into one session would); every ``simpor-ext`` command of
the command-line quick start runs in a temporary folder holding the files
its lines name (train.csv with a ``label`` column, train.parquet with ``y``).
The console script and ``python -m simpor_ext`` are the same command line
(the README says so), so the commands run as ``python -m simpor_ext`` with
this interpreter. ``simpor-ext demo`` at full size takes about a minute; the
same command runs at a fifth of the size in test_cli.py::test_demo_small.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from cli_process import run_cli

README = Path(__file__).resolve().parents[1] / "README.md"
pytestmark = pytest.mark.skipif(not README.is_file(), reason="README.md is not beside the tests")


def _blocks(language: str, section: str | None = None) -> list[str]:
    text = README.read_text(encoding="utf-8")
    if section is not None:
        text = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)


def _commands() -> list[str]:
    lines = [line.split("  #", 1)[0].strip() for block in _blocks("bash", "Quick start: command line")
             for line in block.splitlines()]
    return [line for line in lines if line.startswith(("simpor-ext", "python -m simpor_ext"))]


def test_readme_has_quick_starts():
    assert len(_blocks("python", "Quick start: Python")) >= 2
    assert any(c.startswith("simpor-ext balance") for c in _commands())


def test_python_snippets_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "readme"}
    for block in _blocks("python"):
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 -- the README's own code
    X_res, y_res = namespace["X_res"], namespace["y_res"]
    assert len(X_res) == len(y_res) == 2400
    assert namespace["sampler"].sample_origin_.size == 800
    assert hasattr(namespace["search"], "best_params_")
    mixed = namespace["X_mixed"]  # the categorical column came back as it went in
    assert mixed["plan"].dtype == namespace["table"]["plan"].dtype and set(mixed["plan"].iloc[60:]) == {"monthly"}


@pytest.fixture()
def cli_folder(tmp_path):
    pd = pytest.importorskip("pandas")
    from simpor_ext.moon import make_moon

    split = make_moon(random_state=0, n_samples=600)
    table = pd.DataFrame(split.X_train, columns=["x0", "x1"])
    table.assign(label=split.y_train).to_csv(tmp_path / "train.csv", index=False)
    if any(".parquet" in c for c in _commands()):
        pytest.importorskip("pyarrow")
        table.assign(y=split.y_train).to_parquet(tmp_path / "train.parquet")
    return tmp_path


@pytest.mark.parametrize("command", [c for c in _commands() if not c.startswith("simpor-ext demo")]
                         if README.is_file() else [])
def test_cli_commands_run(cli_folder, command):
    argv = shlex.split(command)
    argv = argv[3:] if argv[:3] == ["python", "-m", "simpor_ext"] else argv[1:]
    done = run_cli(*argv, cwd=cli_folder, timeout=300)
    assert done.returncode == 0, done.stderr
    if "-o" in argv:
        assert (cli_folder / argv[argv.index("-o") + 1]).stat().st_size > 0
