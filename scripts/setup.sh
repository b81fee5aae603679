#!/usr/bin/env bash
# Everything a fresh machine needs beyond the Rust toolchain and python3 (with venv and pip).
# Idempotent, and quiet when everything is already in place.
#   - .venv/: the project's Python virtual environment with the test-only packages of
#     scripts/requirements-test.txt, pytest and maturin among them (the system Python is never
#     modified; override the place with SPLICEFORGE_VENV);
#   - .deps/xgboost/: XGBoost's C library (scripts/setup-xgboost.sh), which binaries built in
#     this checkout load at run time when no other is found (docs/install.md);
#   - SpliceAI's weights in ~/.cache/spliceforge/ (scripts/fetch-spliceai.sh; CC BY-NC 4.0).
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "error: $*" >&2; exit 1; }
command -v cargo >/dev/null || die "cargo not found; install Rust (https://rustup.rs) first"
command -v python3 >/dev/null || die "python3 not found; install Python 3.9 or later with venv and pip"
venv=${SPLICEFORGE_VENV:-.venv}
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv" ||
    die "could not create the virtual environment $venv (Debian/Ubuntu: apt-get install python3-venv)"
fi
if ! "$venv/bin/python" -c "import pyarrow, polars, numpy, xgboost, h5py, sklearn, pytest" 2>/dev/null ||
  [[ ! -x $venv/bin/maturin ]]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r scripts/requirements-test.txt ||
    die "pip could not install scripts/requirements-test.txt into $venv (is PyPI reachable?)"
fi
scripts/setup-xgboost.sh
if ! scripts/fetch-spliceai.sh --quiet >/dev/null; then
  die "could not fetch the SpliceAI weights (scripts/fetch-spliceai.sh failed, see above)"
fi
