"""A trained model directory (``spliceforge train --out-dir``) opened with XGBoost's Python package.

The boosters are XGBoost JSON files, one per modelled class, named by the objective
``train.json`` records:

* ``ovr``: ``model-neither.json``, ``model-donor.json``, ``model-acceptor.json`` (each class
  against the rest; probabilities are the three sigmoids renormalised);
* ``ovr2``: ``model-donor.json``, ``model-acceptor.json`` ("neither" is implied:
  ``(1 - p_donor)(1 - p_acceptor)`` before renormalising);
* ``softprob``: ``model.json``, one ``multi:softprob`` booster for the three classes (``site="all"``).

An ensemble (``train --ensemble-size K``) keeps its sub-models in ``sub-01/`` … ``sub-K/``.
The boosters' inputs are the columns ``features.json`` lists, in order (XGBoost's f0, f1, …),
with missing values as NaN.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

from ._errors import Damaged, NotFound, NotOurs

if TYPE_CHECKING:  # xgboost is imported when a booster is loaded (it takes a second)
    import xgboost

__all__ = ["SITES", "boosters", "load_booster", "model_features"]

PathLike = Union[str, "os.PathLike[str]"]

#: The boosters of each objective, by the site (class) each models.
SITES: dict[str, tuple[str, ...]] = {
    "ovr": ("neither", "donor", "acceptor"),
    "ovr2": ("donor", "acceptor"),
    "softprob": ("all",),
}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise Damaged(f"{path}: the file is missing") from None
    except ValueError as e:
        raise Damaged(f"{path}: not the JSON spliceforge wrote ({e})") from None


def _model_dir(model_dir: PathLike) -> Path:
    d = Path(model_dir)
    if not d.exists():
        raise NotFound(f"{d}: no such model directory")
    if not (d / "train.json").is_file():
        if (d / "run.json").is_file():
            why = "it is a dataset (run.json), not a model; give the --out-dir of `spliceforge train`"
        elif (d / "ensemble.json").is_file():
            why = "it holds an unfinished ensemble (no train.json yet); run the same `spliceforge train` again"
        else:
            why = "it has no train.json; give the --out-dir of a finished `spliceforge train`"
        raise NotOurs(f"{d} is not a finished model directory: {why}")
    return d


def _objective(d: Path) -> str:
    params = _read_json(d / "train.json").get("params", {})
    objective = params.get("objective")
    if objective not in SITES:
        raise Damaged(f"{d / 'train.json'}: unknown objective {objective!r}")
    return str(objective)


def boosters(model_dir: PathLike) -> tuple[str, ...]:
    """The sites the model ``model_dir`` has a booster for (``("neither", "donor", "acceptor")``
    for ``ovr``, ``("donor", "acceptor")`` for ``ovr2``, ``("all",)`` for ``softprob``)."""
    return SITES[_objective(_model_dir(model_dir))]


def model_features(model_dir: PathLike) -> list[str]:
    """The input columns of the model ``model_dir``, in the order its boosters take them."""
    d = _model_dir(model_dir)
    return [str(f) for f in _read_json(d / "features.json")["features"]]


def load_booster(
    model_dir: PathLike, site: str = "donor", *, member: Optional[int] = None
) -> "xgboost.Booster":
    """The booster of ``site`` of the trained model ``model_dir``, as an :class:`xgboost.Booster`.

    ``site`` is ``"donor"``, ``"acceptor"`` or ``"neither"`` for one-vs-rest models (``ovr``
    has all three, ``ovr2`` donor and acceptor), ``"all"`` for a ``softprob`` model. For an
    ensemble, ``member`` picks the sub-model (1 to K, as in ``sub-01``).

    ``Booster.predict(..., output_margin=True)`` on the columns of :func:`model_features` gives
    the margins ``spliceforge predict`` turns into probabilities (then calibrates, when the model
    has ``calibration.json``).

    Example::

        import numpy as np, xgboost as xgb, spliceforge
        feats = spliceforge.model_features("out/model")
        X = spliceforge.scan_dataset("out/ds").select(feats).collect().to_numpy().astype(np.float32)
        margin = spliceforge.load_booster("out/model", "donor").predict(
            xgb.DMatrix(X, missing=np.nan), output_margin=True)

    Raises:
        ValueError: the model has no booster for ``site``, or ``member`` is missing (an
            ensemble), out of range or given for a single model.
        NotFound, NotOurs, Damaged: the directory is missing, not a finished model, or its files
            are.
    """
    d = _model_dir(model_dir)
    objective = _objective(d)
    sites = SITES[objective]
    if site not in sites:
        raise ValueError(
            f"the {objective} model in {d} has no booster for site {site!r}; it has "
            + ", ".join(repr(s) for s in sites)
            + (" (neither is implied by donor and acceptor)" if objective == "ovr2" and site == "neither" else "")
        )
    ensemble = d / "ensemble.json"
    if ensemble.is_file():
        size = int(_read_json(ensemble)["size"])
        if member is None or not 1 <= member <= size:
            raise ValueError(
                f"{d} is an ensemble of {size} sub-models: pass member=1..{size}"
                + ("" if member is None else f" (got {member})")
            )
        d = d / f"sub-{member:02d}"
    elif member is not None:
        raise ValueError(f"{d} is a single model, not an ensemble: leave member out")
    path = d / ("model.json" if objective == "softprob" else f"model-{site}.json")
    if not path.is_file():
        raise Damaged(f"{path}: the {objective} model's {site} booster is missing")

    import xgboost

    try:
        return xgboost.Booster(model_file=str(path))
    except xgboost.core.XGBoostError as e:
        raise Damaged(f"{path}: XGBoost cannot load it ({e})") from None
