"""spliceforge from Python: read its datasets, models and predictions; run the binary.

The ``spliceforge`` binary does the work (``pip install spliceforge`` puts it on the PATH); this
package is a thin, typed face over what it writes:

* :func:`scan_dataset` — a dataset's committed rows as a :class:`polars.LazyFrame`;
* :func:`genes` — its per-gene table; :func:`schema` — its columns, types and roles;
* :func:`load_booster` — a trained model's booster as an :class:`xgboost.Booster`
  (:func:`model_features` gives its input columns);
* :func:`read_predictions` — a ``spliceforge predict`` table;
* :func:`run` — any ``spliceforge`` command, raising one exception class per documented exit
  code (:class:`SpliceforgeError` and its subclasses: :class:`BadInput`,
  :class:`FingerprintMismatch`, :class:`Locked`, …).

Example::

    import spliceforge
    spliceforge.run("builder", genome="genome.fa.gz", annotation="genes.gtf.gz", out="ds")
    rows = spliceforge.scan_dataset("ds").collect()
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version

from ._binary import find_binary, run
from ._dataset import (
    Part,
    committed_parts,
    genes,
    manifest_rows,
    read_predictions,
    scan_dataset,
    schema,
)
from . import _errors
from ._errors import *  # noqa: F401,F403  (every exit code's class; listed in _errors.__all__)
from ._model import SITES, boosters, load_booster, model_features

try:
    __version__ = _version("spliceforge")
except PackageNotFoundError:  # imported from a source tree, not installed
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    # datasets and predictions
    "scan_dataset",
    "committed_parts",
    "manifest_rows",
    "Part",
    "genes",
    "schema",
    "read_predictions",
    # models
    "load_booster",
    "model_features",
    "boosters",
    "SITES",
    # the binary
    "run",
    "find_binary",
]
# errors: the base class, one class per documented exit code, EXIT_CODES and error_for
__all__ += _errors.__all__
