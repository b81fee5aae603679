#!/bin/bash
# Builds spliceforge for bioconda: the binary into $PREFIX/bin, the licences of every crate it
# statically links into THIRDPARTY.yml (meta.yaml's license_file).
set -euxo pipefail

# Until the run-time loader lands, build.rs links XGBoost at build time: point it at conda-forge's
# libxgboost (host requirement) instead of letting it fetch XGBoost's PyPI wheel into .deps/.
# build.rs needs libxgboost.so and libxgboost.so.3 there (the SONAME binaries ask for). A binary
# with the run-time loader ignores this variable and opens $PREFIX/lib/libxgboost.so at run
# time (it looks beside itself, in ../lib).
export SPLICEFORGE_XGBOOST_LIB_DIR="${PREFIX}/lib"
if [[ -e ${PREFIX}/lib/libxgboost.so && ! -e ${PREFIX}/lib/libxgboost.so.3 ]]; then
  echo "note: ${PREFIX}/lib has no libxgboost.so.3; a binary linked at build time needs it" >&2
fi

# The licences of the crates compiled into the binary.
cargo-bundle-licenses --format yaml --output THIRDPARTY.yml

cargo install --locked --no-track --root "${PREFIX}" --path .
