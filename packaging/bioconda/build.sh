#!/bin/bash
# Builds spliceforge for bioconda: the binary into $PREFIX/bin, the licences of every crate it
# statically links into THIRDPARTY.yml (meta.yaml's license_file).
set -euxo pipefail

# No XGBoost at build time: the binary opens conda-forge's libxgboost (run requirement) at run
# time from $CONDA_PREFIX/lib or its own ../lib ($PREFIX/lib).
# The licences of the crates compiled into the binary.
cargo-bundle-licenses --format yaml --output THIRDPARTY.yml

cargo install --locked --no-track --root "${PREFIX}" --path .
