#!/usr/bin/env bash
# Installs the real SpliceAI 1.3.1 command-line tool (`spliceai -I in.vcf -O out.vcf -R genome.fa
# -A genes.txt -D 50 -M 0`) into the TensorFlow virtualenv of scripts/bench/setup-tf.sh
# ($SPLICEFORGE_TF_VENV, default $HOME/.cache/spliceforge/tf-venv), outside the repository, for
# making the reference outputs of `spliceforge variants` (scripts/variants/make_cli_reference.py)
# and the speed anchors. Prints the venv's path on stdout.
#
#   V=$(scripts/bench/setup-spliceai-cli.sh) && $V/bin/spliceai -h
#
# What it does, on top of setup-tf.sh (tensorflow-cpu 2.21.0, keras 3.15.1):
#   - pip install --no-deps spliceai==1.3.1 (its declared dependencies would pull an old
#     TensorFlow/Keras 2; Keras 3.15.1 loads its 2018 .h5 files as they are), plus pysam, pyfaidx
#     and pandas (pinned to the versions tested; override with SPLICEFORGE_SPLICEAI_CLI_PACKAGES),
#     and setuptools<81 only if `import pkg_resources` fails (spliceai imports it).
#   - patches the INSTALLED copy $venv/lib/python*/site-packages/spliceai/utils.py (never a file of
#     this repository; SpliceAI's code is not copied into spliceforge):
#       1. NumPy 2 removed the binary mode of np.fromstring, which one_hot_encode uses:
#            np.fromstring(seq, np.int8)  ->  np.frombuffer(seq.encode('latin-1'), np.int8)
#          (same bytes for the ASCII sequences SpliceAI sees, so the same encoding).
#       2. a no-op hook for recording the unrounded delta scores: the format string of each
#          scored entry in get_delta_scores is wrapped as _spliceforge_fmt("{}|{}|{:.2f}…"), and
#          `_spliceforge_fmt = str` is appended to the module, so the output is unchanged unless
#          a caller (scripts/variants/run_patched_cli.py) replaces spliceai.utils._spliceforge_fmt.
# The weights (spliceai/models/spliceai{1..5}.h5 inside the wheel) are CC BY-NC 4.0 (Illumina):
# they stay in the venv and in ~/.cache/spliceforge, never in this repository.
#
# Idempotent: a stamp file in the venv records what was installed and patched; the second run is
# instant.
set -euo pipefail
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$("$here/setup-tf.sh")"
packages="${SPLICEFORGE_SPLICEAI_CLI_PACKAGES:-pysam==0.24.1 pyfaidx==0.9.2.2 pandas==3.1.1}"
patch_version=1
stamp="$venv/.spliceforge-spliceai-cli-ok"
want="spliceai==1.3.1 $packages patch=$patch_version"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/spliceai" ]]; then
  echo "$venv"
  exit 0
fi

py="$venv/bin/python"
pipq=("$py" -m pip install --quiet --disable-pip-version-check)
echo "installing spliceai==1.3.1 (--no-deps) and $packages into $venv…" >&2
"${pipq[@]}" --no-deps spliceai==1.3.1 >&2 || { echo "error: pip install spliceai==1.3.1 failed" >&2; exit 1; }
# shellcheck disable=SC2086
"${pipq[@]}" $packages >&2 || { echo "error: pip install $packages failed" >&2; exit 1; }
if ! "$py" -c 'import pkg_resources' >/dev/null 2>&1; then
  "${pipq[@]}" 'setuptools<81' >&2 || { echo "error: pip install setuptools<81 failed" >&2; exit 1; }
fi

# Patch the installed copy (idempotent: each replacement is applied only where its old text is).
"$py" - <<'EOF'
import pathlib, shutil, sys
import importlib.util
spec = importlib.util.find_spec("spliceai")
pkg = pathlib.Path(spec.origin).parent
utils = pkg / "utils.py"
src = utils.read_text()
old_enc = "np.fromstring(seq, np.int8)"
new_enc = "np.frombuffer(seq.encode('latin-1'), np.int8)"
fmt = '"{}|{}|{:.2f}|{:.2f}|{:.2f}|{:.2f}|{}|{}|{}|{}".format('
old_fmt = "delta_scores.append(" + fmt
new_fmt = 'delta_scores.append(_spliceforge_fmt(' + fmt[:-len(".format(")] + ').format('
hook = ("\n\n# spliceforge set-up patch (scripts/bench/setup-spliceai-cli.sh): no-op unless replaced\n"
        "_spliceforge_fmt = str\n")
if old_enc in src:
    src = src.replace(old_enc, new_enc)
if old_fmt in src:
    assert src.count(old_fmt) == 1, "unexpected utils.py"
    src = src.replace(old_fmt, new_fmt)
if "_spliceforge_fmt = str" not in src:
    src = src.rstrip("\n") + hook
for needle in (new_enc, new_fmt, "_spliceforge_fmt = str"):
    if needle not in src:
        sys.exit(f"error: patching {utils} failed (not found after patching: {needle})")
utils.write_text(src)
shutil.rmtree(pkg / "__pycache__", ignore_errors=True)
print(f"patched {utils}", file=sys.stderr)
EOF

"$venv/bin/spliceai" -h >/dev/null 2>&1 || { echo "error: $venv/bin/spliceai -h failed" >&2; exit 1; }
"$py" -c 'import numpy as np; from spliceai.utils import one_hot_encode as e; x = e("ACGTNacgtnRY"); assert x.shape == (12, 4) and x[:4].tolist() == np.eye(4).tolist() and not x[4].any()' \
  || { echo "error: one_hot_encode of the patched spliceai fails" >&2; exit 1; }
echo "$want" >"$stamp"
echo "$venv"
