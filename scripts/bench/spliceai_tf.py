#!/usr/bin/env python3
"""Speed anchor: SpliceAI-10k run by TensorFlow/Keras itself on CPU.

Run it with the interpreter of the virtualenv made by scripts/bench/setup-tf.sh:
  V=${SPLICEFORGE_TF_VENV:-$HOME/.cache/spliceforge/tf-venv}
  $V/bin/python scripts/bench/spliceai_tf.py --weights "$(scripts/fetch-spliceai.sh)" \
      --models 5 --threads 2 --fasta GENOME.fa.gz --region CHROM:START-END [--out scores.tsv]
  $V/bin/python scripts/bench/spliceai_tf.py --weights DIR --models 1 --random-length 100000 --seed 1

--models N runs spliceai1.h5 … spliceaiN.h5 (or give a list such as 2,4) and averages their
softmax outputs. The input is one-hot (A, C, G, T; any other letter all zeros) with 5,000 nt of
genomic flank on each side (N beyond the contig's ends), plus strand only. The output is cut into
chunks of --chunk positions (default: the whole region in one call), each with its own flanks.

Prints one JSON line: {"nt": scored positions, "seconds": wall time of the scoring calls (model
loading and one warm-up call excluded), "nt_per_s": ..., ...}. With --out, writes
position<TAB>donor<TAB>acceptor (with a header line), the same format as
tests/spliceai_ref.py --region ... --out, so the two can be compared (--against there).

The weights are licensed CC BY-NC 4.0 by Illumina (non-commercial use only).
"""

import argparse
import gzip
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

FLANK = 5000


def encode(seq: bytes) -> np.ndarray:
    table = np.zeros((256, 4), dtype=np.float32)
    for i, c in enumerate(b"ACGT"):
        table[c, i] = 1.0
        table[c + 32, i] = 1.0  # lower case
    return table[np.frombuffer(seq, dtype=np.uint8)]


def read_contig(path: str, name: str) -> bytes:
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    parts, on = None, False
    with (gzip.open if gz else open)(path, "rb") as fh:
        for line in fh:
            if line.startswith(b">"):
                if on:
                    break
                on = line[1:].split()[0].decode() == name
                if on:
                    parts = []
            elif on:
                parts.append(line.strip())
    if parts is None:
        raise SystemExit(f"error: contig {name!r} not found in {path}")
    return b"".join(parts)


def window(contig: bytes, start: int, end: int) -> bytes:
    """1-based inclusive; N outside the contig."""
    n = len(contig)
    if end < 1 or start > n:
        return b"N" * (end - start + 1)
    return b"N" * max(0, 1 - start) + contig[max(start, 1) - 1 : min(end, n)] + b"N" * max(0, end - n)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--models", default="1", help="N (models 1..N) or a list like 2,4")
    ap.add_argument("--fasta")
    ap.add_argument("--region", help="CHROM:START-END (1-based, inclusive; plus strand)")
    ap.add_argument("--random-length", type=int, help="score L random positions (random flanks too)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0, help="TF intra-op threads (0 = TF default)")
    ap.add_argument("--chunk", type=int, default=0, help="positions per call (0 = all at once)")
    ap.add_argument("--repeat", type=int, default=1, help="time this many scoring runs, report the best")
    ap.add_argument("--out", help="write position, donor, acceptor TSV")
    args = ap.parse_args()

    if "," in args.models:
        ids = [int(s) for s in args.models.split(",") if s]
    else:
        ids = list(range(1, int(args.models) + 1))
    if not ids or any(i < 1 or i > 5 for i in ids):
        ap.error("--models: N in 1..5 or a list of numbers 1..5")

    if (args.region is None) == (args.random_length is None):
        ap.error("give exactly one of --region (with --fasta) or --random-length")
    if args.region:
        if not args.fasta:
            ap.error("--region needs --fasta")
        try:
            chrom, rng = args.region.rsplit(":", 1)
            start, end = (int(v) for v in rng.replace(",", "").split("-"))
        except ValueError:
            ap.error(f"--region must be CHROM:START-END, got {args.region!r}")
        if start < 1 or end < start:
            ap.error("--region: need 1 <= START <= END")
        contig = read_contig(args.fasta, chrom)
        seq = window(contig, start - FLANK, end + FLANK)
    else:
        if args.random_length < 1:
            ap.error("--random-length must be >= 1")
        rng_ = np.random.default_rng(args.seed)
        seq = np.frombuffer(b"ACGT", dtype=np.uint8)[rng_.integers(0, 4, args.random_length + 2 * FLANK)].tobytes()
        start = 1
    n = len(seq) - 2 * FLANK
    x_all = encode(seq)

    import tensorflow as tf

    if args.threads > 0:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    try:
        import keras
    except ImportError:
        import tf_keras as keras  # Keras 2 for newer TensorFlow, if Keras 3 is missing

    models = []
    for i in ids:
        p = os.path.join(args.weights, f"spliceai{i}.h5")
        if not os.path.isfile(p):
            raise SystemExit(f"error: {p} not found (run scripts/fetch-spliceai.sh)")
        models.append(keras.models.load_model(p, compile=False))

    spec = tf.TensorSpec(shape=(None, None, 4), dtype=tf.float32)
    fns = [tf.function(lambda x, m=m: m(x, training=False), input_signature=[spec]) for m in models]

    chunk = args.chunk if args.chunk > 0 else n
    pieces = [(c0, min(n, c0 + chunk)) for c0 in range(0, n, chunk)]

    def run():
        out = np.zeros((n, 3), dtype=np.float64)
        for c0, c1 in pieces:
            x = tf.constant(x_all[None, c0 : c1 + 2 * FLANK])
            for f in fns:
                out[c0:c1] += f(x).numpy()[0].astype(np.float64)
        return out / len(fns)

    # Warm-up: traces the functions and touches every weight once (not timed).
    c0, c1 = pieces[0]
    for f in fns:
        f(tf.constant(x_all[None, c0 : c1 + 2 * FLANK])).numpy()

    best, probs = None, None
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        probs = run()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)

    if args.out:
        with open(args.out, "w") as fh:
            fh.write("position\tdonor\tacceptor\n")
            for i in range(n):
                fh.write(f"{start + i}\t{probs[i, 2]:.9g}\t{probs[i, 1]:.9g}\n")

    print(json.dumps({
        "nt": n,
        "seconds": round(best, 4),
        "nt_per_s": round(n / best, 1),
        "models": len(ids),
        "threads": args.threads,
        "chunk": chunk,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }))


if __name__ == "__main__":
    main()
