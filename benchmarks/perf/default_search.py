"""``tsenas search`` with its defaults (digits), end to end, then the Table III-style
baselines on the same run (``benchmarks/experiments/baselines.py``, the run's own final recipe).

Writes benchmarks/results/default_search.json (wall time, networks trained, best
validation accuracy, best genome, params, FLOPs, test accuracy after the final training),
benchmarks/results/baselines.json, and plots/default_search_{convergence,trajectory}.png.

    python -m benchmarks.perf.default_search
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import RESULTS, ROOT, no_options, tsenas, write_result

#: the default search selects on its validation split and reports the final network on the test set
SPLITS = {
    "selection": "the search's validation split (a tenth of the training images)",
    "report": "the test set, after the final training",
}


def main() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "search"
        start = time.perf_counter()
        tsenas("search", "--out", str(run), "-q", capture=False, check=True)
        wall = time.perf_counter() - start
        summary = json.loads((run / "summary.json").read_text())
        config = json.loads((run / "config.json").read_text())
        for name in ("convergence", "trajectory"):
            shutil.copy(run / f"{name}.png", ROOT / "plots" / f"default_search_{name}.png")
        final = summary["final"]
        out = {
            "command": "tsenas search --out RUN -q",
            "wall_s": wall,
            "trained": summary["evaluations"],
            "best_genome": summary["best_genome"],
            "best_val_accuracy": summary["best_val_accuracy"],
            "test_accuracy": final["test_accuracy"],
            "test_error": final["test_error"],
            "params": final["params"],
            "flops": final["flops"],
            "final_recipe": {k: final.get(k) for k in ("epochs", "lr", "batch_size", "augment", "seed")},
            "config": {k: v for k, v in config.items() if k != "thread_policy"},
        }
        write_result(RESULTS / "default_search.json", {**out, "splits": SPLITS})
        print(json.dumps({k: v for k, v in out.items() if k != "config"}, indent=1))
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "experiments" / "baselines.py"), "--run", str(run)], check=True
        )
    return out


if __name__ == "__main__":
    no_options(__doc__)
    main()
