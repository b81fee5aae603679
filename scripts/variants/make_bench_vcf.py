#!/usr/bin/env python3
"""Seeded benchmark VCFs for `spliceforge variants` and its speed anchors (standard library only).

  python3 scripts/variants/make_bench_vcf.py [--fasta data/DmelanDM6_4_…genomic.fna.gz]
      [--genes tests/data/variants/dmel4/genes.txt] [--seed 7]
      [--bench bench.vcf [--snvs 1000] [--indels 120]]
      [--dense dense.vcf [--sites 50] [--flank 50] [--multiallelic]]

--bench: SNVs and indels at random positions inside genes (uniform over the genes' transcribed
  spans, pooled), clear of both contig ends by 6,000 nt (so no record is skipped as near a contig
  end for D <= 500), one record per position; insertions add 1-12 bases after a 1-base REF,
  deletions remove 1-24 bases (REF 2-25 bases, ALT its first base); about half of the indels are
  insertions.
--dense: every SNV (all 3 alternative bases) within --flank nt of --sites annotated splice sites
  (internal exon boundaries of the table: exon starts other than TX_START+1 and exon ends other
  than TX_END, picked at random, clear of the contig ends); one record per ALT (three records a
  position, as SpliceAI's precomputed files have), or one multi-allelic record a position with
  --multiallelic. Positions shared by two nearby sites are written once.
REF is always the genome's base(s) upper-cased; ID, QUAL, FILTER and INFO are '.'.
"""

import argparse
import gzip
import random
from pathlib import Path
import sys

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import read_fasta, read_genes  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
GENOME = ROOT / "data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz"
GENES = ROOT / "tests/data/variants/dmel4/genes.txt"
MARGIN = 6000


def write_vcf(path, contigs, recs):
    with open(path, "w") as fh:
        fh.write("##fileformat=VCFv4.2\n")
        for name, seq in contigs.items():
            fh.write(f"##contig=<ID={name},length={len(seq)}>\n")
        fh.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for chrom, pos, ref, alt in recs:
            fh.write(f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\t.\t.\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--fasta", default=str(GENOME))
    ap.add_argument("--genes", default=str(GENES))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--bench")
    ap.add_argument("--snvs", type=int, default=1000)
    ap.add_argument("--indels", type=int, default=120)
    ap.add_argument("--dense")
    ap.add_argument("--sites", type=int, default=50)
    ap.add_argument("--flank", type=int, default=50)
    ap.add_argument("--multiallelic", action="store_true")
    args = ap.parse_args()
    if not args.bench and not args.dense:
        ap.error("give --bench and/or --dense")

    seqs = read_fasta(args.fasta)
    ups = {k: v.upper() for k, v in seqs.items()}
    genes = [g for g in read_genes(args.genes) if g["chrom"] in seqs]
    order = list(seqs)

    def ok(chrom, p, span=1):
        n = len(ups[chrom])
        return MARGIN < p and p + span - 1 <= n - MARGIN and all(c in "ACGT" for c in ups[chrom][p - 1:p - 1 + span])

    def sort(recs):
        return sorted(recs, key=lambda r: (order.index(r[0]), r[1]))

    if args.bench:
        rng = random.Random(args.seed)
        spans = [(g["chrom"], g["tx_start"], g["tx_end"]) for g in genes]
        weights = [e - s + 1 for _, s, e in spans]
        used, recs = set(), []

        def rand_pos(span=1):
            while True:
                chrom, s, e = rng.choices(spans, weights)[0]
                p = rng.randint(s, e)
                if ok(chrom, p, span) and all((chrom, q) not in used for q in range(p, p + span)):
                    used.update((chrom, q) for q in range(p, p + span))
                    return chrom, p

        for _ in range(args.snvs):
            chrom, p = rand_pos()
            b = ups[chrom][p - 1]
            recs.append((chrom, p, b, rng.choice([c for c in "ACGT" if c != b])))
        for i in range(args.indels):
            if i % 2 == 0:
                chrom, p = rand_pos()
                b = ups[chrom][p - 1]
                recs.append((chrom, p, b, b + "".join(rng.choice("ACGT") for _ in range(rng.randint(1, 12)))))
            else:
                k = rng.randint(2, 25)
                chrom, p = rand_pos(k)
                ref = ups[chrom][p - 1:p - 1 + k]
                recs.append((chrom, p, ref, ref[0]))
        write_vcf(args.bench, seqs, sort(recs))
        print(f"{args.bench}: {args.snvs} SNVs, {args.indels} indels")

    if args.dense:
        rng = random.Random(args.seed + 1)
        sites = set()
        for g in genes:
            sites.update((g["chrom"], s) for s in g["exon_starts"] if s != g["tx_start"])
            sites.update((g["chrom"], e) for e in g["exon_ends"] if e != g["tx_end"])
        sites = sorted(s for s in sites if ok(s[0], s[1] - args.flank, 2 * args.flank + 1))
        picked = rng.sample(sites, min(args.sites, len(sites)))
        positions = sorted({(c, p) for c, s in picked for p in range(s - args.flank, s + args.flank + 1)})
        recs = []
        for chrom, p in positions:
            b = ups[chrom][p - 1]
            alts = [c for c in "ACGT" if c != b]
            if args.multiallelic:
                recs.append((chrom, p, b, ",".join(alts)))
            else:
                recs.extend((chrom, p, b, a) for a in alts)
        write_vcf(args.dense, seqs, sort(recs))
        print(f"{args.dense}: {len(picked)} sites, {len(positions)} positions, "
              f"{len(positions) * 3} SNVs in {len(recs)} records")


if __name__ == "__main__":
    main()
