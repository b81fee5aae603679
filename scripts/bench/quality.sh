#!/usr/bin/env bash
# The result figure (held-out F1, base model -> meta-model) at the README's quick-start settings,
# on data/ (82 fly genes) and on a seeded sample of A. thaliana genes: the single model
# (3 folds, 100 rounds, eta 0.3) and the ensemble (5 sub-models, 50 rounds, eta 0.3), with each
# run's peak RSS. The figures in README.md and docs/training.md come from this script.
#
#   scripts/bench/quality.sh [N_GENES]     (default: 600 A. thaliana genes, seed 42)
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/fetch-data.sh
cargo build --release --quiet
bin=target/release/spliceforge
n=${1:-600}
out=out/bench-quality
mkdir -p "$out"
build() { # NAME GENOME ANNOTATION [ARGS...]
  local name=$1 genome=$2 annotation=$3; shift 3
  [[ -f $out/$name/summary.json ]] ||
    "$bin" builder --genome "$genome" --annotation "$annotation" --out "$out/$name" -q "$@" >/dev/null
}
build dmel data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz data/DmelanDM6_4.gtf.gz
build "atha-$n" data/fetched/athaliana.fna.gz data/fetched/athaliana.gtf.gz --n-genes "$n" --seed 42
train() { # OUT ARGS...: trains, recording start and end times in OUT.secs
  local dir=$1; shift
  local t0; t0=$(date +%s.%N)
  "$bin" train --out-dir "$dir" --overwrite "$@" >/dev/null 2>&1
  echo "$t0 $(date +%s.%N)" > "$dir.secs"
}
for ds in dmel "atha-$n"; do
  train "$out/$ds-single" --dataset "$out/$ds" --n-estimators 100 --learning-rate 0.3 --n-folds 3
  train "$out/$ds-ensemble" --dataset "$out/$ds" --ensemble-size 5 --n-estimators 50 --learning-rate 0.3
done
python3 - "$out" "$n" <<'PY'
import json, sys
out, n = sys.argv[1], sys.argv[2]
print(f"{'dataset':12}{'model':10}{'donor F1 base -> meta':>24}{'acceptor F1 base -> meta':>27}{'wall s':>8}{'peak RSS MB':>13}")
for ds in ["dmel", f"atha-{n}"]:
    for kind in ["single", "ensemble"]:
        d = f"{out}/{ds}-{kind}"
        m = json.load(open(f"{d}/metrics.json"))
        peak = json.load(open(f"{d}/memory.json"))["measured_peak"]
        b = m["result"]["base_vs_meta"]
        cell = lambda c: f"{c['base_f1']:.3f} -> {c['meta_f1']:.3f}"
        t0, t1 = map(float, open(f"{d}.secs").read().split())
        secs = t1 - t0
        print(f"{ds:12}{kind:10}{cell(b[0]):>24}{cell(b[1]):>27}{secs:8.1f}{peak / 1e6:13.0f}")
PY
