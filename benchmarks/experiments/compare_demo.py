"""The README's `tsenas plot --compare` figure: TS-ENAS, pymoo's GA (mixed variables) and
random search on digits, two seeds each, the same budget of networks trained.

A demonstration of swapping algorithms and comparing runs, not a comparison of the
methods (digits at width 4 and one epoch says nothing about Fashion-MNIST; the
comparison issue measures that under the fidelity study's preset).

    python -m benchmarks.experiments.compare_demo      # runs/compare_demo/*, plots/compare_demo.png
"""

from __future__ import annotations

from benchmarks.common import ROOT, no_options, tsenas

RUNS = ROOT / "runs" / "compare_demo"
COMMON = [
    "--dataset",
    "digits",
    "--pop-size",
    "6",
    "--fine-size",
    "3",
    "--stage1-gens",
    "3",
    "--stage2-gens",
    "50",
    "--budget",
    "36",
    "--epochs",
    "1",
    "--init-channels",
    "4",
    "--supernet-epochs",
    "1",
    "--final-epochs",
    "1",
    "--n-max",
    "5",
    "--batch-size",
    "64",
    "--threads",
    "1",
    "-q",
]


def main():
    runs = []
    for algorithm in ("tsenas", "ga", "random"):
        for seed in (0, 1):
            out = RUNS / f"{algorithm}-seed{seed}"
            if not (out / "summary.json").exists():
                args = (
                    ["--resume", str(out), "-q"]
                    if (out / "config.json").exists()
                    else ["--out", str(out), "--algorithm", algorithm, "--seed", str(seed), *COMMON]
                )
                tsenas("search", *args, capture=False, check=True)
            runs.append(str(out))
    target = ROOT / "plots" / "compare_demo.png"
    tsenas("plot", "--compare", *runs, "--out", str(target), capture=False, check=True)


if __name__ == "__main__":
    no_options(__doc__)
    main()
