#!/usr/bin/env python3
"""Makes the reference outputs of SpliceAI 1.3.1's own CLI on D. melanogaster chromosome 4, for
testing `spliceforge variants` (its SpliceAI= INFO field must be byte-identical to SpliceAI's).

  V=$(scripts/bench/setup-spliceai-cli.sh)
  nice -n 10 $V/bin/python scripts/variants/make_cli_reference.py [--out tests/data/variants/dmel4]
      [--seed 20261207] [--no-cli] [--runs 50:0,50:1,500:0,500:1]

From data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz (one contig,
NC_004353.4, soft-masked) and data/DmelanDM6_4.gtf.gz it writes into --out:
  genes.txt   a SpliceAI gene table (the format of spliceai/annotations/grch37.txt): one row per
              gene_id with exon lines; NAME = the exons' `gene` attribute (else gene_id); CHROM
              as in the GTF; STRAND of the exons; TX_START = min exon start - 1; TX_END = max exon
              end; EXON_START = sorted distinct (exon start - 1) over all its transcripts;
              EXON_END = sorted distinct exon ends; lists comma-joined with a trailing comma; rows
              sorted by (TX_START, TX_END, NAME).
  input.vcf   a seeded VCF (categories: see make_vcf below and README.md there);
  categories.tsv  POS, category and soft-masked flag (1 if REF touches lower case) per record.
  spliceai_D{d}_M{m}.vcf   the output of `spliceai -I input.vcf -O … -R genome.fa -A genes.txt
              -D d -M m`, run through scripts/variants/run_patched_cli.py (SpliceAI's own main(),
              with predict memoised and the unrounded scores recorded) …
  unrounded_D{d}_M{m}.tsv  … and those unrounded scores (CHROM POS REF ALT GENE DS_AG DS_AL DS_DG
              DS_DL; repr of each value as float64), one row per scored entry in output order.
  skips.tsv   SpliceAI's warnings (skip reasons) per run.
Before the full runs it checks, on 3 records, that the memoised runner gives byte-identical VCFs
to the plain `spliceai` command (without memo), for -M 0 and -M 1.

The genome is decompressed into a temporary directory (pyfaidx needs an uncompressed, indexed
FASTA), deleted at the end.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import read_fasta, read_gtf_exons  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
GENOME = ROOT / "data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz"
GTF = ROOT / "data/DmelanDM6_4.gtf.gz"
RUNNER = ROOT / "scripts/variants/run_patched_cli.py"


# ----------------------------------------------------------------------------------------------
# Inputs

def gene_table(exons):
    by_gene = defaultdict(list)
    for e in exons:
        by_gene[e[4]].append(e)
    rows = []
    for gid, es in by_gene.items():
        names = {e[5] for e in es if e[5]}
        strands = {e[3] for e in es}
        chroms = {e[0] for e in es}
        assert len(strands) == 1 and len(chroms) == 1 and len(names) <= 1, gid
        rows.append({
            "name": names.pop() if names else gid, "gene_id": gid, "chrom": chroms.pop(),
            "strand": strands.pop(), "tx_start": min(e[1] for e in es) - 1,
            "tx_end": max(e[2] for e in es),
            "exon_starts": sorted({e[1] - 1 for e in es}), "exon_ends": sorted({e[2] for e in es}),
        })
    rows.sort(key=lambda r: (r["tx_start"], r["tx_end"], r["name"]))
    return rows


def write_gene_table(rows, path):
    with open(path, "w") as fh:
        fh.write("#NAME\tCHROM\tSTRAND\tTX_START\tTX_END\tEXON_START\tEXON_END\n")
        for r in rows:
            fh.write("\t".join([r["name"], r["chrom"], r["strand"], str(r["tx_start"]), str(r["tx_end"]),
                                "".join(f"{v}," for v in r["exon_starts"]),
                                "".join(f"{v}," for v in r["exon_ends"])]) + "\n")


def splice_sites(exons, genes_by_id):
    """Annotated splice sites from each transcript's internal exon boundaries:
    [(strand, kind, B, gene_name)], B = the exon's boundary base (1-based): for '+' a donor is an
    exon end, an acceptor an exon start; for '-' a donor is an exon start, an acceptor an exon end."""
    tx = defaultdict(list)
    for e in exons:
        tx[(e[4], e[6])].append(e)
    sites = set()
    for (gid, _), es in tx.items():
        es = sorted(es, key=lambda e: e[1])
        strand = es[0][3]
        name = genes_by_id[gid]["name"]
        for left, right in zip(es, es[1:]):
            if strand == "+":
                sites.add(("+", "donor", left[2], name))
                sites.add(("+", "acceptor", right[1], name))
            else:
                sites.add(("-", "acceptor", left[2], name))
                sites.add(("-", "donor", right[1], name))
    return sorted(sites)


def site_pos(strand, kind, b, off):
    """Genome position (1-based) of offset `off` around a site, in transcript orientation: donors
    -3..-1 exonic (-1 = last exon base), +1..+6 intronic; acceptors -20..-1 intronic, +1..+3
    exonic (+1 = first exon base). No offset 0."""
    assert off != 0
    if kind == "donor":
        return b + (off if off > 0 else off + 1) if strand == "+" else b - (off if off > 0 else off + 1)
    # acceptor
    return b + (off if off < 0 else off - 1) if strand == "+" else b - (off if off < 0 else off - 1)


# ----------------------------------------------------------------------------------------------
# The VCF

def make_vcf(seq, contig, genes, sites, seed):
    """Returns [(pos, ref, alts, filter, info, category)], sorted by position, one record a position."""
    rng = random.Random(seed)
    n = len(seq)
    up = seq.upper()
    used = set()
    recs = []
    lo, hi = 6000, n - 6000  # clear of both contig ends for D <= 500 (except the JYalpha record)

    def in_genes(p):
        return [g for g in genes if g["tx_start"] + 1 <= p <= g["tx_end"]]

    def free(p, span=1):
        return all(q not in used for q in range(p, p + span))

    def add(p, ref, alts, cat, span=None):
        span = span or len(ref)
        assert up[p - 1:p - 1 + len(ref)] == ref or cat == "ref-mismatch", (p, ref, cat)
        for q in range(p, p + span):
            used.add(q)
        recs.append([p, ref, alts, ".", ".", cat])

    def other(b):
        return rng.choice([c for c in "ACGT" if c != b])

    def snv(p, cat):
        if not (lo <= p <= hi) or not free(p) or up[p - 1] not in "ACGT":
            return False
        add(p, up[p - 1], [other(up[p - 1])], cat)
        return True

    def rand_seq(k):
        return "".join(rng.choice("ACGT") for _ in range(k))

    def exon_intervals(g):
        return list(zip([s + 1 for s in g["exon_starts"]], g["exon_ends"]))

    boundaries = sorted({s + 1 for g in genes for s in g["exon_starts"]} | {e for g in genes for e in g["exon_ends"]})

    def in_exon(p, g):
        return any(s <= p <= e for s, e in exon_intervals(g))

    def dist_boundary(p):
        import bisect
        i = bisect.bisect_left(boundaries, p)
        return min(abs(p - boundaries[j]) for j in (i - 1, i) if 0 <= j < len(boundaries))

    genes_mid = [g for g in genes if g["tx_start"] + 1 >= lo and g["tx_end"] <= hi]

    def rand_gene_pos():
        g = rng.choice(genes_mid)
        return rng.randint(g["tx_start"] + 1, g["tx_end"]), g

    groups = defaultdict(list)
    for s in sites:
        if lo + 100 <= s[2] <= hi - 100:
            groups[(s[0], s[1])].append(s)
    for k in groups:
        rng.shuffle(groups[k])

    # 1. Full scans: donors -3..+6 (2 per strand), acceptors -3..+3 plus 3 of -20..-4 (2 per strand).
    for strand in "+-":
        for s in groups[(strand, "donor")][:2]:
            for off in [-3, -2, -1, 1, 2, 3, 4, 5, 6]:
                snv(site_pos(strand, "donor", s[2], off), f"splice-{strand}donor{off:+d}")
        for s in groups[(strand, "acceptor")][:2]:
            offs = [-3, -2, -1, 1, 2, 3] + rng.sample(range(-20, -3), 3)
            for off in offs:
                snv(site_pos(strand, "acceptor", s[2], off), f"splice-{strand}acceptor{off:+d}")
    # 2. Both bases of the canonical dinucleotide of one more site of each strand and kind.
    for (strand, kind), ss in sorted(groups.items()):
        s = ss[2]
        for off in ([1, 2] if kind == "donor" else [-2, -1]):
            snv(site_pos(strand, kind, s[2], off), f"splice-{strand}{kind}{off:+d}")
    # 3. 20-60 nt from a site, either side (2 per strand and kind).
    for (strand, kind), ss in sorted(groups.items()):
        for s in ss[3:5]:
            off = rng.choice([-1, 1]) * rng.randint(20, 60)
            snv(site_pos(strand, kind, s[2], off), f"near-{strand}{kind}{off:+d}")
    # 4. Random exonic and deep-intronic (>= 100 nt from any exon boundary) SNVs.
    for want, cat in ((18, "exonic"), (18, "deep-intronic")):
        got = 0
        while got < want:
            p, g = rand_gene_pos()
            ex = in_exon(p, g)
            if cat == "exonic" and not ex:
                continue
            if cat == "deep-intronic" and (ex or dist_boundary(p) < 100 or any(in_exon(p, h) for h in in_genes(p))):
                continue
            got += snv(p, cat)
    # 5. SNVs in soft-masked (lower-case) genome inside genes.
    got = 0
    while got < 8:
        p, g = rand_gene_pos()
        if seq[p - 1].islower():
            got += snv(p, "soft-masked")
    # 6. SNVs where two or more genes overlap.
    got = 0
    while got < 3:
        p, g = rand_gene_pos()
        if len(in_genes(p)) >= 2:
            got += snv(p, "overlapping-genes")

    # 7. Insertions (REF 1 base, ALT REF + 1..12 bases) and deletions (REF 2..25, ALT 1 base):
    #    6 of each across splice sites, 14 of each at random places in genes.
    def ins(p, cat, k=None):
        if not (lo <= p <= hi) or not free(p) or up[p - 1] not in "ACGT":
            return False
        k = k or rng.randint(1, 12)
        add(p, up[p - 1], [up[p - 1] + rand_seq(k)], cat)
        return True

    def dele(p, cat, k=None):
        k = k or rng.randint(2, 25)
        ref = up[p - 1:p - 1 + k]
        if not (lo <= p <= hi) or not free(p, k) or any(c not in "ACGT" for c in ref):
            return False
        add(p, ref, [ref[0]], cat)
        return True

    site_pool = [s for k in sorted(groups) for s in groups[k][5:]]
    rng.shuffle(site_pool)
    it = iter(site_pool)
    got = 0
    while got < 6:
        s = next(it)
        got += ins(s[2] + rng.randint(-4, 4), f"insertion-at-{s[0]}{s[1]}")
    got = 0
    while got < 6:
        s = next(it)
        k = rng.randint(2, 25)
        got += dele(s[2] - rng.randint(0, k - 1), f"deletion-across-{s[0]}{s[1]}", k)
    for fn, cat in ((ins, "insertion"), (dele, "deletion")):
        got = 0
        while got < 14:
            got += fn(rand_gene_pos()[0], cat)
    # Insertions of 1 and 12 bases and deletions of 2 and 25 (the extremes) for sure.
    for fn, k in ((ins, 1), (ins, 12), (dele, 2), (dele, 25)):
        while not fn(rand_gene_pos()[0], f"{fn.__name__}-len{k}", k):
            pass
    # An insertion whose first ALT base differs from REF (not normalised; SpliceAI takes it as is).
    while True:
        p, _ = rand_gene_pos()
        if free(p) and up[p - 1] in "ACGT":
            b = up[p - 1]
            add(p, b, [other(b) + rand_seq(3)], "insertion-anchor-differs")
            break

    def special_pos(pred=lambda p: True, span=1):
        while True:
            p, _ = rand_gene_pos()
            if free(p, span) and all(c in "ACGT" for c in up[p - 1:p - 1 + span]) and pred(p):
                return p

    # 8. Multi-allelic records (2-3 ALTs, mixing SNVs and indels).
    s = groups[("+", "donor")][5]
    p = site_pos("+", "donor", s[2], 1)
    b = up[p - 1]
    add(p, b, sorted(c for c in "ACGT" if c != b)[:2], "multi-SNV,SNV-at-donor")
    p = special_pos(lambda p: any(in_exon(p, g) for g in in_genes(p)))
    b = up[p - 1]
    add(p, b, [c for c in "ACGT" if c != b], "multi-3SNV-exonic")
    p = special_pos()
    b = up[p - 1]
    add(p, b, [other(b), b + rand_seq(3)], "multi-SNV,insertion")
    p = special_pos(span=4)
    ref = up[p - 1:p + 3]
    add(p, ref, [ref[0], other(ref[0]) + ref[1:]], "multi-deletion,MNV")
    p = special_pos(span=3)
    ref = up[p - 1:p + 2]
    add(p, ref, [ref[0], other(ref[0])], "multi-deletion,deletion-anchor-differs")
    s = groups[("-", "acceptor")][5]
    p = site_pos("-", "acceptor", s[2], -1)
    b = up[p - 1]
    add(p, b, [other(b), b + rand_seq(2), ], "multi-SNV,insertion-at-acceptor")

    # 9. Singletons.
    p = special_pos(span=2)
    ref = up[p - 1:p + 1]
    add(p, ref, [other(ref[0]) + other(ref[1])], "MNV")
    p = special_pos(span=3)
    ref = up[p - 1:p + 2]
    add(p, ref, [other(ref[0]) + other(ref[1])], "complex")
    p = special_pos()
    b = up[p - 1]
    add(p, b, [other(b), "*"], "star-allele")
    # A symbolic deletion with INFO/END (without END, pysam 0.24.1 cannot write the record back:
    # "Invalid BCF, the INFO tag id=… is too large", and SpliceAI's CLI aborts).
    p = special_pos(span=40)
    add(p, up[p - 1], ["<DEL>"], "symbolic-DEL", span=40)
    recs[-1][4] = f"END={p + 39}"
    p = special_pos()
    b = up[p - 1]
    wrong = other(b)
    recs.append([p, wrong, [other(wrong) if other(wrong) != b else b], ".", ".", "ref-mismatch"])
    used.add(p)
    # Outside any gene (intergenic, clear of the contig ends).
    while True:
        p = rng.randint(lo, hi)
        if not in_genes(p) and free(p) and up[p - 1] in "ACGT":
            add(p, up[p - 1], [other(up[p - 1])], "no-gene")
            break
    # In gene JYalpha (879-5039), within 5,000 nt of the contig start.
    jy = [g for g in genes if g["name"] == "JYalpha"][0]
    p = rng.randint(max(jy["tx_start"] + 1, 1500), jy["tx_end"] - 500)
    add(p, up[p - 1], [other(up[p - 1])], "near-contig-start(JYalpha)")

    recs.sort(key=lambda r: r[0])
    assert len({r[0] for r in recs}) == len(recs)
    # Existing INFO / FILTER on some records.
    for r in rng.sample(recs, 10):
        r[4] = f"DP={rng.randint(5, 60)}" if r[4] == "." else f"{r[4]};DP={rng.randint(5, 60)}"
    for r in rng.sample(recs, 25):
        r[3] = "PASS"
    return recs


def write_vcf(recs, contig, length, path):
    with open(path, "w") as fh:
        fh.write("##fileformat=VCFv4.2\n")
        fh.write(f"##contig=<ID={contig},length={length}>\n")
        fh.write('##ALT=<ID=DEL,Description="Deletion">\n')
        fh.write('##INFO=<ID=DP,Number=1,Type=Integer,Description="Read depth">\n')
        fh.write('##INFO=<ID=END,Number=1,Type=Integer,Description="End position of the variant">\n')
        fh.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for p, ref, alts, flt, info, _ in recs:
            fh.write(f"{contig}\t{p}\t.\t{ref}\t{','.join(alts)}\t.\t{flt}\t{info}\n")


# ----------------------------------------------------------------------------------------------
# Running the CLI

def run(cmd, **kw):
    print("+", " ".join(map(str, cmd)), file=sys.stderr, flush=True)
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--out", default=str(ROOT / "tests/data/variants/dmel4"))
    ap.add_argument("--seed", type=int, default=20261207)
    ap.add_argument("--no-cli", action="store_true", help="write genes.txt and input.vcf only")
    ap.add_argument("--no-check", action="store_true", help="skip the memo-vs-plain check")
    ap.add_argument("--runs", default="50:0,50:1,500:0,500:1", help="D:M list")
    args = ap.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seqs = read_fasta(GENOME)
    exons = read_gtf_exons(GTF)
    genes = gene_table(exons)
    write_gene_table(genes, out / "genes.txt")
    by_id = {g["gene_id"]: g for g in genes}
    sites = splice_sites(exons, by_id)
    (contig, seq), = seqs.items()
    recs = make_vcf(seq, contig, genes, sites, args.seed)
    write_vcf(recs, contig, len(seq), out / "input.vcf")
    with open(out / "categories.tsv", "w") as fh:
        fh.write("POS\tCATEGORY\tSOFT_MASKED\n")
        for r in recs:
            fh.write(f"{r[0]}\t{r[5]}\t{int(any(c.islower() for c in seq[r[0] - 1:r[0] - 1 + len(r[1])]))}\n")
    nsnv = sum(1 for r in recs if len(r[1]) == 1 and all(len(a) == 1 and a in "ACGT" for a in r[2]))
    print(json.dumps({"genes": len(genes), "sites": len(sites), "records": len(recs), "snv_records": nsnv}),
          file=sys.stderr)
    if args.no_cli:
        return

    tmp = Path(tempfile.mkdtemp(prefix="spliceai-ref-"))
    try:
        fa = tmp / "genome.fa"
        with open(fa, "w") as fh:
            fh.write(f">{contig}\n")
            for i in range(0, len(seq), 80):
                fh.write(seq[i:i + 80] + "\n")
        from pyfaidx import Fasta
        Fasta(str(fa))  # writes genome.fa.fai
        genes_txt = out / "genes.txt"
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")

        if not args.no_check:
            # Three records (an SNV at a donor, a deletion, the multi-allelic SNV+insertion).
            lines = (out / "input.vcf").read_text().splitlines(keepends=True)
            head = [l for l in lines if l.startswith("#")]
            body = [l for l in lines if not l.startswith("#")]
            pick = [next(l for l in body if l.split("\t")[1] == str(r[0])) for r in
                    [next(r for r in recs if r[5].startswith("splice-+donor")),
                     next(r for r in recs if r[5] == "deletion"),
                     next(r for r in recs if r[5] == "multi-SNV,insertion")]]
            pick.sort(key=lambda l: int(l.split("\t")[1]))
            small = tmp / "small.vcf"
            small.write_text("".join(head + pick))
            spliceai = Path(sys.executable).parent / "spliceai"
            for m in (0, 1):
                run([spliceai, "-I", small, "-O", tmp / f"plain_M{m}.vcf", "-R", fa, "-A", genes_txt,
                     "-D", 50, "-M", m], env=env)
            run([sys.executable, RUNNER, "--input", small, "--fasta", fa, "--genes", genes_txt,
                 "--run", f"50:0:{tmp / 'memo_M0.vcf'}", "--run", f"50:1:{tmp / 'memo_M1.vcf'}"], env=env)
            for m in (0, 1):
                a = (tmp / f"plain_M{m}.vcf").read_bytes()
                b = (tmp / f"memo_M{m}.vcf").read_bytes()
                if a != b:
                    sys.exit(f"error: memoised output differs from plain spliceai for -M {m}")
                print(f"check -M {m}: memoised == plain spliceai:", file=sys.stderr)
                sys.stderr.write("".join(l for l in a.decode().splitlines(keepends=True) if not l.startswith("#")))

        runs = [tuple(map(int, s.split(":"))) for s in args.runs.split(",")]
        (out / "skips.tsv").unlink(missing_ok=True)
        by_d = defaultdict(list)
        for d, m in runs:
            by_d[d].append(m)
        for d, ms in by_d.items():
            cmd = [sys.executable, RUNNER, "--input", out / "input.vcf", "--fasta", fa, "--genes", genes_txt,
                   "--log", out / "skips.tsv"]
            for m in ms:
                cmd += ["--run", f"{d}:{m}:{out / f'spliceai_D{d}_M{m}.vcf'}:{out / f'unrounded_D{d}_M{m}.tsv'}"]
            t0 = time.time()
            run(cmd, env=env)
            print(f"D={d}: {time.time() - t0:.0f} s for {len(recs)} records", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
