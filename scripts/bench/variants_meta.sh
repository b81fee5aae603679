#!/usr/bin/env bash
# The meta-model's variant deltas (`variants --model`) judged by a proxy, against SpliceAI's own,
# on genes held out of the meta-model's training (scripts/variants/meta_proxy.py says how and
# what the proxy cannot tell):
#   1. the intron-containing genes are split in two, seeded: a dataset is built on one half
#      (builder --base-model spliceai, all five networks) and a meta-model trained on it;
#   2. SNVs on the other half (genes overlapping a training gene left out): PER_CLASS each at
#      canonical dinucleotides, near-canonical positions, deep-intronic and exonic positions;
#   3. `variants --model` scores them; the AUC of each field's loss score max(DS_AL, DS_DL),
#      positives against the deep-intronic and exonic SNVs, is printed as a Markdown table.
#
#   scripts/bench/variants_meta.sh [GENOME=fly|athaliana] [OUT_DIR=out/bench-variants-meta] [PER_CLASS=150] [THREADS=2]
#
# fly: the embedded D. melanogaster chromosome 4 (data/); athaliana: A. thaliana chromosome 1
# (scripts/fetch-data.sh): 3 % of its genes train, 300 of the rest are held out, to bound the run.
# SpliceAI's weights are CC BY-NC 4.0 (Illumina): fetched into a cache, never into the repository.
set -euo pipefail
cd "$(dirname "$0")/../.."
which=${1:-fly}
out=${2:-out/bench-variants-meta}/$which
per=${3:-150}
threads=${4:-2}
mkdir -p "$out"
W=$(scripts/fetch-spliceai.sh --quiet)
cargo build --release --quiet --bin spliceforge
bin=target/release/spliceforge
case "$which" in
  fly)
    genome=data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz
    gtf=data/DmelanDM6_4.gtf.gz
    fraction=0.5
    ;;
  athaliana)
    scripts/fetch-data.sh >/dev/null
    genome=data/fetched/athaliana.fna.gz
    gtf=data/fetched/athaliana.gtf.gz
    fraction=0.03
    ;;
  *) echo "GENOME is fly or athaliana" >&2; exit 2 ;;
esac
proxy=scripts/variants/meta_proxy.py
python3 $proxy split --gtf "$gtf" --train-fraction "$fraction" --seed 1 \
  --out-train "$out/train.txt" --out-held "$out/held.txt"
if [[ "$which" == athaliana ]]; then
  head -n 300 "$out/held.txt" >"$out/held.cap" && mv "$out/held.cap" "$out/held.txt"
fi
t0=$(date +%s.%N)
"$bin" builder -q --genome "$genome" --annotation "$gtf" --gene-ids "$out/train.txt" \
  --base-model spliceai --spliceai-weights "$W" --threads "$threads" --out "$out/dataset" >"$out/builder.log"
t1=$(date +%s.%N)
"$bin" train --dataset "$out/dataset" --out-dir "$out/model" --n-folds 1 --threads "$threads" --overwrite >"$out/train.log"
t2=$(date +%s.%N)
python3 $proxy vcf --gtf "$gtf" --fasta "$genome" --genes "$out/held.txt" --avoid "$out/train.txt" \
  --per-class "$per" --seed 2 --out "$out/snvs.vcf" --out-labels "$out/labels.tsv"
rm -rf "$out/scored.vcf" "$out/scored.vcf.work"
/usr/bin/time -f "%e %M" -o "$out/variants.time" "$bin" variants -q --vcf "$out/snvs.vcf" \
  --genome "$genome" --annotation "$gtf" --spliceai-weights "$W" --model "$out/model" \
  --threads "$threads" --out "$out/scored.vcf" >"$out/variants.log"
read -r secs kb <"$out/variants.time"
echo "## $which: $(wc -l <"$out/train.txt") training genes, SNVs on $(wc -l <"$out/held.txt") held-out genes"
printf 'builder %.0f s, train %.0f s, variants --model %s s (peak RSS %d MB)\n\n' \
  "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$secs" "$((kb / 1024))"
grep "records:" "$out/variants.log" || true
python3 $proxy judge --vcf "$out/scored.vcf" --labels "$out/labels.tsv"
