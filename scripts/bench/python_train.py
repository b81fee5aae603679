"""The loading path of the Python system we replace (MetaSpliceAI's trainer): polars -> numpy ->
pandas (float64) -> xgboost.DMatrix, then the same booster settings as `spliceforge train`.
Used only by scripts/bench/train.sh to compare; prints one JSON line."""
import json, resource, sys, time

import numpy as np
import pandas as pd
import polars as pl
import xgboost as xgb

ds, rounds, eta, depth, max_bin, threads = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
t0 = time.time()
schema = json.load(open(f"{ds}/run.json"))["content"]["schema"]["columns"]
feats = [c["name"] for c in schema if c["role"] == "feature"]
df = pl.read_parquet(f"{ds}/parts/*.parquet")
X = df.select(feats).to_numpy()
pdf = pd.DataFrame(X, columns=feats).astype("float64")
y = df["splice_type"].replace_strict({"neither": 0, "donor": 1, "acceptor": 2}).to_numpy()
dtrain = xgb.DMatrix(pdf, label=y, missing=np.nan)
load_s = time.time() - t0
load_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
params = {"objective": "multi:softprob", "num_class": 3, "tree_method": "hist", "eta": eta, "max_depth": depth,
          "subsample": 0.8, "colsample_bytree": 0.8, "max_bin": max_bin, "nthread": threads, "seed": 42, "verbosity": 0}
bst = xgb.train(params, dtrain, rounds)
print(json.dumps({"rows": int(X.shape[0]), "load_s": load_s, "load_peak_rss": load_rss, "total_s": time.time() - t0,
                  "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
