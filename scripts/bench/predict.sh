#!/usr/bin/env bash
# Every-base predict benchmark: on A. thaliana chr1 (fetched by scripts/fetch-data.sh), a model is
# trained on a 300-gene dataset (built-in base model, then SpliceAI with 5 networks), and
# `predict --genome --annotation` scores every base of 1,000 other genes with it. Reports wall
# time, bases/s, peak RSS (/usr/bin/time -v) and where the time went (base model, features,
# meta-model), as the command prints it.
#
#   scripts/bench/predict.sh [OUT_DIR]      (default: out/bench-predict)
#   SPLICEAI=0 scripts/bench/predict.sh     (built-in base model only)
#   CHECK_SPLICEAI=1 …                      (also the equality check with SpliceAI: ~5 more minutes)
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/fetch-data.sh
cargo build --release --quiet
bin=$(pwd)/target/release/spliceforge
out=${1:-out/bench-predict}
mkdir -p "$out"
G=data/fetched/athaliana.fna.gz
A=data/fetched/athaliana.gtf.gz
export OMP_WAIT_POLICY=PASSIVE
PY=.venv/bin/python   # pyarrow, from scripts/setup.sh
[ -x "$PY" ] || PY=python3
timefmt() { awk -F': ' '/Elapsed \(wall clock\)/ {t=$2} /Maximum resident set size/ {r=$2} END {
  n = split(t, a, ":"); s = (n == 3) ? a[1]*3600 + a[2]*60 + a[3] : a[1]*60 + a[2];
  printf "%8.2f s  %8.1f MB", s, r / 1024 }' "$1"; }
# 1,000 genes not in the training set: a seeded sample, minus the dataset's genes.
genes_not_in() {
  python3 - "$1" "$2" <<'PY'
import gzip, re, sys, random
ds = set(l.strip() for l in open(sys.argv[1]))
ids = []
for l in gzip.open(sys.argv[2], 'rt'):
    if l.startswith('#'): continue
    f = l.split('\t')
    if len(f) > 8 and f[2] == 'exon':
        m = re.search(r'gene_id "([^"]+)"', f[8])
        if m and m.group(1) not in ds: ids.append(m.group(1))
ids = sorted(set(ids))
random.Random(7).shuffle(ids)
print('\n'.join(ids[:1000]))
PY
}
bench() { # name, model dir, extra flags...
  local name=$1 model=$2; shift 2
  "$PY" -c "import pyarrow.parquet as pq;print('\n'.join(pq.read_table('$out/ds-$name/genes.parquet')['gene_id'].to_pylist()))" > "$out/$name.train-genes"
  genes_not_in "$out/$name.train-genes" "$A" > "$out/$name.genes"
  /usr/bin/time -v "$bin" predict --model "$model" --genome $G --annotation $A --gene-ids "$out/$name.genes" \
    --no-require-introns --out "$out/$name.parquet" --overwrite -q "$@" > "$out/$name.log" 2> "$out/$name.time"
  printf '%-34s %s\n' "predict 1,000 genes ($name)" "$(timefmt "$out/$name.time")"
  sed 's/^/    /' "$out/$name.log"
}
train() { # name, builder flags...
  local name=$1; shift
  [ -e "$out/model-$name/train.json" ] && return
  "$bin" builder --genome $G --annotation $A --out "$out/ds-$name" --n-genes 300 -q "$@" > /dev/null
  "$bin" train --dataset "$out/ds-$name" --out-dir "$out/model-$name" --n-folds 1 --n-estimators 100 \
    --learning-rate 0.3 --overwrite > /dev/null 2>&1
}
# One feature path: every-base predict on the dataset's own genes gives, at the dataset's rows,
# the probabilities `predict --dataset` gives.
same_as_dataset() { # name, extra flags...
  local name=$1; shift
  "$bin" predict --model "$out/model-$name" --dataset "$out/ds-$name" --out "$out/$name.rows.parquet" > /dev/null
  "$bin" predict --model "$out/model-$name" --genome $G --annotation $A --gene-ids "$out/$name.train-genes" \
    --out "$out/$name.train-bases.parquet" --overwrite -q "$@" > /dev/null
  "$PY" - "$out/$name.rows.parquet" "$out/$name.train-bases.parquet" "$name" <<'PY'
import sys, pyarrow.parquet as pq
rows = pq.read_table(sys.argv[1]).to_pylist()
by = {(b['gene_id'], b['position']): b for b in pq.read_table(sys.argv[2]).to_pylist()}
worst = max(abs(r[c] - by[(r['gene_id'], r['position'])][c]) for r in rows for c in ('p_neither', 'p_donor', 'p_acceptor'))
calls = sum(r['predicted'] == by[(r['gene_id'], r['position'])]['predicted'] for r in rows)
print(f"  {sys.argv[3]}: every-base vs predict --dataset at the dataset's {len(rows)} rows: max |dp| {worst:.2e}, same call {calls}/{len(rows)}")
PY
}
train builtin
bench builtin "$out/model-builtin"
same_as_dataset builtin
if [ "${SPLICEAI:-1}" = 1 ]; then
  W=$(scripts/fetch-spliceai.sh)
  train spliceai --base-model spliceai --spliceai-weights "$W"
  bench spliceai "$out/model-spliceai" --spliceai-weights "$W"
  [ "${CHECK_SPLICEAI:-0}" = 1 ] && same_as_dataset spliceai --spliceai-weights "$W"
fi
