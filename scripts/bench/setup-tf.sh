#!/usr/bin/env bash
# Creates the virtualenv for the TensorFlow speed anchor (scripts/bench/spliceai_tf.py), outside
# the repository: $SPLICEFORGE_TF_VENV, default $HOME/.cache/spliceforge/tf-venv. Prints its path.
#
# What was verified to work: PyPI tensorflow-cpu 2.21.0 with its Keras 3.15.1 loads the 2018
# Keras-2.0.5 SpliceAI .h5 files directly with keras.models.load_model(path, compile=False);
# tf-keras is not needed. Idempotent: does nothing when the venv already imports both (a stamp file in the venv
# records the installed package list, so the second run is instant).
#
#   V=$(scripts/bench/setup-tf.sh) && $V/bin/python scripts/bench/spliceai_tf.py --help
set -euo pipefail

venv="${SPLICEFORGE_TF_VENV:-$HOME/.cache/spliceforge/tf-venv}"
# Pinned to what was tested; override with SPLICEFORGE_TF_PACKAGES (e.g. "tensorflow-cpu tf-keras").
packages="${SPLICEFORGE_TF_PACKAGES:-tensorflow-cpu==2.21.0 keras==3.15.1}"

check() {
  "$venv/bin/python" -c 'import os; os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"; import tensorflow, keras, numpy, h5py' \
    >/dev/null 2>&1
}

# Fast path: a stamp written after a successful install of exactly these packages.
stamp="$venv/.spliceforge-tf-ok"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$packages" ]]; then
  echo "$venv"
  exit 0
fi
if [[ -x "$venv/bin/python" ]] && check; then
  echo "$packages" >"$stamp"
  echo "$venv"
  exit 0
fi

command -v python3 >/dev/null || { echo "error: python3 not found" >&2; exit 1; }
if [[ ! -x "$venv/bin/python" ]]; then
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv" || {
    echo "error: python3 -m venv $venv failed (on Debian: apt-get install python3-venv)" >&2
    exit 1
  }
fi
echo "installing $packages into $venv (about 1.6 GB on disk)…" >&2
# shellcheck disable=SC2086
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $packages numpy h5py >&2; then
  echo "error: pip install of $packages into $venv failed" >&2
  exit 1
fi
check || { echo "error: $venv cannot import tensorflow and keras after installing" >&2; exit 1; }
echo "$packages" >"$stamp"
echo "$venv"
