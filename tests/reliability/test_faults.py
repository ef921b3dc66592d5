"""Faults other than kills: a full disk while writing, and the fault points themselves."""

import errno
import os
import signal
import subprocess
import sys

import pytest

from tsenas_pymoo.rundir import atomic_write as _atomic_write


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


def _traced(code: str, tmp_path, fault: str | None = None) -> tuple[subprocess.CompletedProcess, str]:
    trace = tmp_path / "trace"
    env = dict(os.environ, TSENAS_TRACE=str(trace))
    env.pop("TSENAS_FAULT", None)
    if fault:
        env["TSENAS_FAULT"] = fault
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    return proc, trace.read_text() if trace.exists() else ""


SPANS = (
    "from tsenas_pymoo import faults\nimport time\nfaults.mark('work')\n"
    "for i in range(3):\n    with faults.span('write'):\n        time.sleep(0.2)\nprint('done', flush=True)"
)


def test_a_span_is_traced_on_entry_and_exit_with_its_process(tmp_path):
    proc, trace = _traced(SPANS, tmp_path)
    assert proc.returncode == 0 and proc.stdout == "done\n"
    signs = [line.split()[0] for line in trace.splitlines()]
    assert signs == ["=work", "+write", "-write", "+write", "-write", "+write", "-write"]
    assert len({line.split()[1] for line in trace.splitlines()}) == 1  # one process


def test_a_kill_set_inside_a_span_lands_inside_its_count_th_entry(tmp_path):
    proc, trace = _traced(SPANS, tmp_path, fault="write:2@0.05")
    assert proc.returncode == -signal.SIGALRM and proc.stdout == ""  # ended by the kernel, no code ran after
    assert [line.split()[0] for line in trace.splitlines()] == ["=work", "+write", "-write", "+write"]


def test_untraced_spans_write_nothing_and_cost_no_kill(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("TSENAS_TRACE", "TSENAS_FAULT")}
    proc = subprocess.run([sys.executable, "-c", SPANS], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0 and list(tmp_path.iterdir()) == []
