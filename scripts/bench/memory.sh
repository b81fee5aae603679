#!/usr/bin/env bash
# Memory-model benchmark: builds combined Arabidopsis datasets of 1k, 2.5k, 5k and 10k genes,
# runs `spliceforge train` on them in several configurations (single model with and without
# cross-validation, external memory, an ensemble of 5, a 2 GB budget), and compares the peak
# RSS the memory model predicted (memory.json) with the one measured (/usr/bin/time -v).
# Memory hardly depends on the number of rounds, so runs use 10 rounds to keep this short.
#
#   scripts/bench/memory.sh [OUT_DIR] [CONFIG]   (default: out/bench-memory; about 50 min on 2 cores)
#
# With CONFIG (a substring of a configuration name), only matching runs are made and their
# results are appended to OUT_DIR/results.jsonl; the table is rebuilt from all results.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/fetch-data.sh
cargo build --release --quiet
bin=target/release/spliceforge
out=${1:-out/bench-memory}
mkdir -p "$out"
for n in 1000 2500 5000 10000; do
  [[ -f $out/c$n/summary.json ]] || "$bin" builder --genome data/fetched/combined.fna.gz \
    --annotation data/fetched/combined.gtf.gz --out "$out/c$n" --n-genes "$n" -q > /dev/null
done
common=(--n-estimators 10 --learning-rate 0.3 --threads 2)
runs=(
  "c1000|single, 5-fold CV|--n-folds 5"
  "c1000|ensemble 5 + single comparison|--ensemble-size 5"
  "c2500|single, 3-fold CV|--n-folds 3"
  "c5000|single, no CV|--n-folds 1"
  "c10000|single, no CV|--n-folds 1"
  "c10000|single, no CV, external memory|--n-folds 1 --external-memory"
  "c10000|ensemble 5, no comparison model|--ensemble-size 5 --no-single-model"
  "c10000|ensemble 5, external memory, no comparison model|--ensemble-size 5 --no-single-model --external-memory"
  "c10000|--memory-budget 2G|--n-folds 1 --memory-budget 2G"
)
only=${2:-}
[[ -n $only ]] || : > "$out/results.jsonl"
for r in "${runs[@]}"; do
  IFS='|' read -r ds name args <<< "$r"
  [[ -z $only || $name == *"$only"* ]] || continue
  m="$out/model-$ds-$(echo "$name" | tr -c 'a-zA-Z0-9' '-')"
  rm -rf "$m"
  # shellcheck disable=SC2086
  /usr/bin/time -v "$bin" train --dataset "$out/$ds" --out-dir "$m" "${common[@]}" $args \
    > "$m.log" 2> "$m.time" || { echo "failed: $ds $name (see $m.time)"; exit 1; }
  python3 - "$m" "$ds" "$name" >> "$out/results.jsonl" <<'PY'
import json, re, sys
m, ds, name = sys.argv[1:]
t = open(m + ".time").read()
wall = [float(x) for x in re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1).split(":")]
secs = sum(x * 60 ** i for i, x in enumerate(reversed(wall)))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) * 1024
j = json.load(open(m + "/memory.json"))
print(json.dumps({"dataset": ds, "config": name, "genes": j["shape"]["genes"], "rows": j["shape"]["rows"],
                  "predicted": j["estimate"]["peak"], "measured": rss, "secs": secs, "plan": j["plan"],
                  "budget": j["budget"]}))
PY
  tail -1 "$out/results.jsonl"
done
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
rows = [json.loads(l) for l in open(f"{out}/results.jsonl")]
lines = ["| dataset | configuration | genes | rows | predicted | measured | error | wall s |",
         "|---|---|---|---|---|---|---|---|"]
worst = 0
for r in rows:
    err = (r["predicted"] - r["measured"]) / r["measured"]
    worst = max(worst, abs(err))
    lines.append(f"| {r['dataset']} | {r['config']} | {r['genes']:,} | {r['rows']:,} | {r['predicted']/1e9:.2f} GB "
                 f"| {r['measured']/1e9:.2f} GB | {err:+.0%} | {r['secs']:.0f} |")
table = "\n".join(lines)
open(f"{out}/table.md", "w").write(table + "\n")
print(table)
print(f"largest error {worst:.0%} (target: within ±25 %)")
for r in rows:
    if r["budget"]:
        print(f"budget {r['budget']/1e9:.1f} GB: measured {r['measured']/1e9:.2f} GB -> "
              f"{'stays under' if r['measured'] < r['budget'] else 'EXCEEDS'}; plan: {r['plan']}")
PY
