"""Training data of the surrogate benchmark (tsenas_pymoo.bench): networks of the TS-ENAS
space trained once under a preset, each scored on the validation pool and the test images.

Networks (``plan``), about 1,500, in two phases:

1. ``alg3``: 750 Alg. 3 samples for the preset's input size; the first 100 trained with
   seeds 0, 1 and 2 (the table's seed noise, and the noise ceiling of any surrogate);
2. once phase 1 is complete, the neighbourhoods searches visit, around the best 75 of
   phase 1 by mean *validation* accuracy (never test): 250 ``mutation`` children (Alg. 2
   lines 12-17), 200 ``crossover`` children (Fig. 3a), 250 stage-2 ``edit`` children
   (Alg. 4: node/edge mutation, then pruning, of a good parent), and the ``comparison``
   campaign's picks (benchmarks/results/compare_algorithms_fmnist/report);
3. once phase 2 is complete, where searches *of the surrogate* go: a surrogate fitted on
   phases 1-2 is searched by every method of ``compare_surrogate.py`` (both budgets,
   development seeds ``SEARCH_SEEDS``, never the comparison's report seeds 300-329), and
   each run's final pick not yet trained is trained (``search``). A surrogate is least
   sure where searches push it (an interim table of 584 networks put their picks 0.05-0.09
   above its best network); these networks put measurements there, as NAS-Bench-301 adds
   its optimizers' trajectories. The searches resume from ``phase3_searches.jsonl``.

Each training is the search's own evaluation (``TorchEvaluator`` under the preset, from
scratch, one thread per worker) with ``score_test=True``. Records go to
``results/surrogate_data_<dataset>_<preset>/records.jsonl`` as they end; a rerun skips
what is there. ``--table`` writes the package's table (``tsenas_pymoo/bench/data/``) with
the preset's exact values and the package version.

    python -m benchmarks.experiments.surrogate_data --preset cpu --workers 2   # resumes
    python -m benchmarks.experiments.surrogate_data --preset cpu --table
"""

from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path

import numpy as np

from benchmarks.common import RESULTS, append_record, read_records, run_tasks

N_ALG3, N_REPEATED, N_TOP = 750, 100, 75
SEARCH_SEEDS = {"tenth": tuple(range(10)), "paper": (0, 1)}  # development seeds only
NEIGHBOURS = {"mutation": 250, "crossover": 200, "edit": 250}
COMPARISON = RESULTS / "compare_algorithms_fmnist" / "report"


def config(preset: str):
    from tsenas_pymoo.config import SearchConfig

    return SearchConfig(preset=preset, device="cpu")


@functools.lru_cache(maxsize=2)
def data(preset: str):
    """The preset's data (one draw, data seed 0, for every network), loaded once a process."""
    return config(preset).load_data(data_seed=0)


def input_shape(cfg) -> tuple[int, int, int]:
    return data(cfg.preset).input_shape


def phase1(cfg, shape) -> list[tuple[str, int, str]]:
    from tsenas_pymoo.operators.sampling import sample_genome

    rng = np.random.default_rng(20261204)
    keys: dict[str, None] = {}
    while len(keys) < N_ALG3:
        keys.setdefault(sample_genome(rng, cfg.n_min, cfg.n_max, shape).key())
    tasks = [(k, 0, "alg3") for k in keys]
    return tasks + [(k, s, "alg3") for k in list(keys)[:N_REPEATED] for s in (1, 2)]


def phase2(cfg, shape, records: list[dict]) -> list[tuple[str, int, str]]:
    """The neighbours of phase 1's best (by mean validation accuracy)."""
    from tsenas_pymoo.operators.crossover import cross_cells
    from tsenas_pymoo.operators.fine import mutate_fine, prune_fine
    from tsenas_pymoo.operators.mutation import mutate_genome
    from tsenas_pymoo.space.genome import genome_from_key

    scores: dict[str, list[float]] = {}
    for r in records:
        if r["origin"] == "alg3":
            scores.setdefault(r["key"], []).append(r["val_accuracy"])
    top = [genome_from_key(k) for k in sorted(scores, key=lambda k: -np.mean(scores[k]))[:N_TOP]]
    rng = np.random.default_rng(20261205)
    seen = set(scores)
    out = []

    def add(genome, origin):
        try:
            genome.validate(cfg.n_min, cfg.n_max, shape)
        except ValueError:
            return
        if genome.key() not in seen:
            seen.add(genome.key())
            out.append((genome.key(), 0, origin))

    def count(origin):
        return sum(o == origin for _, _, o in out)

    for origin, n in NEIGHBOURS.items():
        for _ in range(50 * n):
            if count(origin) >= n:
                break
            a = top[int(rng.integers(len(top)))]
            if origin == "mutation":
                add(mutate_genome(a, rng), origin)
            elif origin == "crossover":
                b = top[int(rng.integers(len(top)))]
                for child in cross_cells(a, b, rng):
                    add(child, origin)
            else:
                add(prune_fine(mutate_fine(a.expand(), rng), rng), origin)
    for path in sorted(COMPARISON.glob("*-seed*.json")):
        add(genome_from_key(json.loads(path.read_text())["best_genome"]), "comparison")
    return out


def phase3(cfg, records: list[dict], folder: Path, workers: int) -> list[tuple[str, int, str]]:
    """The final picks of searches of a surrogate fitted on phases 1-2 (development seeds)."""
    import tempfile

    from benchmarks.experiments import compare_surrogate

    searches = folder / "phase3_searches.jsonl"
    with tempfile.TemporaryDirectory() as tmp:
        table = write_package_table(cfg.preset, records, Path(tmp) / "table.csv")
        for budget, seeds in SEARCH_SEEDS.items():
            compare_surrogate.campaign(str(table), [budget], compare_surrogate.METHODS, seeds, workers, searches)
    seen = {r["key"] for r in records}
    picks = dict.fromkeys(r["pick"] for r in read(searches))
    return [(k, 0, "search") for k in picks if k not in seen]


def plan(cfg, shape, records: list[dict], folder: Path | None = None, workers: int = 0) -> list[tuple[str, int, str]]:
    """The phases in order; a phase is planned once the one before it is trained."""
    done = {(r["key"], r["seed"]) for r in records}
    tasks = phase1(cfg, shape)
    if any((k, s) not in done for k, s, _ in tasks):
        return tasks
    tasks += phase2(cfg, shape, records)
    if folder is None or any((k, s) not in done for k, s, _ in tasks):
        return tasks
    phase1_2 = [r for r in records if r["origin"] != "search"]
    return tasks + phase3(cfg, phase1_2, folder, workers)


def train(preset: str, key: str, seed: int, origin: str) -> dict:
    """One network under the preset, scored on validation and test (one record)."""
    from tsenas_pymoo.evaluation import TorchEvaluator
    from tsenas_pymoo.space.genome import genome_from_key

    cfg = config(preset)
    ev = TorchEvaluator(
        data(preset),
        epochs=cfg.epochs,
        init_channels=cfg.init_channels,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        seed=seed,
        device="cpu",
        inheritance="none",
        score_test=True,
    )
    genome = genome_from_key(key)
    r = ev.train_genome(genome)
    return {
        "key": key,
        "stage": 1 if _published(genome) else 2,
        "seed": seed,
        "val_accuracy": r["accuracy"],
        "test_accuracy": r["test_accuracy"],
        "params": r["params"],
        "macs": r["macs"],
        "seconds": r["seconds"],
        "origin": origin,
        "status": r["status"],
    }


def _published(genome) -> bool:
    return all(c.is_published for c in genome.expand().cells)


def read(records: Path) -> list[dict]:
    return read_records(records)


def write_package_table(preset: str, records: list[dict], path: Path | None = None) -> Path:
    from tsenas_pymoo import __version__
    from tsenas_pymoo.bench.table import SHIPPED, write_table
    from tsenas_pymoo.presets import preset_values

    cfg = config(preset)
    ok = [r for r in records if r["status"] == "ok"]
    meta = {
        "settings": dict(preset_values(preset), preset=preset),
        "input_shape": list(input_shape(cfg)),
        "num_classes": 10,
        "n_min": cfg.n_min,
        "n_max": cfg.n_max,
        "version": __version__,
        "failed_trainings_left_out": len(records) - len(ok),
    }
    return write_table(ok, meta, path or SHIPPED)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", required=True)
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes, one thread each (1: serial)")
    parser.add_argument("--limit", type=int, default=None, help="train at most this many (a test run)")
    parser.add_argument("--table", action="store_true", help="write the package's table from the records")
    args = parser.parse_args(argv)
    cfg = config(args.preset)
    dataset = {"fashion-mnist": "fmnist"}.get(cfg.dataset, cfg.dataset)
    records_path = RESULTS / f"surrogate_data_{dataset}_{args.preset}" / "records.jsonl"
    if args.table:
        print(f"wrote {write_package_table(args.preset, read(records_path))}")
        return
    shape = input_shape(cfg)
    records_path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        records = read(records_path)
        done = {(r["key"], r["seed"]) for r in records}
        todo = [t for t in plan(cfg, shape, records, records_path.parent, args.workers) if t[:2] not in done]
        todo = todo[: args.limit]
        print(f"{len(done)} trained, {len(todo)} to train", flush=True)
        if not todo:
            return

        def save(record, bar):
            append_record(records_path, record)

        run_tasks(train, [(args.preset, *t) for t in todo], args.workers, save, desc="surrogate data")
        if args.limit is not None:
            return


if __name__ == "__main__":
    main()
