"""The prepared device suite: everything that needs a GPU, in one run.

Sections, in this order (each writes ``device_<section>.json`` into ``--out-dir`` as soon
as it ends, so a run cut short keeps what it measured; a section that would start after
``--budget-s`` is recorded as skipped). The first lent GPU (an H200, 2026-12-04) took
80 s for cuda_tests, 320 s for throughput, 49 s for compile and 44 s for paper_budget,
so the sections no GPU has measured yet come first, and a session whose 15 device
minutes must cover the machine's start runs ``--only`` what it still needs:

1. ``cuda_tests``: ``pytest -m cuda`` (bf16 autocast and channels_last against fp32, a
   real out-of-memory forced with ``torch.cuda.set_per_process_memory_fraction``, worker
   pinning to ``cuda:k``, evaluator and SuperNet on the GPU).
2. ``workers``: evaluations/hour with K = 1, 2, 4, 8 workers per device
   (``benchmarks/perf/workers_per_device.py``).
3. ``paper_budget``: the per-network time at the paper's settings (Sec. V-C: 10 epochs, CIFAR-10
   sized data, 45,000 training images at 32x32, width 16, N in 4..10) and the SuperNet's
   epoch time, projected to the paper's CIFAR-10 search (P = 100, T0 = 100, S = 30,
   T1 = 50, SuperNet 100 epochs): 100 + 100 x 100 stage-1 trainings and 3 x 30 x 50
   stage-2 trainings (Alg. 4 trains s, p1 and p2 each fine generation), every one
   trained (archive hits would only lower it), divided by the evaluations/hour gain of the
   best K from section 2 (1 when it did not run). The paper reports 0.9 GPU-days; the
   target is 0.45.
4. ``search``: a short two-stage ``tsenas search`` on full-resolution Fashion-MNIST, its
   wall time and the best network's test accuracy after the final training.
5. ``compile``: one training eager and under ``torch.compile`` (inductor,
   ``mode="reduce-overhead"``: CUDA graphs), with the one-off compile cost per genome and
   the epochs after which it pays back.
6. ``throughput``: our trainer against the like-for-like and the naive loop
   (``benchmarks/perf/throughput.py``) on Fashion-MNIST 28x28 and CIFAR-sized random 3x32x32
   tensors, widths 16 and 36, 100 steps per measurement.

    python -m benchmarks.device.device_suite --device cuda --out-dir "$OUT"   # on the GPU machine
    python -m benchmarks.device.device_suite --device cpu --tiny --out-dir /tmp/suite  # the same path, a minute on CPU

On the lent GPU machine (no package index there) run ``bash benchmarks/device/device_prepare.sh``
here first; see its header for the ``run`` command.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from benchmarks.common import NO_SELECTION, RESULTS, ROOT, write_result

HERE = Path(__file__).resolve().parent

#: The paper's CIFAR-10 search (Sec. V-C) and what one individual costs there.
PAPER = {
    "pop_size": 100,
    "stage1_gens": 100,
    "fine_size": 30,
    "stage2_gens": 50,
    "supernet_epochs": 100,
    "epochs": 10,
    "train_images": 45_000,
    "val_images": 5_000,
    "input_shape": [3, 32, 32],
    "width": 16,
    "n_min": 4,
    "n_max": 10,
    "batch_size": 128,
    "gpu_days": 0.9,
}
TARGET_GPU_DAYS = 0.45

#: The images the ``search`` section selects on and reports on; every other section
#: selects no network (``NO_SELECTION``).
SEARCH_SPLITS = {
    "selection": "the search's validation pool, split off its Fashion-MNIST training subset",
    "report": "the 10,000 Fashion-MNIST test images (the best network's test accuracy after the final training)",
}

SETTINGS = {
    "full": {
        "throughput": {
            "data": ["fashion-mnist", "random-3x32x32"],
            "widths": [16, 36],
            "genomes": ["darts-chain", "mixed"],
            "steps": 100,
            "repeats": 3,
        },
        "compile": {
            "data": "fashion-mnist",
            "width": 16,
            "steps": 100,
            "backend": "inductor",
            "mode": "reduce-overhead",
        },
        "paper_budget": {"genomes": 6, "steps": 40, "supernet_steps": 20},
        "workers": {
            "ks": [1, 2, 4, 8],
            "genomes": 16,
            "train_subset": 10_000,
            "resolution": None,
            "width": 16,
            "epochs": 1,
        },
        "search": {
            "dataset": "fashion-mnist",
            "train_subset": 5_000,
            "pop_size": 8,
            "fine_size": 4,
            "stage1_gens": 2,
            "stage2_gens": 1,
            "epochs": 1,
            "init_channels": 16,
            "supernet_epochs": 1,
            "final_epochs": 5,
            "n_min": 4,
            "n_max": 8,
        },
    },
    "tiny": {
        "throughput": {"data": ["digits"], "widths": [4], "genomes": ["darts-chain"], "steps": 4, "repeats": 1},
        "compile": {"data": "digits", "width": 4, "steps": 4, "backend": "eager", "mode": None},
        "paper_budget": {
            "genomes": 2,
            "steps": 2,
            "supernet_steps": 1,
            "width": 4,
            "n_max": 5,
            "train_images": 256,
            "input_shape": [3, 16, 16],  # the path, not the paper's cost: a 32x32 SuperNet step is most of it on a CPU
            "batch_size": 32,
        },
        "workers": {"ks": [1, 2], "genomes": 2, "dataset": "digits", "width": 4, "epochs": 1},
        "search": {
            "dataset": "digits",
            "train_subset": 400,
            "pop_size": 4,
            "fine_size": 2,
            "stage1_gens": 2,
            "stage2_gens": 1,
            "epochs": 1,
            "init_channels": 4,
            "supernet_epochs": 1,
            "final_epochs": 1,
            "n_min": 2,
            "n_max": 4,
        },
    },
}


def cuda_test_files() -> list[str]:
    """The test files that mark a test ``cuda`` (collecting the whole suite to select them
    imports every test module: seconds on a CPU box)."""
    return sorted(str(p) for p in (ROOT / "tests").rglob("test_*.py") if "mark.cuda" in p.read_text())


def _case(case: ET.Element) -> dict:
    """One JUnit test case: its outcome and, when it failed, pytest's one-line reason and
    the traceback's end (the first GPU run kept only the log's tail, which Dask's
    shutdown lines filled, so its three failures came back without their reasons)."""
    fault = case.find("failure") if case.find("failure") is not None else case.find("error")
    outcome = "failed" if fault is not None else "skipped" if case.find("skipped") is not None else "passed"
    row = {"name": case.get("name"), "seconds": float(case.get("time", 0)), "outcome": outcome}
    if fault is not None:
        row["message"] = (fault.get("message") or "")[:500]
        row["traceback_tail"] = (fault.text or "")[-1500:]
    return row


def cuda_tests(device: str, settings: dict, out_dir: Path) -> dict:
    """``pytest -m cuda``; counts from its JUnit report (all skipped without a GPU)."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-m",
                "cuda",
                "-q",
                "-p",
                "no:cacheprovider",
                # setup.cfg's addopts ask for pytest-xdist, which the lent GPU machine lacks:
                # cleared, and the plugin kept out here too, so the CPU check takes its path
                "-o",
                "addopts=",
                "-p",
                "no:xdist",
                f"--junitxml={junit}",
                *cuda_test_files(),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    counts = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
    cases = [_case(c) for c in suite.iter("testcase")]
    return {
        "returncode": proc.returncode,
        **counts,
        "passed": counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"],
        "cases": cases,
        "seconds": time.perf_counter() - start,
        "output_tail": proc.stdout[-3000:],
    }


def throughput(device: str, settings: dict, out_dir: Path) -> dict:
    import torch

    from benchmarks.perf import throughput as bench

    return bench.run(
        torch.device(device),
        settings["data"],
        settings["genomes"],
        settings["widths"],
        settings["steps"],
        settings["repeats"],
    )


def compile_check(device: str, settings: dict, out_dir: Path) -> dict:
    """Eager against ``torch.compile`` on one genome: steady seconds per epoch of each, the
    compile cost of the first call, and the epochs after which compiling pays back."""
    import copy

    import torch

    from benchmarks.perf import throughput as bench
    from tsenas_pymoo import NetworkGenome, build_network
    from tsenas_pymoo.evaluation.trainer import train_model

    dev = torch.device(device)
    data = next(bench.datasets([settings["data"]], dev))
    torch.manual_seed(0)
    base = build_network(
        NetworkGenome.from_cells(bench.GENOMES["darts-chain"]), data.input_shape, data.num_classes, settings["width"]
    )
    n, epochs = bench.batches(len(data.train_y), 128, settings["steps"])
    x, y = data.train_x[:n].to(dev), data.train_y[:n].to(dev)

    def fit(model):
        return bench.timed(lambda: train_model(model, x, y, epochs=epochs, batch_size=128, device=dev), dev)

    fit(copy.deepcopy(base))  # warm-up
    eager = min(fit(copy.deepcopy(base)) for _ in range(2))
    compiled = torch.compile(copy.deepcopy(base), backend=settings["backend"], mode=settings["mode"])
    first = fit(compiled)
    steady = min(fit(compiled) for _ in range(2))
    saved = (eager - steady) / epochs  # seconds saved per epoch
    return {
        "backend": settings["backend"],
        "mode": settings["mode"],
        "data": data.name,
        "steps": epochs * (n // 128),
        "eager_s": eager,
        "compiled_first_s": first,
        "compiled_s": steady,
        "compile_cost_s": first - steady,
        "speedup": eager / steady,
        "payback_epochs": (first - steady) / saved if saved > 0 else None,
    }


def workers(device: str, settings: dict, out_dir: Path) -> dict:
    from benchmarks.perf import workers_per_device as bench
    from tsenas_pymoo.evaluation.data import load_dataset

    if settings.get("dataset") == "digits":
        data = load_dataset("digits")
    else:
        data = load_dataset("fashion-mnist", train_subset=settings["train_subset"], resolution=settings["resolution"])
    return bench.run(device, data, settings["ks"], settings["genomes"], settings["epochs"], settings["width"])


def paper_budget(device: str, settings: dict, out_dir: Path, speedup: float = 1.0) -> dict:
    """Time per training step of sampled networks and of the SuperNet at the paper's
    settings on random CIFAR-sized tensors, and the projected GPU-days of its search."""
    import numpy as np
    import torch

    from benchmarks.perf.throughput import timed
    from tsenas_pymoo.evaluation.supernet import SuperNet
    from tsenas_pymoo.evaluation.trainer import evaluate_accuracy, train_model
    from tsenas_pymoo.operators.sampling import sample_genome
    from tsenas_pymoo.space.network import build_network

    paper = dict(PAPER, **{k: v for k, v in settings.items() if k in PAPER})
    dev = torch.device(device)
    shape, batch, steps = tuple(paper["input_shape"]), paper["batch_size"], settings["steps"]
    g = torch.Generator().manual_seed(0)
    x = torch.rand(batch * steps, *shape, generator=g).to(dev)
    y = (torch.arange(batch * steps) % 10).to(dev)
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(settings["genomes"]):
        genome = sample_genome(rng, paper["n_min"], paper["n_max"], shape)
        torch.manual_seed(0)
        model = build_network(genome, shape, 10, paper["width"])
        train_model(model, x[: 2 * batch], y[: 2 * batch], epochs=1, batch_size=batch, device=dev)  # warm-up
        seconds = timed(lambda m=model: train_model(m, x, y, epochs=1, batch_size=batch, device=dev), dev)
        evaluate_accuracy(model, x[:batch], y[:batch], device=dev)
        eval_s = timed(lambda m=model: evaluate_accuracy(m, x, y, device=dev), dev)
        rows.append(
            {"key": genome.key(), "cells": genome.n_cells, "step_s": seconds / steps, "eval_image_s": eval_s / len(y)}
        )
    steps_per_epoch = math.ceil(paper["train_images"] / batch)
    per_network = float(
        np.median(
            [r["step_s"] * paper["epochs"] * steps_per_epoch + r["eval_image_s"] * paper["val_images"] for r in rows]
        )
    )
    torch.manual_seed(0)
    supernet = SuperNet(shape, 10, paper["width"])
    sn_x, sn_y = x[: batch * settings["supernet_steps"]], y[: batch * settings["supernet_steps"]]
    train_model(supernet, sn_x[:batch], sn_y[:batch], epochs=1, batch_size=batch, device=dev)  # warm-up
    sn_step = (
        timed(lambda: train_model(supernet, sn_x, sn_y, epochs=1, batch_size=batch, device=dev), dev)
        / settings["supernet_steps"]
    )
    supernet_s = sn_step * paper["supernet_epochs"] * steps_per_epoch
    trainings = paper["pop_size"] * (1 + paper["stage1_gens"]) + 3 * paper["fine_size"] * paper["stage2_gens"]
    k1_days = (trainings * per_network + supernet_s) / 86_400
    best_days = (trainings * per_network / speedup + supernet_s) / 86_400
    return {
        "settings": paper,
        "networks": rows,
        "per_network_s": per_network,
        "supernet_step_s": sn_step,
        "supernet_s": supernet_s,
        "trainings": trainings,
        "gpu_days_k1": k1_days,
        "workers_speedup": speedup,
        "gpu_days_best_k": best_days,
        "paper_gpu_days": paper["gpu_days"],
        "target_gpu_days": TARGET_GPU_DAYS,
        "target_met": best_days <= TARGET_GPU_DAYS,
    }


def search(device: str, settings: dict, out_dir: Path) -> dict:
    from tsenas_pymoo.config import SearchConfig
    from tsenas_pymoo.run import SearchRun

    config = SearchConfig(device=device, **settings).validate()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = SearchRun(Path(tmp) / "run", config, progress=False).run()
        wall = time.perf_counter() - start
    return {"config": dict(settings.items()), "wall_s": wall, "summary": summary}


#: In the order they run: what no GPU session has measured yet first (the first lent GPU,
#: 2026-12-04, spent 80 s on cuda_tests, 320 s on throughput, 49 s on compile, 44 s on
#: paper_budget; workers and search were left for the next one).
SECTIONS = {
    "cuda_tests": cuda_tests,
    "workers": workers,
    "paper_budget": paper_budget,
    "search": search,
    "compile": compile_check,
    "throughput": throughput,
}


def default_out_dir(device: str, tiny: bool) -> Path:
    """The GPU's results go to benchmarks/results; a tiny or CPU run (a check of the path)
    goes under runs/, which git ignores."""
    if tiny or not device.startswith("cuda"):
        return ROOT / "runs" / f"device_suite_{device.replace(':', '')}{'_tiny' if tiny else ''}"
    return RESULTS


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--tiny", action="store_true", help="the smallest settings (the CPU check of the path)")
    parser.add_argument(
        "--out-dir",
        default=None,
        help="where the device_*.json files go (default: benchmarks/results on a GPU; runs/device_suite_<device>"
        " for --tiny or a CPU, so a check of the path is never taken for the GPU's results)",
    )
    parser.add_argument("--budget-s", type=float, default=450, help="start no section after this many seconds")
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS), default=list(SECTIONS))
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    out_dir = Path(args.out_dir) if args.out_dir else default_out_dir(args.device, args.tiny)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = SETTINGS["tiny" if args.tiny else "full"]
    start = time.perf_counter()
    summary = {"device": args.device, "tiny": args.tiny, "sections": {}}
    done: dict[str, dict] = {}
    order = [s for s in SECTIONS if s in args.only]  # workers before paper_budget, which uses its speed-up
    for name in order:
        elapsed = time.perf_counter() - start
        if elapsed > args.budget_s:
            summary["sections"][name] = {"status": "skipped", "reason": f"budget: {elapsed:.0f} s elapsed"}
            continue
        t0 = time.perf_counter()
        kwargs = {}
        if name == "paper_budget" and "workers" in done:
            kwargs["speedup"] = done["workers"].get("speedup_best_vs_k1") or 1.0
        try:
            result = SECTIONS[name](args.device, settings.get(name, {}), out_dir, **kwargs)
            status = "ok"
        except Exception as err:
            result, status = {"error": f"{type(err).__name__}: {err}"}, "error"
        result = dict(result, device=args.device, tiny=args.tiny, seconds=time.perf_counter() - t0)
        done[name] = result
        result["splits"] = SEARCH_SPLITS if name == "search" else NO_SELECTION
        write_result(out_dir / f"device_{name}.json", json.loads(json.dumps(result, default=str)))
        summary["sections"][name] = {"status": status, "seconds": result["seconds"]}
        print(
            f"[{time.perf_counter() - start:6.1f} s] {name}: {status}"
            + (f" ({result['error']})" if status == "error" else ""),
            flush=True,
        )
    summary["seconds"] = time.perf_counter() - start
    write_result(out_dir / "device_suite.json", {**summary, "splits": NO_SELECTION})
    print(json.dumps(summary["sections"]))
    return summary


if __name__ == "__main__":
    main()
