"""SIGTERM (a batch scheduler's notice before SIGKILL) ends a search like Ctrl-C: exit 143,
the resume command, no traceback, no orphaned Dask workers; the resumed run finishes."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tsenas_pymoo.testing.tiny import search_args

TINY = search_args(stage2_gens=1, supernet_epochs=0, seed=2, threads=None)


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and " Z " not in Path(f"/proc/{pid}/stat").read_text()


def test_sigterm_prints_the_resume_command_and_exits_143(tmp_path):
    """With Dask workers, the harder case (the handler is the same without them; Ctrl-C's
    path is tests/test_cli.py's)."""
    workers = ["--workers", "2"]
    run = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tsenas_pymoo.cli", "search", "--out", str(run), *TINY, *workers],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    log = run / "log.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline and not (log.exists() and log.read_text().count("\n") >= 1):
        time.sleep(0.2)
    assert proc.poll() is None, "the search ended before the signal"
    helpers = children(proc.pid)
    assert len(helpers) >= 2, helpers  # the Dask worker processes
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err[-2000:]
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1] == f"tsenas search: terminated (SIGTERM); continue with tsenas search --resume {run}", err
    assert "Traceback" not in err
    assert "INFO" not in err  # warnings by default: Dask's own INFO lines too
    assert "CancelledError" not in err  # the trainings in flight are cancelled without a note each
    time.sleep(2)
    assert not [pid for pid in helpers if alive(pid)], "worker processes outlived the search"
    resumed = subprocess.run(
        [sys.executable, "-m", "tsenas_pymoo.cli", "search", "--resume", str(run), "-q"],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert (run / "best_genotype.json").exists()
