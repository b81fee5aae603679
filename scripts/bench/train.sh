#!/usr/bin/env bash
# Trainer benchmark: the same dataset and booster settings through `spliceforge train` (Parquet
# row groups streamed into a QuantileDMatrix) and through the Python system's loading path
# (polars -> numpy -> pandas float64 -> xgboost.DMatrix), in one run. One model, no CV.
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
rm -rf "$out/model"
/usr/bin/time -v "$bin" train --dataset "$ds" --out-dir "$out/model" --n-folds 1 --no-calibrate --n-estimators "$rounds" \
  --learning-rate $eta --max-depth $depth --max-bin $max_bin --threads $threads > "$out/ours.log" 2> "$out/ours.time"
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
ow, orss = tv(f"{out}/ours.time"); pw, prss = tv(f"{out}/python.time")
m = json.load(open(f"{out}/model/metrics.json"))
load = next(p for p in m["phases"] if p["name"] == "final: load")
py = json.loads(open(f"{out}/python.json").read().strip().splitlines()[-1])
rows = py["rows"]; feats = len(json.load(open(f"{out}/model/features.json"))["features"])
binned = rows * feats  # one byte per value at max_bin 256
print(f"rows {rows:,} x {feats} features; binned matrix ~{binned/1e6:.0f} MB")
print(f"{'':24}{'wall s':>10}{'peak RSS MB':>14}{'load s':>9}{'load peak MB':>14}")
print(f"{'spliceforge train':24}{ow:10.1f}{orss/1e6:14.0f}{load['secs']:9.1f}{load['peak_rss']/1e6:14.0f}")
print(f"{'python (polars>pandas)':24}{pw:10.1f}{prss/1e6:14.0f}{py['load_s']:9.1f}{py['load_peak_rss']/1e6:14.0f}")
print(f"speed-up {pw/ow:.2f}x (target >= 1.5x); peak RSS ratio {orss/prss:.2f} (target <= 0.5); "
      f"loading peak / binned size {load['peak_rss']/binned:.2f} (target <= 1.2)")
PY
