#!/usr/bin/env bash
# Runs every command on data/ with one binary and prints a checksum per output file, so that a
# restructuring can be shown to change no byte: run it before and after, then diff the lists.
#
#   scripts/bench/same-outputs.sh BIN OUT_DIR > before.txt     (BIN: a spliceforge binary)
#
# Covers: builder (built-in, GTF and GFF3, SpliceAI scores imported), score (SpliceAI, when its
# weights are fetched), a 2-shard build and its merge, train (single with CV, ensemble,
# --workers 2, --memory-budget), predict. Files that hold timings or RSS figures (memory.json,
# report.md, the builder's timing summary) are listed without a checksum.
set -euo pipefail
BIN=$(realpath "$1")
OUT=$2
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
G=data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz
A=data/DmelanDM6_4.gtf.gz
run() { "$BIN" "$@" >"$OUT/log" 2>&1 || { cat "$OUT/log" >&2; exit 1; }; }
export OMP_WAIT_POLICY=PASSIVE
run builder --genome $G --annotation $A --out "$OUT/ds"
run builder --genome $G --annotation data/DmelanDM6_4.gff.gz --out "$OUT/ds-gff3"
run builder --genome $G --annotation $A --out "$OUT/shard0" --shard 0/2
run builder --genome $G --annotation $A --out "$OUT/shard1" --shard 1/2
run merge --out "$OUT/merged" "$OUT/shard0" "$OUT/shard1"
W="${SPLICEFORGE_SPLICEAI_WEIGHTS:-$HOME/.cache/spliceforge/spliceai-1.3.1}"
if [ -e "$W/spliceai1.h5" ]; then
  run score --genome $G --annotation $A --n-genes 3 --base-model spliceai --spliceai-weights "$W" --spliceai-models 1 --out "$OUT/scores.parquet"
  run builder --genome $G --annotation $A --n-genes 3 --base-scores "$OUT/scores.parquet" --out "$OUT/ds-imported"
fi
run train --dataset "$OUT/ds" --out-dir "$OUT/single" --n-estimators 20 --learning-rate 0.3 --n-folds 3
run train --dataset "$OUT/ds" --out-dir "$OUT/ensemble" --ensemble-size 3 --n-estimators 10 --learning-rate 0.3
run train --dataset "$OUT/ds" --out-dir "$OUT/workers" --workers 2 --n-estimators 10 --learning-rate 0.3 --n-folds 2
run train --dataset "$OUT/ds" --out-dir "$OUT/budget" --memory-budget 2G --n-estimators 10 --learning-rate 0.3
run predict --model "$OUT/single" --dataset "$OUT/ds" --out "$OUT/single.parquet"
run predict --model "$OUT/ensemble" --dataset "$OUT/ds" --out "$OUT/ensemble.parquet"
rm -f "$OUT/log"
cd "$OUT"
find . -type f | LC_ALL=C sort | while read -r f; do
  case "$f" in
    */memory.json|*/memory.svg|*/done.json|*/report.md|*/train.json|*/metrics.json|*/summary.*|*.lock|*/run.json) echo "-------- $f" ;;
    *) sha256sum "$f" | cut -c1-16 | tr -d '\n'; echo " $f" ;;
  esac
done
