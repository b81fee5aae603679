"""What the variant scripts share: reading a FASTA and SpliceAI's gene table (standard library only)."""

import gzip


def read_fasta(path):
    """{name: sequence} of a FASTA, plain or gzip (told by its first bytes), keeping the letters' case."""
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    seqs, name, parts = {}, None, []
    with (gzip.open if gz else open)(path, "rt") as fh:
        for line in fh:
            if line.startswith(">"):
                if name is not None:
                    seqs[name] = "".join(parts)
                name, parts = line[1:].split()[0], []
            else:
                parts.append(line.strip())
    if name is not None:
        seqs[name] = "".join(parts)
    return seqs


def read_genes(path):
    """SpliceAI's gene table as dicts: 1-based tx_start/tx_end, 1-based exon_starts and exon_ends
    lists (columns found by header name, the trailing comma optional)."""
    genes = []
    with open(path) as fh:
        header = fh.readline().rstrip("\n").split("\t")
        col = {k: i for i, k in enumerate(header)}
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if len(f) < len(header):
                continue
            nums = lambda s: [int(v) for v in s.split(",") if v]
            genes.append({
                "name": f[col["#NAME"]], "chrom": f[col["CHROM"]], "strand": f[col["STRAND"]],
                "tx_start": int(f[col["TX_START"]]) + 1, "tx_end": int(f[col["TX_END"]]),
                "exon_starts": [v + 1 for v in nums(f[col["EXON_START"]])],
                "exon_ends": nums(f[col["EXON_END"]]),
            })
    return genes
