"""What the variant scripts share: reading a FASTA, a GTF's exons and SpliceAI's gene table (standard library only)."""

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


def path_is_gzip(path):
    """Whether a file starts with gzip's magic bytes."""
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def parse_attrs(s):
    """A GTF attribute column as a dict (the first of repeated keys)."""
    out = {}
    for item in s.strip().split(";"):
        item = item.strip()
        if not item or " " not in item:
            continue
        k, v = item.split(" ", 1)
        out.setdefault(k, v.strip().strip('"'))  # first occurrence (db_xref etc. repeat)
    return out


def read_gtf_exons(path):
    """[(chrom, start, end, strand, gene_id, gene_name_or_None, transcript_id)] of exon lines."""
    exons = []
    with (gzip.open if path_is_gzip(path) else open)(path, "rt") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            f = line.rstrip("\n").split("\t")
            if len(f) < 9 or f[2] != "exon":
                continue
            a = parse_attrs(f[8])
            exons.append((f[0], int(f[3]), int(f[4]), f[6], a["gene_id"], a.get("gene"),
                          a.get("transcript_id", "")))
    return exons
