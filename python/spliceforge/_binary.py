"""Finding and running the installed ``spliceforge`` binary."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Iterator, Union

from ._errors import NotFound, error_for

__all__ = ["find_binary", "run"]

#: Environment variable naming the binary to use (overrides every other place).
BIN_VAR = "SPLICEFORGE_BIN"

_EXE = "spliceforge.exe" if os.name == "nt" else "spliceforge"

Arg = Union[str, os.PathLike, int, float]


def _candidates() -> Iterator[Path]:
    """Where pip puts the binary of this wheel, most specific first."""
    # The scripts directory of the running interpreter's environment (a venv, conda, the system).
    scripts = sysconfig.get_path("scripts")
    if scripts:
        yield Path(scripts) / _EXE
    # `pip install --user`: the user scheme's scripts directory (~/.local/bin).
    try:
        user = sysconfig.get_path("scripts", scheme=f"{os.name}_user")
    except KeyError:
        user = None
    if user:
        yield Path(user) / _EXE
    here = Path(__file__).resolve().parent
    # `pip install --target T`: the package is T/spliceforge, the binary T/bin.
    yield here.parent / "bin" / _EXE
    # Next to the interpreter itself (some layouts put scripts there).
    yield Path(sys.executable).parent / _EXE


def find_binary() -> Path:
    """The ``spliceforge`` binary this package runs.

    In order: ``$SPLICEFORGE_BIN``; the scripts directory of the running Python's environment
    (where ``pip install spliceforge`` puts it: ``<venv>/bin``), the user scripts directory
    (``pip install --user``), ``<target>/bin`` (``pip install --target``); then ``PATH``.

    Raises:
        NotFound: no binary anywhere (or ``$SPLICEFORGE_BIN`` names a file that does not exist).
    """
    forced = os.environ.get(BIN_VAR)
    if forced:
        p = Path(forced)
        if not p.is_file():
            raise NotFound(f"{BIN_VAR}={forced} is not a file; point it at a spliceforge binary")
        return p
    for p in _candidates():
        if p.is_file() and os.access(p, os.X_OK):
            return p
    found = shutil.which(_EXE)
    if found:
        return Path(found)
    raise NotFound(
        "no spliceforge binary: not in this Python's scripts directory "
        f"({sysconfig.get_path('scripts')}) nor on PATH; install the wheel "
        f"(pip install spliceforge) or set {BIN_VAR}"
    )


def _flag(name: str, value: object) -> list[str]:
    """``n_folds=3`` → ``["--n-folds", "3"]``; ``True`` → the bare flag; ``False``/``None`` → nothing."""
    flag = "--" + name.rstrip("_").replace("_", "-")
    if value is None or value is False:
        return []
    if value is True:
        return [flag]
    if isinstance(value, (list, tuple)):
        return [flag, ",".join(str(v) for v in value)]
    return [flag, os.fspath(value) if isinstance(value, os.PathLike) else str(value)]


def run(*args: Arg, **flags: object) -> subprocess.CompletedProcess[str]:
    """Runs ``spliceforge ARGS… FLAGS…`` and returns the finished process (stdout, stderr as text).

    Positional arguments are passed as they are (paths may be :class:`os.PathLike`); keyword
    arguments become flags: ``n_folds=3`` → ``--n-folds 3``, ``overwrite=True`` → ``--overwrite``
    (``False`` or ``None`` leave the flag out), a list or tuple → one comma-separated value
    (``kmer_sizes=[3, 5]`` → ``--kmer-sizes 3,5``). A trailing ``_`` is dropped (``for_=…``).

    Example::

        spliceforge.run("builder", genome="genome.fa.gz", annotation="genes.gtf.gz", out="ds")

    Raises:
        SpliceforgeError: the binary exited with a non-zero code; the subclass is the code's
            (:class:`BadInput` for 3, :class:`FingerprintMismatch` for 4, …), with ``.code``
            and ``.stderr``.
        NotFound: no binary was found (see :func:`find_binary`).
    """
    binary = find_binary()
    argv = [os.fspath(binary)]
    argv += [os.fspath(a) if isinstance(a, os.PathLike) else str(a) for a in args]
    for name, value in flags.items():
        argv += _flag(name, value)
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        cls = error_for(proc.returncode)
        stderr = proc.stderr or ""
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        # The binary's message starts with "error:"; else the last thing it said.
        last = next((x for x in lines if x.startswith("error:")), lines[-1] if lines else "")
        what = f"exit {proc.returncode}" + (f", {cls.meaning}" if cls.meaning else "")
        message = f"spliceforge {' '.join(argv[1:2])} failed ({what})" + (
            f": {last.strip()}" if last else ""
        )
        raise cls(message, code=proc.returncode, stderr=stderr, args_run=argv)
    return proc
