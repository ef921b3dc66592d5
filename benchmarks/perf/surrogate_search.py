"""A whole two-stage search on the surrogate, from the shell, at the paper's settings.

Runs ``tsenas search --evaluator surrogate`` (the shipped table) with P=100, T0=100,
S=30, T1=50 into a fresh run directory (SQLite archive, checkpoints, plots,
``best_genotype.json``), three seeds one after the other, and reports the wall time of
each (start-up included) and the evaluations it made. Issue 23 asks for "seconds on a
laptop". Writes benchmarks/results/surrogate_search.json.

    python -m benchmarks.perf.surrogate_search
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import NO_SELECTION, RESULTS, no_options, write_result

PAPER = ["--pop-size", "100", "--stage1-gens", "100", "--fine-size", "30", "--stage2-gens", "50"]
SEEDS = (0, 1, 2)


def one_search(seed: int, folder: Path) -> dict:
    out = folder / f"seed{seed}"
    cmd = [sys.executable, "-m", "tsenas_pymoo.cli", "search", "--evaluator", "surrogate", "--out", str(out)]
    start = time.perf_counter()
    subprocess.run([*cmd, *PAPER, "--seed", str(seed)], check=True, capture_output=True)
    seconds = time.perf_counter() - start
    with sqlite3.connect(out / "archive.sqlite") as conn:
        evaluations = conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
    summary = json.loads((out / "summary.json").read_text())
    assert (out / "best_genotype.json").is_file()
    return {
        "seed": seed,
        "seconds": seconds,
        "archived_evaluations": evaluations,
        "best_val_accuracy": summary["best_val_accuracy"],
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        runs = [one_search(seed, Path(tmp)) for seed in SEEDS]
    out = {
        "settings": "P=100, T0=100, S=30, T1=50 (the paper's), the shipped table, one process",
        "runs": runs,
        "median_seconds": statistics.median(r["seconds"] for r in runs),
    }
    write_result(RESULTS / "surrogate_search.json", {**out, "splits": NO_SELECTION})
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    no_options(__doc__)
    main()
