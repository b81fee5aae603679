#!/usr/bin/env python3
"""The meta-model's variant deltas judged by a proxy (standard library only).

No variant truth set is at hand, so SNVs whose effect on splicing is known by construction stand
in for one: on genes held out of the meta-model's training, SNVs at annotated sites (the canonical
dinucleotide GT/AG, and the near-canonical positions: donor -3..-1 and +3..+6, acceptor -20..-3
and +1..+3, counted from the exon/intron boundary) are positives; random deep-intronic (>= 50 nt
from any exon) and exonic (>= 10 nt from any boundary) SNVs are negatives. The separation of the
two by each field's loss score max(DS_AL, DS_DL) is the area under the ROC curve.

Limits of the proxy: not every SNV at an annotated site changes splicing (near-canonical ones
often do not), and an unannotated site can make a random SNV a true positive; the labels are
noisy by construction, so only the comparison of the two fields on the same SNVs means much.

    meta_proxy.py split  --gtf A.gtf.gz --train-fraction 0.5 --seed 1 --out-train train_ids.txt --out-held held_ids.txt
    meta_proxy.py vcf    --gtf A.gtf.gz --fasta G.fa.gz --genes held_ids.txt --avoid train_ids.txt --per-class 150 --seed 2 --out snvs.vcf --out-labels labels.tsv
    meta_proxy.py judge  --vcf scored.vcf --labels labels.tsv
"""

import argparse
import gzip
import random
import sys
from collections import defaultdict

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import read_fasta, read_gtf_exons  # noqa: E402


def read_gtf(path):
    """{gene_id: {"chrom", "strand", "start", "end", "transcripts": {tid: [(start, end), ...]}}}."""
    genes = {}
    for chrom, start, end, strand, gid, _, tid in read_gtf_exons(path):
        if not gid or not tid:
            continue
        g = genes.setdefault(gid, {"chrom": chrom, "strand": strand, "transcripts": defaultdict(list)})
        g["transcripts"][tid].append((start, end))
    for g in genes.values():
        for ex in g["transcripts"].values():
            ex.sort()
        spans = [e for ex in g["transcripts"].values() for e in ex]
        g["start"], g["end"] = min(s for s, _ in spans), max(e for _, e in spans)
    return genes


def introns(g):
    """Distinct (start, end) introns of a gene's transcripts."""
    out = set()
    for ex in g["transcripts"].values():
        for (_, e1), (s2, _) in zip(ex, ex[1:]):
            if s2 > e1 + 1:
                out.add((e1 + 1, s2 - 1))
    return sorted(out)


def split(args):
    genes = read_gtf(args.gtf)
    ids = sorted(i for i, g in genes.items() if introns(g))
    rng = random.Random(args.seed)
    rng.shuffle(ids)
    k = int(len(ids) * args.train_fraction)
    train, held = sorted(ids[:k]), sorted(ids[k:])
    open(args.out_train, "w").write("".join(i + "\n" for i in train))
    open(args.out_held, "w").write("".join(i + "\n" for i in held))
    print(f"{len(train)} training genes, {len(held)} held-out genes (with introns)", file=sys.stderr)


def sites(g):
    """Per class, the genome positions of a gene's annotated-site SNV candidates."""
    out = defaultdict(set)
    plus = g["strand"] == "+"
    for s, e in introns(g):
        # Donor at the intron's 5' end, acceptor at its 3' end (in transcript orientation).
        d5, a3 = (s, e) if plus else (e, s)
        step = 1 if plus else -1
        # Intron offset k (1-based into the intron) from the donor, and from the acceptor backwards.
        don = lambda k: d5 + (k - 1) * step if k > 0 else d5 + k * step
        acc = lambda k: a3 + (k + 1) * step if k < 0 else a3 + k * step
        out["canonical"].update([don(1), don(2), acc(-1), acc(-2)])
        out["near"].update([don(k) for k in (-3, -2, -1, 3, 4, 5, 6)])
        out["near"].update([acc(k) for k in list(range(-20, -2)) + [1, 2, 3]])
    return out


def vcf(args):
    genes = read_gtf(args.gtf)
    fasta = read_fasta(args.fasta)
    held = [l.strip() for l in open(args.genes) if l.strip()]
    avoid = [l.strip() for l in open(args.avoid) if l.strip()] if args.avoid else []
    spans = defaultdict(list)
    for gid in avoid:
        g = genes.get(gid)
        if g:
            spans[g["chrom"]].append((g["start"], g["end"]))
    # Every annotated boundary (all genes), to keep negatives away from them.
    boundaries = defaultdict(set)
    for g in genes.values():
        for ex in g["transcripts"].values():
            for s, e in ex:
                boundaries[g["chrom"]].update([s, e])
    rng = random.Random(args.seed)
    cands = defaultdict(set)
    regions = {"deep-intronic": [], "exonic": []}  # (chrom, first, last) a negative may take
    for gid in held:
        g = genes.get(gid)
        if not g or g["chrom"] not in fasta:
            continue
        c = g["chrom"]
        if any(s <= g["end"] and g["start"] <= e for s, e in spans[c]):
            continue  # overlaps a training gene
        for cls, ps in sites(g).items():
            cands[cls].update((c, p) for p in ps)
        for s, e in introns(g):
            if e - s >= 100:
                regions["deep-intronic"].append((c, s + 50, e - 50))
        for s, e in sorted({x for ex in g["transcripts"].values() for x in ex}):
            if e - s >= 20:
                regions["exonic"].append((c, s + 10, e - 10))
    near = lambda c, p, w: any(b in boundaries[c] for b in range(p - w, p + w + 1))
    # Classes are disjoint: canonical beats near, a site position is never a negative.
    cands["near"] -= cands["canonical"]
    taken = cands["canonical"] | cands["near"]
    recs = []

    def add(c, p, cls):
        ref = fasta[c][p - 1].upper()
        if ref not in "ACGT":
            return False
        alt = rng.choice([b for b in "ACGT" if b != ref])
        recs.append((c, p, ref, alt, cls))
        taken.add((c, p))
        return True

    for cls in ("canonical", "near"):
        pool = sorted(cands[cls])
        rng.shuffle(pool)
        n = 0
        for c, p in pool:
            if n >= args.per_class:
                break
            n += add(c, p, cls)
    # Negatives: positions drawn uniformly over the allowed stretches (rejection sampling).
    for cls, w in (("deep-intronic", 50), ("exonic", 10)):
        regs = regions[cls]
        weights = [b - a + 1 for _, a, b in regs]
        n = tries = 0
        while regs and n < args.per_class and tries < 100 * args.per_class:
            tries += 1
            c, a, b = rng.choices(regs, weights)[0]
            p = rng.randint(a, b)
            if (c, p) in taken or near(c, p, w):
                continue
            n += add(c, p, cls)
    recs.sort(key=lambda r: (r[0], r[1], r[3]))
    with open(args.out, "w") as fh:
        fh.write("##fileformat=VCFv4.2\n")
        for c in sorted({r[0] for r in recs}):
            fh.write(f"##contig=<ID={c},length={len(fasta[c])}>\n")
        fh.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for c, p, ref, alt, _ in recs:
            fh.write(f"{c}\t{p}\t.\t{ref}\t{alt}\t.\t.\t.\n")
    with open(args.out_labels, "w") as fh:
        fh.write("CHROM\tPOS\tREF\tALT\tCLASS\n")
        for c, p, ref, alt, cls in recs:
            fh.write(f"{c}\t{p}\t{ref}\t{alt}\t{cls}\n")
    counts = defaultdict(int)
    for r in recs:
        counts[r[4]] += 1
    print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())), file=sys.stderr)


def auc(pos, neg):
    """Mann-Whitney AUC with ties counted half."""
    allv = sorted([(v, 1) for v in pos] + [(v, 0) for v in neg])
    ranks, i = {}, 0
    rank_sum = 0.0
    while i < len(allv):
        j = i
        while j < len(allv) and allv[j][0] == allv[i][0]:
            j += 1
        r = (i + j + 1) / 2.0
        rank_sum += r * sum(1 for k in range(i, j) if allv[k][1] == 1)
        i = j
    n1, n0 = len(pos), len(neg)
    return (rank_sum - n1 * (n1 + 1) / 2.0) / (n1 * n0)


def loss(field):
    best = None
    for e in field.split(","):
        p = e.split("|")
        if len(p) < 10 or p[2] == ".":
            continue
        v = max(float(p[3]), float(p[5]))
        best = v if best is None else max(best, v)
    return best


def judge(args):
    label = {}
    for l in open(args.labels):
        f = l.rstrip("\n").split("\t")
        if f[0] != "CHROM":
            label[(f[0], f[1], f[2], f[3])] = f[4]
    scores = defaultdict(lambda: defaultdict(list))
    opener = gzip.open if args.vcf.endswith(".gz") else open
    with opener(args.vcf, "rt") as fh:
        for l in fh:
            if l.startswith("#"):
                continue
            f = l.rstrip("\n").split("\t")
            cls = label.get((f[0], f[1], f[3], f[4]))
            info = dict(x.split("=", 1) for x in f[7].split(";") if "=" in x)
            if cls is None or "SpliceAI" not in info or "SpliceForge" not in info:
                continue
            a, m = loss(info["SpliceAI"]), loss(info["SpliceForge"])
            if a is None or m is None:
                continue
            scores["spliceai"][cls].append(a)
            scores["meta"][cls].append(m)
    negs = lambda s: s["deep-intronic"] + s["exonic"]
    print("| positives | n pos / n neg | SpliceAI AUC | meta-model AUC |")
    print("| --- | --- | --- | --- |")
    for name, classes in (("canonical dinucleotide", ["canonical"]), ("near-canonical", ["near"]),
                          ("both", ["canonical", "near"])):
        pa = [v for c in classes for v in scores["spliceai"][c]]
        pm = [v for c in classes for v in scores["meta"][c]]
        na, nm = negs(scores["spliceai"]), negs(scores["meta"])
        if not pa or not na:
            continue
        print(f"| {name} | {len(pa)} / {len(na)} | {auc(pa, na):.3f} | {auc(pm, nm):.3f} |")
    for cls in ("canonical", "near", "deep-intronic", "exonic"):
        a, m = scores["spliceai"][cls], scores["meta"][cls]
        if a:
            print(f"mean loss score, {cls}: SpliceAI {sum(a)/len(a):.3f}, meta-model {sum(m)/len(m):.3f} (n={len(a)})",
                  file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("split")
    s.add_argument("--gtf", required=True)
    s.add_argument("--train-fraction", type=float, default=0.5)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--out-train", required=True)
    s.add_argument("--out-held", required=True)
    v = sub.add_parser("vcf")
    v.add_argument("--gtf", required=True)
    v.add_argument("--fasta", required=True)
    v.add_argument("--genes", required=True)
    v.add_argument("--avoid")
    v.add_argument("--per-class", type=int, default=150)
    v.add_argument("--seed", type=int, default=2)
    v.add_argument("--out", required=True)
    v.add_argument("--out-labels", required=True)
    j = sub.add_parser("judge")
    j.add_argument("--vcf", required=True)
    j.add_argument("--labels", required=True)
    a = ap.parse_args()
    {"split": split, "vcf": vcf, "judge": judge}[a.cmd](a)


if __name__ == "__main__":
    main()
