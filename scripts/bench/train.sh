#!/usr/bin/env bash
# Trainer benchmark, the whole job: gene-level cross-validation plus the final model, through
# `spliceforge train` (its defaults) and through the Python system we replace
# (scripts/bench/python_train_cv.py: polars -> pandas float64 -> three one-vs-rest binary XGBoost
# models per fold, each an XGBClassifier fit as MetaSpliceAI's trainer does, then the final three;
# PY_MODE=shared runs a leaner Python path instead, one DMatrix per fold shared by the three
# boosters), on the same dataset with the same folds count, rounds,
# eta, depth, bins and threads. Each side runs RUNS times, one run at a time; the table gives
# medians: wall time, peak RSS, load time and out-of-fold average precision per site type.
#
#   scripts/bench/train.sh [N_GENES] [ROUNDS] [RUNS]   (defaults: 2000 genes of A. thaliana, 100 rounds, 3 runs)
#   WHICH=ours|python|both (default both): run one side only; the table uses whatever runs
#   are on disk in out/bench-train/ (so the two sides can be measured one after the other).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/fetch-data.sh > /dev/null
py=python3
[[ -x .venv/bin/python ]] && py=.venv/bin/python
$py -c "import pandas, polars, sklearn, xgboost" 2>/dev/null || $py -m pip install --quiet pandas polars scikit-learn xgboost-cpu
bin=${SPLICEFORGE_BIN:-target/release/spliceforge}
[[ -n ${SPLICEFORGE_BIN:-} ]] || cargo build --release --quiet
n=${1:-2000}; rounds=${2:-100}; runs=${3:-3}
eta=0.1; depth=6; max_bin=256; threads=2; folds=3; seed=42
which=${WHICH:-both}
mode=${PY_MODE:-sklearn}; tag=python; [[ $mode == sklearn ]] || tag=python-$mode
out=out/bench-train; ds=$out/atha-$n
mkdir -p "$out"
[[ -f $ds/summary.json ]] || "$bin" builder --genome data/fetched/athaliana.fna.gz \
  --annotation data/fetched/athaliana.gtf.gz --out "$ds" --n-genes "$n" -q > /dev/null
for i in $(seq 1 "$runs"); do
  if [[ $which != python ]]; then
    rm -rf "$out/ours-$i"
    /usr/bin/time -v "$bin" train --dataset "$ds" --out-dir "$out/ours-$i" --n-folds $folds \
      --n-estimators "$rounds" --learning-rate $eta --max-depth $depth --max-bin $max_bin \
      --threads $threads --seed $seed > "$out/ours-$i.log" 2> "$out/ours-$i.time"
    echo "ours run $i: $(grep -o 'Elapsed.*' "$out/ours-$i.time")"
  fi
  if [[ $which != ours ]]; then
    /usr/bin/time -v $py scripts/bench/python_train_cv.py "$ds" "$rounds" $eta $depth $max_bin \
      $threads $folds $seed $mode > "$out/$tag-$i.json" 2> "$out/$tag-$i.time"
    echo "$tag run $i: $(grep -o 'Elapsed.*' "$out/$tag-$i.time")"
  fi
done
$py - "$out" "$runs" <<'PY'
import glob, json, re, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
def tv(path):
    t = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1).split(":")
    secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall)))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) * 1024
    return secs, rss
def ours(i):
    w, r = tv(f"{out}/ours-{i}.time")
    m = json.load(open(f"{out}/ours-{i}/metrics.json"))
    ph = {p["name"]: p["secs"] for p in m["phases"]}
    ap = {c["class"]: c["average_precision"] for c in m["result"]["classes"]}
    return dict(wall=w, rss=r, load=ph["final: load"], donor=ap["donor"], acceptor=ap["acceptor"])
def python(i, tag):
    w, r = tv(f"{out}/{tag}-{i}.time")
    j = json.loads(open(f"{out}/{tag}-{i}.json").read().strip().splitlines()[-1])
    # Minus the matrix built only to time the load (sklearn mode).
    return dict(wall=w - j.get("extra_s", 0.0), rss=r, load=j["load_s"], donor=j["ap"]["donor"], acceptor=j["ap"]["acceptor"])
sides = {}
for name, f, tag in [("spliceforge train", ours, "ours"),
                     ("python, XGBClassifier/class", lambda i: python(i, "python"), "python"),
                     ("python, shared DMatrix", lambda i: python(i, "python-shared"), "python-shared")]:
    done = [i for i in range(1, runs + 1) if glob.glob(f"{out}/{tag}-{i}.time")]
    if done:
        rs = [f(i) for i in done]
        sides[name] = {k: statistics.median(r[k] for r in rs) for k in rs[0]} | {"n": len(rs)}
print(f"{'medians':30}{'runs':>5}{'wall s':>9}{'peak RSS MB':>13}{'load s':>8}{'AP donor':>10}{'AP acceptor':>13}")
for name, s in sides.items():
    print(f"{name:30}{s['n']:5}{s['wall']:9.1f}{s['rss']/1e6:13.0f}{s['load']:8.1f}{s['donor']:10.3f}{s['acceptor']:13.3f}")
o = sides.get("spliceforge train")
for pname, p in sides.items():
    if o is None or p is o:
        continue
    print(f"against {pname}: speed-up {p['wall']/o['wall']:.2f}x (target >= 1.5x); peak RSS ratio {o['rss']/p['rss']:.2f} (target <= 0.3); "
          f"load {o['load']:.1f} s vs {p['load']:.1f} s (target: no longer); "
          f"AP difference donor {o['donor']-p['donor']:+.3f}, acceptor {o['acceptor']-p['acceptor']:+.3f} (target >= -0.01)")
PY
