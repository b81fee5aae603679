#!/usr/bin/env python3
"""Speed anchor for `spliceforge variants`: the lean TensorFlow loop.

Scores a VCF the way SpliceAI 1.3.1's CLI does (the same REF and ALT windows, encoding, five
models averaged, delta scores, masking and output strings), but calls the five Keras models
directly (`model(x, training=False)`) on batches of equal-length windows instead of one
`predict` call per window and model, and computes each REF window once per record and gene.

Run it with the interpreter of the virtualenv made by scripts/bench/setup-tf.sh:
  V=$(scripts/bench/setup-tf.sh)
  $V/bin/python scripts/bench/variants_tf.py --vcf in.vcf --fasta genome.fa[.gz] \
      --genes genes.txt --weights "$(scripts/fetch-spliceai.sh)" --distance 50 [--mask 0|1] \
      [--limit N] [--batch 16] [--threads 0] [--out spliceai.tsv] [--compare cli_output.vcf]
      [--compare-other-mask cli_output_other_M.vcf]

--genes is a SpliceAI gene table (#NAME CHROM STRAND TX_START TX_END EXON_START EXON_END).
--limit N scores only the first N alleles (ALT allele x gene pairs that get numbers).
Prints one JSON line: {"alleles": scored allele x gene pairs, "seconds": wall time from reading
the VCF to the last score (model loading and one warm-up call per model, on a full batch of
SNV-length windows, excluded), "alleles_per_s": …,
"windows": network inputs run, …}.
--out writes CHROM POS REF ALT SpliceAI (the INFO value SpliceAI would write, or "." when none)
per record; --compare checks those values against the SpliceAI= field of a VCF written by the
real CLI (same input, D and M) and reports the differences ("compare" in the JSON; exit 1 when
any differs); --compare-other-mask VCF does the same for the CLI's output with the other -M, from
the same network outputs.

The weights are licensed CC BY-NC 4.0 by Illumina (non-commercial use only).
"""

import argparse
import gzip
import json
import os
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "variants"))
from common import read_fasta, read_genes  # noqa: E402

CONTEXT = 10000


# ---------------------------------------------------------------------------------------------
# Inputs

def read_genes_bounds(path):
    """SpliceAI's gene table with each gene's exon boundaries as SpliceAI's union1d makes them."""
    genes = read_genes(path)
    for g in genes:
        g["bounds"] = np.union1d(np.array(g["exon_starts"], dtype=np.int64),
                                 np.array(g["exon_ends"], dtype=np.int64))
    return genes


def read_vcf(path):
    recs = []
    with (gzip.open if path.endswith(".gz") else open)(path, "rt") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            f = line.rstrip("\n").split("\t")
            alts = [] if f[4] == "." else f[4].split(",")
            recs.append({"chrom": f[0], "pos": int(f[1]), "ref": f[3], "alts": alts, "info": f[7] if len(f) > 7 else "."})
    return recs


def cli_values(path):
    """SpliceAI= values of a VCF (None when the record has none), in record order."""
    out = []
    with (gzip.open if path.endswith(".gz") else open)(path, "rt") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            f = line.rstrip("\n").split("\t")
            v = None
            for kv in f[7].split(";"):
                if kv.startswith("SpliceAI="):
                    v = kv[len("SpliceAI="):]
            out.append((f[0], int(f[1]), f[3], f[4], v))
    return out


def norm_chrom(source, target):
    # Add or remove a 'chr' prefix to match (SpliceAI's str.strip('chr') quirk not reproduced).
    if source.startswith("chr") and not target.startswith("chr"):
        return source[3:]
    if not source.startswith("chr") and target.startswith("chr"):
        return "chr" + source
    return source


# One-hot as SpliceAI: upper case; A, C, G, T one-hot; N zeros; any other byte b -> row b % 5 of
# [0000, 1000, 0100, 0010, 0001] (so IUPAC letters alias onto bases).
_ROWS = np.array([[0, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=np.float32)
_TABLE = _ROWS[np.arange(256) % 5]
for _c, _r in zip(b"ACGTN", (1, 2, 3, 4, 0)):
    _TABLE[_c] = _ROWS[_r]


def encode(s):
    return _TABLE[np.frombuffer(s.upper().encode("latin-1"), dtype=np.uint8)]


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--vcf", required=True)
    ap.add_argument("--fasta", required=True)
    ap.add_argument("--genes", required=True)
    ap.add_argument("--weights", required=True, help="directory with spliceai1.h5 … spliceai5.h5")
    ap.add_argument("--distance", type=int, default=50)
    ap.add_argument("--mask", type=int, choices=[0, 1], default=0)
    ap.add_argument("--limit", type=int, default=0, help="score only the first N alleles (0: all)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=0, help="TF intra-op threads (0 = TF default)")
    ap.add_argument("--out")
    ap.add_argument("--compare", help="the real CLI's output VCF for the same input, -D and -M")
    ap.add_argument("--compare-other-mask", help="… and for the other -M (no extra network calls)")
    args = ap.parse_args()
    d = args.distance
    if not 0 <= d < 5000:
        ap.error("--distance must be in 0..4999")
    cov = 2 * d + 1
    wid = CONTEXT + cov
    half = wid // 2

    import tensorflow as tf
    import keras

    if args.threads > 0:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    models = [keras.models.load_model(os.path.join(args.weights, f"spliceai{i}.h5"), compile=False)
              for i in range(1, 6)]
    # Keras warns that the input is not given by its layer name; harmless.
    warnings.filterwarnings("ignore", message="The structure of `inputs`")
    for m in models:  # warm-up, on a full batch of SNV windows (the most common shape)
        m(np.zeros((args.batch, wid, 4), np.float32), training=False)

    genes = read_genes_bounds(args.genes)
    fasta = read_fasta(args.fasta)
    t0 = time.perf_counter()
    recs = read_vcf(args.vcf)
    gchrom0 = genes[0]["chrom"] if genes else ""
    fchrom0 = next(iter(fasta)) if fasta else ""

    # 1. Windows (as SpliceAI: every gene with tx_start <= POS <= tx_end, in table order).
    windows = {}      # key -> one-hot array (unflipped for '-' genes: flipped at batching)
    entries = []      # per record: list of entry dicts or strings, or None (no annotation)
    skips = defaultdict(int)
    n_alleles = 0
    for rec in recs:
        ent = []
        entries.append(ent)
        if args.limit and n_alleles >= args.limit:
            rec["skip"] = "limit"
            continue
        if not rec["alts"]:
            skips["bad input"] += 1
            continue
        chrom = norm_chrom(rec["chrom"], gchrom0)
        pos, ref = rec["pos"], rec["ref"]
        gidx = [i for i, g in enumerate(genes) if g["chrom"] == chrom and g["tx_start"] <= pos <= g["tx_end"]]
        if not gidx:
            skips["no gene"] += 1
            continue
        contig = fasta.get(norm_chrom(rec["chrom"], fchrom0))
        if contig is None:
            skips["fasta issue"] += 1
            continue
        a, b = pos - half - 1, pos + half
        seq = contig[a:b] if a >= 0 else ""  # a negative start gives an empty slice in pyfaidx
        if seq[half:half + len(ref)].upper() != ref:
            skips["ref issue"] += 1
            continue
        if len(seq) != wid:
            skips["near chromosome end"] += 1
            continue
        if len(ref) > 2 * d:
            skips["ref too long"] += 1
            continue
        for alt in rec["alts"]:
            for gi in gidx:
                if any(c in alt for c in ".-*<>"):
                    continue
                g = genes[gi]
                if len(ref) > 1 and len(alt) > 1:
                    ent.append(f"{alt}|{g['name']}|.|.|.|.|.|.|.|.")
                    continue
                if args.limit and n_alleles >= args.limit:
                    continue
                n_alleles += 1
                pad0 = max(half + g["tx_start"] - pos, 0)
                pad1 = max(half - g["tx_end"] + pos, 0)
                x_ref = "N" * pad0 + seq[pad0:wid - pad1] + "N" * pad1
                x_alt = x_ref[:half] + alt + x_ref[half + len(ref):]
                rkey = ("ref", len(entries) - 1, gi)
                akey = ("alt", len(entries) - 1, gi, alt)
                if rkey not in windows:
                    windows[rkey] = (x_ref, g["strand"])
                windows[akey] = (x_alt, g["strand"])
                dist = g["bounds"] - pos
                dist_bdry = int(dist[np.argmin(np.abs(dist))])  # first minimum: the negative on a tie
                ent.append({"alt": alt, "gene": g["name"], "strand": g["strand"], "rkey": rkey, "akey": akey,
                            "ref_len": len(ref), "alt_len": len(alt), "dist": dist_bdry})

    # 2. Run the networks on batches of equal-length windows.
    by_len = defaultdict(list)
    for k, (s, strand) in windows.items():
        by_len[len(s)].append(k)
    preds = {}
    for length, keys in sorted(by_len.items()):
        for i in range(0, len(keys), args.batch):
            ks = keys[i:i + args.batch]
            x = np.stack([encode(windows[k][0]) for k in ks])
            minus = np.array([windows[k][1] == "-" for k in ks])
            x[minus] = x[minus][:, ::-1, ::-1]
            ys = np.stack([m(x, training=False).numpy() for m in models])  # (5, B, L, 3) float32
            y = np.mean(ys, axis=0)
            y[minus] = y[minus][:, ::-1]
            for j, k in enumerate(ks):
                preds[k] = y[j:j + 1]

    # 3. Delta scores and strings.
    def strings(mask):
        fmt = "{}|{}|{:.2f}|{:.2f}|{:.2f}|{:.2f}|{}|{}|{}|{}"
        values = []
        for ent in entries:
            out = []
            for e in ent:
                if isinstance(e, str):
                    out.append(e)
                    continue
                y_ref, y_alt = preds[e["rkey"]], preds[e["akey"]]
                rl, al = e["ref_len"], e["alt_len"]
                if rl > 1 and al == 1:  # deletion: zero rows after the anchor (float64, as SpliceAI)
                    y_alt = np.concatenate([y_alt[:, :cov // 2 + al], np.zeros((1, rl - al, 3)),
                                            y_alt[:, cov // 2 + al:]], axis=1)
                elif rl == 1 and al > 1:  # insertion: the ALT's rows collapsed by per-channel maximum
                    y_alt = np.concatenate([y_alt[:, :cov // 2], np.max(y_alt[:, cov // 2:cov // 2 + al], axis=1)[:, None, :],
                                            y_alt[:, cov // 2 + al:]], axis=1)
                y = np.concatenate([y_ref, y_alt])
                gain_a, loss_a = y[1, :, 1] - y[0, :, 1], y[0, :, 1] - y[1, :, 1]
                gain_d, loss_d = y[1, :, 2] - y[0, :, 2], y[0, :, 2] - y[1, :, 2]
                idx = [int(v.argmax()) for v in (gain_a, loss_a, gain_d, loss_d)]
                dp = [i - cov // 2 for i in idx]
                masked = [mask and dp[0] == e["dist"], mask and dp[1] != e["dist"],
                          mask and dp[2] == e["dist"], mask and dp[3] != e["dist"]]
                # multiplying by 0 keeps the sign: a masked negative prints -0.00, as in SpliceAI
                ds = [v[i] * (0 if mk else 1) for v, i, mk in zip((gain_a, loss_a, gain_d, loss_d), idx, masked)]
                out.append(fmt.format(e["alt"], e["gene"], *ds, *dp))
            values.append(",".join(out) if out else None)
        return values

    values = strings(args.mask)
    seconds = time.perf_counter() - t0

    res = {"alleles": n_alleles, "seconds": round(seconds, 3),
           "alleles_per_s": round(n_alleles / seconds, 3) if seconds > 0 else None,
           "windows": len(windows), "records": len(recs), "distance": d, "mask": args.mask,
           "batch": args.batch, "skips": dict(skips)}
    if args.out:
        with open(args.out, "w") as fh:
            fh.write("CHROM\tPOS\tREF\tALT\tSpliceAI\n")
            for rec, v in zip(recs, values):
                fh.write(f"{rec['chrom']}\t{rec['pos']}\t{rec['ref']}\t{','.join(rec['alts']) or '.'}\t{v or '.'}\n")
    bad = 0
    for key, path, mask in (("compare", args.compare, args.mask), ("compare_other_mask", args.compare_other_mask, 1 - args.mask)):
        if not path:
            continue
        vals = values if mask == args.mask else strings(mask)
        cli = cli_values(path)
        if len(cli) != len(recs):
            sys.exit(f"error: {path} has {len(cli)} records, {args.vcf} {len(recs)}")
        same = diff = 0
        for rec, v, c in zip(recs, vals, cli):
            if rec.get("skip") == "limit":
                continue
            if v == c[4]:
                same += 1
            else:
                diff += 1
                print(f"differs (-M {mask}) at {c[0]}:{c[1]} {c[2]}>{c[3]}: ours {v} / SpliceAI {c[4]}", file=sys.stderr)
        res[key] = {"mask": mask, "same": same, "differ": diff}
        bad += diff
    print(json.dumps(res), flush=True)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
