#!/usr/bin/env bash
# Trainer benchmark: the same dataset and booster settings through `spliceforge train` (Parquet
# row groups streamed into a QuantileDMatrix) and through the Python system's loading path
# (polars -> numpy -> pandas float64 -> xgboost.DMatrix), in one run. One softprob model (as
# python_train.py trains), no CV. Ours runs
# twice: in memory (the default) and with --external-memory.
#
#   scripts/bench/train.sh [N_GENES] [ROUNDS]     (defaults: 1000 genes of A. thaliana, 50 rounds)
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/fetch-data.sh
python3 -c "import pandas, polars, xgboost" 2>/dev/null || python3 -m pip install --quiet pandas polars xgboost-cpu
cargo build --release --quiet
bin=target/release/spliceforge
n=${1:-1000}; rounds=${2:-50}; eta=0.3; depth=6; max_bin=256; threads=2
out=out/bench-train; ds=$out/atha-$n
mkdir -p "$out"
[[ -f $ds/summary.json ]] || "$bin" builder --genome data/fetched/athaliana.fna.gz --annotation data/fetched/athaliana.gtf.gz --out "$ds" --n-genes "$n" -q > /dev/null
rm -rf "$out/model" "$out/model-ext"
/usr/bin/time -v "$bin" train --dataset "$ds" --out-dir "$out/model" --n-folds 1 --no-calibrate --objective softprob --n-estimators "$rounds" \
  --learning-rate $eta --max-depth $depth --max-bin $max_bin --threads $threads > "$out/ours.log" 2> "$out/ours.time"
/usr/bin/time -v "$bin" train --dataset "$ds" --out-dir "$out/model-ext" --n-folds 1 --no-calibrate --objective softprob --n-estimators "$rounds" \
  --learning-rate $eta --max-depth $depth --max-bin $max_bin --threads $threads --external-memory > "$out/ours-ext.log" 2> "$out/ours-ext.time"
/usr/bin/time -v python3 scripts/bench/python_train.py "$ds" "$rounds" $eta $depth $max_bin $threads > "$out/python.json" 2> "$out/python.time"
python3 - "$out" <<'PY'
import json, re, sys
out = sys.argv[1]
def tv(path):
    t = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1).split(":")
    secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) * 1024
    return secs, rss
py = json.loads(open(f"{out}/python.json").read().strip().splitlines()[-1])
pw, prss = tv(f"{out}/python.time")
rows = py["rows"]; feats = len(json.load(open(f"{out}/model/features.json"))["features"])
binned = rows * feats  # one byte per value at max_bin 256
print(f"rows {rows:,} x {feats} features; binned matrix at one byte per value ~{binned/1e6:.0f} MB")
print(f"{'':34}{'wall s':>8}{'peak RSS MB':>13}{'load s':>8}{'load peak MB':>14}{'boost s':>9}")
results = []
for name, tag in [("spliceforge train (in memory)", "ours"), ("spliceforge train --external-memory", "ours-ext")]:
    w, r = tv(f"{out}/{tag}.time")
    m = json.load(open(f"{out}/model{'' if tag == 'ours' else '-ext'}/metrics.json"))
    ph = {p["name"]: p for p in m["phases"]}
    load, boost = ph["final: load"], ph["final: boosting"]
    print(f"{name:34}{w:8.1f}{r/1e6:13.0f}{load['secs']:8.1f}{load['peak_rss']/1e6:14.0f}{boost['secs']:9.1f}")
    results.append((name, w, r, load))
print(f"{'python (polars>pandas>DMatrix)':34}{pw:8.1f}{prss/1e6:13.0f}{py['load_s']:8.1f}{py['load_peak_rss']/1e6:14.0f}{pw - py['load_s']:9.1f}")
for name, w, r, load in results:
    print(f"{name}: speed-up {pw/w:.2f}x (target >= 1.5x); peak RSS ratio {r/prss:.2f} (target <= 0.5); "
          f"loading peak / binned size {load['peak_rss']/binned:.2f} (target <= 1.2)")
PY
