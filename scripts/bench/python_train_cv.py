"""The whole training job of the Python system we replace (MetaSpliceAI's trainer), as
scripts/bench/train.sh compares it with `spliceforge train`: the dataset read with polars, turned
into a pandas float64 frame, then gene-level cross-validation with three one-vs-rest binary XGBoost
models per fold, and the same three models on every row at the end. Prints one JSON line: wall
time, load time, peak RSS and the out-of-fold average precision per site type (weighted by
sample_weight, ties grouped, as `spliceforge train` computes it).

    python_train_cv.py DATASET ROUNDS ETA DEPTH MAX_BIN THREADS FOLDS SEED [MODE]

MODE `sklearn` (the default) fits the three classes as MetaSpliceAI's run_gene_cv_sigmoid.py
does: one `xgboost.XGBClassifier(...).fit(X, y)` per class, each building its own matrix from the
fold's rows (its monitoring extras, evaluation sets on the training and a validation slice each
round, are left out). MODE `shared` is a leaner Python path than the system's: one DMatrix per
fold shared by the three boosters.

Benchmark anchor only: never on spliceforge's code path."""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
import polars as pl
import xgboost as xgb

CLASSES = {"neither": 0, "donor": 1, "acceptor": 2}


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def average_precision(score, positive, weight):
    """Weighted AP: groups of tied scores from the highest down, each adding its share of the
    positive weight times the precision down to it."""
    order = np.argsort(-score, kind="stable")
    s, p, w = score[order], positive[order], weight[order].astype(np.float64)
    pos_w = np.where(p, w, 0.0)
    neg_w = np.where(p, 0.0, w)
    ends = np.flatnonzero(np.r_[s[1:] != s[:-1], True])  # last index of each tie group
    tp = np.cumsum(pos_w)[ends]
    fp = np.cumsum(neg_w)[ends]
    total = tp[-1]
    if total == 0:
        return 0.0
    gained = np.diff(np.r_[0.0, tp])
    keep = (tp + fp) > 0
    return float(np.sum(gained[keep] / total * tp[keep] / (tp[keep] + fp[keep])))


def fit_ovr(X, y, params, rounds, mode):
    """Three binary boosters, one per class against the rest."""
    if mode == "sklearn":
        kw = {k: v for k, v in params.items() if k not in ("eta", "nthread", "seed", "verbosity")}
        boosters = []
        for c in range(3):
            m = xgb.XGBClassifier(n_estimators=rounds, learning_rate=params["eta"], n_jobs=params["nthread"],
                                  random_state=params["seed"], **kw)
            m.fit(X, (y == c).astype(int))
            boosters.append(m.get_booster())
        return boosters
    d = xgb.DMatrix(X, missing=np.nan)
    boosters = []
    for c in range(3):
        d.set_label((y == c).astype(np.float32))
        boosters.append(xgb.train(params, d, rounds))
    return boosters


def main():
    ds, rounds, eta, depth, max_bin, threads, n_folds, seed = sys.argv[1:9]
    rounds, depth, max_bin, threads, n_folds, seed = map(int, (rounds, depth, max_bin, threads, n_folds, seed))
    mode = sys.argv[9] if len(sys.argv) > 9 else "sklearn"
    t0 = time.time()
    schema = json.load(open(f"{ds}/run.json"))["content"]["schema"]["columns"]
    feats = [c["name"] for c in schema if c["role"] == "feature"]
    df = pl.read_parquet(f"{ds}/parts/*.parquet")
    frame = pd.DataFrame(df.select(feats).to_numpy(), columns=feats).astype("float64")
    y = df["splice_type"].replace_strict(CLASSES).to_numpy()
    weight = df["sample_weight"].to_numpy()
    genes = df["gene_id"].to_numpy()
    del df
    read_s = time.time() - t0

    params = {"objective": "binary:logistic", "tree_method": "hist", "eta": float(eta), "max_depth": depth,
              "subsample": 0.8, "colsample_bytree": 0.8, "max_bin": max_bin, "nthread": threads,
              "seed": seed, "verbosity": 0}
    # Gene-level folds: a seeded shuffle of the genes dealt round-robin.
    unique = np.unique(genes)
    rng = np.random.default_rng(seed)
    fold_of_gene = dict(zip(rng.permutation(unique), np.arange(len(unique)) % n_folds))
    fold = np.array([fold_of_gene[g] for g in genes])
    oof = np.zeros((len(y), 3))
    fold_s = []
    for k in range(n_folds):
        t = time.time()
        train, test = fold != k, fold == k
        boosters = fit_ovr(frame[train], y[train], params, rounds, mode)
        dtest = xgb.DMatrix(frame[test], missing=np.nan)
        oof[test] = np.column_stack([b.predict(dtest) for b in boosters])
        fold_s.append(time.time() - t)
    probs = oof / oof.sum(axis=1, keepdims=True)
    ap = {name: average_precision(probs[:, c], y == c, weight) for name, c in CLASSES.items() if c > 0}

    t = time.time()
    extra_s = 0.0
    if mode == "sklearn":
        # The sklearn API builds each class's matrix inside fit. To report a load time, the
        # matrix of every row is built once more on its own; `extra_s` is that extra work,
        # which train.sh takes off the wall time.
        dall = xgb.QuantileDMatrix(frame, max_bin=max_bin, missing=np.nan, nthread=threads)
        dm_s = extra_s = time.time() - t
        del dall
        t = time.time()
        fit_ovr(frame, y, params, rounds, mode)
        final_boost_s = time.time() - t - 3 * dm_s
    else:
        dall = xgb.DMatrix(frame, missing=np.nan)
        dm_s = time.time() - t
        t = time.time()
        for c in range(3):
            dall.set_label((y == c).astype(np.float32))
            xgb.train(params, dall, rounds)
        final_boost_s = time.time() - t
    print(json.dumps({"mode": mode, "rows": int(len(y)), "features": len(feats), "read_s": read_s,
                      "load_s": read_s + dm_s, "extra_s": extra_s, "folds_s": fold_s, "final_boosting_s": final_boost_s,
                      "total_s": time.time() - t0, "peak_rss": peak_rss(), "ap": ap}))


if __name__ == "__main__":
    main()
