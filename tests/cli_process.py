"""The ``simpor-ext`` command line as a subprocess (``python -m simpor_ext``),
importing the simpor_ext the tests imported, wherever it lives."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import simpor_ext

CLI_TIMEOUT = 180


def cli_env(**extra: str) -> dict:
    search_path = [str(Path(simpor_ext.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": os.pathsep.join(filter(None, search_path)),
            **extra}


def run_cli(*args, cwd: Path, timeout: float = CLI_TIMEOUT, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simpor_ext", *map(str, args)], cwd=cwd, env=cli_env(**env),
                          capture_output=True, text=True, timeout=timeout)
