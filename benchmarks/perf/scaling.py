"""Evaluations per hour with 1 vs 2 Dask workers (and the in-process serial evaluator).

The same random Alg. 3 genomes are trained (digits, width 8, 2 epochs) through
``DaskRunner`` on a local cluster of 1 and then 2 single-threaded worker processes;
the serial evaluator (one process, torch's default threads) runs alongside for
reference. Writes benchmarks/results/scaling.json.

    python -m benchmarks.perf.scaling [--genomes 16]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import NO_SELECTION, RESULTS, write_result
from tsenas_pymoo import TorchEvaluator, TSENASProblem
from tsenas_pymoo.evaluation import load_dataset
from tsenas_pymoo.evaluation.distributed import DaskRunner, local_client
from tsenas_pymoo.operators.sampling import sample_genome


def timed(problem, X) -> float:
    start = time.perf_counter()
    problem.evaluate(X)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genomes", type=int, default=16)
    args = parser.parse_args(argv)
    data = load_dataset("digits")
    rng = np.random.default_rng(0)
    genomes = [sample_genome(rng, 3, 5, data.input_shape) for _ in range(args.genomes)]
    X = np.array([g.to_vector(5) for g in genomes])
    out = {
        "genomes": len(genomes),
        "epochs": 2,
        "init_channels": 8,
        "runs": {},
    }

    def evaluator():  # a fresh archive each time, so every genome really trains
        return TorchEvaluator(
            data, epochs=2, init_channels=8, device="cpu", archive=Path(tempfile.mkdtemp()) / "archive.sqlite"
        )

    problem = TSENASProblem(evaluator(), n_min=3, n_max=5)
    problem.evaluate(X[:1])  # warm-up (FLOP counter, allocator)
    problem = TSENASProblem(evaluator(), n_min=3, n_max=5)
    seconds = timed(problem, X)
    out["runs"]["serial"] = {"seconds": seconds, "evals_per_hour": 3600 * len(X) / seconds}
    for workers in (1, 2):
        client = local_client(workers)
        try:
            runner = DaskRunner(client)
            warm = TSENASProblem(evaluator(), n_min=3, n_max=5, elementwise_runner=runner)
            warm.evaluate(X[:workers])  # start-up of the workers, scatter of the data
            problem = TSENASProblem(evaluator(), n_min=3, n_max=5, elementwise_runner=runner)
            seconds = timed(problem, X)
        finally:
            client.close()
        out["runs"][f"dask_{workers}"] = {"seconds": seconds, "evals_per_hour": 3600 * len(X) / seconds}
        print(f"{workers} worker(s): {seconds:.1f} s, {3600 * len(X) / seconds:,.0f} evaluations/hour", flush=True)
    print(f"serial: {out['runs']['serial']['seconds']:.1f} s")
    out["speedup_2_vs_1_workers"] = out["runs"]["dask_2"]["evals_per_hour"] / out["runs"]["dask_1"]["evals_per_hour"]
    out["speedup_2_workers_vs_serial"] = (
        out["runs"]["dask_2"]["evals_per_hour"] / out["runs"]["serial"]["evals_per_hour"]
    )
    write_result(RESULTS / "scaling.json", {**out, "splits": NO_SELECTION})
    print(
        f"2 vs 1 workers: x{out['speedup_2_vs_1_workers']:.2f}; 2 workers vs serial: "
        f"x{out['speedup_2_workers_vs_serial']:.2f}"
    )


if __name__ == "__main__":
    main()
