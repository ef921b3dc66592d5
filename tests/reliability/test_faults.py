"""Faults other than kills: a full disk while writing, and the fault points themselves."""

import errno
import os
import subprocess
import sys

import pytest

from tsenas_pymoo.runner import _atomic_write


def test_a_full_disk_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.pkl"
    path.write_bytes(b"the last good checkpoint")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        _atomic_write(path, b"a new checkpoint that does not fit")
    assert path.read_bytes() == b"the last good checkpoint"
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pkl"]


def test_a_fault_point_kills_only_at_its_count():
    code = (
        "from tsenas_pymoo import faults\n"
        "faults.point('other'); faults.point('x'); print('after first', flush=True); faults.point('x')\n"
        "print('never')"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ, TSENAS_FAULT="x:2")
    )
    assert proc.returncode == -9 and proc.stdout == "after first\n"
