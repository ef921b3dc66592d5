"""TS-ENAS against pymoo's algorithms on the same TSENASProblem, at equal budgets.

Methods: TS-ENAS (both stages), TS-ENAS stage 1 only, pymoo GA (integer sampling, SBX
and PM with rounding, plus GenomeRepair), random search (Alg. 3 samples) and pymoo DE
(plus GenomeRepair). The budget is counted in distinct trained genomes (a repeat is free:
the archive answers it). All runs share one evaluator and one archive: without weight
inheritance, a genome's accuracy is a function of the genome alone (seeded per genome),
so a genome trained by one run is read back, not retrained, by the others, and each run
still counts it against its own budget. Weight inheritance is ablated separately.

Writes benchmarks/results/compare[_quick].json and plots/compare[_quick].png.

    python benchmarks/compare_algorithms.py --quick   # digits, width 4, 1 epoch, budget 32, 5 seeds
    python benchmarks/compare_algorithms.py           # digits, width 8, 2 epochs, budget 60, 5 seeds
    python benchmarks/compare_algorithms.py --dataset fashion-mnist --root data --device cuda --budget 300
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from pymoo.algorithms.soo.nonconvex.de import DE
from pymoo.algorithms.soo.nonconvex.ga import GA
from pymoo.core.termination import Termination
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.mutation.pm import PM
from pymoo.operators.repair.rounding import RoundingRepair
from pymoo.operators.sampling.rnd import IntegerRandomSampling
from pymoo.optimize import minimize

from tsenas_pymoo import GenomeRepair, TorchEvaluator, TSENAS, TSENASProblem
from tsenas_pymoo.evaluation import load_dataset
from tsenas_pymoo.operators.sampling import sample_genome

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("TS-ENAS", "TS-ENAS stage 1", "GA", "random", "DE")


class BudgetCounter:
    """Wraps the shared evaluator; counts this run's distinct genomes and records the
    best accuracy after each new one (the curve)."""

    def __init__(self, evaluator, budget):
        self.evaluator, self.budget = evaluator, budget
        self.seen: dict[str, float] = {}
        self.curve: list[float] = []
        self.input_shape, self.num_classes = evaluator.input_shape, evaluator.num_classes
        self.init_channels = evaluator.init_channels

    def __call__(self, genome):
        result = self.evaluator(genome)
        key = genome.key()
        if key not in self.seen and len(self.seen) < self.budget:
            self.seen[key] = result["accuracy"]
            self.curve.append(max(self.curve[-1] if self.curve else 0.0, result["accuracy"]))
        return result

    def __deepcopy__(self, memo):
        return self


class BudgetTermination(Termination):
    def __init__(self, counter):
        super().__init__()
        self.counter = counter

    def _update(self, algorithm):
        return len(self.counter.seen) / self.counter.budget


def run_method(method, evaluator, budget, seed, n_min, n_max, pop):
    counter = BudgetCounter(evaluator, budget)
    problem = TSENASProblem(counter, n_min=n_min, n_max=n_max)
    stock = dict(crossover=SBX(prob=0.9, eta=3.0, vtype=float, repair=RoundingRepair()),
                 mutation=PM(eta=3.0, vtype=float, repair=RoundingRepair()))
    if method == "random":
        rng = np.random.default_rng(seed)
        for _ in range(50 * budget):
            if len(counter.seen) >= budget:
                break
            counter(sample_genome(rng, n_min, n_max, problem.input_shape))
    else:
        if method == "TS-ENAS":
            stage1 = max(2, int(round((2 * budget / 3 - pop) / pop)) + 1)  # about 2/3 of the budget in stage 1
            algorithm = TSENAS(pop_size=pop, n_fine=max(2, pop // 2), stage1_gens=stage1, stage2_gens=10 ** 6)
        elif method == "TS-ENAS stage 1":
            algorithm = TSENAS(pop_size=pop, n_fine=2, stage1_gens=10 ** 6, stage2_gens=0)
        elif method == "GA":
            algorithm = GA(pop_size=pop, sampling=IntegerRandomSampling(), repair=GenomeRepair(), **stock)
        else:
            algorithm = DE(pop_size=pop, repair=GenomeRepair())
        minimize(problem, algorithm, BudgetTermination(counter), seed=seed)
    curve = counter.curve + [counter.curve[-1]] * (budget - len(counter.curve))
    return curve[:budget]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--root", default=None)
    parser.add_argument("--train-subset", type=int, default=None)
    parser.add_argument("--resolution", type=int, default=None)
    parser.add_argument("--device", default=None)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=None)
    args = parser.parse_args(argv)
    width, epochs, budget = (4, 1, 32) if args.quick else (8, 2, 60)
    budget = args.budget or budget
    pop, n_min, n_max = 8, 3, 6
    data = load_dataset(args.dataset, args.root, train_subset=args.train_subset, resolution=args.resolution)
    tmp = tempfile.mkdtemp()
    evaluator = TorchEvaluator(data, epochs=epochs, init_channels=width, device=args.device,
                               archive=Path(tmp) / "archive.sqlite")
    curves = {m: [] for m in METHODS}
    start = time.perf_counter()
    for seed in range(args.seeds):
        for method in METHODS:
            t = time.perf_counter()
            curves[method].append(run_method(method, evaluator, budget, seed, n_min, n_max, pop))
            print(f"seed {seed} {method:16s} best {curves[method][-1][-1]:.4f} "
                  f"({time.perf_counter() - t:.0f} s, {evaluator.trained} trained so far)", flush=True)
    random_final = statistics.median(c[-1] for c in curves["random"])
    summary = {}
    for method, runs in curves.items():
        finals = [c[-1] for c in runs]
        reach = [next((i + 1 for i, v in enumerate(c) if v >= random_final), None) for c in runs]
        summary[method] = {
            "median_best": statistics.median(finals), "min_best": min(finals), "max_best": max(finals),
            "evals_to_random_final_median": statistics.median([r if r is not None else float("inf") for r in reach]),
            "evals_to_random_final": reach,
            "median_curve": [statistics.median(c[i] for c in runs) for i in range(budget)],
            "q25_curve": [float(np.percentile([c[i] for c in runs], 25)) for i in range(budget)],
            "q75_curve": [float(np.percentile([c[i] for c in runs], 75)) for i in range(budget)]}
    out = {"dataset": data.name, "data": {k: v for k, v in data.settings().items() if k not in ("mean", "std")},
           "init_channels": width, "epochs": epochs, "budget_distinct_genomes": budget,
           "pop_size": pop, "n_min": n_min, "n_max": n_max, "seeds": args.seeds, "random_final_median": random_final,
           "distinct_trainings": evaluator.trained, "seconds": time.perf_counter() - start, "methods": summary,
           "curves": curves}
    name = "compare_quick" if args.quick else "compare"
    (ROOT / "benchmarks" / "results" / f"{name}.json").write_text(json.dumps(out, indent=1))
    plot(out, ROOT / "plots" / f"{name}.png")
    for method, s in summary.items():
        print(f"{method:16s} median {s['median_best']:.4f} [{s['min_best']:.4f}, {s['max_best']:.4f}]  "
              f"evals to random's final {s['evals_to_random_final_median']}")


def plot(out, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    x = np.arange(1, out["budget_distinct_genomes"] + 1)
    for method, s in out["methods"].items():
        line, = ax.plot(x, s["median_curve"], lw=2, label=method)
        ax.fill_between(x, s["q25_curve"], s["q75_curve"], color=line.get_color(), alpha=0.15)
    ax.axhline(out["random_final_median"], color="gray", ls=":", lw=1)
    ax.set_xlabel("distinct networks trained")
    ax.set_ylabel("best validation accuracy")
    ax.set_title(f"{out['dataset']}: median of {out['seeds']} seeds (band: quartiles)")
    lo = min(min(s["q25_curve"][len(x) // 4:]) for s in out["methods"].values())
    ax.set_ylim(lo - 0.01, None)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
