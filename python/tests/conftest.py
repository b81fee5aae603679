"""Fixtures of the Python package's tests: the binary under test and small datasets and models
built with it on the embedded fly data (data/), in temporary directories.

The binary is ``$SPLICEFORGE_BIN`` (``scripts/test.sh`` sets it to the release build), else
``$CARGO_TARGET_DIR/release/spliceforge`` or ``target/release/spliceforge``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
GENOME = ROOT / "data" / "DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz"
GTF = ROOT / "data" / "DmelanDM6_4.gtf.gz"


def _binary() -> Path:
    forced = os.environ.get("SPLICEFORGE_BIN")
    if forced:
        return Path(forced)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return (ROOT / target / "release" / "spliceforge").resolve()


BIN = _binary()
if not BIN.is_file():
    pytest.exit(
        f"no spliceforge binary at {BIN}: run `cargo build --release` (scripts/test.sh does) "
        "or set SPLICEFORGE_BIN",
        returncode=4,
    )
# spliceforge.run() and spliceforge.schema() run this binary.
os.environ["SPLICEFORGE_BIN"] = str(BIN)

import spliceforge as sf  # noqa: E402  (after SPLICEFORGE_BIN is set)


def build(out: Path, *extra: str) -> Path:
    """``spliceforge builder`` on the embedded data into ``out``: 12 genes in batches of 4."""
    sf.run(
        "builder",
        "-q",
        *extra,
        genome=GENOME,
        annotation=GTF,
        out=out,
        n_genes=12,
        batch_size=4,
    )
    return out


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished dataset of 12 genes in 3 committed batches (never modified by tests)."""
    return build(tmp_path_factory.mktemp("ds") / "ds")


@pytest.fixture(scope="session")
def model(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uncalibrated ovr model (``--n-folds 1``: no cross-validation, no calibration)."""
    out = tmp_path_factory.mktemp("model") / "model"
    sf.run("train", dataset=dataset, out_dir=out, n_folds=1, n_estimators=8, threads=2)
    return out


@pytest.fixture(scope="session")
def predictions(model: Path, dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``spliceforge predict --dataset`` of the model on its own dataset."""
    out = tmp_path_factory.mktemp("preds") / "preds.parquet"
    sf.run("predict", model=model, dataset=dataset, out=out)
    return out


@pytest.fixture()
def env_bin(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The binary under test, with ``SPLICEFORGE_BIN`` restored after the test."""
    monkeypatch.setenv("SPLICEFORGE_BIN", str(BIN))
    yield BIN
