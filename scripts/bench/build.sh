#!/usr/bin/env bash
# Builder benchmark: builds from the fetched Arabidopsis data (A. thaliana chr1 + A. arenosa
# chr1-2, combined) at --n-genes 1000, 5000 and 10000 with --batch-size 50 --batch-rows 10000,
# then resumes the finished 10k run. Reports wall time and peak RSS (/usr/bin/time -v).
#
#   scripts/bench/build.sh [OUT_DIR]      (default: out/bench-build)
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/fetch-data.sh
cargo build --release --quiet
bin=target/release/spliceforge
out=${1:-out/bench-build}
mkdir -p "$out"
timefmt() { awk -F': ' '/Elapsed \(wall clock\)/ {t=$2} /Maximum resident set size/ {r=$2} END {
  n = split(t, a, ":"); s = (n == 3) ? a[1]*3600 + a[2]*60 + a[3] : a[1]*60 + a[2];
  printf "%8.2f s  %8.1f MB", s, r / 1024 }' "$1"; }
printf '%-28s %10s  %11s  %s\n' "run" "wall" "peak RSS" "rows"
for n in 1000 5000 10000; do
  rm -rf "$out/n$n"
  /usr/bin/time -v "$bin" builder --genome data/fetched/combined.fna.gz --annotation data/fetched/combined.gtf.gz \
    --out "$out/n$n" --n-genes "$n" --batch-size 50 --batch-rows 10000 -q > "$out/n$n.log" 2> "$out/n$n.time"
  rows=$(python3 -c "import json;print(json.load(open('$out/n$n/summary.json'))['rows'])")
  printf '%-28s %s  %s\n' "build --n-genes $n" "$(timefmt "$out/n$n.time")" "$rows"
done
/usr/bin/time -v "$bin" builder --genome data/fetched/combined.fna.gz --annotation data/fetched/combined.gtf.gz \
  --out "$out/n10000" --n-genes 10000 --batch-size 50 --batch-rows 10000 -q > "$out/resume.log" 2> "$out/resume.time"
printf '%-28s %s\n' "resume finished 10k run" "$(timefmt "$out/resume.time")"
grep -h "bottleneck\|this run" "$out/n10000.log" | sed 's/^/  10k: /'
