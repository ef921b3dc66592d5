"""In-box fidelity study: does a fitness rank what full training ranks inside the budget box?

The box (issue 49's design, docs/budget.md): Fashion-MNIST at 28x28, the baselines' budget
(300,000 parameters, 35 M MACs), the baselines' macro skeleton (N = 8, reduction cells at
3 and 6) and iso-budget widths: every network is built at the widest width that fits both
limits (``BudgetWidth``), so parameters and MACs no longer separate networks by capacity.

Networks (``networks``): 40 Alg. 3 samples inside the skeleton (seed 20261207) and the
DARTS stack (a point of the box: Table II cell 3 at every normal position, 7 at each
reduction).

Settings (every training by the package's own trainer: SGD, cosine, batch 128, lr 0.1,
batch-norm recalibrated before scoring, one torch thread, at the network's iso width):

* ``target``: 10,000 training images, 10 epochs, scored on the 10,000 test images (no
  selection sees them); seed 0 for every network, seed 1 for the first ``TARGET_REPEATS``
  (the target's repeatability and the simulated ceiling);
* ``cpu``: the ``cpu`` preset's fitness: 2,400 images, 1 epoch, scored on the first 1,000
  images of the validation pool (and on 2,500, reported beside it); seeds 0 and 1;
* ``rung``: a finalist round's higher fidelity: 4,800 images, 2 epochs (4x the ``cpu``
  image-passes), scored on the first 1,000 pool images as the search's finalist round
  scores on the search's own pool (``--rescore-subset 4800 --rescore-epochs 2``), and on
  2,500 (reported beside it); seeds 0 and 1;
* ``params``, ``macs``: counted, no training.

The validation pool is 10,000 training images that no training subset uses (drawn once with
seed 0, the fidelity study's pool); the target's 10,000 training images are disjoint from it.

Rule fixed before the data (``RULE``, also in ``budget_fidelity_plan.json``): the finalist round
becomes the default of budget searches (``--rescore-top``) when the rung's Kendall tau against
the target exceeds the ``cpu`` fitness's with a paired bootstrap p < 0.05 after Holm's
correction over the family {rung vs cpu, cpu vs params, cpu vs macs}, and its simulated pick
(the top ``FINALISTS`` by ``cpu`` promoted, the best at the rung kept) has a higher mean target
accuracy than the ``cpu`` fitness's pick; otherwise the search's own pick stays the default.

One record per (network, setting, seed) is appended to
``results/budget_fidelity/records.jsonl`` as it ends; a rerun skips what is there.

    python -m benchmarks.experiments.budget_fidelity --plan          # results/budget_fidelity_plan.json
    python -m benchmarks.experiments.budget_fidelity --workers 2     # the campaign (resumes)
    python -m benchmarks.experiments.budget_fidelity --summarize     # results/budget_fidelity.json + plot
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from benchmarks.common import RESULTS, append_record, read_records, run_tasks, train_timed, write_result
from benchmarks.common import correct as score

RECORDS = RESULTS / "budget_fidelity" / "records.jsonl"
PLAN = RESULTS / "budget_fidelity_plan.json"
BUDGET = {"max_params": 300_000, "max_macs": 35_000_000}
SKELETON = "8:3,6"
N_ALG3, TARGET_REPEATS, FINALISTS = 40, 16, 3
POOL = 10_000
COMMON = {"batch_size": 128, "lr": 0.1, "data_seed": 0, "input_shape": (1, 28, 28), "num_classes": 10}
SETTINGS = {
    "target": {"train": 10_000, "epochs": 10, "score": "test", "prefixes": ()},
    "cpu": {"train": 2_400, "epochs": 1, "score": "pool", "prefixes": (1_000, 2_500)},
    "rung": {"train": 4_800, "epochs": 2, "score": "pool", "prefixes": (1_000, 2_500)},
}
RULE = (
    "finalist round on by default iff tau(rung) - tau(cpu) > 0 with paired bootstrap p < 0.05, "
    "Holm-corrected over {rung vs cpu, cpu vs params, cpu vs macs}, and the simulated finalist "
    f"pick (top {FINALISTS} by cpu, best at the rung) has a higher mean target accuracy than the cpu pick"
)


def width_rule():
    from tsenas_pymoo.space.width import Budget, BudgetWidth

    return BudgetWidth(Budget(**BUDGET), COMMON["input_shape"], COMMON["num_classes"])


def networks() -> list[dict]:
    """[{key, kind}]: the Alg. 3 samples inside the skeleton, then the DARTS stack."""
    from tsenas_pymoo.baselines import DARTS_STACK
    from tsenas_pymoo.operators.sampling import sample_genome
    from tsenas_pymoo.space.genome import NetworkGenome
    from tsenas_pymoo.space.width import Skeleton

    skeleton = Skeleton.parse(SKELETON)
    rng = np.random.default_rng(20261207)
    out, seen = [], set()
    while len(out) < N_ALG3:
        genome = sample_genome(rng, 8, 8, COMMON["input_shape"], skeleton)
        if genome.key() not in seen:
            seen.add(genome.key())
            out.append({"key": genome.key(), "kind": "alg3"})
    out.append({"key": NetworkGenome.from_cells(DARTS_STACK).key(), "kind": "darts"})
    return out


def tasks(nets: list[dict]) -> list[tuple[str, str, int]]:
    """Campaign order: the cheap fitness first (both seeds), then the target's first seed
    beside the rung's, then the target's repeats and the rung's second seed."""
    keys = [n["key"] for n in nets]
    order = [(k, "cpu", s) for s in (0, 1) for k in keys]
    for k in keys:
        order += [(k, "target", 0), (k, "rung", 0)]
    order += [(k, "target", 1) for k in keys[:TARGET_REPEATS]]
    order += [(k, "rung", 1) for k in keys]
    return order


_DATA: dict = {}


def _data(train: int):
    from tsenas_pymoo.evaluation.data import load_dataset

    if train not in _DATA:
        _DATA[train] = load_dataset("fashion-mnist", seed=COMMON["data_seed"], train_subset=train, val_size=POOL)
    return _DATA[train]


def run_task(key: str, setting_name: str, seed: int, threads: int = 1) -> dict:
    """Train one network at its iso-budget width under one setting and seed; its record."""
    import torch

    from tsenas_pymoo import __version__
    from tsenas_pymoo.evaluation.allocator import keep_freed_memory
    from tsenas_pymoo.evaluation.evaluator import genome_seed
    from tsenas_pymoo.space.cost import cost_by_parts
    from tsenas_pymoo.space.genome import genome_from_key
    from tsenas_pymoo.space.network import build_network

    keep_freed_memory()
    torch.set_num_threads(threads)
    setting = SETTINGS[setting_name]
    data = _data(setting["train"])
    genome = genome_from_key(key)
    width = width_rule()(genome)
    train_seed = genome_seed(seed, key)
    torch.manual_seed(train_seed)
    model = build_network(genome, data.input_shape, data.num_classes, width)
    result, train_s, train_cpu_s = train_timed(
        model, data.train_x, data.train_y, setting["epochs"], COMMON["batch_size"], COMMON["lr"], train_seed
    )
    if setting["score"] == "test":
        x, y = data.test_x, data.test_y
    else:
        x, y = data.val_x[: max(setting["prefixes"])], data.val_y[: max(setting["prefixes"])]
    start = time.perf_counter()
    correct = score(model, x, y, batch=500)
    cost = cost_by_parts(genome, data.input_shape, data.num_classes, width)
    record = {
        "key": key,
        "setting": setting_name,
        "seed": seed,
        "status": result.status,
        "version": __version__,
        "width": width,
        "params": cost["params"],
        "macs": cost["macs"],
        "load": os.getloadavg()[0],
        "train_s": train_s,
        "train_cpu_s": train_cpu_s,
        "score_s": time.perf_counter() - start,
    }
    if setting["score"] == "test":
        record["accuracy"] = {"test": float(correct.mean())}
    else:
        record["accuracy"] = {str(k): float(correct[:k].mean()) for k in setting["prefixes"]}
    return record


def write_plan() -> None:
    """The networks, settings and the rule, written before the campaign's first record."""
    if PLAN.exists():
        return
    nets = networks()
    rule = width_rule()
    write_result(
        PLAN,
        {
            "budget": BUDGET,
            "skeleton": SKELETON,
            "networks": [{**n, "width": rule(_genome(n["key"]))} for n in nets],
            "settings": SETTINGS,
            "target_repeats": TARGET_REPEATS,
            "finalists": FINALISTS,
            "rule": RULE,
            "amended": "before the first rung record: the rung's decision score is its 1,000 pool images "
            "(the finalist round scores on the search's own pool), not 2,500",
            "multiple_tests": "Holm over {rung vs cpu, cpu vs params, cpu vs macs} (paired bootstrap of Kendall tau)",
            "splits": {
                "selection": "fitness settings score 1,000 or 2,500 images of a 10,000-image validation pool",
                "report": "the target scores the 10,000 test images no selection sees",
            },
        },
    )


def _genome(key):
    from tsenas_pymoo.space.genome import genome_from_key

    return genome_from_key(key)


def pending(records: list[dict], nets: list[dict]) -> list[tuple[str, str, int]]:
    """The planned tasks (:func:`tasks`) that have no record yet, in campaign order."""
    done = {(r["key"], r["setting"], r["seed"]) for r in records}
    return [t for t in tasks(nets) if t not in done]


def campaign(workers: int, limit: int | None = None) -> None:
    write_plan()
    nets = networks()
    left, planned = pending(read_records(RECORDS), nets), len(tasks(nets))
    todo = left[:limit]
    print(f"{len(nets)} networks, {planned} tasks, {planned - len(left)} done, {len(todo)} to run", flush=True)

    def save(record, bar):
        append_record(RECORDS, record)
        bar.set_postfix(last=f"{record['setting']} {record['train_s'] + record['score_s']:.0f}s")

    if todo:
        run_tasks(run_task, todo, workers, save, desc="budget fidelity")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="run at most this many tasks")
    parser.add_argument("--summarize", action="store_true")
    parser.add_argument("--plan", action="store_true", help="write the plan (networks, settings, rule) only")
    args = parser.parse_args(argv)
    if args.plan:
        write_plan()
        return
    if args.summarize:
        from benchmarks.experiments.budget_fidelity_summary import summarize_to_files

        summarize_to_files(read_records(RECORDS), networks())
        return
    campaign(args.workers, args.limit)


if __name__ == "__main__":
    main()
