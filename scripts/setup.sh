#!/usr/bin/env bash
# Everything a fresh machine needs beyond the Rust toolchain. Idempotent and quiet when done.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "error: cargo not found; install Rust (rustup) first" >&2; exit 1; }
# Python packages used only by the interoperability tests (reading our Parquet and models).
if ! python3 -c "import pyarrow, polars, numpy, xgboost, h5py" 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check pyarrow polars numpy xgboost-cpu h5py
fi
# XGBoost's C library (also run by build.rs when missing).
scripts/setup-xgboost.sh
# SpliceAI weights (CC BY-NC 4.0, fetched into a per-user cache, never into the repository).
if ! scripts/fetch-spliceai.sh --quiet >/dev/null; then
  echo "error: could not fetch the SpliceAI weights (scripts/fetch-spliceai.sh failed, see above)" >&2
  exit 1
fi
