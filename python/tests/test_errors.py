"""The exception classes equal the binary's exit-code table, and run() raises the right one."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

import spliceforge as sf
from conftest import BIN, GTF, build


def help_exit_codes() -> dict[int, str]:
    """The "Exit codes:" table at the end of ``spliceforge --help``: code → meaning (a meaning
    wrapped over several lines is joined)."""
    text = subprocess.run([str(BIN), "--help"], capture_output=True, text=True, check=True).stdout
    block = text.split("Exit codes:", 1)[1]
    table: dict[int, str] = {}
    last = None
    for line in block.splitlines():
        m = re.match(r"^\s+(\d+)\s{2,}(\S.*)$", line)
        if m:
            last = int(m.group(1))
            table[last] = m.group(2).strip()
        elif line.strip() and last is not None:
            table[last] += " " + line.strip()
        elif not line.strip() and table:
            last = None
    return table


def test_exception_classes_equal_the_binarys_exit_code_table() -> None:
    table = help_exit_codes()
    assert table.get(0) == "success", table
    ours = {code: cls.meaning for code, cls in sf.EXIT_CODES.items()}
    assert ours == {c: m for c, m in table.items() if c != 0}
    for code, cls in sf.EXIT_CODES.items():
        assert issubclass(cls, sf.SpliceforgeError) and cls.exit_code == code
    assert sf.error_for(99) is sf.SpliceforgeError


def test_bad_input_raises_BadInput_with_code_and_stderr(tmp_path: Path) -> None:
    genome = tmp_path / "bad.fa"
    genome.write_text("this is not a FASTA file\n")
    with pytest.raises(sf.BadInput) as e:
        sf.run("builder", genome=genome, annotation=GTF, out=tmp_path / "ds")
    assert e.value.code == 3
    assert "FASTA" in e.value.stderr and "bad.fa" in e.value.stderr
    assert "bad.fa" in str(e.value)
    assert isinstance(e.value, sf.SpliceforgeError)


def test_other_settings_in_a_dataset_raise_FingerprintMismatch(tmp_path: Path) -> None:
    out = build(tmp_path / "ds")
    with pytest.raises(sf.FingerprintMismatch) as e:
        build(out, "--seed", "7")
    assert e.value.code == 4
    assert "seed" in e.value.stderr


def test_missing_input_raises_NotFound_and_flags_are_spelled_as_the_cli(tmp_path: Path) -> None:
    with pytest.raises(sf.NotFound) as e:
        sf.run("verify", tmp_path / "nowhere")
    assert e.value.code == 10
    assert e.value.args_run[1:] == ("verify", str(tmp_path / "nowhere"))


def test_find_binary_honours_SPLICEFORGE_BIN(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert sf.find_binary() == BIN
    monkeypatch.setenv("SPLICEFORGE_BIN", str(tmp_path / "no-such-binary"))
    with pytest.raises(sf.NotFound):
        sf.find_binary()
