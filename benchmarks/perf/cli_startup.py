"""Start-up time of the ``tsenas`` command against ``python -c pass``.

Runs each command 15 times, interleaved, and reports the median wall time and the
extra over bare Python (target: ``tsenas --help`` and ``tsenas --version`` under 0.5 s of
extra time). Also checks which heavy modules ``--help`` loads. Writes
benchmarks/results/cli_startup.json.

    python -m benchmarks.perf.cli_startup
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

from benchmarks.common import NO_SELECTION, RESULTS, no_options, write_result

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "tsenas --version": [sys.executable, "-m", "tsenas_pymoo.cli", "--version"],
    "tsenas --help": [sys.executable, "-m", "tsenas_pymoo.cli", "--help"],
    "tsenas search --help": [sys.executable, "-m", "tsenas_pymoo.cli", "search", "--help"],
}
HEAVY = ("torch", "pymoo", "matplotlib", "numpy", "dask")


def main(repeats: int = 15):
    times = {name: [] for name in COMMANDS}
    for _ in range(repeats):
        for name, cmd in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["python -c pass"])
    probe = (
        "import sys; from tsenas_pymoo.cli import build_parser; build_parser(); "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    out = {
        "repeats": repeats,
        "median_seconds": {k: statistics.median(v) for k, v in times.items()},
        "extra_over_python": {k: statistics.median(v) - base for k, v in times.items()},
        "heavy_modules_loaded_by_the_parser": loaded,
        "target_extra_seconds": 0.5,
    }
    write_result(RESULTS / "cli_startup.json", {**out, "splits": NO_SELECTION})
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    no_options(__doc__)
    main()
