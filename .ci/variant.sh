# Sourced by the CI scripts: installs simpor_ext (CPU only) with extra pip -C
# options into its own venv and CMake folder under build/ci-NAME, so the main
# install and its build are left alone, and sets $py to that venv's python.
#   source .ci/variant.sh NAME [-C option ...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 SIMPOR_CUDA=OFF
out=build/ci-$1
shift
python3 -m venv --clear --system-site-packages "$out/venv"
py=$out/venv/bin/python
"$py" -m pip install -q ".[test]" -C build-dir="$out/cmake" "$@"
