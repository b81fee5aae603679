#!/usr/bin/env bash
# Beyond one process (issue 12), on 2,000 A. thaliana genes:
#   1. `train` with 1 and 2 workers (3 folds, ROUNDS rounds, eta 0.1, depth 6, 2 threads in all):
#      wall time, peak RSS of each worker, out-of-fold AP per site type;
#   2. the sharded build: N = 1, 2, 4 shards run at once (2 threads shared between them), their
#      wall time, and whether the merge equals the single-node build byte for byte.
#
#   scripts/bench/distributed.sh [N_GENES] [ROUNDS]      (defaults 2000, 100)
#   WHICH=train|build|both (default both)
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/fetch-data.sh > /dev/null
bin=${SPLICEFORGE_BIN:-target/release/spliceforge}
[[ -n ${SPLICEFORGE_BIN:-} ]] || cargo build --release --quiet
n=${1:-2000}; rounds=${2:-100}; which=${WHICH:-both}
out=out/bench-dist; mkdir -p "$out"
genome=data/fetched/athaliana.fna.gz; annotation=data/fetched/athaliana.gtf.gz
ds=out/bench-train/atha-$n
[[ -f $ds/summary.json ]] || "$bin" builder --genome $genome --annotation $annotation \
  --out "$ds" --n-genes "$n" -q > /dev/null

secs() { grep -o 'Elapsed (wall clock) time (h:mm:ss or m:ss): .*' "$1" | awk '{print $NF}' |
  awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'; }

if [[ $which != build ]]; then
  for w in 1 2; do
    rm -rf "$out/train-w$w"
    /usr/bin/time -v "$bin" train --dataset "$ds" --out-dir "$out/train-w$w" --n-folds 3 \
      --n-estimators "$rounds" --learning-rate 0.1 --max-depth 6 --threads 2 --seed 42 \
      --workers $w > "$out/train-w$w.log" 2> "$out/train-w$w.err"
    echo "train, $w worker(s): $(secs "$out/train-w$w.err") s"
  done
  python3 - "$out" <<'PY'
import json, re, sys
out = sys.argv[1]
def mb(text):
    v, u = re.match(r"([\d.]+) (\w+)", text).groups()
    return float(v) * {"B": 1e-6, "KB": 1e-3, "kB": 1e-3, "MB": 1, "GB": 1e3}[u]
rows = []
for w in (1, 2):
    err = open(f"{out}/train-w{w}.err").read()
    wall = err.split("Elapsed (wall clock) time (h:mm:ss or m:ss): ")[1].split()[0].split(":")
    wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
    if w == 1:
        peaks = [json.load(open(f"{out}/train-w1/memory.json"))["measured_peak"] / 1e6]
    else:
        peaks = [mb(p) for p in re.findall(r"this worker's peak RSS ([\d.]+ \w+)", err)]
    m = json.load(open(f"{out}/train-w{w}/metrics.json"))
    ap = {c["class"]: c["average_precision"] for c in m["result"]["classes"]}
    rows.append((w, wall, peaks, ap))
print("| workers | wall | peak RSS per worker | AP donor | AP acceptor |")
print("|---|---|---|---|---|")
for w, wall, peaks, ap in rows:
    print(f"| {w} | {wall:.0f} s | {', '.join(f'{p:.0f} MB' for p in peaks)} | {ap['donor']:.3f} | {ap['acceptor']:.3f} |")
(_, w1, p1, a1), (_, w2, p2, a2) = rows
print(f"\n2 workers / 1: wall {w2 / w1:.2f}x, largest worker peak {max(p2) / p1[0]:.2f}x of one process "
      f"(target 0.5 within 20 %: <= 0.60); AP difference donor {a2['donor'] - a1['donor']:+.3f}, "
      f"acceptor {a2['acceptor'] - a1['acceptor']:+.3f} (target within 0.02)")
PY
fi

if [[ $which != train ]]; then
  echo
  echo "| shards at once | wall | merged = single-node build |"
  echo "|---|---|---|"
  ref=$out/build-single
  for shards in 1 2 4; do
    dir=$out/build-$shards; rm -rf "$dir"; mkdir -p "$dir"
    threads=$(( 2 / shards )); (( threads >= 1 )) || threads=1
    start=$(date +%s.%N)
    if (( shards == 1 )); then
      "$bin" builder --genome $genome --annotation $annotation --n-genes "$n" --out "$ref" \
        --threads 2 -q --overwrite > /dev/null
    else
      for i in $(seq 0 $((shards - 1))); do
        "$bin" builder --genome $genome --annotation $annotation --n-genes "$n" \
          --out "$dir/shard-$i" --shard "$i/$shards" --threads $threads -q > /dev/null &
      done
      wait
      "$bin" merge --out "$dir/merged" "$dir"/shard-* > /dev/null
    fi
    wall=$(echo "$(date +%s.%N) - $start" | bc)
    same=reference
    if (( shards > 1 )); then
      if diff -r -x .lock "$ref" "$dir/merged" > /dev/null; then same=yes; else same=NO; fi
    fi
    printf '| %d | %.0f s | %s |\n' "$shards" "$wall" "$same"
  done
fi
