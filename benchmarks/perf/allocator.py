"""A training under Dask's malloc setting, with and without the worker keeping the memory
it frees (``tsenas_pymoo/evaluation/allocator.py``).

Dask's nanny starts each worker with ``MALLOC_TRIM_THRESHOLD_=65536``, which also freezes
glibc's mmap threshold at 128 KB. Each run here is a fresh process with that variable
set (as a worker has it), training the Table III network's stage-1 chain on 2,560
Fashion-MNIST images at 28 px, width 8, batch 128 (20 SGD steps), one torch thread, in a
second thread as a Dask worker runs its task; ``kept`` calls ``keep_freed_memory()``
first. Measured: CPU seconds (user and system, ``getrusage``) and page faults of the
training alone; runs interleaved, 3 of each, medians; and whether every run trained to the
same losses and weights (``same_training``).

    python -m benchmarks.perf.allocator     # writes benchmarks/results/allocator.json
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

from benchmarks.common import NO_SELECTION, RESULTS, no_options, write_result

RESULT = RESULTS / "allocator.json"
GENOME = "0:3,0:7,1:3,2:7,3:3"
REPEATS = 3

RUN = """
import json, resource, sys, threading
import torch
from tsenas_pymoo.evaluation.allocator import keep_freed_memory
from tsenas_pymoo.evaluation.data import load_dataset
from tsenas_pymoo.evaluation.trainer import train_model
from tsenas_pymoo.space.genome import genome_from_key
from tsenas_pymoo.space.network import build_network

kept = keep_freed_memory() if sys.argv[1] == "kept" else False
torch.set_num_threads(1)
data = load_dataset("fashion-mnist")
x, y = data.train_x[:2560], data.train_y[:2560]
out = {}

def train():
    torch.manual_seed(0)
    model = build_network(genome_from_key(sys.argv[2]), data.input_shape, 10, 8)
    before = resource.getrusage(resource.RUSAGE_SELF)
    result = train_model(model, x, y, epochs=1, batch_size=128, lr=0.1, seed=0, device="cpu")
    after = resource.getrusage(resource.RUSAGE_SELF)
    out.update(user_s=after.ru_utime - before.ru_utime, system_s=after.ru_stime - before.ru_stime,
               page_faults=after.ru_minflt - before.ru_minflt, malloc_kept=kept,
               losses=[float(v) for v in result.losses],
               weights_sum=float(sum(p.double().sum() for p in model.parameters())))

worker = threading.Thread(target=train)
worker.start()
worker.join()
print(json.dumps(out))
"""


def run(mode: str) -> dict:
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}
    out = subprocess.run([sys.executable, "-c", RUN, mode, GENOME], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def main() -> None:
    no_options(__doc__)
    runs = {"dask_default": [], "kept": []}
    for _ in range(REPEATS):
        for mode in runs:
            runs[mode].append(run("kept" if mode == "kept" else "dask"))
    summary = {}
    for mode, rows in runs.items():
        summary[mode] = {
            "cpu_s": statistics.median(r["user_s"] + r["system_s"] for r in rows),
            "system_s": statistics.median(r["system_s"] for r in rows),
            "page_faults": statistics.median(r["page_faults"] for r in rows),
        }
    write_result(
        RESULT,
        {
            "benchmark": "allocator",
            "command": "python -m benchmarks.perf.allocator",
            "splits": NO_SELECTION,
            "genome": GENOME,
            "setting": {"images": 2560, "resolution": 28, "width": 8, "batch_size": 128, "steps": 20, "threads": 1},
            "environment": {"MALLOC_TRIM_THRESHOLD_": "65536"},
            "load_average": os.getloadavg()[0],
            "runs": runs,
            "median": summary,
            "cpu_ratio": summary["dask_default"]["cpu_s"] / summary["kept"]["cpu_s"],
            # the allocator changes where memory comes from, never a number: every run alike
            "same_training": all(
                (r["losses"], r["weights_sum"]) == (rows[0]["losses"], rows[0]["weights_sum"])
                for rows in [runs["dask_default"] + runs["kept"]]
                for r in rows
            ),
        },
    )
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
