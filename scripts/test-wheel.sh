#!/usr/bin/env bash
# The wheel test (issue 29's acceptance test; scripts/test.sh runs it, so CI does):
#   1. builds the wheel with maturin from the release build (same target directory: only the
#      packaging is new work) and checks what is in it;
#   2. installs it into a fresh virtual environment in a temporary directory, with XGBoost's own
#      wheel from PyPI (xgboost-cpu on Linux x86_64; pip caches downloads as it always does);
#   3. from that environment only: `spliceforge builder` on data/, a short `train`,
#      `predict --dataset`, and the Python package (scan_dataset = the manifest's rows;
#      load_booster's margins = the model files loaded by XGBoost directly, and turned into
#      probabilities they are what `predict` wrote);
#   4. the XGBoost library in use is the environment's own (needs the run-time loader), and the
#      binary copied elsewhere finds its library or says why not (`spliceforge doctor`).
# Steps that need the run-time loader are skipped, with a message, by a binary without
# `spliceforge doctor`. The last line is `wheel: N passed, F failed, S skipped`; the exit status is
# non-zero when anything failed. SPLICEFORGE_KEEP_WHEEL_TEST=1 keeps the temporary directory.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export MATURIN_NO_INSTALL_RUST=1

start=$SECONDS
passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); echo "wheel: ok    $*"; }
bad() { failed=$((failed + 1)); echo "wheel: FAIL  $*"; }
skip() { skipped=$((skipped + 1)); echo "wheel: skip  $*"; }
finish() {
  echo "wheel: took $((SECONDS - start)) s"
  echo "wheel: $passed passed, $failed failed, $skipped skipped"
  [[ $failed -eq 0 ]]
  exit
}

venv=${SPLICEFORGE_VENV:-.venv}
maturin=$venv/bin/maturin
[[ -x $maturin ]] || { bad "no maturin in $venv (run scripts/setup.sh)"; finish; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/spliceforge-wheel.XXXXXX")
if [[ ${SPLICEFORGE_KEEP_WHEEL_TEST:-} == 1 ]]; then
  echo "wheel: keeping $tmp"
else
  trap 'rm -rf "$tmp"' EXIT
fi
log=$tmp/log
# Runs "$@", its output into the log; prints the log's end when it fails.
quiet() {
  if "$@" >"$log" 2>&1; then return 0; fi
  local rc=$?
  tail -n 20 "$log" | sed 's/^/wheel:   | /'
  return $rc
}

# 1. The wheel. The binary links XGBoost at build time until the run-time loader lands; until then
# auditwheel would want to copy the library into the wheel: `warn` reports it and copies nothing
# (step 4 checks the binary's needs itself).
t=$SECONDS
if quiet "$maturin" build --release --auditwheel warn --out "$tmp/dist"; then
  ok "maturin build ($((SECONDS - t)) s)"
else
  bad "maturin build"
  finish
fi
whl=$(ls "$tmp"/dist/spliceforge-*.whl 2>/dev/null | head -n 1)
[[ -n $whl ]] || { bad "maturin wrote no wheel"; finish; }
echo "wheel: built $(basename "$whl") ($(du -k "$whl" | cut -f1) kB)"
contents=$(python3 -m zipfile -l "$whl")
if grep -q '\.data/scripts/spliceforge ' <<<"$contents" && grep -q 'spliceforge/py.typed' <<<"$contents" &&
  grep -q 'spliceforge/__init__.py' <<<"$contents"; then
  ok "the wheel holds the binary (scripts) and the typed package"
else
  bad "the wheel lacks the binary, the package or py.typed:"$'\n'"$contents"
fi
if grep -qi 'libxgboost\|\.libs/' <<<"$contents"; then
  bad "the wheel carries a copy of a library (XGBoost must come from its own wheel)"
else
  ok "the wheel carries no library (XGBoost comes from XGBoost's wheel)"
fi

# 2. A fresh environment with the wheel and its dependencies.
t=$SECONDS
env=$tmp/venv
if quiet python3 -m venv "$env" &&
  quiet "$env/bin/python" -m pip install --quiet --disable-pip-version-check "$whl"; then
  ok "pip install of the wheel into a fresh venv, with its dependencies from PyPI ($((SECONDS - t)) s)"
else
  bad "pip install of the wheel into a fresh venv"
  finish
fi
xgb_lib=$("$env/bin/python" -c 'import os, xgboost; print(os.path.join(os.path.dirname(xgboost.__file__), "lib", "libxgboost.so"))' 2>/dev/null)
echo "wheel: XGBoost $("$env/bin/python" -c 'import xgboost; print(xgboost.__version__)' 2>/dev/null) in the venv: $xgb_lib"

# Commands run as a user of that environment: its bin first on PATH, nothing of ours set.
inenv() {
  env -u SPLICEFORGE_BIN -u SPLICEFORGE_XGBOOST_LIB -u CONDA_PREFIX -u LD_LIBRARY_PATH \
    -u PYTHONPATH -u VIRTUAL_ENV PATH="$env/bin:$PATH" "$@"
}
found=$(inenv bash -c 'command -v spliceforge')
if [[ $found == "$env/bin/spliceforge" ]]; then
  ok "spliceforge on PATH is the venv's ($found)"
else
  bad "spliceforge on PATH is '$found', not $env/bin/spliceforge"
fi
has_doctor=0
inenv spliceforge help doctor >/dev/null 2>&1 && has_doctor=1

# 3. The commands and the Python package, from the environment.
ds=$tmp/ds model=$tmp/model preds=$tmp/preds.parquet
genome=$ROOT/data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz
gtf=$ROOT/data/DmelanDM6_4.gtf.gz
if quiet inenv spliceforge builder --genome "$genome" --annotation "$gtf" --out "$ds" --n-genes 30 -q; then
  ok "spliceforge builder on data/ (30 genes)"
else
  bad "spliceforge builder"
fi
if quiet inenv spliceforge train --dataset "$ds" --out-dir "$model" --n-folds 1 --n-estimators 10; then
  ok "spliceforge train --n-folds 1 --n-estimators 10"
else
  bad "spliceforge train"
fi
# LD_DEBUG shows which libxgboost the process loads, whether it is linked or opened at run time.
if quiet inenv env LD_DEBUG=libs LD_DEBUG_OUTPUT="$tmp/ld" spliceforge predict --model "$model" --dataset "$ds" --out "$preds"; then
  ok "spliceforge predict --dataset"
else
  bad "spliceforge predict --dataset"
fi
loaded=$(grep -h 'calling init: .*libxgboost' "$tmp"/ld.* 2>/dev/null | head -n 1 | sed 's/.*calling init: //')

if inenv python - "$ds" "$model" "$preds" "$env/bin/spliceforge" >"$log" 2>&1 <<'PY'; then
import json, os, sys
from pathlib import Path

import numpy as np
import polars as pl
import xgboost as xgb

import spliceforge as sf

ds, model, preds, binary = map(Path, sys.argv[1:5])
fails = 0


def check(name, cond, detail=""):
    global fails
    print(("PASS " if cond else "FAIL ") + name + ("" if cond else f": {detail}"))
    fails += not cond


check("the package finds the venv's binary", sf.find_binary() == binary, sf.find_binary())
lines = [json.loads(x) for x in (ds / "manifest.jsonl").read_text().splitlines()]
want_rows = sum(e["rows"] for e in lines if e["kind"] == "batch")
got_rows = sf.scan_dataset(ds).select(pl.len()).collect().item()
check(f"scan_dataset(...).collect() rows = the manifest's ({want_rows})", got_rows == want_rows, got_rows)
check("genes(): the genes table", sf.genes(ds).height == 30, sf.genes(ds).height)
check("schema() from the binary = the dataset's", sf.schema().equals(sf.schema(ds)))

feats = sf.model_features(model)
X = sf.scan_dataset(ds).select(feats).collect().to_numpy().astype(np.float32)
D = xgb.DMatrix(X, missing=np.nan)
sites = sf.boosters(model)
ours = np.column_stack([sf.load_booster(model, s).predict(D, output_margin=True) for s in sites])
direct = np.column_stack(
    [xgb.Booster(model_file=str(model / f"model-{s}.json")).predict(D, output_margin=True) for s in sites]
)
check("load_booster margins = the model files loaded by XGBoost directly", np.array_equal(ours, direct))
# Uncalibrated (--n-folds 1) ovr: predict's probabilities are the renormalised sigmoids.
check("the model is the uncalibrated ovr this check assumes", sites == ("neither", "donor", "acceptor")
      and (model / "calibration.json").read_text().strip() == "null", sites)
s = 1 / (1 + np.exp(-ours.astype(np.float64)))
p = s / s.sum(axis=1, keepdims=True)
got = sf.read_predictions(preds).select(["p_neither", "p_donor", "p_acceptor"]).to_numpy()
d = float(np.abs(got - p).max()) if got.shape == p.shape else float("inf")
check("those margins give the probabilities `predict --dataset` wrote (max |diff| < 1e-5)", d < 1e-5, d)
try:
    sf.run("train", dataset=ds, out_dir=model, n_folds=1, n_estimators=3)
    check("run() raises FingerprintMismatch for other settings", False, "no error")
except sf.FingerprintMismatch as e:
    check("run() raises FingerprintMismatch for other settings", e.code == 4, e.code)
sys.exit(1 if fails else 0)
PY
  :
fi
while read -r word rest; do
  case $word in
    PASS) ok "python: $rest" ;;
    FAIL) bad "python: $rest" ;;
  esac
done <"$log"
grep -q '^PASS\|^FAIL' "$log" || { bad "the Python checks did not run:"; tail -n 20 "$log" | sed 's/^/wheel:   | /'; }

# 4. Which XGBoost library the installed binary uses, and the binary elsewhere. Both need the
# run-time loader (a binary that links XGBoost at build time loads the library its run path
# names, wherever it is installed); a binary with `spliceforge doctor` has it.
needed=$(readelf -d "$env/bin/spliceforge" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
  grep -v -E '^(libc|libm|libgcc_s|libpthread|libdl|librt|ld-linux-x86-64)\.so' | paste -sd ' ')
if [[ $has_doctor == 0 ]]; then
  skip "the installed binary loads the venv's XGBoost: this spliceforge has no \`doctor\` command (the run-time loader has not landed); it loaded ${loaded:-?}"
  skip "the binary needs only glibc: it links ${needed:-nothing else} at build time (until the run-time loader lands)"
  skip "the binary copied elsewhere finds its library or says why not: this spliceforge has no \`doctor\` command"
  finish
fi
if [[ -n $loaded && $(realpath "$loaded") == $(realpath "$xgb_lib") ]]; then
  ok "the installed binary loaded the venv's XGBoost ($loaded)"
else
  bad "the installed binary loaded '${loaded:-no libxgboost}', not the venv's $xgb_lib"
fi
if [[ -z $needed ]]; then
  ok "the binary needs only glibc (manylinux policy; XGBoost is opened at run time)"
else
  bad "the binary links $needed at build time"
fi
if quiet inenv spliceforge doctor; then
  ok "spliceforge doctor in the venv"
else
  bad "spliceforge doctor in the venv"
fi
mkdir -p "$tmp/elsewhere"
cp "$env/bin/spliceforge" "$tmp/elsewhere/spliceforge"
# Outside any environment: it finds a library (e.g. a checkout's .deps/) or says why not.
if env -i PATH=/usr/bin:/bin HOME="$HOME" "$tmp/elsewhere/spliceforge" doctor >"$log" 2>&1; then
  ok "the copied binary, outside the venv: doctor finds a library"
elif grep -qi 'libxgboost\|SPLICEFORGE_XGBOOST_LIB' "$log"; then
  ok "the copied binary, outside the venv: doctor says why it finds no library"
  sed 's/^/wheel:   | /' "$log" | head -n 5
else
  bad "the copied binary, outside the venv: doctor failed without naming libxgboost or SPLICEFORGE_XGBOOST_LIB"
  tail -n 20 "$log" | sed 's/^/wheel:   | /'
fi
# Told where the library is, it uses that one.
rm -f "$tmp"/ld.*
if quiet env -i PATH=/usr/bin:/bin HOME="$HOME" SPLICEFORGE_XGBOOST_LIB="$xgb_lib" \
  LD_DEBUG=libs LD_DEBUG_OUTPUT="$tmp/ld" \
  "$tmp/elsewhere/spliceforge" predict --model "$model" --dataset "$ds" --out "$tmp/preds2.parquet" &&
  cmp -s "$preds" "$tmp/preds2.parquet"; then
  ok "the copied binary with SPLICEFORGE_XGBOOST_LIB predicts the same table"
else
  bad "the copied binary with SPLICEFORGE_XGBOOST_LIB=$xgb_lib"
fi
loaded=$(grep -h 'calling init: .*libxgboost' "$tmp"/ld.* 2>/dev/null | head -n 1 | sed 's/.*calling init: //')
if [[ -n $loaded && $(realpath "$loaded") == $(realpath "$xgb_lib") ]]; then
  ok "SPLICEFORGE_XGBOOST_LIB is the library loaded"
else
  bad "with SPLICEFORGE_XGBOOST_LIB=$xgb_lib the copied binary loaded '${loaded:-no libxgboost}'"
fi
finish
