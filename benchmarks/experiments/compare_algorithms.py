"""TS-ENAS against GA, DE and random search on a Fashion-MNIST proxy, at equal compute.

Methods (``METHODS``): TS-ENAS as a whole (SuperNet, lineage inheritance with warm
start, both stages), TS-ENAS stage 1 only, pymoo's GA with its stock operators
(integer sampling, SBX, PM, rounding, plus ``GenomeRepair``), GA with the TS-ENAS
operators (Alg. 3 sampling, Fig. 3a crossover, Fig. 3b mutation, genome duplicates),
pymoo's DE (plus ``GenomeRepair``) and random search (Alg. 3 samples). The baselines
train every network from scratch (they have no lineage to inherit from).

**Compute unit: network-epochs.** Every training a method runs is charged its epochs;
an archive hit is free. TS-ENAS's SuperNet is charged its epochs times the SuperNet's
FLOPs per image over the mean FLOPs of Alg. 3 networks (``supernet_cost``). Each run
stops at the first generation that ends at or past the budget; its result is the best
validation accuracy among the evaluations finished within the budget (the anytime curve
stops there too). Wall seconds are reported beside, for the machine they ran on.

Each run's best network then gets one fixed post-training, the same for every method
(``--post-epochs`` on train + validation, no augmentation, seed 0) and is tested on the
10,000 test images; its params and FLOPs are recorded.

Every (method, seed) run writes ``benchmarks/results/compare_algorithms_fmnist/<method>-seed<N>.json``
and is skipped when that file exists, so a campaign can be split over sessions and
sent to Dask workers (``--workers``) or a GPU (``--device cuda``). ``--summarize``
aggregates: median, interquartile range, compute to reach random search's final
median, one-sided Mann-Whitney U p-values of TS-ENAS against each method on test
accuracy (scipy.stats), anytime curves with quartile bands (plot).

    python -m benchmarks.experiments.compare_algorithms --seeds 0 1 2 3 4 --name dev     # development seeds (tuning)
    python -m benchmarks.experiments.compare_algorithms --seeds 100-109 --name report   # the reported table, run once
    python -m benchmarks.experiments.compare_algorithms --name report --summarize       # tables and plot from the files
    python -m benchmarks.experiments.compare_algorithms --full --device cuda ...        # the GPU size
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from benchmarks.common import RESULTS, ROOT, write_result

RUNS = RESULTS / "compare_algorithms_fmnist"
SPLITS = {
    "selection": "the search's validation images: a seeded, stratified split of the training subset "
    "(compare/ablations: 600 of 2,400 images at 14 px)",
    "report": "the 10,000 official Fashion-MNIST test images, after one fixed post-training on train + validation; "
    "no selection saw them",
}
METHODS = ("tsenas", "tsenas-stage1", "ga", "ga-tsenas-ops", "de", "random")
LABELS = {
    "tsenas": "TS-ENAS",
    "tsenas-stage1": "TS-ENAS stage 1 only",
    "ga": "GA (pymoo stock operators)",
    "ga-tsenas-ops": "GA with TS-ENAS operators",
    "de": "DE",
    "random": "random search (Alg. 3)",
}

#: The proxy. quick: 2 CPU cores (the reported table in under 3 hours); full: a GPU.
PROXIES = {
    "quick": {
        "dataset": "fashion-mnist",
        "train_subset": 2400,
        "val_fraction": 0.25,
        "resolution": 14,
        "init_channels": 8,
        "epochs": 2,
        "batch_size": 128,
        "lr": 0.1,
        "pop_size": 8,
        "fine_size": 4,
        "n_min": 3,
        "n_max": 6,
        "supernet_epochs": 2,
        "budget": 80,
        "post_epochs": 8,
    },
    "full": {
        "dataset": "fashion-mnist",
        "train_subset": None,
        "val_fraction": 0.1,
        "resolution": None,
        "init_channels": 16,
        "epochs": 5,
        "batch_size": 128,
        "lr": 0.1,
        "pop_size": 20,
        "fine_size": 6,
        "n_min": 4,
        "n_max": 8,
        "supernet_epochs": 5,
        "budget": 1500,
        "post_epochs": 30,
    },
}


#: TSENAS's variation settings, recorded with each run (frozen defaults included)
TSENAS_SETTINGS = (
    "reevaluate",
    "fine_cells",
    "mutate_offspring",
    "carry_connections",
    "remake_known",
    "alpha",
    "stage1_end",
    "single_point",
    "fine_kinds",
    "prune",
)


def supernet_cost(evaluator, n_min: int, n_max: int, samples: int = 32) -> dict:
    """FLOPs per image of the SuperNet's forward against the mean of Alg. 3 networks:
    the factor one SuperNet epoch is charged in network-epochs."""
    import torch

    from tsenas_pymoo.evaluation.supernet import SuperNet
    from tsenas_pymoo.operators.sampling import sample_genome
    from tsenas_pymoo.space.network import build_network, count_flops

    rng = np.random.default_rng(12345)
    shape = evaluator.input_shape
    flops = [
        count_flops(
            build_network(
                sample_genome(rng, n_min, n_max, shape), shape, evaluator.num_classes, evaluator.init_channels
            ),
            shape,
        )
        for _ in range(samples)
    ]
    with torch.random.fork_rng(devices=[]):
        supernet = SuperNet(shape, evaluator.num_classes, evaluator.init_channels)
    sn = count_flops(supernet, shape)
    return {"supernet_flops": sn, "mean_network_flops": float(np.mean(flops)), "factor": sn / float(np.mean(flops))}


def _algorithm(method: str, proxy: dict, problem, options: dict, supernet_units: float):
    from pymoo.algorithms.soo.nonconvex.de import DE
    from pymoo.algorithms.soo.nonconvex.ga import GA
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.operators.sampling.rnd import IntegerRandomSampling

    from tsenas_pymoo import (
        TSENAS,
        CellCrossover,
        CellMutation,
        GenomeDuplicateElimination,
        GenomeRepair,
        TSENASSampling,
    )
    from tsenas_pymoo.search.options import tsenas_keywords

    P, e, B = proxy["pop_size"], proxy["epochs"], proxy["budget"]
    if method == "tsenas":
        # about 60 % of what the SuperNet and the initial population leave goes to stage 1
        stage1 = max(1, int(round(0.6 * (B - supernet_units - P * e) / (P * e))))
        return TSENAS(
            pop_size=P,
            fine_size=proxy["fine_size"],
            stage1_gens=stage1,
            stage2_gens=10**6,
            **tsenas_keywords(**options),
        )
    if method == "tsenas-stage1":
        return TSENAS(**tsenas_keywords(pop_size=P, fine_size=1, stage1_gens=10**6, stage2_gens=0, **options))
    if method == "ga":
        return GA(
            pop_size=P,
            sampling=IntegerRandomSampling(),
            repair=GenomeRepair(),
            crossover=SBX(prob=0.9, eta=3.0, vtype=float, repair=RoundingRepair()),
            mutation=PM(eta=3.0, vtype=float, repair=RoundingRepair()),
        )
    if method == "ga-tsenas-ops":
        return GA(
            pop_size=P,
            sampling=TSENASSampling(),
            crossover=CellCrossover(prob=0.8),
            mutation=CellMutation(prob=0.2),
            eliminate_duplicates=GenomeDuplicateElimination(problem.decode),
        )
    if method == "de":
        return DE(pop_size=P, repair=GenomeRepair())
    raise ValueError(f"method={method!r}; rule: one of {', '.join(METHODS)}")


def run_one(
    method: str,
    seed: int,
    proxy: dict,
    options: dict | None = None,
    device: str | None = None,
    threads: int | None = None,
) -> dict:
    """One (method, seed) run: search within the budget, then the fixed post-training."""
    from pymoo.optimize import minimize

    from tsenas_pymoo import TorchEvaluator, TSENASProblem
    from tsenas_pymoo.evaluation import load_dataset
    from tsenas_pymoo.final import train_final
    from tsenas_pymoo.operators.sampling import sample_genome
    from tsenas_pymoo.search.budget import ComputeMeter

    if threads:
        from tsenas_pymoo.threads import set_threads

        set_threads(threads, wait_policy="default")  # as asked; the evaluator then leaves it
    settings = dict(options or {})  # recorded as given
    options = dict(settings)
    data = load_dataset(
        proxy["dataset"],
        train_subset=proxy["train_subset"],
        resolution=proxy["resolution"],
        val_fraction=proxy["val_fraction"],
    )
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        ours = method.startswith("tsenas")
        evaluator = TorchEvaluator(
            data,
            epochs=proxy["epochs"],
            init_channels=proxy["init_channels"],
            batch_size=proxy["batch_size"],
            lr=proxy["lr"],
            device=device,
            seed=seed,
            store=Path(tmp) / "store" if ours else None,
            archive=Path(tmp) / "a.sqlite",
            inheritance=options.pop("inheritance", "lineage") if ours else "none",
        )
        supernet = {"factor": 0.0, "units": 0.0}
        if ours and proxy["supernet_epochs"] and evaluator.store is not None:
            supernet = supernet_cost(evaluator, proxy["n_min"], proxy["n_max"])
            supernet["units"] = proxy["supernet_epochs"] * supernet["factor"]
            evaluator.train_supernet(epochs=proxy["supernet_epochs"])
        meter = ComputeMeter(evaluator, proxy["budget"], used=supernet["units"])
        problem = TSENASProblem(meter, n_min=proxy["n_min"], n_max=proxy["n_max"])
        settled = {"inheritance": evaluator.inheritance}  # what the method ran with, defaults included
        if method == "random":
            rng = np.random.default_rng(seed)
            while meter.used < meter.budget:
                meter(sample_genome(rng, proxy["n_min"], proxy["n_max"], problem.input_shape))
        else:
            algorithm = _algorithm(method, proxy, problem, options, supernet["units"])
            minimize(problem, algorithm, meter.termination(), seed=seed)
            # TS-ENAS's settings sit on it, its options, its crossover (carry_connections) and survival (alpha)
            holders = [algorithm] + [getattr(algorithm, h, None) for h in ("options", "crossover", "survival")]
            settled.update({k: getattr(h, k) for k in TSENAS_SETTINGS for h in holders if hasattr(h, k)})
            if hasattr(algorithm, "options"):
                settled["mutation_kinds"] = algorithm.mutation.kinds
        search_s = time.perf_counter() - start
        best_acc, best = meter.best
        post = train_final(
            best,
            data,
            epochs=proxy["post_epochs"],
            init_channels=proxy["init_channels"],
            batch_size=proxy["batch_size"],
            lr=proxy["lr"],
            seed=0,
            device=device,
            augment="none",
        )
    return {
        "method": method,
        "seed": seed,
        "options": settings,
        "settings": settled,
        "proxy": proxy,
        "budget": proxy["budget"],
        "compute_used": meter.used,
        "supernet": supernet,
        "trained": evaluator.trained,
        "archive_hits": evaluator.archive_hits,
        "curve": meter.curve,
        "best_genome": best.key(),
        "best_val_accuracy": best_acc,
        "test_accuracy": post["test_accuracy"],
        "params": post["params"],
        "flops": post["flops"],
        "search_s": search_s,
        "post_s": post["seconds"],
        "data": {k: v for k, v in data.settings().items() if k not in ("mean", "std")},
    }


def run_file(name: str, method: str, seed: int, tag: str = "") -> Path:
    return RUNS / name / f"{method}{'-' + tag if tag else ''}-seed{seed}.json"


def campaign(name, methods, seeds, proxy, options, tag, device, workers) -> None:
    todo = [(m, s) for s in seeds for m in methods if not run_file(name, m, s, tag).exists()]
    print(f"{len(todo)} runs to do ({len(methods) * len(seeds) - len(todo)} done)", flush=True)
    if not todo:
        return

    def save(result):
        path = run_file(name, result["method"], result["seed"], tag)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(dict(result, tag=tag), indent=1))
        tmp.replace(path)
        print(
            f"{result['method']:14s} seed {result['seed']:3d}: val {result['best_val_accuracy']:.4f} "
            f"test {result['test_accuracy']:.4f} ({result['trained']} trained, {result['compute_used']:.1f} units, "
            f"{result['search_s']:.0f}+{result['post_s']:.0f} s)",
            flush=True,
        )

    if not workers:
        for method, seed in todo:
            save(run_one(method, seed, proxy, options.get(method), device))
        return
    from distributed import Client, LocalCluster, as_completed

    from tsenas_pymoo.evaluation.allocator import keeping_freed_memory  # Dask's malloc setting doubles CPU

    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        futures = [
            client.submit(keeping_freed_memory, run_one, m, s, proxy, options.get(m), device, 1, pure=False)
            for m, s in todo
        ]
        for future in as_completed(futures):
            save(future.result())


# -- summary ----------------------------------------------------------------------------
def anytime(curve, grid):
    """Best validation accuracy reached at each compute value of ``grid``."""
    used = [c for c, _, _ in curve]
    best = [b for _, b, _ in curve]
    out = []
    for g in grid:
        i = np.searchsorted(used, g, side="right")
        out.append(best[i - 1] if i > 0 else np.nan)
    return out


def summarize(name: str, tag: str = "", methods=METHODS) -> dict:
    from scipy.stats import mannwhitneyu

    runs = {m: [r for _, r in sorted(load_runs(name, m, tag).items())] for m in methods}
    runs = {m: r for m, r in runs.items() if r}
    budget = next(iter(runs.values()))[0]["budget"]
    grid = np.linspace(0, budget, 101)
    random_final = statistics.median(r["best_val_accuracy"] for r in runs["random"]) if "random" in runs else None
    table = {}
    for m, rs in runs.items():
        test = [r["test_accuracy"] for r in rs]
        val = [r["best_val_accuracy"] for r in rs]
        curves = np.array([anytime(r["curve"], grid) for r in rs])
        reach = [
            next((c for c, b, _ in r["curve"] if random_final is not None and b >= random_final), None) for r in rs
        ]
        with warnings.catch_warnings():  # NaN columns before a method's first result
            warnings.simplefilter("ignore", RuntimeWarning)
            bands = {
                "curve_median": np.nanmedian(curves, 0).tolist(),
                "curve_q25": np.nanpercentile(curves, 25, 0).tolist(),
                "curve_q75": np.nanpercentile(curves, 75, 0).tolist(),
            }
        row = {
            "label": LABELS.get(m, m),
            "seeds": [r["seed"] for r in rs],
            "test_median": statistics.median(test),
            "test_q25": float(np.percentile(test, 25)),
            "test_q75": float(np.percentile(test, 75)),
            "val_median": statistics.median(val),
            "val_q25": float(np.percentile(val, 25)),
            "val_q75": float(np.percentile(val, 75)),
            "params_median": statistics.median(r["params"] for r in rs),
            "flops_median": statistics.median(r["flops"] for r in rs),
            "trained_median": statistics.median(r["trained"] for r in rs),
            "search_s_median": statistics.median(r["search_s"] for r in rs),
            "compute_to_random_final": reach,
            "compute_to_random_final_median": statistics.median([c if c is not None else float("inf") for c in reach]),
            **bands,
        }
        if m != "tsenas" and "tsenas" in runs:
            row["p_tsenas_greater_test"] = float(
                mannwhitneyu([r["test_accuracy"] for r in runs["tsenas"]], test, alternative="greater").pvalue
            )
            row["p_tsenas_greater_val"] = float(
                mannwhitneyu([r["best_val_accuracy"] for r in runs["tsenas"]], val, alternative="greater").pvalue
            )
        table[m] = row
    out = {
        "name": name,
        "tag": tag,
        "budget_network_epochs": budget,
        "grid": grid.tolist(),
        "random_final_val_median": random_final,
        "proxy": next(iter(runs.values()))[0]["proxy"],
        "methods": table,
    }
    if "tsenas" in table:
        ts = table["tsenas"]
        out["goal"] = {
            "highest_median_test": all(ts["test_median"] >= r["test_median"] for r in table.values()),
            "p_vs_random": table.get("random", {}).get("p_tsenas_greater_test"),
            "half_budget_to_random_final": ts["compute_to_random_final_median"] <= budget / 2,
        }
    path = RESULTS / f"compare_algorithms_fmnist_{name}{'_' + tag if tag else ''}.json"
    write_result(path, {**out, "splits": SPLITS})
    plot(out, ROOT / "plots" / path.with_suffix(".png").name)
    for r in table.values():
        print(
            f"{r['label']:28s} test {r['test_median']:.4f} [{r['test_q25']:.4f}, {r['test_q75']:.4f}]  "
            f"val {r['val_median']:.4f}  to random's final {r['compute_to_random_final_median']}"
            + (f"  p={r['p_tsenas_greater_test']:.3f}" if "p_tsenas_greater_test" in r else "")
        )
    return out


def load_runs(name: str, method: str = "tsenas", tag: str = "") -> dict:
    """seed -> run file of (method, tag) in campaign ``name``."""
    files = (RUNS / name).glob(f"{method}{'-' + tag if tag else ''}-seed*.json")
    return {r["seed"]: r for r in (json.loads(f.read_text()) for f in files)}


def paired_table(
    name: str, tags, base_tag: str = "", method: str = "tsenas", seeds=None, base_label: str = "base"
) -> dict:
    """Each variant (tag) of ``method`` against its base run seed by seed: median and
    quartiles, paired test-accuracy differences and the Wilcoxon signed-rank p-value
    (``seeds``: only these, for base and variants alike)."""
    from scipy.stats import wilcoxon

    def row(runs):
        test = [r["test_accuracy"] for r in runs.values()]
        return {
            "seeds": sorted(runs),
            "options": next(iter(runs.values()))["options"],
            "test_median": statistics.median(test),
            "test_q25": float(np.percentile(test, 25)),
            "test_q75": float(np.percentile(test, 75)),
            "val_median": statistics.median(r["best_val_accuracy"] for r in runs.values()),
            "trained_median": statistics.median(r["trained"] for r in runs.values()),
            "search_s_median": statistics.median(r["search_s"] for r in runs.values()),
        }

    def load(tag):
        return {s: r for s, r in load_runs(name, method, tag).items() if seeds is None or s in seeds}

    base = load(base_tag)
    table = {base_label: row(base)}
    for tag in tags:
        runs = load(tag)
        if not runs:
            continue
        paired = sorted(set(runs) & set(base))
        diffs = [runs[s]["test_accuracy"] - base[s]["test_accuracy"] for s in paired]
        table[tag] = dict(
            row(runs),
            paired_seeds=paired,
            test_minus_base=diffs,
            test_minus_base_median=statistics.median(diffs) if diffs else None,
            p_wilcoxon=float(wilcoxon(diffs).pvalue) if len(diffs) >= 5 and any(diffs) else None,
        )
    return table


def summarize_variants(name: str, tags, base_tag: str = "", write: bool = True) -> dict:
    """TS-ENAS variants (``--option ... --tag T`` campaigns) against the base runs:
    benchmarks/results/compare_algorithms_fmnist_<name>_variants.json (``write``)."""
    table = paired_table(name, tags, base_tag)
    if write:
        path = RESULTS / f"compare_algorithms_fmnist_{name}_variants.json"
        write_result(path, {"splits": SPLITS, "name": name, "base_tag": base_tag, "table": table})
    for tag, r in table.items():
        print(
            f"{tag:12s} {json.dumps(r['options']):40s} test {r['test_median']:.4f} "
            f"[{r['test_q25']:.4f}, {r['test_q75']:.4f}]"
            + (
                f"  minus base {r['test_minus_base_median']:+.4f} (p={r['p_wilcoxon']})"
                if r.get("test_minus_base_median") is not None
                else ""
            )
        )
    return table


def plot(out: dict, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.3))
    ax = fig.subplots()
    grid = np.array(out["grid"])
    for r in out["methods"].values():
        (line,) = ax.plot(grid, r["curve_median"], lw=2, label=r["label"])
        ax.fill_between(grid, r["curve_q25"], r["curve_q75"], color=line.get_color(), alpha=0.15)
    if out["random_final_val_median"] is not None:
        ax.axhline(out["random_final_val_median"], color="gray", ls=":", lw=1)
    ax.set_xlabel("compute used (network-epochs; SuperNet weighted by FLOPs)")
    ax.set_ylabel("best validation accuracy")
    n = len(next(iter(out["methods"].values()))["seeds"])
    ax.set_title(f"Fashion-MNIST proxy, {n} seeds: median (band: quartiles)", fontsize=10)
    lows = [np.nanmin(r["curve_q25"][len(grid) // 3 :]) for r in out["methods"].values()]
    ax.set_ylim(min(lows) - 0.01, None)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def _seeds(specs) -> list[int]:
    seeds = []
    for spec in specs:
        lo, _, hi = str(spec).partition("-")
        seeds += list(range(int(lo), int(hi) + 1)) if hi else [int(lo)]
    return seeds


def _options(pairs) -> dict:
    """key=value pairs for the TS-ENAS methods (values parsed as JSON when they can be)."""
    out = {}
    for pair in pairs or []:
        key, _, value = pair.partition("=")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="dev", help="campaign folder under results/compare_algorithms_fmnist/")
    parser.add_argument("--seeds", nargs="+", default=["0-4"], help="seeds or ranges (0-4)")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--option", nargs="*", help="TS-ENAS settings for this campaign, key=value")
    parser.add_argument("--tag", default="", help="names a variant's files (with --option)")
    parser.add_argument("--full", action="store_true", help="the GPU-sized proxy")
    parser.add_argument("--budget", type=float, default=None)
    parser.add_argument("--device", default=None)
    parser.add_argument("--workers", type=int, default=0, help="run (method, seed) pairs on N Dask processes")
    parser.add_argument("--summarize", action="store_true", help="only aggregate the files")
    parser.add_argument("--variants", nargs="+", help="summarize these TS-ENAS tags against the untagged runs")
    args = parser.parse_args(argv)
    proxy = dict(PROXIES["full" if args.full else "quick"])
    if args.budget:
        proxy["budget"] = args.budget
    if args.variants:
        return summarize_variants(args.name, args.variants, args.tag)
    if not args.summarize:
        ts_options = _options(args.option)
        options = dict.fromkeys(("tsenas", "tsenas-stage1"), ts_options)
        campaign(args.name, args.methods, _seeds(args.seeds), proxy, options, args.tag, args.device, args.workers)
    if args.tag:  # a variant: against the untagged runs (the file: --variants TAG ...)
        return summarize_variants(args.name, [args.tag], write=False)
    return summarize(args.name, "", args.methods)


if __name__ == "__main__":
    main()
