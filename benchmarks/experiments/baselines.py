"""A Table III/IV-style comparison: the best network of a search beside hand-designed
baselines built from our ops, all trained by the search's own final recipe.

Baselines: a small pre-activation ResNet (three stages of two residual blocks of
ReLU-conv3x3-BN, factorized-reduce shortcuts) and a stack of DARTS cells (the DARTS
normal/reduction genotypes of Table II, N = 8 with two reductions). Every model goes
through ``tsenas_pymoo.final.fit_and_test`` (what ``train_final`` runs at the end of a
search) with the run's ``config.json`` settings: learning rate, batch, final
augmentation, cutout, label smoothing, and the run's torch thread count (CPU float sums
depend on it); ``--epochs`` (default: the run's final epochs) and the data (default: the
run's; ``--full-data`` takes the data set in full, at full resolution). ``--match-params``
builds each baseline at the initial width whose parameter count is closest to the
searched network's (Table III compares at similar size); without it all share one width.
Each model is trained for every ``--seeds``; the report gives each seed and the median, a
one-sided Mann-Whitney U p-value of the searched network against each baseline, params,
FLOPs and the run's search cost (0 for the hand-designed ones).
``--record METHOD:SEED`` takes the network instead from a search of the real comparison
(``compare_real.py``'s records, whose run directories are not kept): its pick, its
settings (the preset) and the package's final recipe (the campaign turned the runs' own
final training off), its search seconds.
Writes benchmarks/results/baselines[_<name>].json after every training: a cut-off
invocation resumes where it stopped (same setup), and invocations on other ``--seeds``
or ``--models`` (``--threads`` each) may run at once and share the file. An invocation
over all models writes the table (``complete: true``) for its own ``--seeds``; so once
the split ones end, one over every seed (it trains nothing already done) writes the whole
table.

    python -m benchmarks.experiments.baselines --run runs/search
    python -m benchmarks.experiments.baselines --run runs/fmnist --full-data --seeds 0 1 2 --match-params --name fmnist
    python -m benchmarks.experiments.baselines --record tsenas:300 --full-data --epochs 10 --seeds 0 1 2 \\
        --match-params --name table3
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
from pathlib import Path

import torch
from filelock import FileLock
from scipy.stats import mannwhitneyu

from benchmarks.common import RESULTS, read_records, write_result
from tsenas_pymoo.baselines import SEARCHED, SHORT, matched_widths, models
from tsenas_pymoo.evaluation import load_dataset
from tsenas_pymoo.final import fit_and_test
from tsenas_pymoo.genotype import load_genotype
from tsenas_pymoo.space.genome import genome_from_key

COMPARE_REAL = RESULTS / "compare_real" / "records.jsonl"

SPLITS = {
    "selection": "the searched network was selected on its search's validation images; the baselines are not selected",
    "report": "the 10,000 official Fashion-MNIST test images",
}


def recipe(config: dict, epochs: int | None) -> dict:
    """The final recipe of the run (what its own final training used)."""
    return {
        "epochs": epochs or config.get("final_epochs", 20),
        "batch_size": config.get("batch_size", 128),
        "lr": config.get("lr", 0.1),
        "augment": config.get("final_augment", "none"),
        "cutout": config.get("cutout", 0),
        "label_smoothing": config.get("label_smoothing", 0.0),
    }


def compare(
    genome,
    data,
    width,
    settings,
    seeds,
    device=None,
    search_seconds=0.0,
    done=None,
    on_run=None,
    only=None,
    progress=False,
) -> list[dict]:
    """Train every model (``only``: those names) for every seed. ``done``: {(model, seed):
    report} measured before (skipped: a campaign resumes); ``on_run(model, seed, report)``
    after each. Returns the table's rows, one per model trained."""
    done = dict(done or {})
    rows = []
    for name, build in models(genome, data.input_shape, data.num_classes, width).items():
        if only is not None and name not in only:
            continue
        for seed in seeds:
            if (name, seed) in done:
                continue
            torch.manual_seed(seed)
            done[name, seed] = report = fit_and_test(
                build(), data, seed=seed, device=device, progress=progress, **settings
            )
            print(f"{name:28s} seed {seed}: error {report['test_error']:.4f} ({report['seconds']:.0f} s)", flush=True)
            if on_run:
                on_run(name, seed, report)
        runs = [done[name, seed] for seed in seeds]
        errors = [r["test_error"] for r in runs]
        rows.append(
            {
                "model": name,
                "test_errors": errors,
                "test_error_median": statistics.median(errors),
                "params": runs[0]["params"],
                "flops": runs[0]["flops"],
                "seeds": list(seeds),
                "init_channels": width[name] if isinstance(width, dict) else width,
                "train_seconds": [r["seconds"] for r in runs],
                "search_seconds": search_seconds if name == SEARCHED else 0.0,
            }
        )
    return versus_searched(rows)


def versus_searched(rows: list[dict]) -> list[dict]:
    """Each baseline row gets the one-sided Mann-Whitney U p-value of "the searched
    network's test error is lower" over the seeds (3 seeds each: 0.05 at the smallest)."""
    searched = next((r for r in rows if r["model"] == SEARCHED), None)
    for row in rows:
        if searched is not None and row is not searched:
            row["p_searched_lower"] = float(
                mannwhitneyu(searched["test_errors"], row["test_errors"], alternative="less").pvalue
            )
    return rows


def run_source(run: Path) -> tuple:
    """(genome, config, search seconds) of a run directory written by ``tsenas search``."""
    genome, meta = load_genotype(run / "best_genotype.json")
    config = json.loads((run / "config.json").read_text())
    with __import__("sqlite3").connect(run / "archive.sqlite") as conn:
        search_seconds = conn.execute("SELECT SUM(seconds) FROM evaluations").fetchone()[0] or 0.0
    threads = ((config.get("thread_policy") or {}).get("driver") or {}).get("threads")
    return genome, dict(config, threads=threads, init_channels=meta["init_channels"]), search_seconds


def record_source(spec: str, path: Path = COMPARE_REAL) -> tuple:
    """(genome, config, search seconds) of the real comparison's search ``METHOD:SEED``:
    its pick, its settings with the package's final recipe, its seconds."""
    from tsenas_pymoo.config import SearchConfig

    method, _, seed = spec.partition(":")
    found = [r for r in read_records(path) if r["method"] == method and str(r["seed"]) == seed]
    if not found:
        raise SystemExit(f"--record {spec}: no such search in {path}; rule: METHOD:SEED of a recorded search")
    record = found[-1]
    settings = {k: v for k, v in record["settings"].items() if k != "final_epochs"}
    config = dataclasses.asdict(SearchConfig(**settings, algorithm=method, seed=record["seed"]))
    return genome_from_key(record["pick"]), config, record["seconds"]


def previous_runs(path: Path, setup: dict) -> dict:
    """The (model, seed) reports a cut-off invocation with the same setup wrote to ``path``."""
    if not path.exists():
        return {}
    old = json.loads(path.read_text())
    if any(old.get(k) != v for k, v in setup.items()):
        return {}
    return {(r["model"], r["seed"]): r["report"] for r in old.get("runs", [])}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", help="a run directory written by tsenas search")
    source.add_argument("--record", help="METHOD:SEED, a search of compare_real.py (its records)")
    parser.add_argument("--epochs", type=int, default=None, help="default: the run's final epochs")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--width", type=int, default=None, help="default: the run's init_channels")
    parser.add_argument(
        "--match-params",
        action="store_true",
        help="each baseline at the width closest to the searched network's parameter count",
    )
    parser.add_argument("--full-data", action="store_true", help="the data set in full, at full resolution")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads (default: the run's; two invocations on other --seeds share the file)",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=sorted(SHORT),
        default=sorted(SHORT),
        help="train only these (split a campaign over processes; the table needs all)",
    )
    parser.add_argument("--device", default=None)
    parser.add_argument("--name", default="")
    args = parser.parse_args(argv)
    genome, config, search_seconds = run_source(Path(args.run)) if args.run else record_source(args.record)
    proxy = (
        {} if args.full_data else {"train_subset": config.get("train_subset"), "resolution": config.get("resolution")}
    )
    data = load_dataset(config["dataset"], config.get("root"), seed=config["seed"], **proxy)
    width = args.width or config["init_channels"]
    if args.match_params:
        width = matched_widths(genome, data.input_shape, data.num_classes, width)
    settings = recipe(config, args.epochs)
    # the run's own torch thread count: CPU float sums, hence the trained weights, depend on it
    threads = args.threads or config.get("threads")
    if threads:
        torch.set_num_threads(int(threads))
    setup = {
        "dataset": data.name,
        "data": {k: v for k, v in data.settings().items() if k not in ("mean", "std")},
        "run": args.run or f"compare_real {args.record}",
        "genome": genome.key(),
        "init_channels": width,
        "recipe": settings,
        "threads": torch.get_num_threads(),
    }
    path = RESULTS / (f"baselines_{args.name}.json" if args.name else "baselines.json")
    lock = FileLock(str(path) + ".lock")

    def save(model=None, seed=None, report=None, rows=None):
        """After every training (a cut-off campaign resumes here), merged with what other
        invocations on other seeds wrote meanwhile."""
        with lock:
            runs = previous_runs(path, setup)
            if model is not None:
                runs[model, seed] = report
            body = dict(setup, runs=[{"model": m, "seed": s, "report": r} for (m, s), r in runs.items()])
            write_result(path, dict(body, splits=SPLITS, rows=rows, complete=bool(rows)))
        return runs

    with lock:
        done = previous_runs(path, setup)
    only = {SHORT[m] for m in args.models}
    rows = compare(
        genome, data, width, settings, args.seeds, args.device, search_seconds, done, save, only, progress=True
    )
    if len(only) == len(SHORT):
        save(rows=rows)


if __name__ == "__main__":
    main()
