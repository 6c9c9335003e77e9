import sys
from pathlib import Path

# tests/reference.py is a plain module beside the tests; the benchmark's
# modules (bench/keel.py, bench/stats.py, ...) are plain modules in bench/.
_TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(_TESTS))
sys.path.append(str(_TESTS.parent / "bench"))
