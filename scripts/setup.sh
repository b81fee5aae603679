#!/usr/bin/env bash
# Everything a fresh machine needs beyond the Rust toolchain. Idempotent and quiet when done.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "error: cargo not found; install Rust (rustup) first" >&2; exit 1; }
# Python packages used only by the interoperability tests (reading our Parquet and models).
if ! python3 -c "import pyarrow, polars, numpy, xgboost" 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check pyarrow polars numpy xgboost-cpu
fi
# XGBoost's C library (also run by build.rs when missing).
scripts/setup-xgboost.sh
