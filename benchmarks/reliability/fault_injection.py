"""Kill anywhere, every point: the fault harness (``tests/reliability/harness.py``) over
all twelve kill points. Writes benchmarks/results/fault_injection.json and prints the
table; ``tests/reliability/test_kill_anywhere.py`` runs five of them in CI.

    python -m benchmarks.reliability.fault_injection
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from benchmarks.common import NO_SELECTION, no_options, result_path, write_result
from tsenas_pymoo.testing.harness import TINY, print_table, run_all


def main():
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        table = run_all(Path(tmp))
    print_table(table)
    write_result(
        result_path("fault_injection"),
        {
            "command": "tsenas search " + " ".join(TINY),
            "wall_seconds": time.perf_counter() - start,
            "cores": len(os.sched_getaffinity(0)),
            "scenarios": table,
            "splits": NO_SELECTION,
        },
    )


if __name__ == "__main__":
    no_options(__doc__)
    main()
