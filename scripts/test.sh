#!/usr/bin/env bash
# The test command of the README: installs what the tests need, then runs every test: the Rust
# tests, the Python package's tests (python/tests/, pytest, against the release binary the Rust
# tests built) and the wheel test (scripts/test-wheel.sh: the wheel built, installed into a fresh
# virtual environment and used from there).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo test --release "$@"
venv=${SPLICEFORGE_VENV:-.venv}
bin=${CARGO_TARGET_DIR:-target}/release/spliceforge
[[ $bin == /* ]] || bin=$PWD/$bin
echo "python: pytest python/tests (SPLICEFORGE_BIN=$bin)"
SPLICEFORGE_BIN=$bin "$venv/bin/python" -m pytest -q python/tests
scripts/test-wheel.sh
