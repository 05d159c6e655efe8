# Shared by serve.sh and test.sh: make .venv hold exactly what pyproject.toml asks for.
# Quick when nothing changed: the install is skipped while pyproject.toml's hash is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${EXTRA:-}"  # set by the caller: "" or "test"
python_bin="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$python_bin" -m venv .venv
fi
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)${extra:+-$extra}"
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".${extra:+[$extra]}"
    touch "$stamp"
fi
