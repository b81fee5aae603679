#!/usr/bin/env bash
# ovr (three one-vs-rest boosters) against ovr2 (two: donor and acceptor, "neither" implied),
# paired by seed (the seed draws the gene sample, the folds and the boosters' sampling), on
# A. thaliana with the trainer benchmark's settings: 3 folds, 100 rounds, eta 0.1, depth 6.
# Prints out-of-fold AP and F1 per site type for each run, then the mean paired difference.
#
#   scripts/bench/objectives.sh [SAMPLE_GENES] [SEEDS...]   (defaults: 600 genes; seeds 1 2 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${SPLICEFORGE_BIN:-target/release/spliceforge}
[[ -n ${SPLICEFORGE_BIN:-} ]] || cargo build --release --quiet
n=${1:-600}; shift || true
seeds=${*:-1 2 3}
out=out/bench-objectives; ds=out/bench-train/atha-2000
mkdir -p "$out"
[[ -f $ds/summary.json ]] || "$bin" builder --genome data/fetched/athaliana.fna.gz \
  --annotation data/fetched/athaliana.gtf.gz --out "$ds" --n-genes 2000 -q > /dev/null
for seed in $seeds; do
  for obj in ovr ovr2; do
    m=$out/$obj-$seed
    [[ -f $m/train.json ]] || "$bin" train --dataset "$ds" --out-dir "$m" --overwrite --sample-genes "$n" \
      --seed "$seed" --objective $obj --n-folds 3 --n-estimators 100 --learning-rate 0.1 --max-depth 6 \
      --threads 2 > "$m.log" 2>&1
  done
done
python3 - "$out" $seeds <<'PY'
import json, statistics, sys
out, seeds = sys.argv[1], sys.argv[2:]
def figs(path):
    m = json.load(open(f"{path}/metrics.json"))
    c = {x["class"]: x for x in m["result"]["classes"]}
    return [c["donor"]["average_precision"], c["acceptor"]["average_precision"], c["donor"]["f1"], c["acceptor"]["f1"], m["total_secs"]]
print(f"{'seed':>4} {'objective':9} {'AP donor':>9} {'AP acc.':>8} {'F1 donor':>9} {'F1 acc.':>8} {'train s':>8}")
diffs = []
for s in seeds:
    a, b = figs(f"{out}/ovr-{s}"), figs(f"{out}/ovr2-{s}")
    for name, f in [("ovr", a), ("ovr2", b)]:
        print(f"{s:>4} {name:9} {f[0]:9.4f} {f[1]:8.4f} {f[2]:9.4f} {f[3]:8.4f} {f[4]:8.0f}")
    diffs.append([y - x for x, y in zip(a, b)])
cols = list(zip(*diffs))
print("ovr2 - ovr, mean (min..max) over seeds: " + ", ".join(
    f"{n} {statistics.mean(c):+.4f} ({min(c):+.4f}..{max(c):+.4f})"
    for n, c in zip(["AP donor", "AP acceptor", "F1 donor", "F1 acceptor"], cols[:4])))
PY
