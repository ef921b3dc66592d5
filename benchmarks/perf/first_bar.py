"""How long a new user waits for a progress bar with an ETA: ``tsenas search --preset cpu``
started fresh, timed until its stderr shows a bar with a remaining-time estimate
(tqdm's ``[elapsed<remaining``), then stopped. Three runs; the goal (issue 53): within
10 seconds. The whole process is timed, Python's and torch's start-up and the data's
loading included.

    python -m benchmarks.perf.first_bar      # writes benchmarks/results/first_bar.json
"""

from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import NO_SELECTION, RESULTS, write_result

#: A tqdm bar that has an estimate: "[00:03<00:41" (elapsed < remaining, both known).
ETA = re.compile(rb"\[\d+:\d\d<\d+:\d\d")
REPEATS = 3
GOAL_SECONDS = 10.0


def first_bar(timeout: float = 120.0) -> dict:
    """Start a cpu-preset search; seconds until a bar with an ETA, and which bar."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "tsenas_pymoo.cli", "search", "--preset", "cpu", "--out", str(Path(tmp) / "run")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        seen, found = b"", None
        try:
            os.set_blocking(proc.stderr.fileno(), False)
            while time.perf_counter() - start < timeout and proc.poll() is None:
                chunk = proc.stderr.read() or b""
                seen += chunk
                match = ETA.search(seen)
                if match:
                    found = time.perf_counter() - start
                    break
                time.sleep(0.02)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        line = seen[: match.end()].replace(b"\r", b"\n").splitlines()[-1].decode(errors="replace") if found else None
        return {"seconds": None if found is None else round(found, 2), "bar": line}


def main(argv=None):
    runs = [first_bar() for _ in range(REPEATS)]
    for run in runs:
        print(run, flush=True)
    seconds = [r["seconds"] for r in runs if r["seconds"] is not None]
    median = statistics.median(seconds) if len(seconds) == REPEATS else None
    write_result(
        RESULTS / "first_bar.json",
        {
            "splits": NO_SELECTION,
            "command": "tsenas search --preset cpu --out RUN",
            "cores": len(os.sched_getaffinity(0)),
            "runs": runs,
            "median_seconds": median,
            "goal_seconds": GOAL_SECONDS,
            "goal_met": median is not None and max(seconds) <= GOAL_SECONDS,
        },
    )


if __name__ == "__main__":
    main()
