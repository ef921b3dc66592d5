"""The README's real-data command, timed: a whole default search on Fashion-MNIST with
the CPU proxy settings, as a user runs it.

    tsenas search --dataset fashion-mnist --train-subset 5000 --resolution 14 --device cpu

Runs it in ``runs/real_data_search`` (resumed when a previous run was cut off; the wall
time then counts only this invocation and says so), and writes the wall time, the
machine's cores, the data settings and the validation / test accuracy to
benchmarks/results/real_data_search.json.

    python -m benchmarks.experiments.real_data            # the command above
    python -m benchmarks.experiments.real_data --fresh    # delete a previous run directory first
    python -m benchmarks.experiments.real_data --rescan   # re-read the finished run (keeps the measured wall time)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from benchmarks.common import RESULTS, ROOT, tsenas, write_result

COMMAND = ["--dataset", "fashion-mnist", "--train-subset", "5000", "--resolution", "14", "--device", "cpu"]


RESULTS = RESULTS / "real_data_search.json"
SPLITS = {
    "selection": "the search's validation split (a tenth of the training subset)",
    "report": "the 10,000 official test images, after the final training",
}


def archive_accuracy(out: Path) -> dict:
    """Validation accuracy of every network the search trained (the archive)."""
    with sqlite3.connect(out / "archive.sqlite") as conn:
        values = sorted(a for (a,) in conn.execute("SELECT accuracy FROM evaluations WHERE status = 'ok'"))
    return {"n": len(values), "min": values[0], "median": statistics.median(values), "max": values[-1]}


def result_from_run(out: Path, wall: float, resumed: bool, stdout_tail: list[str]) -> dict:
    summary = json.loads((out / "summary.json").read_text())
    final = summary["final"]
    return {
        "command": "tsenas search " + " ".join(COMMAND),
        "resumed": resumed,
        "wall_seconds": wall,
        "cores": len(os.sched_getaffinity(0)),
        "config": json.loads((out / "config.json").read_text()),
        "data": final["data"],
        "best_genome": summary["best_genome"],
        "best_val_accuracy": summary["best_val_accuracy"],
        "evaluations": summary["evaluations"],
        "generations": summary["generations"],
        "archive_accuracy": archive_accuracy(out),
        "test_accuracy": final["test_accuracy"],
        "final_epochs": final["epochs"],
        "final_seconds": final["seconds"],
        "final_augment": final["augment"],
        "params": final["params"],
        "flops": final["flops"],
        "stdout_tail": stdout_tail,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "runs" / "real_data_search"))
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--rescan", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    if args.rescan:
        old = json.loads(RESULTS.read_text())
        result = result_from_run(out, old["wall_seconds"], old["resumed"], old["stdout_tail"])
        write_result(RESULTS, {**result, "splits": SPLITS})
        return
    if args.fresh and out.exists():
        shutil.rmtree(out)
    resumed = (out / "config.json").exists()
    args = ["--resume", str(out)] if resumed else [*COMMAND, "--out", str(out)]
    start = time.perf_counter()
    proc = tsenas("search", *args)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"search failed ({proc.returncode}): {proc.stderr[-2000:]}")
    result = result_from_run(out, wall, resumed, proc.stdout.strip().splitlines()[-6:])
    path = write_result(RESULTS, {**result, "splits": SPLITS})
    print(json.dumps({k: result[k] for k in ("wall_seconds", "best_val_accuracy", "test_accuracy", "evaluations")}))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
