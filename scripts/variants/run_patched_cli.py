#!/usr/bin/env python3
"""Runs SpliceAI 1.3.1's own CLI (spliceai.__main__.main) with two additions, for making reference
outputs affordably:

  (i)  each of the five Keras models' `predict` is memoised by the exact input (SHA-256 of the
       one-hot array's bytes, with its shape and dtype, per model): REF windows shared by the
       alleles of a record and repeated runs with -M 0 / -M 1 in one process call `predict` once;
       the memo returns a copy of what `predict` returned, so the numbers are the same;
  (ii) every scored entry that get_delta_scores formats is recorded with its four delta scores
       unrounded (repr of the value as float64, exactly the number that '{:.2f}' then rounds),
       through the no-op hook `spliceai.utils._spliceforge_fmt` that scripts/bench/setup-spliceai-cli.sh
       adds to the installed copy of spliceai/utils.py.

The output VCF is written by SpliceAI's own main(): pysam.VariantFile, its header line, its
get_delta_scores. Nothing of SpliceAI's code is copied here.

Run it with the venv made by scripts/bench/setup-spliceai-cli.sh:
  V=$(scripts/bench/setup-spliceai-cli.sh)
  $V/bin/python scripts/variants/run_patched_cli.py --input in.vcf --fasta genome.fa \
      --genes genes.txt --run 50:0:out_D50_M0.vcf:unrounded_D50_M0.tsv \
      --run 50:1:out_D50_M1.vcf:unrounded_D50_M1.tsv [--no-memo] [--log skips.tsv]

Each --run is D:M:OUT_VCF[:UNROUNDED_TSV]; runs are made in order in one process (sharing the
memo). Prints one JSON line per run to stdout (seconds, records, predict calls and memo hits).
"""

import argparse
import hashlib
import json
import logging
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import spliceai.utils as su  # noqa: E402
import spliceai.__main__ as sm  # noqa: E402

STATS = {"predict_calls": 0, "memo_hits": 0}
CACHE = {}
CURRENT = {"record": None}
ROWS = []
SKIPS = []


class MemoModel:
    """Stands in for a Keras model in Annotator.models; only .predict is used by SpliceAI."""

    def __init__(self, index, model, memo):
        self.index, self.model, self.memo = index, model, memo

    def predict(self, x, *args, **kwargs):
        if not self.memo:
            STATS["predict_calls"] += 1
            return self.model.predict(x, *args, **kwargs)
        a = np.ascontiguousarray(x)
        key = (self.index, a.shape, a.dtype.str, hashlib.sha256(a.tobytes()).hexdigest())
        hit = CACHE.get(key)
        if hit is None:
            STATS["predict_calls"] += 1
            hit = self.model.predict(x, *args, **kwargs)
            CACHE[key] = hit
        else:
            STATS["memo_hits"] += 1
        return hit.copy()

    def __getattr__(self, name):
        return getattr(self.model, name)


class RecordingFormat(str):
    """The format string of a scored entry; records the unrounded scores it formats."""

    def format(self, *args, **kwargs):
        rec = CURRENT["record"]
        alt, gene, ds = args[0], args[1], args[2:6]
        ROWS.append((rec.chrom, rec.pos, rec.ref, str(alt), str(gene)) + tuple(repr(float(v)) for v in ds))
        return str.format(self, *args, **kwargs)


class SkipLog(logging.Handler):
    def emit(self, record):
        msg = record.getMessage()
        if msg.startswith("Skipping record"):  # not the absl/TensorFlow warnings
            SKIPS.append(msg)


def install(memo):
    orig_init = su.Annotator.__init__

    def init(self, *a, **k):
        orig_init(self, *a, **k)
        self.models = [MemoModel(i, m, memo) for i, m in enumerate(self.models, start=1)]

    su.Annotator.__init__ = init
    # __main__ did `from spliceai.utils import Annotator, get_delta_scores`: same class object, but
    # the function is wrapped where main() looks it up.
    orig_gds = sm.get_delta_scores

    def gds(record, ann, dist_var, mask):
        CURRENT["record"] = record
        return orig_gds(record, ann, dist_var, mask)

    sm.get_delta_scores = gds
    if not hasattr(su, "_spliceforge_fmt"):
        sys.exit("error: the installed spliceai/utils.py lacks the _spliceforge_fmt hook; "
                 "run scripts/bench/setup-spliceai-cli.sh")
    su._spliceforge_fmt = RecordingFormat
    root = logging.getLogger()
    root.addHandler(logging.StreamHandler())  # still shown on stderr, as without the recorder
    root.addHandler(SkipLog())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--input", required=True)
    ap.add_argument("--fasta", required=True)
    ap.add_argument("--genes", required=True)
    ap.add_argument("--run", action="append", required=True, help="D:M:OUT_VCF[:UNROUNDED_TSV]")
    ap.add_argument("--no-memo", action="store_true", help="call predict every time (for checking)")
    ap.add_argument("--log", help="append SpliceAI's warnings (skip reasons) here, one per line")
    args = ap.parse_args()

    install(memo=not args.no_memo)
    for spec in args.run:
        parts = spec.split(":")
        if len(parts) not in (3, 4):
            ap.error(f"--run {spec!r}: want D:M:OUT_VCF[:UNROUNDED_TSV]")
        d, m, out = parts[:3]
        tsv = parts[3] if len(parts) == 4 else None
        ROWS.clear()
        SKIPS.clear()
        calls0, hits0 = STATS["predict_calls"], STATS["memo_hits"]
        sys.argv = ["spliceai", "-I", args.input, "-O", out, "-R", args.fasta, "-A", args.genes,
                    "-D", d, "-M", m]
        t0 = time.perf_counter()
        sm.main()
        secs = time.perf_counter() - t0
        if tsv:
            with open(tsv, "w") as fh:
                fh.write("CHROM\tPOS\tREF\tALT\tGENE\tDS_AG\tDS_AL\tDS_DG\tDS_DL\n")
                for r in ROWS:
                    fh.write("\t".join(map(str, r)) + "\n")
        if args.log:
            with open(args.log, "a") as fh:
                for s in SKIPS:
                    fh.write(f"D{d}_M{m}\t{s.rstrip()}\n")
        print(json.dumps({"D": int(d), "M": int(m), "out": out, "seconds": round(secs, 1),
                          "scored_entries": len(ROWS), "skipped_records": len(SKIPS),
                          "predict_calls": STATS["predict_calls"] - calls0,
                          "memo_hits": STATS["memo_hits"] - hits0}), flush=True)


if __name__ == "__main__":
    main()
