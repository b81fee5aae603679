"""scan_dataset reads the committed parts and only those; genes, schema, read_predictions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

import spliceforge as sf


def manifest_parts(d: Path) -> list[str]:
    lines = [json.loads(x) for x in (d / "manifest.jsonl").read_text().splitlines()]
    return [f["file"] for e in lines if e["kind"] == "batch" for f in e["parts"]]


def test_scan_dataset_is_the_committed_parts_as_pyarrow_reads_them(dataset: Path) -> None:
    parts = manifest_parts(dataset)
    assert len(parts) == 3, parts
    got = sf.scan_dataset(dataset).collect()
    assert got.height == sf.manifest_rows(dataset) > 0
    want = pl.from_arrow(pq.ParquetDataset([str(dataset / p) for p in parts]).read())
    assert isinstance(want, pl.DataFrame)
    assert got.columns == want.columns
    assert got.equals(want)


def test_a_stray_part_and_a_torn_manifest_line_are_not_read(dataset: Path, tmp_path: Path) -> None:
    d = tmp_path / "ds"
    shutil.copytree(dataset, d)
    rows = sf.manifest_rows(d)
    # What an interrupted run leaves: a part renamed into parts/ but never committed…
    shutil.copy(d / "parts" / "batch-00001.parquet", d / "parts" / "batch-00004.parquet")
    # …and a manifest line cut short by a kill (no newline: not committed).
    with open(d / "manifest.jsonl", "a") as f:
        f.write('{"kind":"batch","batch":4,"parts":[{"file":"parts/batch-00004.parquet"')
    assert pl.scan_parquet(str(d / "parts" / "*.parquet")).select(pl.len()).collect().item() > rows
    assert sf.scan_dataset(d).select(pl.len()).collect().item() == rows
    assert [p.path.name for p in sf.committed_parts(d)] == [
        "batch-00001.parquet",
        "batch-00002.parquet",
        "batch-00003.parquet",
    ]


def test_a_damaged_part_and_a_non_dataset_are_refused(dataset: Path, tmp_path: Path) -> None:
    d = tmp_path / "ds"
    shutil.copytree(dataset, d)
    sf.committed_parts(d, verify=True)  # intact: checksums match
    with open(d / "parts" / "batch-00002.parquet", "ab") as f:
        f.write(b"x")
    with pytest.raises(sf.Damaged, match="batch-00002"):
        sf.scan_dataset(d)
    with pytest.raises(sf.NotOurs):
        sf.scan_dataset(tmp_path)
    with pytest.raises(sf.NotFound):
        sf.scan_dataset(tmp_path / "nowhere")


def test_genes_is_the_genes_table(dataset: Path) -> None:
    g = sf.genes(dataset)
    assert g.height == 12
    assert {"gene_id", "chrom", "strand", "rows", "batch"} <= set(g.columns)
    assert g["rows"].sum() == sf.manifest_rows(dataset)


def test_schema_from_the_binary_and_from_the_dataset_agree(dataset: Path) -> None:
    ours = sf.schema()
    theirs = sf.schema(dataset)
    assert ours.equals(theirs)
    assert ours.columns == ["name", "type", "role", "group", "doc"]
    # The schema names the dataset's columns, in order.
    assert ours["name"].to_list() == sf.scan_dataset(dataset).collect_schema().names()
    assert "feature" in set(ours["role"].to_list())
    # Other k-mer sizes: another schema, from the binary.
    assert sf.schema(kmer_sizes=[2, 3]).height > ours.height
    with pytest.raises(sf.UsageError) as e:
        sf.run("schema", kmer_sizes="x")
    assert e.value.code == 2 and "--kmer-sizes" in e.value.stderr


def test_read_predictions(predictions: Path, dataset: Path, tmp_path: Path) -> None:
    p = sf.read_predictions(predictions)
    assert p.height == sf.manifest_rows(dataset)
    assert set(p["predicted"].unique().to_list()) <= {"neither", "donor", "acceptor"}
    with pytest.raises(sf.NotOurs):
        sf.read_predictions(dataset / "genes.parquet")
    with pytest.raises(sf.NotFound):
        sf.read_predictions(tmp_path / "none.parquet")
