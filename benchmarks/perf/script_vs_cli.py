"""The Python API beside a CPU load: a search written from docs/evaluation.md against the
same search from the CLI, both beside a 2-thread load.

The CLI chooses the thread policy before torch loads (``tsenas_pymoo/threads.py``); a
script gets it from ``TorchEvaluator`` (0.7.1), after ``import torch``, so the wait
policy can no longer change (OpenMP read it at load), only the thread count. Three
configurations, each a fresh process timed from start to exit:

* ``cli``: ``tsenas search --seed 5 --pop-size 4 --fine-size 2 --stage1-gens 2
  --stage2-gens 1 --epochs 1 --init-channels 4 --final-epochs 1 --device cpu``;
* ``script``: the same search as docs/evaluation.md writes it (a ``TorchEvaluator`` with
  a store and an archive, ``train_supernet(epochs=2)``, ``minimize(TSENASProblem,
  TSENAS(...))``, ``train_final``);
* ``script, no policy``: the same script as it ran before 0.7.1 (the evaluator's policy
  switched off by marking one applied: torch's default threads, OpenMP's default wait).

The load is a second process doing torch matrix products on 2 threads, started a second
before each run and stopped after it. Runs are interleaved by repeat; ``cli`` and
``script`` get 3 repeats (median), the old behaviour 1 (it shows what the policy fixes).
Writes results after every run and skips runs already there, so it resumes.

    python -m benchmarks.perf.script_vs_cli      # writes benchmarks/results/script_vs_cli.json
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import LOADED_SEARCH, NO_SELECTION, RESULTS, write_result

RESULTS = RESULTS / "script_vs_cli.json"
LOAD_THREADS = 2
LOAD_CODE = (
    "import torch; torch.set_num_threads({k}); a = torch.randn(384, 384)\nwhile True:\n    a = torch.tanh(a @ a)"
)
CLI = ["search", *LOADED_SEARCH, "-q"]
SCRIPT = """
import sys
from pathlib import Path

from pymoo.optimize import minimize

from tsenas_pymoo import TSENAS, TorchEvaluator, TSENASProblem, threads, train_final

if {no_policy}:
    threads._applied = {{}}  # as before 0.7.1: no policy for scripts
run = Path(sys.argv[1])
evaluator = TorchEvaluator(
    "digits", epochs=1, init_channels=4, seed=5, device="cpu", store=run / "store", archive=run / "archive.sqlite"
)
evaluator.train_supernet(epochs=2)
problem = TSENASProblem(evaluator, n_min=3, n_max=6)
res = minimize(problem, TSENAS(pop_size=4, fine_size=2, stage1_gens=2, stage2_gens=1), seed=5)
train_final(problem.decode(res.X), evaluator.dataset, epochs=1, init_channels=4, seed=5, device="cpu")
"""
CONFIGS = {"cli": 3, "script": 3, "script, no policy": 1}


def command(config: str, out: Path) -> list[str]:
    if config == "cli":
        return [sys.executable, "-m", "tsenas_pymoo.cli", *CLI[:1], "--out", str(out), *CLI[1:]]
    code = SCRIPT.format(no_policy=config.endswith("no policy"))
    return [sys.executable, "-c", code, str(out)]


def run_once(config: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS")}
    loader = subprocess.Popen([sys.executable, "-c", LOAD_CODE.format(k=LOAD_THREADS)], env=env)
    time.sleep(1.0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            done = subprocess.run(command(config, Path(tmp) / "run"), capture_output=True, text=True, env=env)
            seconds = time.perf_counter() - start
    finally:
        loader.kill()
        loader.wait()
    if done.returncode:
        raise RuntimeError(f"{config}: {done.stderr[-2000:]}")
    return {"config": config, "seconds": round(seconds, 2)}


def summarize(runs: list[dict]) -> dict:
    medians = {
        c: statistics.median(r["seconds"] for r in runs if r["config"] == c)
        for c in CONFIGS
        if any(r["config"] == c for r in runs)
    }
    out = {"median_seconds": medians}
    if "cli" in medians:
        out["ratio_to_cli"] = {c: round(s / medians["cli"], 3) for c, s in medians.items()}
        out["goal"] = "script within 1.5x of the CLI beside a 2-thread load"
        if "script" in medians:
            out["goal_met"] = medians["script"] <= 1.5 * medians["cli"]
    return out


def main(argv=None):
    runs = json.loads(RESULTS.read_text()).get("runs", []) if RESULTS.exists() else []
    cores = len(os.sched_getaffinity(0))
    for rep in range(max(CONFIGS.values())):
        for config, wanted in CONFIGS.items():
            if rep >= wanted or sum(r["config"] == config for r in runs) > rep:
                continue
            runs.append(dict(run_once(config), repeat=rep))
            print(json.dumps(runs[-1]), flush=True)
            write_result(
                RESULTS,
                {
                    "splits": NO_SELECTION,
                    "load_threads": LOAD_THREADS,
                    "cores": cores,
                    "search": " ".join(["tsenas", *CLI]),
                    "runs": runs,
                    **summarize(runs),
                },
            )
    print(json.dumps(summarize(runs)))


if __name__ == "__main__":
    main()
