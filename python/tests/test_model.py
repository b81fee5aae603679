"""load_booster gives the boosters spliceforge applies: their margins, turned into probabilities
the way spliceforge does, are the probabilities `spliceforge predict --dataset` wrote."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

import spliceforge as sf


def test_load_booster_margins_give_predicts_probabilities(
    model: Path, dataset: Path, predictions: Path
) -> None:
    # An uncalibrated ovr model: p_c = sigmoid(margin_c) / sum over the three classes.
    assert (model / "calibration.json").read_text().strip() == "null"
    assert sf.boosters(model) == ("neither", "donor", "acceptor")
    feats = sf.model_features(model)
    X = sf.scan_dataset(dataset).select(feats).collect().to_numpy().astype(np.float32)
    D = xgb.DMatrix(X, missing=np.nan)
    margins = np.column_stack(
        [sf.load_booster(model, s).predict(D, output_margin=True) for s in ("neither", "donor", "acceptor")]
    ).astype(np.float64)
    sig = 1.0 / (1.0 + np.exp(-margins))
    want = sig / sig.sum(axis=1, keepdims=True)
    got = sf.read_predictions(predictions).select(["p_neither", "p_donor", "p_acceptor"]).to_numpy()
    assert got.shape == want.shape
    assert np.abs(got - want).max() < 1e-5
    # The boosters differ from one another (a wrong file for a site would show above too).
    assert not np.allclose(margins[:, 1], margins[:, 2])


def test_sites_the_model_has_no_booster_for_are_refused(model: Path, dataset: Path) -> None:
    with pytest.raises(ValueError, match="no booster for site 'all'"):
        sf.load_booster(model, "all")
    with pytest.raises(ValueError, match="single model"):
        sf.load_booster(model, "donor", member=1)
    with pytest.raises(sf.NotOurs, match="dataset"):
        sf.load_booster(dataset, "donor")


def test_ovr2_has_no_neither_booster(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "ovr2"
    sf.run("train", dataset=dataset, out_dir=out, n_folds=1, n_estimators=2, objective="ovr2")
    assert sf.boosters(out) == ("donor", "acceptor")
    with pytest.raises(ValueError, match="implied"):
        sf.load_booster(out, "neither")
    assert isinstance(sf.load_booster(out, "acceptor"), xgb.Booster)
