"""The package's layering: only the backend layer imports the native modules."""
import ast
from pathlib import Path

import simpor_ext

PACKAGE = Path(simpor_ext.__file__).resolve().parent
NATIVE = {"_core", "_cuda"}


def _native_imports(path: Path) -> set:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            names = {a.name for a in node.names} | {(node.module or "").rsplit(".", 1)[-1]}
            found |= names & NATIVE
        elif isinstance(node, ast.Import):
            found |= {a.name.rsplit(".", 1)[-1] for a in node.names} & NATIVE
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.endswith("._cuda"):
            found.add("_cuda")  # importlib.import_module("simpor_ext._cuda")
    return found


def test_only_the_backends_import_the_native_modules():
    offenders = {str(p.relative_to(PACKAGE)): sorted(_native_imports(p)) for p in PACKAGE.rglob("*.py")
                 if p.parent.name != "_backends" and _native_imports(p)}
    assert not offenders, offenders
    assert _native_imports(PACKAGE / "_backends" / "cpu.py") == {"_core"}
