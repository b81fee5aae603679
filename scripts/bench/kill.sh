#!/usr/bin/env bash
# Kill benchmark: SIGKILLs a build at N random instants and checks that the resumed result is
# byte-identical to an uninterrupted run. Builds the embedded D. melanogaster data with
# --batch-size 2 --batch-rows 500 (41 commits) and SPLICEFORGE_TEST_PAUSE_MS (a pause at each
# commit step, so kills also land between flush, close, rename and manifest record).
#
#   scripts/bench/kill.sh [N] [OUT_DIR]     (default: 100 kills, out/bench-kill; about 2 min)
#
# 1. An uninterrupted reference build into OUT_DIR/ref; its wall time D sets the kill delays.
# 2. Rounds: a fresh OUT_DIR/killed is built by running the same command again and again, each
#    run SIGKILLed after a random delay uniform in [0, 3D/K) (K = KILL_PER_ROUND, default 10):
#    the mean delay is 1.5 D/K because each resumed run first spends some of it restarting, so
#    a round's K kills spread over the whole build (startup, mid-write, between commit steps,
#    finish) and one round costs about one build rather than one build per kill.
#    A kill "lands" when the run dies of it (exit 137); a run that exits 0 first counts as
#    "finished before kill" and ends the round; after K landed kills (or N in all) one last run
#    without a kill completes it. Each round's dataset must match ref byte for byte (diff -r on
#    every file: parts, manifest, genes.parquet, run.json, summary.json, basemodel.json: none
#    holds timings) and pass `spliceforge verify`. Rounds go on until N kills have landed.
# 3. Prints kills landed, runs finished before a kill, rounds, and the batches committed in the
#    manifest at each landed kill (min/median/max), and how many kills came before the killed
#    run had committed a batch of its own (startup, first batch); exits 1 on the first
#    difference or failure, with the round's kills (each landed kill is logged in
#    OUT_DIR/kills.log: delay, batches committed before and after, complete entry, .tmp).
#
# Environment: SPLICEFORGE_BIN (use this binary instead of `cargo build --release`),
# KILL_SEED (seed of the random instants, default 1; timing still varies run to run),
# KILL_PER_ROUND (kills per fresh dataset, default 10), KILL_PAUSE_MS (SPLICEFORGE_TEST_PAUSE_MS
# for all runs, default 15; 0 = no pause), KILL_NICE (nice level of the builds, default 10).
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100}
out=${2:-out/bench-kill}
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "usage: scripts/bench/kill.sh [N >= 1] [OUT_DIR]" >&2; exit 2; }
if [[ -n ${SPLICEFORGE_BIN:-} ]]; then
  bin=$SPLICEFORGE_BIN
else
  cargo build --release --quiet
  bin=target/release/spliceforge
fi
seed=${KILL_SEED:-1}
RANDOM=$seed
pause=${KILL_PAUSE_MS:-15}
nicelvl=${KILL_NICE:-10}
per=${KILL_PER_ROUND:-10}
args=(builder --genome data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz
  --annotation data/DmelanDM6_4.gtf.gz --batch-size 2 --batch-rows 500 -q)
build() { # build DIR LOG: runs the builder in the background, sets $pid
  SPLICEFORGE_TEST_PAUSE_MS=$pause nice -n "$nicelvl" "$bin" "${args[@]}" --out "$1" >"$2" 2>&1 &
  pid=$!
}
now_ms() { date +%s%3N; }
committed() { # batches recorded in DIR's manifest (0 if none yet)
  cat "$1/manifest.jsonl" 2>/dev/null | grep -c '"kind":"batch"' || true
}

rm -rf "$out"
mkdir -p "$out"
t0=$(now_ms)
build "$out/ref" "$out/ref.log"
wait "$pid" || { echo "reference build failed (see $out/ref.log)"; exit 1; }
dur=$(($(now_ms) - t0))
"$bin" verify "$out/ref" >/dev/null || { echo "verify failed on the reference"; exit 1; }
win=$((3 * dur / per))
echo "reference: $(committed "$out/ref") batches in $dur ms (pause $pause ms per commit step)," \
  "up to $per kills per round, each after uniform [0, ${win}) ms"

landed=0 finished=0 rounds=0 runs=0 idle=0
at=() # batches committed at each landed kill
killed=$out/killed
while ((landed < n)); do
  rounds=$((rounds + 1))
  rm -rf "$killed"
  k=0
  while :; do
    runs=$((runs + 1))
    log=$out/run.log
    if ((landed >= n || k >= per)); then # enough kills: complete the round uninterrupted
      build "$killed" "$log"
      rc=0; { wait "$pid"; } 2>/dev/null || rc=$?
      [[ $rc == 0 ]] || { echo "final run of round $rounds failed: exit $rc"; cat "$log"; exit 1; }
      break
    fi
    ms=$((win * RANDOM / 32768)) before=$(committed "$killed")
    build "$killed" "$log"
    sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
    kill -9 "$pid" 2>/dev/null || true
    rc=0; { wait "$pid"; } 2>/dev/null || rc=$?
    if [[ $rc == 137 ]]; then
      landed=$((landed + 1)) k=$((k + 1))
      at+=("$(committed "$killed")")
      done_=no; grep -q '"kind":"complete"' "$killed/manifest.jsonl" 2>/dev/null && done_=yes
      echo "round $rounds run $runs: killed after $ms ms; batches $before -> ${at[-1]};" \
        "complete entry: $done_; .tmp: $([[ -e $killed/.tmp ]] && echo present || echo absent)" \
        >>"$out/kills.log"
      ((at[-1] > before)) || idle=$((idle + 1))
    elif [[ $rc == 0 ]]; then
      finished=$((finished + 1))
      break
    else
      echo "round $rounds, run $runs (KILL_SEED=$seed, kill after $ms ms): exit $rc"
      cat "$log"; exit 1
    fi
  done
  if ! d=$(diff -rq "$out/ref" "$killed"); then
    echo "round $rounds (KILL_SEED=$seed): NOT byte-identical to the reference; first difference:"
    echo "$d" | head -1
    echo "kills of this round ($out/kills.log):"; grep "^round $rounds " "$out/kills.log" || true
    exit 1
  fi
  if ! "$bin" verify "$killed" >/dev/null; then
    echo "round $rounds: verify failed"; "$bin" verify "$killed" || true; exit 1
  fi
done
total=$(($(now_ms) - t0))

stats=$(printf '%s\n' "${at[@]}" | sort -n | awk '{a[NR] = $1} END {
  m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2;
  z = 0; for (i = 1; i <= NR; i++) if (a[i] == 0) z++;
  printf "min %d / median %g / max %d (%d kills before the first commit)", a[1], m, a[NR], z }')
echo "kills landed:             $landed"
echo "finished before a kill:   $finished"
echo "rounds (fresh datasets):  $rounds  ($runs builder runs)"
echo "batches committed at kill: $stats of $(committed "$out/ref")"
echo "kills before the run committed a batch of its own: $idle"
echo "byte-identical: yes (all $rounds rounds; every file, verify OK) in $((total / 1000)) s"
