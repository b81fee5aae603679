"""Reading a spliceforge dataset directory, its schema and prediction tables with polars.

A dataset directory (``docs/dataset.md``) is plain Parquet plus a manifest: ``manifest.jsonl``
has one JSON line per committed batch naming its part files (with rows, bytes and SHA-256),
then one ``complete`` line. A part file in ``parts/`` that no manifest line names is not
committed (an interrupted run left it; the next run deletes it) and is never read here.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import polars as pl

from ._binary import run
from ._errors import Damaged, NotFound, NotOurs

__all__ = [
    "Part",
    "committed_parts",
    "scan_dataset",
    "genes",
    "schema",
    "read_predictions",
]

PathLike = Union[str, "os.PathLike[str]"]

MANIFEST = "manifest.jsonl"
RUN_JSON = "run.json"


@dataclass(frozen=True)
class Part:
    """A committed part file, as its manifest line records it."""

    #: Batch number (from 1).
    batch: int
    #: The file, absolute.
    path: Path
    #: Rows in the file.
    rows: int
    #: Size in bytes.
    bytes: int
    #: SHA-256 (hex) of the file.
    sha256: str


def _dataset_dir(dir: PathLike) -> Path:
    d = Path(dir)
    if not d.exists():
        raise NotFound(f"{d}: no such dataset directory")
    if not d.is_dir() or not (d / RUN_JSON).is_file():
        raise NotOurs(
            f"{d} is not a spliceforge dataset (no {RUN_JSON}); give the --out of `spliceforge builder`"
        )
    return d


def _manifest_lines(d: Path) -> list[dict[str, Any]]:
    """The committed lines of ``d/manifest.jsonl``: each complete line (a torn last line, with no
    newline, is not committed and is dropped, as the builder does on resume)."""
    path = d / MANIFEST
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []  # a run that has committed nothing yet
    lines = data.split(b"\n")
    committed = lines[:-1]  # the text after the last newline is not committed
    out = []
    for i, line in enumerate(committed, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError as e:
            raise Damaged(f"{path}: line {i} is not the JSON spliceforge wrote ({e})") from None
        if not isinstance(entry, dict) or "kind" not in entry:
            raise Damaged(f"{path}: line {i} is not a manifest entry")
        out.append(entry)
    return out


def committed_parts(dir: PathLike, *, verify: bool = False) -> list[Part]:
    """The committed part files of the dataset ``dir``, in batch order, from its manifest.

    Each file must exist with the size its manifest line records; with ``verify=True`` its
    SHA-256 is checked too (reads every byte; ``spliceforge verify`` checks more).

    Raises:
        NotFound: ``dir`` does not exist.
        NotOurs: ``dir`` is not a dataset.
        Damaged: a committed part is missing, of another size or (``verify``) other content.
    """
    d = _dataset_dir(dir)
    parts = []
    for entry in _manifest_lines(d):
        if entry["kind"] != "batch":
            continue
        for f in entry.get("parts", []):
            p = Part(
                batch=int(entry["batch"]),
                path=(d / f["file"]).resolve(),
                rows=int(f["rows"]),
                bytes=int(f["bytes"]),
                sha256=str(f["sha256"]),
            )
            try:
                size = p.path.stat().st_size
            except FileNotFoundError:
                raise Damaged(f"{p.path}: committed in {MANIFEST} but missing") from None
            if size != p.bytes:
                raise Damaged(
                    f"{p.path}: {size} bytes, but {MANIFEST} committed {p.bytes}; rebuild the dataset"
                )
            if verify:
                h = hashlib.sha256()
                with open(p.path, "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
                if h.hexdigest() != p.sha256:
                    raise Damaged(f"{p.path}: its SHA-256 is not the one {MANIFEST} committed")
            parts.append(p)
    return parts


def scan_dataset(dir: PathLike, *, verify: bool = False) -> pl.LazyFrame:
    """The rows of the dataset ``dir`` as a :class:`polars.LazyFrame`: its committed parts only.

    The parts are those ``manifest.jsonl`` lists, in batch order (the order ``spliceforge
    predict --dataset`` writes its rows in); ``parts/`` is never globbed, so a part an interrupted
    build left behind is not read. A dataset still being built gives the batches committed so far.

    Example::

        import polars as pl, spliceforge
        ds = spliceforge.scan_dataset("out/dmel")
        ds.group_by("splice_type").len().collect()

    Raises:
        NotFound, NotOurs, Damaged: as :func:`committed_parts`; ``NotOurs`` also when no batch
        has been committed yet (there are no rows and no schema to give).
    """
    parts = committed_parts(dir, verify=verify)
    if not parts:
        raise NotOurs(f"{dir}: no batch committed yet (manifest.jsonl lists none)")
    return pl.scan_parquet([str(p.path) for p in parts])


def manifest_rows(dir: PathLike) -> int:
    """Rows of the committed batches of the dataset ``dir``, as its manifest records them."""
    d = _dataset_dir(dir)
    return sum(int(e["rows"]) for e in _manifest_lines(d) if e["kind"] == "batch")


def genes(dir: PathLike) -> pl.DataFrame:
    """The per-gene table of the finished dataset ``dir`` (``genes.parquet``: gene_id, gene_name,
    biotype, chrom, strand, start, end, sites, rows, batch).

    Raises:
        NotOurs: ``dir`` is not a dataset, or not finished yet (the builder writes the table
            with the run's ``complete`` line).
    """
    d = _dataset_dir(dir)
    complete = [e for e in _manifest_lines(d) if e["kind"] == "complete"]
    if not complete:
        raise NotOurs(
            f"{d}: the build is not finished (no complete line in {MANIFEST}), so it has no genes "
            "table yet; run the same `spliceforge builder` command again to finish it"
        )
    table = d / complete[-1]["genes_table"]["file"]
    if not table.is_file():
        raise Damaged(f"{table}: committed in {MANIFEST} but missing")
    return pl.read_parquet(table)


def _schema_frame(s: dict[str, Any]) -> pl.DataFrame:
    cols = s["columns"]
    return pl.DataFrame(
        {
            "name": [c["name"] for c in cols],
            "type": [c["type"] for c in cols],
            "role": [c["role"] for c in cols],
            "group": [c.get("group") for c in cols],
            "doc": [c.get("doc") for c in cols],
        },
        schema={"name": pl.Utf8, "type": pl.Utf8, "role": pl.Utf8, "group": pl.Utf8, "doc": pl.Utf8},
    )


def schema(
    dataset: Optional[PathLike] = None, *, kmer_sizes: Optional[Sequence[int]] = None
) -> pl.DataFrame:
    """The dataset schema: one row per column (name, type, role, group, doc), in column order.

    With ``dataset``, the schema that dataset was built with (from its ``run.json``; no binary
    needed). Without, the schema the installed binary writes (``spliceforge schema``, JSON), for
    ``kmer_sizes`` (default: the builder's, 3). The roles say what a column is for (``feature``
    columns are the model's inputs; ``label``, ``id``, ``weight`` and the others are not).

    Raises:
        NotFound, NotOurs: ``dataset`` is missing or not a dataset.
        SpliceforgeError: the binary refused (e.g. :class:`UsageError` for bad k-mer sizes).
    """
    if dataset is not None:
        d = _dataset_dir(dataset)
        try:
            s = json.loads((d / RUN_JSON).read_text())["content"]["schema"]
        except (ValueError, KeyError, TypeError) as e:
            raise Damaged(f"{d / RUN_JSON}: no schema in it ({e})") from None
        return _schema_frame(s)
    proc = run("schema", kmer_sizes=list(kmer_sizes) if kmer_sizes is not None else None)
    return _schema_frame(json.loads(proc.stdout))


#: Columns every prediction table of ``spliceforge predict`` has (``--dataset`` and every-base).
PREDICTION_COLUMNS = ("chrom", "position", "strand", "gene_id", "p_neither", "p_donor", "p_acceptor", "predicted")


def read_predictions(path: PathLike) -> pl.DataFrame:
    """A table ``spliceforge predict`` wrote (``--out``), as a :class:`polars.DataFrame`.

    ``predict --dataset`` tables have one row per dataset row (chrom, position, strand, gene_id,
    splice_type, p_neither, p_donor, p_acceptor, predicted); every-base tables (``predict
    --genome``) add the base model's scores (base_donor, base_acceptor) and, with ``--explain``,
    an ``explain`` column.

    Raises:
        NotFound: ``path`` does not exist.
        NotOurs: the file is not a prediction table (it lacks the columns above).
    """
    p = Path(path)
    if not p.exists():
        raise NotFound(f"{p}: no such file")
    try:
        df = pl.read_parquet(p)
    except Exception as e:  # polars raises its own ComputeError/OSError variants
        raise NotOurs(f"{p}: not a Parquet table ({e})") from None
    missing = [c for c in PREDICTION_COLUMNS if c not in df.columns]
    if missing:
        raise NotOurs(f"{p}: not a spliceforge prediction table (no {', '.join(missing)} column)")
    return df
