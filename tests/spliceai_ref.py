#!/usr/bin/env python3
"""Independent numpy reference forward pass of SpliceAI-10k, for checking spliceforge's scores.

The network is built from the `.h5` file itself: the Keras `model_config` JSON attribute on the
file's root gives the layers and how they connect (by inbound nodes, never by layer names or
numbers, which are not in graph order in these files); the weights come from
`model_weights/<layer>` (the `weight_names` attribute, else `<layer>/kernel:0`, `bias:0`, `gamma:0`,
`beta:0`, `moving_mean:0`, `moving_variance:0`). Supported layer classes: InputLayer, Conv1D
(kernel (k, C_in, C_out), stride 1, padding 'same' or 'valid', any dilation), BatchNormalization
(inference form, moving statistics), Activation, Add, Cropping1D. Anything else is an error.

Numerics: everything in float64. BatchNormalization is applied as its own per-channel affine map
`x * gamma / sqrt(var + eps) + (beta - mean * gamma / sqrt(var + eps))` (scale and shift computed
in float64); it is NOT folded into the neighbouring convolutions, so this file stays a literal
transcription of the stored graph. A convolution is one matrix product per kernel tap on a
shifted (zero-padded) view: y = sum_t x[t*d : t*d + L] @ W[t] + b.

Input encoding (the convention spliceforge chose): one-hot with channels A, C, G, T in that order;
lower-case a/c/g/t (soft-masked sequence) is the same as upper case; every other letter (N and
the IUPAC ambiguity codes R, Y, ... and anything else) is all zeros, and so is sequence beyond a
contig's ends. (SpliceAI's own encoder maps some IUPAC letters to bases; we do not.)

Flanks: the output at position p depends on the input p-5000 .. p+5000 exactly (the model crops
5,000 from each end). A region start..end is scored from the genomic sequence start-5000 ..
end+5000 (genomic flanks, N beyond contig ends). Long regions are cut into chunks of --chunk
output positions, each with its own 5,000-nt flanks, which gives the same numbers. Minus strand:
the input is reverse-complemented, the network run, and the output flipped back, so position i
of the output always belongs to genomic position start+i. Output classes: (neither, acceptor,
donor); the softmax outputs of the chosen models are averaged.

Usage:
  # compare a Parquet of `spliceforge score` (chrom, position, strand, gene_id, donor, acceptor)
  python3 tests/spliceai_ref.py --weights DIR --models 1,2 --fasta GENOME.fa[.gz] \
      --check SCORES.parquet [--genes ID1,ID2] [--tol 1e-4]
  # score one region (1-based, inclusive) and write a TSV: position, donor, acceptor (with header)
  python3 tests/spliceai_ref.py --weights DIR --models 1 --fasta GENOME.fa.gz \
      --region CHROM:START-END:STRAND --out file.tsv [--against OTHER.tsv --tol 1e-4]

Model i is DIR/spliceai{i}.h5 (fetch them with scripts/fetch-spliceai.sh; the weights are licensed
CC BY-NC 4.0 by Illumina). Exit status: 0 when every compared value is within --tol, 1 otherwise
(or on any error), with a message on stderr.
"""

import argparse
import gzip
import json
import os
import sys
import time

# The convolutions are many small (L x 32) @ (32 x 32) products: BLAS threads give little and slow
# to a crawl on a busy machine (e.g. beside cargo), so one thread unless the caller says otherwise.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

FLANK_DEFAULT = 5000

# --------------------------------------------------------------------------------------------
# Encoding and sequence input


def _one_hot_table():
    t = np.zeros((256, 4), dtype=np.float64)
    for i, (u, l) in enumerate(zip(b"ACGT", b"acgt")):
        t[u, i] = 1.0
        t[l, i] = 1.0
    return t


ONE_HOT = _one_hot_table()


def one_hot(seq: bytes) -> np.ndarray:
    """(len, 4) float64, channels A, C, G, T; any other byte is all zeros."""
    return ONE_HOT[np.frombuffer(seq, dtype=np.uint8)]


def reverse_complement_one_hot(x: np.ndarray) -> np.ndarray:
    # Complement of A, C, G, T is T, G, C, A: reversing the channel order; all-zero rows stay zero.
    return x[::-1, ::-1].copy()


def read_fasta(path: str, wanted=None) -> dict:
    """Contig name (first word of the header) -> sequence bytes. Gzip-aware (by magic bytes).
    With `wanted`, only those contigs are kept and reading stops once all are found."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    wanted = None if wanted is None else set(wanted)
    out, name, parts = {}, None, None
    with opener(path, "rb") as fh:
        for line in fh:
            if line.startswith(b">"):
                if parts is not None:
                    out[name] = b"".join(parts)
                    if wanted is not None and wanted <= out.keys():
                        return out
                words = line[1:].split()
                name = words[0].decode() if words else ""
                parts = [] if (wanted is None or name in wanted) else None
            elif parts is not None:
                parts.append(line.strip())
    if parts is not None:
        out[name] = b"".join(parts)
    return out


def genomic_window(contig: bytes, start: int, end: int) -> bytes:
    """1-based inclusive start..end of a contig; positions outside 1..len(contig) become N."""
    n = len(contig)
    left = max(0, 1 - start)
    right = max(0, end - n)
    lo, hi = max(start, 1), min(end, n)
    core = contig[lo - 1 : hi] if hi >= lo else b""
    if hi < lo:  # window entirely outside the contig
        return b"N" * (end - start + 1)
    return b"N" * left + core + b"N" * right


# --------------------------------------------------------------------------------------------
# The model, driven by model_config


class Model:
    def __init__(self, path: str):
        import h5py

        self.path = path
        with h5py.File(path, "r") as f:
            cfg = f.attrs["model_config"]
            if isinstance(cfg, bytes):
                cfg = cfg.decode()
            cfg = json.loads(cfg)
            if cfg.get("class_name") not in ("Model", "Functional"):
                raise ValueError(f"{path}: unsupported model class {cfg.get('class_name')!r}")
            conf = cfg["config"]
            mw = f["model_weights"] if "model_weights" in f else f
            self.layers = {}
            for layer in conf["layers"]:
                name = layer["name"]
                inbound = []
                nodes = layer.get("inbound_nodes") or []
                if len(nodes) > 1:
                    raise ValueError(f"{path}: layer {name} is called more than once (unsupported)")
                for node in nodes:
                    for entry in node:
                        inbound.append(entry[0])
                weights = self._read_weights(mw, name)
                self.layers[name] = (layer["class_name"], layer["config"], inbound, weights)
            self.inputs = [e[0] for e in conf["input_layers"]]
            self.outputs = [e[0] for e in conf["output_layers"]]
        if len(self.inputs) != 1 or len(self.outputs) != 1:
            raise ValueError(f"{path}: expected one input and one output")
        self._prepare()

    @staticmethod
    def _read_weights(mw, name):
        if name not in mw:
            return {}
        g = mw[name]
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in g.attrs.get("weight_names", [])]
        out = {}
        if names:
            for n in names:
                key = n.split("/")[-1].split(":")[0]
                out[key] = np.asarray(g[n], dtype=np.float64)
        else:
            sub = g[name] if name in g else g
            for n in sub:
                out[n.split(":")[0]] = np.asarray(sub[n], dtype=np.float64)
        return out

    def _prepare(self):
        # Topological order from the output back through inbound nodes (no reliance on names).
        order, state = [], {}

        def visit(n):
            s = state.get(n)
            if s == 2:
                return
            if s == 1:
                raise ValueError(f"{self.path}: cycle at layer {n}")
            if n not in self.layers:
                raise ValueError(f"{self.path}: unknown layer {n}")
            state[n] = 1
            for m in self.layers[n][2]:
                visit(m)
            state[n] = 2
            order.append(n)

        visit(self.outputs[0])
        self.order = order
        self.consumers = {n: 0 for n in order}
        for n in order:
            for m in self.layers[n][2]:
                self.consumers[m] += 1
        # Precompute each layer's operation.
        self.ops = {}
        crops = []
        for n in order:
            cls, c, inbound, w = self.layers[n]
            if cls == "InputLayer":
                op = ("input",)
            elif cls == "Conv1D":
                if list(c.get("strides", [1])) != [1]:
                    raise ValueError(f"{n}: strides {c.get('strides')} unsupported")
                if c.get("data_format", "channels_last") != "channels_last":
                    raise ValueError(f"{n}: data_format unsupported")
                k = w["kernel"]
                ks = int(np.ravel(c["kernel_size"])[0])
                d = int(np.ravel(c.get("dilation_rate", [1]))[0])
                if k.shape[0] != ks:
                    raise ValueError(f"{n}: kernel shape {k.shape} vs kernel_size {ks}")
                pad = c.get("padding", "valid")
                if pad not in ("same", "valid"):
                    raise ValueError(f"{n}: padding {pad!r} unsupported")
                b = w.get("bias") if c.get("use_bias", True) else None
                op = ("conv", k, b, d, pad, c.get("activation", "linear"))
            elif cls == "BatchNormalization":
                if c.get("axis", -1) not in (-1, 2, [2], [-1]):
                    raise ValueError(f"{n}: BatchNormalization axis {c.get('axis')} unsupported")
                eps = float(c.get("epsilon", 1e-3))
                mean, var = w["moving_mean"], w["moving_variance"]
                gamma = w["gamma"] if c.get("scale", True) else np.ones_like(mean)
                beta = w["beta"] if c.get("center", True) else np.zeros_like(mean)
                scale = gamma / np.sqrt(var + eps)
                op = ("affine", scale, beta - mean * scale)
            elif cls == "Activation":
                op = ("act", c["activation"])
            elif cls == "Add":
                op = ("add",)
            elif cls == "Cropping1D":
                a, z = (int(v) for v in np.ravel(c["cropping"]))
                crops.append((a, z))
                op = ("crop", a, z)
            else:
                raise ValueError(f"{self.path}: layer class {cls} ({n}) unsupported")
            self.ops[n] = op
        # The flank the model expects: total cropping along the (single) path to the output.
        if len(crops) != 1 or crops[0][0] != crops[0][1]:
            raise ValueError(f"{self.path}: expected one symmetric Cropping1D, got {crops}")
        self.flank = crops[0][0]
        self.half_receptive = self._half_receptive_field()
        if self.half_receptive > self.flank:
            raise ValueError(
                f"{self.path}: receptive half-width {self.half_receptive} exceeds the cropping "
                f"{self.flank}; chunked scoring would not be exact"
            )

    def _half_receptive_field(self):
        reach = {}
        for n in self.order:
            op = self.ops[n]
            before = max((reach[m] for m in self.layers[n][2]), default=0)
            if op[0] == "conv":
                k, d = op[1].shape[0], op[3]
                before += (k - 1) * d // 2
            reach[n] = before
        return reach[self.outputs[0]]

    @staticmethod
    def _activation(x, name):
        if name == "linear":
            return x
        if name == "relu":
            return np.maximum(x, 0.0, out=x)
        if name == "softmax":
            e = np.exp(x - x.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)
        raise ValueError(f"activation {name!r} unsupported")

    @staticmethod
    def _conv(x, k, b, d, pad, act):
        taps, cin, cout = k.shape
        span = (taps - 1) * d
        n = x.shape[0]
        if pad == "same":
            left = span // 2
            xp = np.zeros((n + span, cin))
            xp[left : left + n] = x
            n_out = n
        else:
            xp = x
            n_out = n - span
            if n_out <= 0:
                raise ValueError("input shorter than a 'valid' convolution's span")
        y = np.zeros((n_out, cout)) if b is None else np.tile(b, (n_out, 1))
        tmp = np.empty((n_out, cout))
        for t in range(taps):
            np.matmul(xp[t * d : t * d + n_out], k[t], out=tmp)
            y += tmp
        return Model._activation(y, act)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (L, 4) one-hot, L > 2*flank. Returns (L - 2*flank, 3) softmax (neither, acc, donor)."""
        vals, left = {}, dict(self.consumers)
        for n in self.order:
            op = self.ops[n]
            ins = [vals[m] for m in self.layers[n][2]]
            kind = op[0]
            if kind == "input":
                y = np.asarray(x, dtype=np.float64)
            elif kind == "conv":
                y = self._conv(ins[0], *op[1:])
            elif kind == "affine":
                y = ins[0] * op[1] + op[2]
            elif kind == "act":
                y = self._activation(ins[0].copy(), op[1])
            elif kind == "add":
                y = ins[0] + ins[1]
                for extra in ins[2:]:
                    y += extra
            elif kind == "crop":
                a, z = op[1], op[2]
                y = ins[0][a : ins[0].shape[0] - z]
            vals[n] = y
            for m in self.layers[n][2]:
                left[m] -= 1
                if left[m] == 0:
                    del vals[m]
        return vals[self.outputs[0]]


def load_models(weights_dir: str, ids):
    models = []
    for i in ids:
        p = os.path.join(weights_dir, f"spliceai{i}.h5")
        if not os.path.isfile(p):
            raise SystemExit(f"error: {p} not found (run scripts/fetch-spliceai.sh)")
        models.append(Model(p))
    flanks = {m.flank for m in models}
    if len(flanks) != 1:
        raise SystemExit(f"error: the models disagree on the flank: {flanks}")
    return models


def score_region(models, contig: bytes, start: int, end: int, strand: str, chunk: int = 50000, timings=None):
    """Scores genomic positions start..end (1-based, inclusive) on `strand`.
    Returns (end-start+1, 3) float64 averaged softmax, row i = position start+i."""
    if strand not in "+-" or len(strand) != 1:
        raise ValueError(f"strand must be '+' or '-', got {strand!r}")
    flank = models[0].flank
    n = end - start + 1
    out = np.zeros((n, 3))
    for c0 in range(0, n, chunk):
        c1 = min(n, c0 + chunk)
        s, e = start + c0, start + c1 - 1
        x = one_hot(genomic_window(contig, s - flank, e + flank))
        if strand == "-":
            x = reverse_complement_one_hot(x)
        acc = np.zeros((c1 - c0, 3))
        for m in models:
            t0 = time.perf_counter()
            acc += m.forward(x)
            if timings is not None:
                timings.append((x.shape[0], time.perf_counter() - t0))
        acc /= len(models)
        out[c0:c1] = acc[::-1] if strand == "-" else acc
    return out


# --------------------------------------------------------------------------------------------
# Command line


def parse_region(text):
    try:
        chrom, rest = text.rsplit(":", 1)
        strand = "+"
        if rest in ("+", "-"):
            strand = rest
            chrom, rest = chrom.rsplit(":", 1)
        a, b = rest.replace(",", "").split("-")
        start, end = int(a), int(b)
    except ValueError:
        raise SystemExit(f"error: --region must be CHROM:START-END[:STRAND], got {text!r}")
    if start < 1 or end < start:
        raise SystemExit(f"error: --region {text!r}: need 1 <= START <= END")
    return chrom, start, end, strand


def read_tsv(path):
    pos, don, acc = [], [], []
    with open(path) as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if not f[0] or not f[0].lstrip("-").isdigit():
                continue  # header
            pos.append(int(f[0]))
            don.append(float(f[1]))
            acc.append(float(f[2]))
    return np.array(pos), np.array(don), np.array(acc)


def run_region(args, models):
    chrom, start, end, strand = parse_region(args.region)
    seqs = read_fasta(args.fasta, [chrom])
    if chrom not in seqs:
        raise SystemExit(f"error: contig {chrom!r} not in {args.fasta}")
    timings = []
    t0 = time.perf_counter()
    p = score_region(models, seqs[chrom], start, end, strand, args.chunk, timings)
    total = time.perf_counter() - t0
    for L, t in timings:
        print(f"forward pass: {L} nt input ({L - 2 * models[0].flank} scored), {t:.2f} s", file=sys.stderr)
    print(f"region {chrom}:{start}-{end}:{strand}: {end - start + 1} nt, {len(models)} model(s), "
          f"{total:.2f} s", file=sys.stderr)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write("position\tdonor\tacceptor\n")
            for i in range(p.shape[0]):
                fh.write(f"{start + i}\t{p[i, 2]:.9g}\t{p[i, 1]:.9g}\n")
    if args.against:
        pos, don, acc = read_tsv(args.against)
        idx = pos - start
        if len(pos) == 0 or idx.min() < 0 or idx.max() >= p.shape[0]:
            raise SystemExit(f"error: {args.against}: positions outside {start}-{end} or none")
        if len(pos) != p.shape[0]:
            print(f"warning: {args.against} has {len(pos)} rows for {p.shape[0]} positions", file=sys.stderr)
        d = max(np.abs(don - p[idx, 2]).max(), np.abs(acc - p[idx, 1]).max())
        print(f"max |diff| vs {args.against}: {d:.3g} (tol {args.tol:g})")
        if not d <= args.tol:
            print(f"error: {args.against} differs from the reference by {d:.3g} > {args.tol:g}", file=sys.stderr)
            return 1
    return 0


def run_check(args, models):
    import pyarrow.parquet as pq

    t = pq.read_table(args.check, columns=["chrom", "position", "strand", "gene_id", "donor", "acceptor"])
    cols = {c: t.column(c).to_numpy(zero_copy_only=False) for c in t.column_names}
    gene_ids = cols["gene_id"].astype(str)
    wanted = None
    if args.genes:
        wanted = [g for g in args.genes.split(",") if g]
        missing = sorted(set(wanted) - set(gene_ids))
        if missing:
            raise SystemExit(f"error: genes not in {args.check}: {', '.join(missing)}")
    order = {}
    for i, g in enumerate(gene_ids):
        order.setdefault(g, []).append(i)
    genes = wanted if wanted is not None else list(order)
    if not genes:
        raise SystemExit(f"error: {args.check} has no rows")
    chroms = sorted({str(cols["chrom"][order[g][0]]) for g in genes})
    seqs = read_fasta(args.fasta, chroms)
    for c in chroms:
        if c not in seqs:
            raise SystemExit(f"error: contig {c!r} (from {args.check}) not in {args.fasta}")
    worst, worst_gene, n_vals, bad = 0.0, None, 0, []
    t_all = time.perf_counter()
    for g in genes:
        rows = np.array(order[g])
        chrom = set(cols["chrom"][rows].astype(str))
        strand = set(cols["strand"][rows].astype(str))
        if len(chrom) != 1 or len(strand) != 1:
            raise SystemExit(f"error: gene {g} spans several contigs/strands: {chrom} {strand}")
        chrom, strand = chrom.pop(), strand.pop()
        pos = cols["position"][rows].astype(np.int64)
        lo, hi = int(pos.min()), int(pos.max())
        if len(np.unique(pos)) != len(pos):
            raise SystemExit(f"error: gene {g} has duplicate positions")
        if len(pos) != hi - lo + 1:
            print(f"warning: gene {g}: {len(pos)} rows for range {lo}-{hi} (not contiguous)", file=sys.stderr)
        t0 = time.perf_counter()
        p = score_region(models, seqs[chrom], lo, hi, strand, args.chunk)
        idx = pos - lo
        don = cols["donor"][rows].astype(np.float64)
        acc = cols["acceptor"][rows].astype(np.float64)
        dd = np.abs(don - p[idx, 2])
        da = np.abs(acc - p[idx, 1])
        d = float(max(dd.max(), da.max()))
        if np.isnan(dd).any() or np.isnan(da).any():
            d = float("nan")
        n_vals += 2 * len(pos)
        print(f"{g}\t{chrom}:{lo}-{hi}:{strand}\t{len(pos)} nt\tmax|diff| donor {dd.max():.3g} "
              f"acceptor {da.max():.3g}\t{time.perf_counter() - t0:.1f} s")
        if not d <= args.tol:
            bad.append((g, d))
        if not d <= worst:
            worst, worst_gene = d, g
    print(f"overall: {len(genes)} genes, {n_vals} values, max |diff| {worst:.3g}"
          f"{' (' + worst_gene + ')' if worst_gene else ''}, tol {args.tol:g}, "
          f"{time.perf_counter() - t_all:.1f} s")
    if bad:
        print(f"error: {len(bad)} of {len(genes)} genes exceed tol {args.tol:g}: "
              + ", ".join(f"{g} ({d:.3g})" for g, d in bad[:10]) + (" ..." if len(bad) > 10 else ""),
              file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="numpy reference forward pass of SpliceAI-10k (weights: CC BY-NC 4.0, Illumina)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("Usage:")[1],
    )
    ap.add_argument("--weights", required=True, help="directory with spliceai1.h5 … spliceai5.h5")
    ap.add_argument("--models", default="1,2,3,4,5", help="comma-separated model numbers (default all five)")
    ap.add_argument("--fasta", required=True, help="genome FASTA, plain or gzip")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", metavar="SCORES.parquet", help="compare a `spliceforge score` Parquet")
    mode.add_argument("--region", metavar="CHROM:START-END:STRAND", help="score one region (1-based, inclusive)")
    ap.add_argument("--genes", help="with --check: only these gene ids (comma-separated)")
    ap.add_argument("--tol", type=float, default=1e-4, help="max allowed |diff| (default 1e-4)")
    ap.add_argument("--out", help="with --region: write position, donor, acceptor TSV")
    ap.add_argument("--against", metavar="OTHER.tsv", help="with --region: compare with another such TSV")
    ap.add_argument("--chunk", type=int, default=50000, help="output positions per forward pass (default 50000)")
    args = ap.parse_args(argv)
    if args.chunk < 1:
        ap.error("--chunk must be >= 1")
    if args.region is None and (args.out or args.against):
        ap.error("--out/--against go with --region")
    if args.check is None and args.genes:
        ap.error("--genes goes with --check")
    try:
        ids = [int(s) for s in args.models.split(",") if s.strip()]
    except ValueError:
        ap.error(f"--models must be numbers like 1,2: {args.models!r}")
    if not ids or any(i < 1 or i > 5 for i in ids):
        ap.error("--models: numbers 1..5")
    models = load_models(args.weights, ids)
    if args.region:
        return run_region(args, models)
    return run_check(args, models)


if __name__ == "__main__":
    sys.exit(main())
