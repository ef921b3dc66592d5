"""Weight inheritance vs training from scratch (the paper's Fig. 5, at small scale).

Validation accuracy after 1, 2, 5 and 10 epochs of the short training, from scratch and
from inherited weights (same seeds; every unit the store lacks starts from the same
initialization as the scratch run), in the two situations of a search on digits:

* ``supernet``: a store filled by the trained SuperNet (Alg. 2 lines 2-3), evaluated on
  fresh Alg. 3 genomes: the first generation.
* ``population``: a store updated by Steps 1-4 (Sec. IV-B2) from trained parents
  (Alg. 3 genomes, 10 epochs each), evaluated on their offspring (Fig. 3 crossover or
  mutation): every later generation.

Reports how many epochs the inherited runs need to reach the from-scratch 10-epoch
accuracy. Writes benchmarks/results/inheritance.json and plots/inheritance.png.

    python benchmarks/inheritance.py           # 8 genomes each, width 16, SuperNet 10 epochs
    python benchmarks/inheritance.py --quick   # 8 genomes each, width 8, SuperNet 5 epochs
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from tsenas_pymoo.evaluation import TorchEvaluator, load_dataset
from tsenas_pymoo.operators.crossover import cross_cells
from tsenas_pymoo.operators.mutation import mutate_genome
from tsenas_pymoo.operators.sampling import sample_genome

ROOT = Path(__file__).resolve().parents[1]
EPOCHS = (1, 2, 5, 10)


def epochs_to_reach(curve: dict[int, float], target: float) -> int | None:
    return next((e for e in EPOCHS if curve[e] >= target), None)


def compare(scratch, inherit, genomes, label):
    rows = []
    for genome in genomes:
        row = {"genome": genome.key(), "scratch": {}, "inherited": {}, "inherited_fraction": None}
        for e in EPOCHS:
            row["scratch"][e] = scratch.train_genome(genome, epochs=e)["accuracy"]
            r = inherit.train_genome(genome, epochs=e)
            row["inherited"][e] = r["accuracy"]
            row["inherited_fraction"] = r["inherited_fraction"]
        row["epochs_to_scratch10"] = epochs_to_reach(row["inherited"], row["scratch"][10])
        rows.append(row)
        print(f"{label:10s} {genome.key():36s} inh {row['inherited_fraction']:.2f}  "
              + "  ".join(f"{e}ep {row['scratch'][e]:.3f}/{row['inherited'][e]:.3f}" for e in EPOCHS)
              + f"  -> {row['epochs_to_scratch10']}", flush=True)
    mean = {k: {e: statistics.mean(r[k][e] for r in rows) for e in EPOCHS} for k in ("scratch", "inherited")}
    reached = [r["epochs_to_scratch10"] for r in rows]
    return {"rows": rows, "mean": mean,
            "mean_inherited_fraction": statistics.mean(r["inherited_fraction"] for r in rows),
            "mean_curve_epochs_to_scratch10": epochs_to_reach(mean["inherited"], mean["scratch"][10]),
            "median_epochs_to_scratch10": statistics.median([e if e is not None else 99 for e in reached]),
            "genomes_reaching_within_2_epochs": sum(e is not None and e <= 2 for e in reached),
            "n_genomes": len(rows)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--genomes", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    width, supernet_epochs = (8, 5) if args.quick else (16, 10)
    data = load_dataset("digits")
    rng = np.random.default_rng(args.seed)
    out = {"dataset": "digits", "init_channels": width, "supernet_epochs": supernet_epochs, "epochs": list(EPOCHS),
           "lr": 0.1, "batch_size": 128}
    with tempfile.TemporaryDirectory() as tmp:
        def evaluator(store=None):
            return TorchEvaluator(data, init_channels=width, seed=args.seed, device=args.device, store=store)

        scratch = evaluator()
        inherit = evaluator(Path(tmp) / "supernet")
        start = time.perf_counter()
        info = inherit.train_supernet(epochs=supernet_epochs)
        out["supernet"] = {"seconds": time.perf_counter() - start, "units": info["units"], "losses": info["losses"]}
        fresh = [sample_genome(rng, 3, 6, data.input_shape) for _ in range(args.genomes)]
        out["supernet_store"] = compare(scratch, inherit, fresh, "supernet")

        population = evaluator(Path(tmp) / "population")
        parents = [sample_genome(rng, 3, 6, data.input_shape) for _ in range(args.genomes)]
        ranked = [(g, population.train_genome(g)["accuracy"]) for g in parents]
        population.update_store(ranked)
        children = []
        for i in range(args.genomes):
            a, b = parents[i], parents[(i + 1) % len(parents)]
            child = cross_cells(a, b, rng)[0] if i % 2 else mutate_genome(a, rng)
            children.append(child)
        out["population_store"] = compare(scratch, population, children, "population")
    (ROOT / "benchmarks" / "results").mkdir(parents=True, exist_ok=True)
    name = "inheritance_quick.json" if args.quick else "inheritance.json"
    (ROOT / "benchmarks" / "results" / name).write_text(json.dumps(out, indent=1))
    plot(out, ROOT / "plots" / name.replace(".json", ".png"))
    for key in ("supernet_store", "population_store"):
        r = out[key]
        print(f"{key}: mean curve reaches scratch-10 at {r['mean_curve_epochs_to_scratch10']} epochs; "
              f"median per genome {r['median_epochs_to_scratch10']}; "
              f"{r['genomes_reaching_within_2_epochs']}/{r['n_genomes']} within 2 epochs; "
              f"inherited fraction {r['mean_inherited_fraction']:.2f}")


def plot(out, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, key, title in zip(axes, ("supernet_store", "population_store"),
                              ("store from the SuperNet, fresh genomes", "store from trained parents, offspring")):
        part = out[key]
        for kind, color in (("scratch", "tab:gray"), ("inherited", "tab:blue")):
            for r in part["rows"]:
                ax.plot(EPOCHS, [r[kind][e] for e in EPOCHS], color=color, alpha=0.25, lw=0.8)
            ax.plot(EPOCHS, [part["mean"][kind][e] for e in EPOCHS], color=color, lw=2.5, marker="o",
                    label=f"{kind} (mean of {part['n_genomes']})")
        ax.axhline(part["mean"]["scratch"][10], color="tab:gray", ls="--", lw=1)
        ax.set_xscale("log")
        ax.set_xticks(EPOCHS, [str(e) for e in EPOCHS])
        ax.set_xlabel("epochs of short training")
        ax.set_title(title, fontsize=10)
        ax.legend(loc="lower right")
    axes[0].set_ylabel(f"validation accuracy (digits, width {out['init_channels']})")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
