"""The paper's ablations (Fig. 5, Fig. 6) at small scale, with the two-stage TSENAS.

* inheritance: weight inheritance on (SuperNet + Steps 1-4 store) vs off, best accuracy
  and search wall time;
* crossover: the type-preserving multi-point crossover vs single-point;
* mutation: each of the four mutations (cell, connection, node, edge) removed in turn;
* pruning: on vs off (off: each fine-search parent makes only the mutated child).

Every variant but "inheritance on" runs without a weight store, so a genome's accuracy
depends on the genome alone and those runs share one archive. Writes
benchmarks/results/ablations[_quick].json and plots/ablation_*.png.

    python benchmarks/ablations.py --quick   # digits, width 4, 1 epoch, P=8, S=4, 3+3 generations, 3 seeds
    python benchmarks/ablations.py           # digits, width 8, 2 epochs, P=12, S=4, 5+4 generations, 5 seeds
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from pymoo.optimize import minimize

from tsenas_pymoo import TorchEvaluator, TSENAS, TSENASProblem
from tsenas_pymoo.evaluation import load_dataset

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = {
    "inheritance on": {},
    "full (no inheritance)": {},
    "single-point crossover": {"single_point_crossover": True},
    "no cell mutation": {"mutation_kinds": ("connection",)},
    "no connection mutation": {"mutation_kinds": ("cell",)},
    "no node mutation": {"fine_kinds": ("edge",)},
    "no edge mutation": {"fine_kinds": ("node",)},
    "no pruning": {"prune": False},
}
GROUPS = {
    "inheritance": ["full (no inheritance)", "inheritance on"],
    "crossover": ["full (no inheritance)", "single-point crossover"],
    "mutation": ["full (no inheritance)", "no cell mutation", "no connection mutation", "no node mutation",
                 "no edge mutation"],
    "pruning": ["full (no inheritance)", "no pruning"],
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    if args.quick:
        width, epochs, pop, fine, g1, g2, seeds = 4, 1, 8, 4, 3, 3, 3
    else:
        width, epochs, pop, fine, g1, g2, seeds = 8, 2, 12, 4, 5, 4, 5
    data = load_dataset("digits")
    tmp = Path(tempfile.mkdtemp())
    shared = TorchEvaluator(data, epochs=epochs, init_channels=width, device=args.device,
                            archive=tmp / "shared.sqlite")
    results = {name: [] for name in VARIANTS}
    for seed in range(seeds):
        for name, options in VARIANTS.items():
            if name == "inheritance on":
                evaluator = TorchEvaluator(data, epochs=epochs, init_channels=width, device=args.device,
                                           store=tmp / f"store{seed}", archive=tmp / f"inherit{seed}.sqlite")
            else:
                evaluator = shared
            start = time.perf_counter()
            trained_before = evaluator.trained
            if name == "inheritance on":
                evaluator.train_supernet(epochs=1)
            problem = TSENASProblem(evaluator, n_min=3, n_max=6)
            res = minimize(problem, TSENAS(pop_size=pop, n_fine=fine, stage1_gens=g1, stage2_gens=g2, **options),
                           seed=seed)
            row = {"seed": seed, "best_accuracy": res.algorithm.data["best_accuracy"],
                   "evaluations": int(res.algorithm.evaluator.n_eval),
                   "seconds": time.perf_counter() - start, "newly_trained": evaluator.trained - trained_before,
                   "best_genome": problem.decode(res.X).key()}
            results[name].append(row)
            print(f"seed {seed} {name:24s} best {row['best_accuracy']:.4f}  {row['seconds']:.0f} s", flush=True)
    summary = {name: {"median_best": statistics.median(r["best_accuracy"] for r in rows),
                      "min_best": min(r["best_accuracy"] for r in rows),
                      "max_best": max(r["best_accuracy"] for r in rows),
                      "median_evaluations": statistics.median(r["evaluations"] for r in rows)}
               for name, rows in results.items()}
    # the inheritance comparison's wall time is only meaningful without the shared cache
    inh = results["inheritance on"]
    summary["inheritance on"]["median_seconds"] = statistics.median(r["seconds"] for r in inh)
    out = {"dataset": "digits", "init_channels": width, "epochs": epochs, "pop_size": pop, "n_fine": fine,
           "stage1_gens": g1, "stage2_gens": g2, "seeds": seeds, "summary": summary, "runs": results}
    name = "ablations_quick" if args.quick else "ablations"
    (ROOT / "benchmarks" / "results" / f"{name}.json").write_text(json.dumps(out, indent=1))
    plot(out, "_quick" if args.quick else "")
    for variant, s in summary.items():
        print(f"{variant:24s} median {s['median_best']:.4f} [{s['min_best']:.4f}, {s['max_best']:.4f}]")


def plot(out, suffix):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for group, names in GROUPS.items():
        fig, ax = plt.subplots(figsize=(1.6 * len(names) + 2, 3.6))
        for i, name in enumerate(names):
            values = [r["best_accuracy"] for r in out["runs"][name]]
            ax.bar(i, out["summary"][name]["median_best"], color="tab:blue" if i == 0 else "tab:orange", alpha=0.6)
            ax.scatter([i] * len(values), values, color="black", s=12, zorder=3)
        ax.set_xticks(range(len(names)), [n.replace(" ", "\n", 1) for n in names], fontsize=8)
        lo = min(r["best_accuracy"] for n in names for r in out["runs"][n])
        ax.set_ylim(lo - 0.02, None)
        ax.set_ylabel("best validation accuracy")
        ax.set_title(f"Ablation: {group} (median of {out['seeds']} seeds, dots: seeds)", fontsize=9)
        fig.tight_layout()
        fig.savefig(ROOT / "plots" / f"ablation_{group}{suffix}.png", dpi=120)
        plt.close(fig)


if __name__ == "__main__":
    main()
