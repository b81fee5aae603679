"""Two binary XGBoost boosters on the same rows: one after the other with 2 threads each, against
both at the same time with 1 thread each (what `spliceforge train` does for ovr2 on 2 threads).

    .venv/bin/python scripts/bench/boost_together.py [DATASET] [PARTS] [ROUNDS] [REPEATS]

DATASET is a spliceforge dataset (default out/bench-train/atha-2000, made by
scripts/bench/train.sh); its first PARTS part files (default 14, about 1 M rows) are read. Each
booster is binary:logistic (donor vs rest, acceptor vs rest) with train.sh's settings. Prints
each repeat's seconds and the medians.
"""
import glob
import statistics
import sys
import threading
import time

import numpy as np
import pyarrow.parquet as pq
import xgboost as xgb

ds = sys.argv[1] if len(sys.argv) > 1 else "out/bench-train/atha-2000"
parts = int(sys.argv[2]) if len(sys.argv) > 2 else 14
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 50
repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 3

t = pq.read_table(sorted(glob.glob(f"{ds}/parts/*.parquet"))[:parts])
meta = {"gene_id", "chrom", "position", "strand", "splice_type", "pred_type", "sample_weight"}
x = np.column_stack([t.column(c).to_numpy().astype(np.float32) for c in t.column_names if c not in meta])
kind = np.array(t.column("splice_type").to_pylist())
print(f"{x.shape[0]} rows x {x.shape[1]} features, {rounds} rounds", flush=True)


def params(threads):
    return dict(tree_method="hist", eta=0.1, max_depth=6, max_bin=256, nthread=threads,
                objective="binary:logistic", max_delta_step=5, subsample=0.8,
                colsample_bytree=0.8, verbosity=0)


donor = xgb.QuantileDMatrix(x, label=(kind == "donor").astype(np.float32), nthread=2)
acceptor = xgb.QuantileDMatrix(x, label=(kind == "acceptor").astype(np.float32), ref=donor, nthread=2)


def boost(d, threads):
    xgb.train(params(threads), d, rounds)


after, together = [], []
for i in range(repeats):
    t0 = time.time()
    boost(donor, 2)
    boost(acceptor, 2)
    after.append(time.time() - t0)
    t0 = time.time()
    threads = [threading.Thread(target=boost, args=(d, 1)) for d in (donor, acceptor)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    together.append(time.time() - t0)
    print(f"repeat {i + 1}: one after the other {after[-1]:.1f} s, together {together[-1]:.1f} s", flush=True)
a, b = statistics.median(after), statistics.median(together)
print(f"medians: one after the other {a:.1f} s, together {b:.1f} s ({(1 - b / a) * 100:.0f} % less)")
