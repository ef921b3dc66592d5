"""Evaluations per hour with K Dask workers per device (``--workers-per-device K``).

Small networks leave a device partly idle (a GPU is launch-bound, a CPU core waits on
the Python loop), so several training processes may share it. For each K a local Dask
cluster of K x devices processes (threads split by the thread policy) evaluates the same
Alg. 3 sample of genomes through ``DaskRunner`` (no archive, no inheritance: every
genome is trained). One genome per worker first warms the cluster up (process start,
CUDA context, data transfer; timed apart), then ``--genomes`` are timed.

    python -m benchmarks.perf.workers_per_device                      # CPU: K = 1 2 4 8
    python -m benchmarks.perf.workers_per_device --device cuda        # one GPU per K workers

Writes benchmarks/results/workers_per_device_<device>.json.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from benchmarks.common import NO_SELECTION, RESULTS, write_result


def sample(problem, n: int, seed: int) -> np.ndarray:
    """``n`` Alg. 3 genomes as the problem's vectors (the algorithms' own sampling)."""
    from tsenas_pymoo import TSENASSampling

    return TSENASSampling().do(problem, n, random_state=np.random.default_rng(seed)).get("X")


def evals_per_hour(
    k: int, data, device: str, n_genomes: int, epochs: int, width: int, n_min: int = 4, n_max: int = 10, seed: int = 0
) -> dict:
    """Evaluate ``n_genomes`` sampled genomes on K workers per device; evaluations/hour."""
    from tsenas_pymoo import TorchEvaluator, TSENASProblem
    from tsenas_pymoo.evaluation.distributed import DaskRunner, device_count, local_client
    from tsenas_pymoo.threads import choose_policy

    workers = k * device_count(device)
    policy = choose_policy(None, "auto", processes=workers)
    start = time.perf_counter()
    client = local_client(workers, policy)
    try:
        evaluator = TorchEvaluator(
            data, epochs=epochs, init_channels=width, device=device, seed=seed, inheritance="none"
        )
        problem = TSENASProblem(
            evaluator, n_min=n_min, n_max=n_max, elementwise_runner=DaskRunner(client, threads=policy.threads)
        )
        X = sample(problem, n_genomes, seed)  # the same genomes for every K
        problem.evaluate(sample(problem, workers, seed + 1))  # warm-up: one other genome per worker
        warm = time.perf_counter() - start
        t0 = time.perf_counter()
        F = problem.evaluate(X)
        seconds = time.perf_counter() - t0
    finally:
        client.close()
        client.cluster.close()
    return {
        "k": k,
        "workers": workers,
        "threads_per_worker": policy.threads,
        "wait_policy": policy.wait,
        "genomes": n_genomes,
        "seconds": seconds,
        "startup_and_warmup_s": warm,
        "evaluations_per_hour": 3600 * n_genomes / seconds,
        "mean_accuracy": float(np.mean(1 - F[:, 0])),
    }


def run(device: str, data, ks, n_genomes: int, epochs: int, width: int, log=print, **kw) -> dict:
    rows = []
    for k in ks:
        row = evals_per_hour(k, data, device, n_genomes, epochs, width, **kw)
        rows.append(row)
        log(
            f"K={k}: {row['workers']} workers x {row['threads_per_worker']} threads, "
            f"{row['evaluations_per_hour']:.0f} evaluations/hour ({row['seconds']:.1f} s for {n_genomes})"
        )
    best = max(rows, key=lambda r: r["evaluations_per_hour"])
    return {
        "device": device,
        "data": data.settings(),
        "epochs": epochs,
        "init_channels": width,
        "rows": rows,
        "best_k": best["k"],
        "speedup_best_vs_k1": best["evaluations_per_hour"] / rows[0]["evaluations_per_hour"]
        if rows[0]["k"] == 1
        else None,
    }


def main(argv=None):
    from tsenas_pymoo.evaluation.data import load_dataset

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--ks", nargs="+", type=int, default=[1, 2, 4, 8])
    parser.add_argument("--genomes", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--train-subset", type=int, default=2000)
    parser.add_argument("--resolution", type=int, default=14)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    data = load_dataset("fashion-mnist", train_subset=args.train_subset, resolution=args.resolution)
    out = run(args.device, data, args.ks, args.genomes, args.epochs, args.width)
    path = Path(args.out or RESULTS / f"workers_per_device_{args.device.split(':')[0]}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_result(path, {**out, "splits": NO_SELECTION})
    print(f"best K = {out['best_k']} -> {path}")


if __name__ == "__main__":
    main()
