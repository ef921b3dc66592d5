"""Cost of answering a repeated genome from the SQLite archive (target < 10 ms).

python -m benchmarks.perf.archive_hit    # writes benchmarks/results/archive_hit.json
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import NO_SELECTION, RESULTS, no_options, write_result
from tsenas_pymoo.evaluation import TorchEvaluator, load_dataset
from tsenas_pymoo.operators.sampling import sample_genome


def main():
    data = load_dataset("digits")
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        ev = TorchEvaluator(data, epochs=1, init_channels=4, archive=Path(tmp) / "archive.sqlite", device="cpu")
        genomes = [sample_genome(rng, 3, 6, data.input_shape) for _ in range(20)]
        start = time.perf_counter()
        for g in genomes:
            ev(g)
        train_ms = 1000 * (time.perf_counter() - start) / len(genomes)
        # fill the archive to a realistic size (a long search) with synthetic rows
        for i in range(5000):
            g = sample_genome(rng, 3, 10, (1, 32, 32))
            ev.archive.put(g.key(), g, {"accuracy": 0.5, "status": "ok", "generation": i // 100})
        hits = []
        for _ in range(50):
            for g in genomes:
                t = time.perf_counter()
                r = ev(g)
                hits.append(1000 * (time.perf_counter() - t))
                assert r["archived"]
    out = {
        "archive_rows": len(genomes) + 5000,
        "hits": len(hits),
        "hit_ms_median": statistics.median(hits),
        "hit_ms_p99": float(np.percentile(hits, 99)),
        "hit_ms_max": max(hits),
        "train_ms_mean_1_epoch_width_4": train_ms,
    }
    write_result(RESULTS / "archive_hit.json", {**out, "splits": NO_SELECTION})
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    no_options(__doc__)
    main()
