"""Does the paper's final-training recipe pay? One fixed network on Fashion-MNIST, trained
for the same epochs with and without on-device augmentation, test error per seed.

The network is fixed in advance (DARTS cells, N = 5 with two reductions, width 8), the
recipe's settings were fixed in advance (DARTS: crop with 1/8-side padding, flip,
cutout of half the side) and nothing was tuned on these seeds. Arms: ``none``, ``crop``,
``crop,flip`` (the default for Fashion-MNIST, ``auto``) and ``crop,flip`` + cutout.
Each seed gives the same data subset, initialization and batch order to every arm, so
the differences are paired; the summary has medians with the range, the paired
differences against ``none`` and a one-sided Wilcoxon signed-rank p-value
(scipy.stats) per arm. Writes results after every run and skips runs already there, so
it resumes where it stopped.

    python -m benchmarks.experiments.augmentation                      # 5000 images at 14x14, 20 epochs, seeds 0-4
    python -m benchmarks.experiments.augmentation --subset 10000 --resolution 28 --epochs 10
    python -m benchmarks.experiments.augmentation --epochs 60 --seeds 100 --arms none crop,flip --tag dev
"""

from __future__ import annotations

import argparse
import json
import os
import statistics

from scipy import stats

from benchmarks.common import RESULTS, write_result
from tsenas_pymoo import NetworkGenome
from tsenas_pymoo.evaluation import load_dataset
from tsenas_pymoo.final import train_final

SPLITS = {
    "selection": "none: one network fixed in advance, arms fixed in advance",
    "report": "the 10,000 official test images",
}

CELLS = [3, 7, 3, 7, 3]
ARMS = {"none": ("none", 0), "crop": ("crop", 0), "crop,flip": ("crop,flip", 0), "crop,flip,cutout": ("crop,flip", -1)}


def summarize(runs: dict, seeds: list[int]) -> dict:
    errors = {arm: [runs[f"{arm}/{s}"]["test_error"] for s in seeds if f"{arm}/{s}" in runs] for arm in ARMS}
    out = {}
    for arm, values in errors.items():
        if not values:
            continue
        row = {"n": len(values), "median_test_error": statistics.median(values), "min": min(values), "max": max(values)}
        paired = [
            runs[f"{arm}/{s}"]["test_error"] - runs[f"none/{s}"]["test_error"]
            for s in seeds
            if f"{arm}/{s}" in runs and f"none/{s}" in runs
        ]
        if arm != "none" and paired:
            row["paired_diff_vs_none"] = paired
            row["median_diff_vs_none"] = statistics.median(paired)
            row["wins_vs_none"] = sum(d < 0 for d in paired)
            if len(paired) >= 2 and any(paired):
                row["wilcoxon_p_less"] = float(stats.wilcoxon(paired, alternative="less").pvalue)
        out[arm] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subset", type=int, default=5000)
    parser.add_argument("--resolution", type=int, default=14)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    parser.add_argument("--tag", default="", help="suffix of the results file (e.g. dev for development seeds)")
    args = parser.parse_args()
    tag = f"fmnist_{args.subset}_{args.resolution}px_{args.epochs}ep" + (f"_{args.tag}" if args.tag else "")
    path = RESULTS / f"augmentation_{tag}.json"
    result = json.loads(path.read_text()) if path.exists() else {"runs": {}}
    genome = NetworkGenome.from_cells(CELLS)
    for seed in args.seeds:
        data = load_dataset("fashion-mnist", seed=seed, train_subset=args.subset, resolution=args.resolution)
        for arm in args.arms:
            spec, cutout = ARMS[arm]
            key = f"{arm}/{seed}"
            if key in result["runs"]:
                continue
            cutout = args.resolution // 2 if cutout < 0 else cutout
            report = train_final(
                genome,
                data,
                epochs=args.epochs,
                init_channels=args.width,
                seed=seed,
                device="cpu",
                augment=spec,
                cutout=cutout,
            )
            result["runs"][key] = {
                k: report[k] for k in ("test_error", "test_accuracy", "seconds", "augment", "status", "epochs")
            }
            print(f"{key:22s} test error {report['test_error']:.4f}  {report['seconds']:.0f} s", flush=True)
            result.update(
                {
                    "network": genome.key(),
                    "cells": CELLS,
                    "width": args.width,
                    "epochs": args.epochs,
                    "data": {k: v for k, v in data.settings().items() if k not in ("mean", "std")},
                    "seeds": args.seeds,
                    "cores": len(os.sched_getaffinity(0)),
                    "summary": summarize(result["runs"], args.seeds),
                }
            )
            write_result(path, {**result, "splits": SPLITS})
    for arm, row in result["summary"].items():
        print(
            arm, {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items() if k != "paired_diff_vs_none"}
        )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
