#!/usr/bin/env bash
# SpliceAI speed, in one run on this machine:
#   1. our forward pass: nt/s on THREADS threads for 1 and 5 networks over 200 kb of A. thaliana
#      chr1, GFLOP/s, and the efficiency against the GEMM peak measured in the same run
#      (cargo bench --bench spliceai);
#   2. TensorFlow SpliceAI (PyPI tensorflow-cpu + the same .h5 files) on the same 200 kb, and on
#      the same bases cut into SpliceAI's own 5,000-nt blocks (how its Python tools run it);
#   3. `builder --base-model spliceai` (5 networks) on N_GENES A. thaliana genes: genes/h, peak RSS.
#
#   scripts/bench/spliceai.sh [N_GENES=1000] [THREADS=2] [OUT_DIR=out/bench-spliceai]
#
# SpliceAI's weights are CC BY-NC 4.0 (Illumina): fetched into a cache, never into the repository.
set -euo pipefail
cd "$(dirname "$0")/../.."
n_genes=${1:-1000}
threads=${2:-2}
out=${3:-out/bench-spliceai}
mkdir -p "$out"
scripts/fetch-data.sh
W=$(scripts/fetch-spliceai.sh)
cargo build --release --quiet
bin=target/release/spliceforge
contig=NC_003070.9
start=10000001
len=200000
end=$((start + len - 1))

echo "== 1. native forward pass ($threads threads, $len nt of $contig from $start)"
cargo bench --quiet --bench spliceai -- --weights "$W" --fasta data/fetched/athaliana.fna.gz \
  --contig "$contig" --start "$start" --len "$len" --threads "$threads" --models 1,5 | tee "$out/native.jsonl"

echo "== 2. TensorFlow on the same bases ($threads threads)"
if V=$(scripts/bench/setup-tf.sh 2>"$out/setup-tf.log"); then
  for m in 1 5; do
    for chunk in 0 5000; do
      printf '{"models": %s, "chunk": %s, "tf": ' "$m" "$chunk"
      "$V/bin/python" scripts/bench/spliceai_tf.py --weights "$W" --models "$m" --threads "$threads" \
        --fasta data/fetched/athaliana.fna.gz --region "$contig:$start-$end" --chunk "$chunk" \
        --repeat 2 2>/dev/null | tail -1
      echo "}"
    done
  done | tee "$out/tf.jsonl"
else
  echo "TensorFlow could not be installed (see $out/setup-tf.log)"
fi

echo "== 3. builder --base-model spliceai, $n_genes A. thaliana genes"
rm -rf "$out/build"
/usr/bin/time -v "$bin" builder --genome data/fetched/athaliana.fna.gz --annotation data/fetched/athaliana.gtf.gz \
  --out "$out/build" --n-genes "$n_genes" --threads "$threads" --base-model spliceai --spliceai-weights "$W" -q \
  >"$out/build.log" 2>"$out/build.time"
cat "$out/build.log"
awk -F': ' -v n="$n_genes" '/Elapsed \(wall clock\)/ {t=$2} /Maximum resident set size/ {r=$2} END {
  k = split(t, a, ":"); s = (k == 3) ? a[1]*3600 + a[2]*60 + a[3] : a[1]*60 + a[2];
  printf "builder: %d genes in %.1f s = %.0f genes/h, peak RSS %.1f MB\n", n, s, n * 3600 / s, r / 1024 }' "$out/build.time"
