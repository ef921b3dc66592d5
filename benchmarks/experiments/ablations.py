"""The paper's ablations (Fig. 5, Fig. 6) at equal compute, on the comparison's proxy.

Each variant is TS-ENAS with one component changed, run by ``compare_algorithms.run_one``
under the same budget in network-epochs (SuperNet weighted by its FLOPs), the same
Fashion-MNIST proxy, the same fixed post-training and the same statistics:

* inheritance: lineage (the default), the paper's cell store, none (no SuperNet either);
* crossover: the type-preserving multi-point crossover vs single-point;
* mutation: each of the four mutations (cell, connection, node, edge) removed in turn;
* pruning: on vs off (off: each fine-search parent makes only the mutated child).

Every (variant, seed) writes ``benchmarks/results/compare_algorithms_fmnist/<name>/tsenas-<variant>-seed<N>.json``
(skipped when present); the summary compares each variant with the full method
(median, quartiles, paired differences per seed, Wilcoxon signed-rank p-value) and is
written to ``benchmarks/results/ablations_fmnist_<name>.json`` with ``plots/ablations_fmnist_<name>.png``.

The full method is the comparison's reported run of each seed (the frozen defaults), so
the variants run in the same campaign folder on its first five seeds:

    python -m benchmarks.experiments.ablations --name report --seeds 100-104 --workers 2
    python -m benchmarks.experiments.ablations --name report --seeds 100-104 --summarize
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.common import RESULTS, ROOT, write_result
from benchmarks.experiments import compare_algorithms as compare

HERE = Path(__file__).resolve()

VARIANTS = {
    "store-inheritance": {"inheritance": "store"},
    "no-inheritance": {"inheritance": "none"},
    "single-point-crossover": {"single_point_crossover": True},
    "no-cell-mutation": {"mutation_kinds": ["connection"]},
    "no-connection-mutation": {"mutation_kinds": ["cell"]},
    "no-node-mutation": {"fine_kinds": ["edge"]},
    "no-edge-mutation": {"fine_kinds": ["node"]},
    "no-pruning": {"prune": False},
}


def run(name, seeds, variants, proxy, workers, device, base_options):
    for variant in variants:
        options = dict(base_options, **VARIANTS[variant])
        compare.campaign(name, ["tsenas"], seeds, proxy, {"tsenas": options}, variant, device, workers)


def summarize(name: str, variants, full_tag: str = "", seeds=None) -> dict:
    table = compare.paired_table(name, variants, full_tag, seeds=seeds, base_label="full")
    out = {"splits": compare.SPLITS, "name": name, "variants": VARIANTS, "table": table}
    path = write_result(RESULTS / f"ablations_fmnist_{name}.json", out)
    plot(table, ROOT / "plots" / path.with_suffix(".png").name)
    for variant, row in table.items():
        print(
            f"{variant:24s} test {row['test_median']:.4f} [{row['test_q25']:.4f}, {row['test_q75']:.4f}]"
            + (
                f"  minus full {row['test_minus_base_median']:+.4f} (p={row['p_wilcoxon']})"
                if row.get("test_minus_base_median") is not None
                else ""
            )
        )
    return out


def plot(table: dict, path: Path) -> None:
    from matplotlib.figure import Figure

    names = list(table)
    fig = Figure(figsize=(8, 3.8))
    ax = fig.subplots()
    for i, n in enumerate(names):
        r = table[n]
        ax.errorbar(
            i,
            r["test_median"],
            yerr=[[r["test_median"] - r["test_q25"]], [r["test_q75"] - r["test_median"]]],
            fmt="o",
            capsize=4,
            color="C0" if n == "full" else "C1",
        )
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("test accuracy after post-training")
    ax.set_title("Ablations at equal compute: median and quartiles over seeds", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="report", help="the comparison campaign holding the full method's runs")
    parser.add_argument("--seeds", nargs="+", default=["100-104"])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--option", nargs="*", help="settings of the full method (as frozen), key=value")
    parser.add_argument("--full-tag", default="", help="the tag of the full method's runs in the campaign")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--device", default=None)
    parser.add_argument("--summarize", action="store_true")
    args = parser.parse_args(argv)
    if not args.summarize:
        run(
            args.name,
            compare._seeds(args.seeds),
            args.variants,
            dict(compare.PROXIES["quick"]),
            args.workers,
            args.device,
            compare._options(args.option),
        )
    summarize(args.name, args.variants, args.full_tag, compare._seeds(args.seeds))


if __name__ == "__main__":
    main()
