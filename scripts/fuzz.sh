#!/usr/bin/env bash
# Runs spliceforge's fuzz targets (fuzz/, cargo fuzz with libFuzzer and AddressSanitizer).
#
#   scripts/fuzz.sh TARGET HOURS      one target for HOURS (fractions allowed: 0.5)
#   scripts/fuzz.sh all RUNS          every target for RUNS executions with a fixed seed (what CI
#                                     runs: a smoke run that gives the same result on every machine)
#   scripts/fuzz.sh list              the targets
#
# Each run starts from the committed seeds (fuzz/seeds/TARGET) and the kept regression inputs
# (tests/data/fuzz/TARGET), grows its corpus in fuzz/corpus/TARGET (not committed) and stops
# with a non-zero exit at the first crash (a panic, a timeout of 10 s on one input, or more than
# 2 GB of memory), whose input libFuzzer writes to fuzz/artifacts/TARGET/. Minimise it with
# `cargo fuzz tmin TARGET FILE`, keep it as tests/data/fuzz/TARGET/NAME, fix, and the normal
# test command checks it from then on. The summary line of each run gives executions and
# corpus size (docs/reliability.md keeps the figures).
#
# cargo fuzz needs nightly-only compiler flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain take
# them. cargo-fuzz itself is installed from crates.io when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(fasta gtf gff3 annotation gene_ids base_scores vcf gene_table h5 run_json manifest bed model_json predictions variants_manifest)
what=${1:?usage: scripts/fuzz.sh TARGET HOURS | all RUNS | list}
if [[ "$what" == list ]]; then
  printf '%s\n' "${targets[@]}"
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz from crates.io…" >&2
  cargo install cargo-fuzz --locked --version 0.13.2 >&2
fi
export RUSTC_BOOTSTRAP=1
# Inputs go to files (the readers take paths): keep them in memory.
if [[ -d /dev/shm && -w /dev/shm ]]; then
  export TMPDIR=/dev/shm
fi
cargo fuzz build -O >&2
one() { # target seconds corpus-dir [extra libFuzzer flags]
  local t=$1 secs=$2 corpus=$3 extra=${4:-}
  mkdir -p "$corpus" "fuzz/artifacts/$t"
  cp -n fuzz/seeds/"$t"/* "$corpus"/ 2>/dev/null || true
  if [[ "$t" == h5 && ! -f "$corpus/tiny.h5" ]]; then
    # Made, never committed: no weight file of any kind is kept in the repository.
    "${SPLICEFORGE_VENV:-.venv}/bin/python" fuzz/make_h5_seed.py "$corpus/tiny.h5"
  fi
  if [[ -d tests/data/fuzz/$t ]]; then cp -n tests/data/fuzz/"$t"/* "$corpus"/ 2>/dev/null || true; fi
  local log=fuzz/artifacts/$t/last.log
  if cargo fuzz run -O "$t" "$corpus" -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -malloc_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$t/" $extra >"$log" 2>&1; then
    local execs corpus_n
    execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
    corpus_n=$(find "$corpus" -type f | wc -l)
    printf 'fuzz %-18s %12s executions  corpus %6s  no crash\n' "$t" "$execs" "$corpus_n"
  else
    echo "fuzz $t: CRASH — the input is in fuzz/artifacts/$t/; the log: $log" >&2
    grep -E "panicked|ERROR: libFuzzer|SUMMARY|timeout|out-of-memory" "$log" | head -5 >&2
    return 1
  fi
}
if [[ "$what" == all ]]; then
  runs=${2:-20000}
  status=0
  # A fresh corpus of the committed seeds and kept inputs only: what earlier long runs grew in
  # fuzz/corpus/ would make the smoke run differ from machine to machine.
  for t in "${targets[@]}"; do
    rm -rf "fuzz/smoke/$t"
    one "$t" 300 "fuzz/smoke/$t" "-runs=$runs -seed=1" || status=1
  done
  exit $status
fi
hours=${2:?usage: scripts/fuzz.sh TARGET HOURS}
secs=$(python3 -c "print(max(1, int(float('$hours') * 3600)))")
one "$what" "$secs" "fuzz/corpus/$what"
