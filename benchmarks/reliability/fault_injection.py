"""Kill anywhere, every point: the fault harness (``tests/reliability/harness.py``) over
all twelve kill points. Writes benchmarks/results/fault_injection.json and prints the
table; ``tests/reliability/test_kill_anywhere.py`` runs five of them in CI.

    python benchmarks/reliability/fault_injection.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: common.py
from common import NO_SELECTION, ROOT, no_options, result_path, write_result

sys.path.insert(0, str(ROOT))
from tests.reliability.harness import TINY, print_table, run_all


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
