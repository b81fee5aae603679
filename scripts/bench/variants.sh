#!/usr/bin/env bash
# `spliceforge variants` speed and memory, in one run on this machine, on the embedded fly
# chromosome 4 (data/) with the gene table tests/data/variants/dmel4/genes.txt:
#   1. the bench VCF (>= 1,000 SNVs and >= 100 indels in genes, seeded): ours (THREADS threads)
#      against (b) the lean TensorFlow loop (scripts/bench/variants_tf.py: the five Keras models
#      called directly on the same REF/ALT windows, batched) and (a) SpliceAI 1.3.1's own CLI as
#      installed from PyPI (scripts/bench/setup-spliceai-cli.sh), both on the first records only
#      (they take seconds per variant) — rates compared, not totals;
#   2. the dense VCF: every SNV within ±50 nt of 50 annotated splice sites (the shared reference
#      counts most), ours against the lean loop on a sample;
#   3. peak RSS on a 1,000,000-record VCF: 999,900 records on a contig no gene is on (read,
#      checked and written, not scored), then the bench VCF's first 100 records (scored): memory
#      must not grow with the records.
# Prints a table and writes OUT_DIR/results.json.
#
#   scripts/bench/variants.sh [THREADS=2] [OUT_DIR=out/bench-variants] [TF_ALLELES=100] [CLI_RECORDS=8] [DENSE_SITES=50]
#
# SpliceAI's weights are CC BY-NC 4.0 (Illumina): fetched into a cache, never into the repository.
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${1:-2}
out=${2:-out/bench-variants}
tf_alleles=${3:-100}
cli_records=${4:-8}
dense_sites=${5:-50}
mkdir -p "$out"
W=$(scripts/fetch-spliceai.sh --quiet)
cargo build --release --quiet --bin spliceforge
bin=target/release/spliceforge
genome=data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz
genes=tests/data/variants/dmel4/genes.txt
python3 scripts/variants/make_bench_vcf.py --bench "$out/bench.vcf" --dense "$out/dense.vcf" --sites "$dense_sites" >/dev/null
zcat "$genome" >"$out/genome.fa"

# Runs ours on $1 into $2 with $3 extra flags; prints "seconds records peak_kb".
ours() {
  rm -rf "$2" "$2.work"
  /usr/bin/time -v "$bin" variants -q --vcf "$1" --genome "$genome" --annotation "$genes" \
    --spliceai-weights "$W" --threads "$threads" --out "$2" $3 >"$2.log" 2>"$2.time"
  awk -F': ' '/Elapsed \(wall clock\)/ {t=$2} /Maximum resident set size/ {r=$2} END {
    k = split(t, a, ":"); s = (k == 3) ? a[1]*3600 + a[2]*60 + a[3] : a[1]*60 + a[2]; print s, r }' "$2.time"
}
records() { grep -vc '^#' "$1"; }
alleles() { grep -v '^#' "$1" | grep -o 'SpliceAI=[^;	]*' | tr ',' '\n' | grep -vc '|\.|\.|'; }

echo "== 1. bench VCF: $(records "$out/bench.vcf") records, $threads threads"
read -r s_ours rss_ours < <(ours "$out/bench.vcf" "$out/bench.out.vcf" "")
a_ours=$(alleles "$out/bench.out.vcf")
echo "ours: $a_ours allele x gene entries in $s_ours s"

tf_json=null
cli_json=null
if V=$(scripts/bench/setup-tf.sh 2>"$out/setup-tf.log"); then
  tf_json=$("$V/bin/python" scripts/bench/variants_tf.py --vcf "$out/bench.vcf" --fasta "$out/genome.fa" \
    --genes "$genes" --weights "$W" --distance 50 --limit "$tf_alleles" --threads "$threads" 2>/dev/null | tail -1)
  echo "lean TensorFlow loop: $tf_json"
else
  echo "TensorFlow could not be installed (see $out/setup-tf.log)"
fi
if C=$(scripts/bench/setup-spliceai-cli.sh 2>"$out/setup-cli.log"); then
  awk -v n="$cli_records" '/^#/ || k++ < n' "$out/bench.vcf" >"$out/cli.vcf"
  start=$(date +%s.%N)
  OMP_NUM_THREADS=$threads TF_NUM_INTRAOP_THREADS=$threads "$C/bin/spliceai" -I "$out/cli.vcf" -O "$out/cli.out.vcf" \
    -R "$out/genome.fa" -A "$genes" -D 50 >"$out/cli.log" 2>&1
  end=$(date +%s.%N)
  cli_json=$(python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); n=int(sys.argv[3]); a=int(sys.argv[4]); print('{\"records\": %d, \"alleles\": %d, \"seconds\": %.1f, \"alleles_per_s\": %.4f}' % (n, a, s, a/s))" \
    "$start" "$end" "$(records "$out/cli.vcf")" "$(alleles "$out/cli.out.vcf")")
  echo "SpliceAI CLI (incl. its ~20 s start-up): $cli_json"
else
  echo "SpliceAI's CLI could not be installed (see $out/setup-cli.log)"
fi

echo "== 2. dense VCF: $(records "$out/dense.vcf") records"
read -r s_dense rss_dense < <(ours "$out/dense.vcf" "$out/dense.out.vcf" "")
a_dense=$(alleles "$out/dense.out.vcf")
echo "ours: $a_dense entries in $s_dense s"
tf_dense=null
if [[ -n ${V:-} ]]; then
  tf_dense=$("$V/bin/python" scripts/bench/variants_tf.py --vcf "$out/dense.vcf" --fasta "$out/genome.fa" \
    --genes "$genes" --weights "$W" --distance 50 --limit "$tf_alleles" --threads "$threads" 2>/dev/null | tail -1)
  echo "lean TensorFlow loop: $tf_dense"
fi

echo "== 3. peak RSS, 1,000,000 records"
python3 - "$out/bench.vcf" "$out/big.vcf" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines(keepends=True)
head = [l for l in lines if l.startswith("#")]
body = [l for l in lines if not l.startswith("#")]
with open(sys.argv[2], "w") as f:
    f.writelines(head[:-1])
    f.write("##contig=<ID=chrUn>\n")
    f.write(head[-1])
    for i in range(1_000_000 - 100):
        f.write(f"chrUn\t{i + 1}\t.\tA\tC\t.\t.\t.\n")
    f.writelines(body[:100])
PY
read -r s_big rss_big < <(ours "$out/big.vcf" "$out/big.out.vcf" "")

python3 - "$out" "$threads" "$s_ours" "$a_ours" "$rss_ours" "$s_dense" "$a_dense" "$rss_dense" "$s_big" "$rss_big" \
  "$tf_json" "$cli_json" "$tf_dense" "$(records "$out/bench.vcf")" "$(records "$out/dense.vcf")" <<'PY'
import json, sys
out, threads = sys.argv[1], int(sys.argv[2])
s_ours, a_ours, rss_ours, s_dense, a_dense, rss_dense, s_big, rss_big = map(float, sys.argv[3:11])
tf, cli, tf_dense = (json.loads(x) for x in sys.argv[11:14])
n_bench, n_dense = int(sys.argv[14]), int(sys.argv[15])
ours = a_ours / s_ours
dense = a_dense / s_dense
res = {
    "threads": threads,
    "bench": {"records": n_bench, "alleles": a_ours, "seconds": s_ours, "alleles_per_s": ours,
              "records_per_s": n_bench / s_ours, "peak_rss_mb": rss_ours / 1024},
    "dense": {"records": n_dense, "alleles": a_dense, "seconds": s_dense, "alleles_per_s": dense,
              "peak_rss_mb": rss_dense / 1024},
    "big": {"records": 1000000, "scored_records": 100, "seconds": s_big, "peak_rss_mb": rss_big / 1024},
    "tf_lean": tf, "spliceai_cli": cli, "tf_lean_dense": tf_dense,
}
if tf:
    res["speedup_vs_tf_lean"] = ours / tf["alleles_per_s"]
if cli:
    res["speedup_vs_cli"] = ours / cli["alleles_per_s"]
if tf_dense:
    res["dense_speedup_vs_tf_lean"] = dense / tf_dense["alleles_per_s"]
json.dump(res, open(f"{out}/results.json", "w"), indent=1)
print("| case | ours (alleles/s) | lean TF loop | SpliceAI CLI | ours ÷ TF | ours ÷ CLI | peak RSS |")
print("|---|---|---|---|---|---|---|")
f = lambda d: "%.2f" % d["alleles_per_s"] if d else "—"
r = lambda k: "%.1f×" % res[k] if k in res else "—"
print(f"| bench ({n_bench} records) | {ours:.2f} | {f(tf)} | {f(cli)} | {r('speedup_vs_tf_lean')} | {r('speedup_vs_cli')} | {rss_ours/1024:.0f} MB |")
print(f"| dense ({n_dense} records) | {dense:.2f} | {f(tf_dense)} | — | {r('dense_speedup_vs_tf_lean')} | — | {rss_dense/1024:.0f} MB |")
print(f"| 1,000,000 records (100 scored) | — | — | — | — | — | {rss_big/1024:.0f} MB ({s_big:.0f} s) |")
PY
