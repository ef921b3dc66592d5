"""Disk used by a run directory's weights after a 15-generation search: bounded by the
population (lineage inheritance keeps only the living individuals' trained states).

Runs ``tsenas search`` (digits, P = 8, S = 4, 12 + 3 generations, lineage inheritance),
then measures ``store/units`` (the cell store: one file per unit key, bounded by the
number of keys the search space has at this width) and ``store/trained`` (the kept
trained states), against what keeping every trained network would have taken.
Writes benchmarks/results/store_bound.json.

    python -m benchmarks.perf.store_bound
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import NO_SELECTION, RESULTS, no_options, tsenas, write_result

ARGS = [
    "--pop-size",
    "8",
    "--fine-size",
    "4",
    "--stage1-gens",
    "12",
    "--stage2-gens",
    "3",
    "--epochs",
    "1",
    "--init-channels",
    "8",
    "--supernet-epochs",
    "1",
    "--final-epochs",
    "1",
    "--seed",
    "0",
    "--device",
    "cpu",
]


def folder_bytes(folder: Path) -> tuple[int, int]:
    files = list(folder.glob("*.safetensors"))
    return len(files), sum(f.stat().st_size for f in files)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        start = time.perf_counter()
        done = tsenas("search", "--out", str(run), *ARGS)
        if done.returncode:
            sys.exit(done.stderr[-2000:])
        seconds = time.perf_counter() - start
        units, units_bytes = folder_bytes(run / "store" / "units")
        kept, kept_bytes = folder_bytes(run / "store" / "trained")
        with sqlite3.connect(run / "archive.sqlite") as conn:
            trained = conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0]
            parent = conn.execute(
                "SELECT AVG(json_extract(sources, '$.parent')) FROM evaluations WHERE generation > 1"
            ).fetchone()[0]
        generations = len((run / "log.jsonl").read_text().splitlines())
    mean_state = kept_bytes / max(kept, 1)
    out = {
        "command": "tsenas search " + " ".join(ARGS),
        "generations": generations,
        "networks_trained": trained,
        "wall_seconds": seconds,
        "units_files": units,
        "units_bytes": units_bytes,
        "trained_states_kept": kept,
        "trained_bytes": kept_bytes,
        "population": 8,
        "every_state_kept_bytes_estimate": int(mean_state * trained),
        "mean_parent_share_after_generation_1": parent,
    }
    path = RESULTS / "store_bound.json"
    write_result(path, {**out, "splits": NO_SELECTION})
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    no_options(__doc__)
    main()
