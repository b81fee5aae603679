"""One exception class per documented exit code of the ``spliceforge`` binary.

The table is the binary's own (``spliceforge --help`` ends with it; ``src/error.rs``,
``error::exit::MEANINGS``). ``python/tests/test_errors.py`` parses the installed binary's help and
checks that this module says the same, code for code and word for word.

The Python helpers raise the same classes for the same situations (a directory that is not a
dataset raises :class:`NotOurs`, a missing one :class:`NotFound`), so one ``except`` clause
covers both.
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple, Type

__all__ = [
    "SpliceforgeError",
    "Failure",
    "UsageError",
    "BadInput",
    "FingerprintMismatch",
    "Locked",
    "VerifyFailed",
    "WriteFailed",
    "NotOurs",
    "MemoryBudget",
    "NotFound",
    "ReadFailed",
    "Damaged",
    "Incompatible",
    "ShardsRefused",
    "XGBoostMissing",
    "EXIT_CODES",
    "error_for",
]


class SpliceforgeError(Exception):
    """A ``spliceforge`` command failed, or a helper found what that command would refuse.

    Attributes:
        code: the exit code (for a helper's own error: the code the binary uses for the same
            problem); ``None`` when the process did not exit (killed by a signal) with a
            documented code.
        stderr: what the binary wrote to standard error ("" for a helper's own error).
        args_run: the command line run (empty for a helper's own error).
    """

    #: The exit code this class stands for (``None`` on the base class).
    exit_code: Optional[int] = None
    #: The meaning of the code, as ``spliceforge --help`` says it.
    meaning: str = ""

    def __init__(
        self,
        message: str,
        *,
        code: Optional[int] = None,
        stderr: str = "",
        args_run: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.code: Optional[int] = code if code is not None else self.exit_code
        self.stderr: str = stderr
        self.args_run: Tuple[str, ...] = tuple(args_run)


class Failure(SpliceforgeError):
    """Exit 1: a bug in spliceforge (or in XGBoost); please report it."""

    exit_code = 1
    meaning = "a bug in spliceforge (or in XGBoost): please report it with the command and its output"


class UsageError(SpliceforgeError):
    """Exit 2: a flag rejected, or settings that cannot work with this input."""

    exit_code = 2
    meaning = "bad usage: a flag rejected, or settings that cannot work with this input"


class BadInput(SpliceforgeError):
    """Exit 3: malformed FASTA/GTF/GFF3/gene list/base scores, or an empty selection."""

    exit_code = 3
    meaning = "bad input data (malformed FASTA/GTF/GFF3/gene list/base scores, an empty selection)"


class FingerprintMismatch(SpliceforgeError):
    """Exit 4: the output directory holds a run or model with other settings."""

    exit_code = 4
    meaning = "the output directory holds a run or model with other settings (--overwrite starts over)"


class Locked(SpliceforgeError):
    """Exit 5: another builder holds the output directory."""

    exit_code = 5
    meaning = "another builder holds the output directory"


class VerifyFailed(SpliceforgeError):
    """Exit 6: ``verify`` found problems."""

    exit_code = 6
    meaning = "verify found problems"


class WriteFailed(SpliceforgeError):
    """Exit 7: a write failed (disk full, permissions); committed batches are intact."""

    exit_code = 7
    meaning = "a write failed (disk full, permissions); committed batches are intact, rerun to resume"


class NotOurs(SpliceforgeError):
    """Exit 8: not a spliceforge dataset, model directory or prediction table."""

    exit_code = 8
    meaning = "not a spliceforge dataset, model directory or prediction table"


class MemoryBudget(SpliceforgeError):
    """Exit 9: no training plan fits ``--memory-budget``."""

    exit_code = 9
    meaning = "no training plan fits --memory-budget (nothing was done)"


class NotFound(SpliceforgeError):
    """Exit 10: a file or directory given does not exist."""

    exit_code = 10
    meaning = "a file or directory given does not exist"


class ReadFailed(SpliceforgeError):
    """Exit 11: an input exists but cannot be read."""

    exit_code = 11
    meaning = "an input exists but cannot be read"


class Damaged(SpliceforgeError):
    """Exit 12: a dataset, model or weights file is damaged."""

    exit_code = 12
    meaning = "a dataset, model or weights file is damaged: rebuild, retrain or re-fetch it"


class Incompatible(SpliceforgeError):
    """Exit 13: a dataset and a model that do not fit together."""

    exit_code = 13
    meaning = "a dataset and a model that do not fit together (other features)"


class ShardsRefused(SpliceforgeError):
    """Exit 14: ``merge`` refused its shards."""

    exit_code = 14
    meaning = "merge refused its shards (missing, given twice, unfinished or of another run)"


class XGBoostMissing(SpliceforgeError):
    """Exit 15: XGBoost's C library was not found, or the one found is too old.

    ``pip install xgboost-cpu`` into the environment spliceforge is installed in fixes it;
    ``spliceforge doctor`` lists every place searched.
    """

    exit_code = 15
    meaning = "XGBoost's library not found or too old (pip install xgboost-cpu; spliceforge doctor)"


_CLASSES: Tuple[Type[SpliceforgeError], ...] = (
    Failure,
    UsageError,
    BadInput,
    FingerprintMismatch,
    Locked,
    VerifyFailed,
    WriteFailed,
    NotOurs,
    MemoryBudget,
    NotFound,
    ReadFailed,
    Damaged,
    Incompatible,
    ShardsRefused,
    XGBoostMissing,
)

#: Every non-zero documented exit code → its exception class.
EXIT_CODES: Dict[int, Type[SpliceforgeError]] = {
    c.exit_code: c for c in _CLASSES if c.exit_code is not None
}


def error_for(code: int) -> Type[SpliceforgeError]:
    """The exception class of exit code ``code`` (the base class for an undocumented one)."""
    return EXIT_CODES.get(code, SpliceforgeError)
