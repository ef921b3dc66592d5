"""A tiny search alone and beside a synthetic CPU load, with the thread policy of
``tsenas_pymoo/threads.py`` (``auto``) and with OpenMP's default left in place
(``--wait-policy default``: what every search did before the policy existed), and what
always waiting passively would cost on an idle machine (``--wait-policy passive``).

The search (as in the issue that asked for this):

    tsenas search --seed 5 --pop-size 4 --fine-size 2 --stage1-gens 2 --stage2-gens 1
                  --epochs 1 --init-channels 4 --final-epochs 1 --device cpu [--workers 2]

The load is a second process doing torch matrix products on 1 or 2 threads, started a
second before the search and stopped after it. Runs are interleaved (rep, load, config);
``auto`` and every unloaded configuration get 3 repeats (median), the loaded runs of the
old default 1 repeat each (they only show what the policy fixes; they take minutes).
Ratios: each configuration's loaded median over its own unloaded median, and ``auto``
unloaded over the old default unloaded. Writes results after every run and skips runs
already there, so it resumes.

    python -m benchmarks.perf.contention            # writes benchmarks/results/contention.json
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

from benchmarks.common import LOADED_SEARCH as SEARCH
from benchmarks.common import NO_SELECTION, RESULTS, no_options, write_result

RESULTS = RESULTS / "contention.json"
CONFIGS = {
    "serial, auto": [],
    "serial, OpenMP default": ["--wait-policy", "default"],
    "--workers 2, auto": ["--workers", "2"],
    "--workers 2, OpenMP default": ["--workers", "2", "--wait-policy", "default"],
    "serial, always passive": ["--wait-policy", "passive"],
}
LOADS = (0, 1, 2)
REPEATS = 3
LOAD_CODE = (
    "import torch; torch.set_num_threads({k}); a = torch.randn(384, 384)\nwhile True:\n    a = torch.tanh(a @ a)"
)


def repeats(config: str, load: int) -> int:
    if config.endswith("always passive"):  # only what a fixed switch would cost on an idle machine
        return 0 if load else REPEATS
    return 1 if load and config.endswith("OpenMP default") else REPEATS


def run_once(config: str, load: int) -> dict:
    loader = None
    if load:
        loader = subprocess.Popen([sys.executable, "-c", LOAD_CODE.format(k=load)])
        time.sleep(1.0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [
                sys.executable,
                "-m",
                "tsenas_pymoo.cli",
                "search",
                *SEARCH,
                *CONFIGS[config],
                "--out",
                str(Path(tmp) / "run"),
            ]
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                raise RuntimeError(f"{config} beside {load}: {proc.stderr[-1500:]}")
            policy = json.loads((Path(tmp) / "run" / "config.json").read_text()).get("thread_policy")
    finally:
        if loader is not None:
            loader.kill()
            loader.wait()
    return {"seconds": wall, "thread_policy": policy}


def summarize(runs: dict) -> dict:
    table = {}
    for config in CONFIGS:
        row = {}
        for load in LOADS:
            times = [r["seconds"] for r in runs.get(f"{config}|{load}", [])]
            if times:
                row[f"load_{load}"] = {"median_s": statistics.median(times), "runs": times}
        base = row.get("load_0", {}).get("median_s")
        for load in LOADS[1:]:
            if base and f"load_{load}" in row:
                row[f"load_{load}"]["slowdown"] = row[f"load_{load}"]["median_s"] / base
        table[config] = row
    for kind in ("serial", "--workers 2"):
        auto, old = table[f"{kind}, auto"].get("load_0"), table[f"{kind}, OpenMP default"].get("load_0")
        if auto and old:
            table[f"{kind}, auto"]["unloaded_vs_openmp_default"] = auto["median_s"] / old["median_s"]
    passive, old = table["serial, always passive"].get("load_0"), table["serial, OpenMP default"].get("load_0")
    if passive and old:
        table["serial, always passive"]["unloaded_vs_openmp_default"] = passive["median_s"] / old["median_s"]
    return table


def main() -> None:
    result = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": {}}
    result.update(
        {"search": "tsenas search " + " ".join(SEARCH), "cores": len(os.sched_getaffinity(0)), "load": LOAD_CODE}
    )
    for rep in range(REPEATS):
        for load in LOADS:
            for config in CONFIGS:
                key = f"{config}|{load}"
                done = result["runs"].setdefault(key, [])
                if rep >= repeats(config, load) or len(done) > rep:
                    continue
                done.append(run_once(config, load))
                print(
                    f"rep {rep} load {load} {config:28s} {done[-1]['seconds']:.1f} s "
                    f"{(done[-1]['thread_policy'] or {}).get('driver', {}).get('reason', '')}",
                    flush=True,
                )
                result["summary"] = summarize(result["runs"])
                write_result(RESULTS, {**result, "splits": NO_SELECTION})
    for config, row in result["summary"].items():
        print(
            config,
            {
                k: (round(v["median_s"], 1), round(v.get("slowdown", 1), 2)) if isinstance(v, dict) else round(v, 3)
                for k, v in row.items()
            },
        )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    no_options(__doc__)
    main()
