"""Searches compared with real training, as a user swaps them, under a preset (Fashion-MNIST).

Every method runs as ``tsenas search --preset P --algorithm M --budget B --budget-unit
mmac-epochs --rescore-top K`` does (``SearchRun``, one run directory each):

* methods (``METHODS``): TS-ENAS (both stages, SuperNet, lineage inheritance), pymoo's
  mixed-variable GA, DE, regularized evolution and random search (Alg. 3 samples), each
  at its defaults (pymoo's, the paper's, the package's as set before this campaign):
  no tuning for anyone;
* budget: million MAC-epochs, every training charged its MACs per image times its
  epochs, TS-ENAS's SuperNet the same way (``--budget-networks`` times the cost of the
  mean Alg. 3 network under the preset, ``budget_for``), so a method that prefers large
  networks pays for them;
* final pick: re-scored for every method alike (the top ``--rescore-top`` of the last
  population, each trained from scratch ``--rescore-seeds`` times; best mean validation);
* report: each pick trained under the fidelity study's target protocol (10,000 images at
  28 px, 10 epochs, scored on the 10,000 official test images, which no selection saw)
  with seeds 0, 1 and 2; a run's result is their mean. Target trainings are shared with
  the fidelity study's records (same protocol, same seeds) and cached in ``post.jsonl``.

``--summarize``: per method the median and quartiles; Kruskal-Wallis, then each method
against TS-ENAS by two-sided Mann-Whitney with Holm's correction, Hodges-Lehmann shifts and
Cliff's deltas with bootstrap intervals (``tsenas_pymoo.analysis.comparison``); the smallest
difference the campaign could detect; the goal (TS-ENAS's median highest, Holm p < 0.05
against random search). ``--plan``: the seeds a power analysis asks for, from the
fidelity study's noise. Report seeds are 300 and up (never used before).

    python -m benchmarks.experiments.compare_real --preset cpu --plan          # results/compare_real_plan.json
    python -m benchmarks.experiments.compare_real --preset cpu --seeds 300-309 --workers 2   # resumes
    python -m benchmarks.experiments.compare_real --summarize
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from benchmarks.common import PLOTS, RESULTS, append_record, read_records, run_tasks, spread, write_result

HERE = Path(__file__).resolve().parent

FOLDER = RESULTS / "compare_real"
RUNS = FOLDER / "records.jsonl"  # one line per (method, seed) search
POST = FOLDER / "post.jsonl"  # one line per (genome, seed) target training
RUN_DIRS = HERE.parents[1] / "runs" / "compare_real"  # run directories (not committed; a cut run resumes)
METHODS = ("tsenas", "ga", "de", "re", "random")
POST_SEEDS = (0, 1, 2)
SPLITS = {
    "selection": "each search's validation images (the preset's pool); re-scoring on the same",
    "report": "the 10,000 official Fashion-MNIST test images after the fidelity study's target training "
    "(10,000 images, 28 px, 10 epochs), mean of seeds 0, 1, 2; no selection saw them",
}


def _seeds(spec: str) -> list[int]:
    first, _, last = spec.partition("-")
    return list(range(int(first), int(last or first) + 1))


def budget_for(settings: dict, networks: int, samples: int = 64) -> int:
    """Million MAC-epochs of ``networks`` trainings of the mean Alg. 3 network under
    ``settings`` (its data's input shape, width and epochs)."""
    from tsenas_pymoo.config import SearchConfig
    from tsenas_pymoo.operators.sampling import sample_genome
    from tsenas_pymoo.space.cost import cost_by_parts

    config = SearchConfig(**settings)
    data = config.load_data()
    rng = np.random.default_rng(0)
    macs = [
        cost_by_parts(
            sample_genome(rng, config.n_min, config.n_max, data.input_shape),
            data.input_shape,
            data.num_classes,
            config.init_channels,
        )["macs"]
        for _ in range(samples)
    ]
    return int(np.ceil(networks * float(np.mean(macs)) * config.epochs / 1e6))


def schedule(method: str, networks: int, pop_size: int) -> dict:
    """A method's generations: the budget ends every method; TS-ENAS gives about 60 % of
    what its initial population leaves to stage 1 and runs stage 2 until the budget ends
    (as the earlier comparison did); the others run generations of ``pop_size`` until it ends."""
    if method != "tsenas":
        return {"pop_size": pop_size, "stage1_gens": 10**6, "stage2_gens": 0}
    stage1 = max(1, round(0.6 * (networks - pop_size) / pop_size))
    return {"pop_size": pop_size, "stage1_gens": stage1, "stage2_gens": 10**6}


def search_task(method: str, seed: int, settings: dict) -> dict:
    """One (method, seed) search in its run directory (resumed if cut); its record."""
    from tsenas_pymoo import __version__
    from tsenas_pymoo.config import SearchConfig
    from tsenas_pymoo.run import SearchRun

    run_dir = Path(settings.pop("run_root", RUN_DIRS)) / f"{method}-seed{seed}"
    start = time.perf_counter()
    if (run_dir / "config.json").exists():
        summary = SearchRun.resume(run_dir, progress=False).run()
    else:
        summary = SearchRun(run_dir, SearchConfig(**settings, algorithm=method, seed=seed), progress=False).run()
    rescore = summary.get("rescore") or {}
    return {
        "method": method,
        "seed": seed,
        "pick": summary["best_genome"],
        "search_pick": summary["search_pick"],
        "best_val_accuracy": summary["best_val_accuracy"],
        "compute": summary["compute"],
        "rescore_mmac_epochs": rescore.get("mmac_epochs", 0.0),
        "rescore": [{k: c[k] for k in ("key", "mean", "sd")} for c in rescore.get("candidates", [])],
        "seconds": time.perf_counter() - start,
        "settings": settings,
        "version": __version__,
    }


def post_task(key: str, seed: int) -> dict:
    """The fidelity study's target training of ``key`` with ``seed``: its record."""
    from benchmarks.experiments.fidelity import run_task

    return run_task(key, "target", seed)


def post_results() -> dict[tuple[str, int], float]:
    """(genome key, seed) -> test accuracy, from this campaign's and the fidelity study's
    target trainings."""
    from benchmarks.experiments.fidelity import RECORDS as FIDELITY

    rows = read_records(POST) + [r for r in read_records(FIDELITY) if r["setting"] == "target"]
    return {(r["key"], r["seed"]): r["accuracy"]["test"] for r in rows}


def _call(function, *args):
    return function(*args)


def campaign(methods, seeds, settings: dict, workers: int) -> None:
    """The searches, and the target trainings of each pick as its search lands (queued
    behind the searches, so they fill the cores the last searches leave); both resume."""
    runs = read_records(RUNS)
    done = {(r["method"], r["seed"]) for r in runs}
    networks, pop_size = settings.pop("networks"), settings.pop("pop_size")
    todo = [
        (search_task, m, s, dict(settings, **schedule(m, networks, pop_size)))
        for s in seeds
        for m in methods
        if (m, s) not in done
    ]
    queued = set(post_results())

    def trainings(pick: str) -> list[tuple]:
        new = [(pick, s) for s in POST_SEEDS if (pick, s) not in queued]
        queued.update(new)
        return [(post_task, *task) for task in new]

    picks = dict.fromkeys(r["pick"] for r in runs if r["method"] in methods and r["seed"] in seeds)
    todo += [task for pick in picks for task in trainings(pick)]

    def keep(record, bar):
        append_record(RUNS if "method" in record else POST, record)

    def follow_up(record):
        return trainings(record["pick"]) if "method" in record else []

    run_tasks(_call, todo, workers, keep, desc="searches and target trainings", follow_up=follow_up)


# -- summary ----------------------------------------------------------------------------
def summarize(runs: list[dict], post: dict[tuple[str, int], float]) -> dict:
    """Per method: the runs whose pick has all its target trainings, their mean test
    accuracy, compute and seconds; the tests against TS-ENAS; the goal."""
    from tsenas_pymoo.analysis.comparison import compare_groups, detectable_shift

    scored = []
    for r in runs:
        accs = [post.get((r["pick"], s)) for s in POST_SEEDS]
        if None not in accs:
            scored.append(dict(r, test=float(np.mean(accs)), test_seeds=accs))
    methods = [m for m in METHODS if any(r["method"] == m for r in scored)]
    groups = {m: [r["test"] for r in scored if r["method"] == m] for m in methods}
    out = {
        "methods": {
            m: {
                "runs": len(groups[m]),
                "test_accuracy": spread(groups[m]),
                # the noise beside it: the SD of one pick's target trainings over seeds 0-2
                "target_seed_sd": float(
                    np.median([np.std(r["test_seeds"], ddof=1) for r in scored if r["method"] == m])
                ),
                "val_accuracy": spread([r["best_val_accuracy"] for r in scored if r["method"] == m]),
                "mmac_epochs": spread(
                    [r["compute"]["mmac_epochs"] + r["rescore_mmac_epochs"] for r in scored if r["method"] == m]
                ),
                "networks": spread([r["compute"]["networks"] for r in scored if r["method"] == m]),
                "seconds": spread([r["seconds"] for r in scored if r["method"] == m]),
                "rescore_changed_pick": sum(r["pick"] != r["search_pick"] for r in scored if r["method"] == m),
            }
            for m in methods
        }
    }
    out["pick_fidelity"] = pick_fidelity(scored)
    if len(methods) > 1 and all(len(v) >= 2 for v in groups.values()):
        tests = compare_groups(groups, control="tsenas" if "tsenas" in methods else None)
        sd = float(np.median([np.std(v, ddof=1) for v in groups.values()]))
        n = min(len(v) for v in groups.values())
        out["tests"] = tests
        out["detectable_shift"] = {
            "shift": _finite(detectable_shift(n, sd, comparisons=len(methods) - 1)) if sd > 0 else None,
            "seeds": n,
            "sd": sd,
            "rule": "two-sided Mann-Whitney, alpha 0.05 over the comparisons (Bonferroni), power 0.8, "
            "the median per-method SD; null: the exact test cannot reach that level with these seeds",
        }
        if "tsenas" in methods:
            out["goal"] = goal(out["methods"], tests)
    return out


def pick_fidelity(scored: list[dict]) -> dict | None:
    """How well what chose each pick ranks the picks on the target: Kendall tau (scipy) of
    the pick's re-score mean, and of the search's best validation accuracy, against its
    target test accuracy, over every scored run (all methods pooled)."""
    from scipy.stats import kendalltau

    rows = [
        (c["mean"], r["best_val_accuracy"], r["test"])
        for r in scored
        for c in r.get("rescore", [])
        if c["key"] == r["pick"]
    ]
    if len(rows) < 4:
        return None
    rescore, val, test = map(list, zip(*rows))
    taus = {name: kendalltau(x, test) for name, x in (("rescore_mean", rescore), ("search_best_val", val))}
    return {
        "picks": len(rows),
        **{f"tau_{name}": {"tau": float(t.statistic), "p": float(t.pvalue)} for name, t in taus.items()},
        "test_sd_over_picks": float(np.std(test, ddof=1)),
    }


def goal(per_method: dict, tests: dict) -> dict:
    """TS-ENAS's median test accuracy the highest of all methods, and Holm-corrected
    p < 0.05 against random search."""
    ours = per_method["tsenas"]["test_accuracy"]["median"]
    higher = {m: ours > v["test_accuracy"]["median"] for m, v in per_method.items() if m != "tsenas"}
    p = {pair["b"]: pair["p_holm"] for pair in tests["pairs"]}
    return {
        "highest_median": all(higher.values()),
        "higher_than": higher,
        "holm_p_vs_random": p.get("random"),
        "met": all(higher.values()) and p.get("random", 1.0) < 0.05,
    }


def _finite(shift: float) -> float | None:
    """A detectable shift for JSON: None where no shift is detectable (the exact test's floor)."""
    return shift if np.isfinite(shift) else None


def plan(settings: dict, fidelity_path: Path, hours: float = 5.0, cores: int = 2) -> dict:
    """Seeds per method a power analysis asks for, from the fidelity study's noise, and the
    seeds ``hours`` of a ``cores``-core machine afford. A run's result is the mean of 3
    target trainings of one pick, so its SD is at least the target's seed SD over sqrt(3)
    and at most that plus the architecture SD. A run costs its search (``networks``
    trainings and the re-scoring's, at the CPU seconds of the study's chosen proxy, which
    the cpu preset is) and 3 target trainings (the study's median), one thread each."""
    from tsenas_pymoo.analysis.comparison import detectable_shift, fewest_seeds, seeds_needed

    study = json.loads(fidelity_path.read_text())
    target = study["target"]["repeatability"]
    low = target["seed_sd"] / np.sqrt(len(POST_SEEDS))
    high = float(np.hypot(low, target["architecture_sd"]))
    comparisons = len(METHODS) - 1
    trainings = settings["networks"] + settings["rescore_top"] * settings["rescore_seeds"]
    run_s = trainings * study["choice"]["seconds"] + len(POST_SEEDS) * study["target"]["seconds_median"]
    affordable = int(hours * cores * 3600 // (len(METHODS) * run_s))
    fewest = fewest_seeds(comparisons=comparisons)  # the exact test's floor, whatever the shift
    chosen = max(affordable, fewest)
    return {
        "sd_range": [float(low), high],
        "seeds_needed": {
            str(shift): [seeds_needed(shift, sd, comparisons=comparisons) for sd in (low, high)]
            for shift in (0.002, 0.005, 0.01)
        },
        "detectable_with_10_seeds": [detectable_shift(10, sd, comparisons=comparisons) for sd in (low, high)],
        "fewest_seeds_exact_test": fewest,
        "cost": {
            "cpu_s_per_run": run_s,
            "search_share": trainings * study["choice"]["seconds"] / run_s,
            "hours": hours,
            "cores": cores,
            "seeds_affordable": affordable,
            "seeds_chosen": chosen,
            "hours_chosen": chosen * len(METHODS) * run_s / cores / 3600,
            "rule": "the seeds the hours afford, but never fewer than the exact test needs to reach "
            "alpha 0.05 over the comparisons at all",
            "detectable_with_affordable": (
                [_finite(detectable_shift(affordable, sd, comparisons=comparisons)) for sd in (low, high)]
                if affordable >= 2
                else None
            ),
        },
        "settings": settings,
    }


NAMES = {
    "tsenas": "TS-ENAS",
    "ga": "GA (pymoo mixed-variable)",
    "de": "DE",
    "re": "regularized evolution",
    "random": "random search",
}


def table(summary: dict) -> str:
    """The summary as the Markdown table docs/results.md shows (printed by --summarize)."""
    pairs = {pair["b"]: pair for pair in summary.get("tests", {}).get("pairs", [])}
    lines = [
        "| method | runs | test accuracy, median [IQR] | seed SD | TS-ENAS minus it (HL) [95 % CI] "
        "| Cliff's delta [95 % CI] | Holm p | million MAC-epochs |",
        "| --- | ---: | --- | ---: | --- | --- | ---: | ---: |",
    ]
    for m, v in summary["methods"].items():
        acc, pair = v["test_accuracy"], pairs.get(m)
        versus = (
            f"{pair['shift']:+.4f} [{pair['shift_ci95'][0]:+.4f}, {pair['shift_ci95'][1]:+.4f}] "
            f"| {pair['cliffs_delta']:+.2f} [{pair['cliffs_delta_ci95'][0]:+.2f}, {pair['cliffs_delta_ci95'][1]:+.2f}] "
            f"| {pair['p_holm']:.3f}"
            if pair
            else "- | - | -"
        )
        lines.append(
            f"| {NAMES.get(m, m)} | {v['runs']} | {acc['median']:.4f} [{acc['q1']:.4f}, {acc['q3']:.4f}] "
            f"| {v['target_seed_sd']:.4f} | {versus} | {v['mmac_epochs']['median']:.0f} |"
        )
    return "\n".join(lines)


def plot(summary: dict, runs: list[dict], post: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(summary["methods"])
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, m in enumerate(methods):
        values = [
            np.mean([post[(r["pick"], s)] for s in POST_SEEDS])
            for r in runs
            if r["method"] == m and all((r["pick"], s) in post for s in POST_SEEDS)
        ]
        ax.boxplot(values, positions=[i], widths=0.5, showfliers=False)
        ax.scatter(np.full(len(values), i) + np.linspace(-0.15, 0.15, len(values)), values, s=12, alpha=0.7)
    ax.set_xticks(range(len(methods)), [NAMES.get(m, m).split(" (")[0] for m in methods], fontsize=8)
    ax.set_ylabel("test accuracy of the pick (mean of 3 target trainings)")
    ax.set_title("Searches at equal compute (million MAC-epochs), real training")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="cpu", help="the preset every search runs under")
    parser.add_argument("--seeds", default="300-309", help="FIRST-LAST report seeds")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--budget-networks", type=int, default=100, help="budget: this many mean Alg. 3 trainings")
    parser.add_argument("--pop-size", type=int, default=10, help="P of every method (S: the preset's default)")
    parser.add_argument("--rescore-top", type=int, default=3)
    parser.add_argument("--rescore-seeds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes, one thread each")
    parser.add_argument("--plan", action="store_true", help="the seeds a power analysis asks for and --hours afford")
    parser.add_argument("--hours", type=float, default=5.0, help="--plan: hours of this machine the campaign may take")
    parser.add_argument("--summarize", action="store_true", help="results/compare_real.json and the plot")
    args = parser.parse_args(argv)
    if args.summarize:
        runs, post = read_records(RUNS), post_results()
        summary = {
            "benchmark": "compare_real",
            "command": "python -m benchmarks.experiments.compare_real --summarize",
            "splits": SPLITS,
            "seeds": sorted({r["seed"] for r in runs}),
            "settings": runs[0]["settings"] if runs else None,
            **summarize(runs, post),
        }
        write_result(RESULTS / "compare_real.json", summary)
        plot(summary, runs, post, PLOTS / "compare_real.png")
        print(json.dumps({k: summary.get(k) for k in ("goal", "detectable_shift", "pick_fidelity")}, indent=1))
        print(table(summary))
        return
    settings = {
        "preset": args.preset,
        "rescore_top": args.rescore_top,
        "rescore_seeds": args.rescore_seeds,
        "budget_unit": "mmac-epochs",
        "final_epochs": 1,  # the report trains the pick under the target protocol instead
        "threads": 1,
    }
    settings["budget"] = budget_for(settings, args.budget_networks)
    settings.update(networks=args.budget_networks, pop_size=args.pop_size)
    if args.plan:
        planned = {
            "benchmark": "compare_real_plan",
            "command": f"python -m benchmarks.experiments.compare_real --preset {args.preset} --plan",
            "splits": SPLITS,
            **plan(settings, RESULTS / "fidelity.json", args.hours, len(os.sched_getaffinity(0))),
        }
        write_result(RESULTS / "compare_real_plan.json", planned)
        print(json.dumps(planned, indent=1))
        return
    campaign(args.methods, _seeds(args.seeds), settings, args.workers)


if __name__ == "__main__":
    main()
