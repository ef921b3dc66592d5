"""Table III at equal parameters and MACs (issue 49): a budget search's pick against the
hand-designed baselines, all within 10 % of the same budget.

1. ``--search``: one TS-ENAS search under the chosen design (docs/budget.md): the ``cpu``
   preset, the baselines' budget (300,000 parameters, 35 M MACs) with each limit used to at
   least 90 % (``--min-budget-use 0.9``), iso-budget widths, the baselines' skeleton
   (N = 8, reductions at 3 and 6), 100 networks (the real comparison's TS-ENAS budget, seed
   300), and a finalist round: the top 3 retrained at the rung (4,800 images, 2 epochs) on
   the search's validation pool. Its run directory is ``runs/table3_budget``; what the
   table needs from it (both picks, the archive's scores and costs) is copied to
   ``results/table3_budget/search.json``, so later sessions do not need the folder.
2. ``--train``: the pick (the finalist round's when the in-box fidelity study adopts it
   (``results/budget_fidelity.json`` ``decision``), else the search's own) trained with
   the previous Table III's recipe (``results/baselines_table3.json``: the full training
   data, 10 epochs, batch 128, lr 0.1, no augmentation, one torch thread), seeds 0-2,
   scored on the 10,000 test images; one record per training in ``records.jsonl``.
   The baselines' rows are those of ``baselines_table3.json`` (the small ResNet and the
   DARTS stack at width 21: 300,625 parameters / 34.7 M MACs and 283,531 / 35.2 M, both
   within 10 % of the budget), trained by the same ``fit_and_test`` with the same recipe,
   data and thread count; ``--retrain-baselines`` trains them again here instead.
   A pick can be trained before the study ends (``--pick search|finalist``); the table
   reports the rule's pick, and another pick's trainings beside it, marked as such.
3. ``--fitness``: the two picks and the baselines (the Table III networks) scored by the
   search's own fitness (the ``cpu`` preset's data and pool, from scratch, 3 seeds), and the
   rank each score would have taken in the search's archive; the archive's first
   network scored the same way checks that the protocol reproduces the archive.
4. ``--summarize``: ``results/table3_budget.json``.

    python -m benchmarks.experiments.table3_budget --search
    python -m benchmarks.experiments.table3_budget --train [--seeds 0 1 2] [--pick rule]
    python -m benchmarks.experiments.table3_budget --fitness
    python -m benchmarks.experiments.table3_budget --summarize
"""

from __future__ import annotations

import argparse
import json
import statistics

from benchmarks.common import RESULTS, ROOT, append_record, mark_superseded, read_records, tsenas, write_result

RUN = ROOT / "runs" / "table3_budget"
OUT = RESULTS / "table3_budget"
SEARCH = OUT / "search.json"
RECORDS = OUT / "records.jsonl"
BASELINES = RESULTS / "baselines_table3.json"
BUDGET = {"params": 300_000, "macs": 35_000_000}
SEARCH_ARGS = [
    "--preset", "cpu",
    "--max-params", str(BUDGET["params"]),
    "--max-macs", str(BUDGET["macs"]),
    "--min-budget-use", "0.9",
    "--skeleton", "8:3,6",
    "--seed", "300",
    "--pop-size", "10",
    "--stage1-gens", "5",
    "--stage2-gens", "1000000",
    "--budget", "100",
    "--rescore-top", "3",
    "--rescore-seeds", "1",
    "--rescore-subset", "4800",
    "--rescore-epochs", "2",
    "--final-epochs", "1",
    "--workers", "2",
    "--threads", "1",
]  # fmt: skip
ARCHIVE_FIELDS = ("key", "accuracy", "params", "macs", "generation", "status", "inherited_fraction")
RECIPE = {"epochs": 10, "batch_size": 128, "lr": 0.1, "augment": "none", "cutout": 0, "label_smoothing": 0.0}
SUPERSEDES = (
    "Table III at equal parameters and MACs (issue 49's budget search); this table's pick was searched at width 8 "
    "and has about 5x fewer MACs than the baselines it is compared with"
)
SPLITS = {
    "selection": "the searched network was selected on its search's validation pool (and the finalist round's, "
    "the same pool); the baselines are not selected",
    "report": "the 10,000 official Fashion-MNIST test images",
}


def search() -> dict:
    """Run (or resume) the search, then keep what the table needs in ``search.json``; a
    finished run (its ``summary.json`` written) is only read."""
    if not (RUN / "summary.json").exists():
        args = ["search", "--resume", str(RUN)] if (RUN / "config.json").exists() else ["search", *SEARCH_ARGS]
        if args[1] != "--resume":
            args += ["--out", str(RUN)]
        result = tsenas(*args, capture=False)
        if result.returncode != 0:
            raise SystemExit(f"the search stopped with exit code {result.returncode}; rerun --search to resume it")
    summary, archive, genotype, generations = read_run(RUN)
    kept = {
        "command": "tsenas " + " ".join([*SEARCH_ARGS, "--out", "runs/table3_budget"]),
        "summary": {k: summary[k] for k in ("best_genome", "search_pick", "best_val_accuracy", "compute", "rescore")},
        "best_genotype": genotype,
        "generations": generations,
        "archive": archive,
        "splits": {
            "selection": "the search's validation pool (1,000 images), the finalist round's the same pool",
            "report": "none here: the picks' test errors come from --train",
        },
    }
    write_result(SEARCH, kept)
    return kept


def read_run(run_dir) -> tuple[dict, list[dict], dict, list[dict]]:
    """(summary, archive rows, best genotype, generation records) of a finished run, read as
    untrusted input: no entry may be a link, the signed manifest must hold for this user's
    key (else one line naming ``tsenas trust``), JSON only, the archive through ``Archive``
    (SQLite's defensive mode)."""
    from tsenas_pymoo.evaluation.archive import Archive
    from tsenas_pymoo.rundir import read_text, refuse_links
    from tsenas_pymoo.trust import verify_manifest

    refuse_links(run_dir)
    verify_manifest(run_dir)
    summary = json.loads(read_text(run_dir / "summary.json"))
    archive = Archive(run_dir / "archive.sqlite")
    try:
        rows = [{k: row[k] for k in ARCHIVE_FIELDS} for row in archive.records()]
    finally:
        archive.close()
    genotype = json.loads(read_text(run_dir / "best_genotype.json"))
    generations = [json.loads(line) for line in read_text(run_dir / "log.jsonl").splitlines() if line.strip()]
    return summary, rows, genotype, generations


def chosen_pick(kept: dict) -> tuple[str, str]:
    """(genome key, which rule chose it): the finalist round's pick when the in-box study
    adopted the round, else the search's own (when both are one network, no decision is
    needed). The decision counts only from the finished study."""
    if kept["summary"]["best_genome"] == kept["summary"]["search_pick"]:
        return kept["summary"]["search_pick"], "the search's own pick (the finalist round kept it too)"
    decision_file = RESULTS / "budget_fidelity.json"
    study = json.loads(decision_file.read_text()) if decision_file.exists() else {}
    if study.get("verdict") != "complete" or "decision" not in study:
        raise SystemExit(
            f"{decision_file}: the in-box study is not complete ({study.get('verdict', 'no summary')}); "
            "rule: finish it first, or train a named pick with --pick search|finalist"
        )
    if study["decision"]["finalist_round_default"]:
        return kept["summary"]["best_genome"], "finalist round (adopted by the in-box study)"
    return kept["summary"]["search_pick"], "the search's own pick (the in-box study kept it)"


def named_pick(kept: dict, pick: str) -> str:
    """The genome key ``--pick`` names: ``rule`` (:func:`chosen_pick`), ``search`` (the
    search's own pick) or ``finalist`` (the finalist round's)."""
    return pick_and_rule(kept, pick)[0]


def pick_width(key: str) -> float:
    from tsenas_pymoo.space.genome import genome_from_key
    from tsenas_pymoo.space.width import Budget, BudgetWidth

    rule = BudgetWidth(Budget(BUDGET["params"], BUDGET["macs"]), (1, 28, 28), 10)
    return rule(genome_from_key(key))


def train(seeds: list[int], retrain_baselines: bool, pick: str = "rule") -> None:
    import torch

    from tsenas_pymoo.baselines import BASELINES as NAMES
    from tsenas_pymoo.baselines import DARTS_STACK, SmallResNet
    from tsenas_pymoo.evaluation import load_dataset
    from tsenas_pymoo.final import fit_and_test
    from tsenas_pymoo.space.genome import NetworkGenome, genome_from_key
    from tsenas_pymoo.space.network import build_network

    kept = json.loads(SEARCH.read_text())
    key = named_pick(kept, pick)
    torch.set_num_threads(1)
    data = load_dataset("fashion-mnist", seed=300)
    builders = {"searched": lambda: build_network(genome_from_key(key), data.input_shape, 10, pick_width(key))}
    if retrain_baselines:
        builders[NAMES[0]] = lambda: SmallResNet(1, 10, 21)
        builders[NAMES[1]] = lambda: build_network(NetworkGenome.from_cells(DARTS_STACK), data.input_shape, 10, 21)
    done = {(r["model"], r["key"], r["seed"]) for r in read_records(RECORDS)}
    for model, build in builders.items():
        for seed in seeds:
            if (model, key if model == "searched" else "", seed) in done:
                continue
            torch.manual_seed(seed)
            report = fit_and_test(build(), data, seed=seed, **RECIPE)
            append_record(RECORDS, {"model": model, "key": key if model == "searched" else "", "seed": seed, **report})
            print(f"{model}: seed {seed} test error {report['test_error']:.4f} ({report['seconds']:.0f} s)", flush=True)


FITNESS = OUT / "fitness.jsonl"
FITNESS_SEEDS = (0, 1, 2)


def search_evaluator():
    """The search's own evaluator, from its command line (data, recipe, width rule, seed),
    with no store and no archive: every network it scores trains from scratch."""
    from tsenas_pymoo.cli import config_from_argv

    return config_from_argv(SEARCH_ARGS).torch_evaluator()


def search_fitness(evaluator, model, seed: int) -> float:
    """The search's fitness of any network (a hand-designed one too): ``model`` trained
    from scratch by the search's recipe on its training images, batch norm recalibrated,
    scored on its validation pool, as ``TorchEvaluator.train_genome`` scores a network
    with no parents (``tests/test_benchmarks.py`` checks the two agree)."""
    from tsenas_pymoo.evaluation.trainer import evaluate_accuracy, recalibrate_batchnorm, train_model

    data = evaluator.dataset.search_tensors("cpu", evaluator.channels_last)
    result = train_model(model, data["train_x"], data["train_y"], evaluator.recipe, seed=seed)
    if not result.ok:
        return 0.0
    recalibrate_batchnorm(model, data["train_x"], batch_size=evaluator.batch_size, device="cpu")
    return evaluate_accuracy(model, data["val_x"], data["val_y"], **evaluator.recipe.scoring())


def fitness_builders(evaluator, kept: dict) -> dict[str, tuple[str, object]]:
    """model -> (genome key or "", a builder taking a seed): the two picks and the
    archive's first network of the initial population (a check that this protocol reproduces the
    archive) as the search builds them, at their iso widths; the baselines at the widths
    of ``baselines_table3.json`` (the networks Table III trains)."""
    import torch

    from tsenas_pymoo.baselines import BASELINES as NAMES
    from tsenas_pymoo.baselines import DARTS_STACK, SmallResNet
    from tsenas_pymoo.space.genome import NetworkGenome, genome_from_key
    from tsenas_pymoo.space.network import build_network

    def searched(key: str):
        return key, lambda seed: evaluator.build(genome_from_key(key), seed=seed)

    def resnet(seed: int):
        torch.manual_seed(seed)
        return SmallResNet(1, 10, 21)

    def darts(seed: int):
        torch.manual_seed(seed)
        return build_network(NetworkGenome.from_cells(DARTS_STACK), evaluator.input_shape, 10, 21)

    start = min(r["generation"] for r in kept["archive"])
    first = next(r["key"] for r in kept["archive"] if r["generation"] == start and r["status"] == "ok")
    return {
        "search pick": searched(kept["summary"]["search_pick"]),
        "finalist pick": searched(kept["summary"]["best_genome"]),
        "first-generation check": searched(first),
        NAMES[0]: ("", resnet),
        NAMES[1]: (NetworkGenome.from_cells(DARTS_STACK).key(), darts),
    }


def fitness(seeds=FITNESS_SEEDS) -> None:
    """Every network of :func:`fitness_builders` scored by the search's fitness, seeds
    ``seeds`` (seed s trains with ``genome_seed(300 + s, key)``, seed 0 being the search's
    own seed for a genome); one record each in ``fitness.jsonl``."""
    import torch

    from tsenas_pymoo.evaluation.archived import genome_seed

    torch.set_num_threads(1)
    kept = json.loads(SEARCH.read_text())
    evaluator = search_evaluator()
    done = {(r["model"], r["seed"]) for r in read_records(FITNESS)}
    for model, (key, build) in fitness_builders(evaluator, kept).items():
        for seed in seeds:
            if (model, seed) in done:
                continue
            train_seed = genome_seed(evaluator.seed + seed, key or model)
            accuracy = search_fitness(evaluator, build(train_seed), train_seed)
            append_record(FITNESS, {"model": model, "key": key, "seed": seed, "accuracy": accuracy})
            print(f"{model}: seed {seed} search fitness {accuracy:.4f}", flush=True)


def fitness_ranks(kept: dict) -> dict:
    """Per network: its search-fitness scores and where each would have ranked among the
    archive's networks (1 = above all of them)."""
    archive = [r["accuracy"] for r in kept["archive"] if r["status"] == "ok"]
    out = {}
    for r in read_records(FITNESS):
        row = out.setdefault(r["model"], {"key": r["key"], "accuracies": [], "ranks": []})
        row["accuracies"].append(r["accuracy"])
        row["ranks"].append(1 + sum(a > r["accuracy"] for a in archive))
    for row in out.values():
        row["median_accuracy"] = statistics.median(row["accuracies"])
        row["median_rank"] = statistics.median(row["ranks"])
    first = next((r for r in kept["archive"] if r["key"] == out.get("first-generation check", {}).get("key")), None)
    if first:
        out["first-generation check"]["archived_accuracy"] = first["accuracy"]
    return {"archive_networks": len(archive), "networks": out, "inheritance": archive_by_inheritance(kept)}


def archive_by_inheritance(kept: dict) -> dict:
    """The archive's scores split by how much of each network's weights it inherited
    (at least half, or less), with a one-sided Mann-Whitney p (inherited higher)."""
    from scipy.stats import mannwhitneyu

    rows = [r for r in kept["archive"] if r["status"] == "ok" and "inherited_fraction" in r]
    groups = {
        "inherited_half_or_more": [r["accuracy"] for r in rows if r["inherited_fraction"] >= 0.5],
        "inherited_less_than_half": [r["accuracy"] for r in rows if r["inherited_fraction"] < 0.5],
    }
    if not all(groups.values()):
        return {}
    out = {name: {"networks": len(v), "median": statistics.median(v)} for name, v in groups.items()}
    out["p_inherited_higher"] = float(mannwhitneyu(*groups.values(), alternative="greater").pvalue)
    return out


def baseline_rows() -> dict[str, dict]:
    """name -> {params, macs, test_errors, seeds} of ``baselines_table3.json``'s baselines."""
    from tsenas_pymoo.baselines import BASELINES as NAMES

    old = json.loads(BASELINES.read_text())
    rows = {}
    for name in NAMES:
        runs = sorted((r for r in old["runs"] if r["model"] == name), key=lambda r: r["seed"])
        rows[name] = {
            "params": runs[0]["report"]["params"],
            "macs": runs[0]["report"]["macs"],
            "test_errors": [r["report"]["test_error"] for r in runs],
            "seeds": [r["seed"] for r in runs],
            "width": old["init_channels"][name],
            "source": "baselines_table3.json (same recipe, data and thread count)",
        }
    return rows


def pick_and_rule(kept: dict, pick: str) -> tuple[str, str]:
    """(genome key, how it was chosen) for ``--pick``: the rule's (:func:`chosen_pick`) or
    a named one, labelled as not the rule's choice."""
    if pick == "rule":
        return chosen_pick(kept)
    field, named = (
        ("search_pick", "the search's own pick") if pick == "search" else ("best_genome", "the finalist round's pick")
    )
    return kept["summary"][field], f"{named}, named by --pick (the in-box study's rule not applied)"


def summarize(pick: str = "rule") -> dict:
    """``table3_budget.json`` from the records; ``pick`` other than ``rule`` writes an
    interim table (``rule_applied`` false) while the in-box study runs."""
    from scipy.stats import mannwhitneyu

    kept = json.loads(SEARCH.read_text())
    key, rule = pick_and_rule(kept, pick)
    records = read_records(RECORDS)
    searched = sorted((r for r in records if r["model"] == "searched" and r["key"] == key), key=lambda r: r["seed"])
    rows = [
        {
            "model": f"TS-ENAS pick ({rule})",
            "key": key,
            "width": pick_width(key),
            "params": searched[0]["params"] if searched else None,
            "macs": searched[0]["macs"] if searched else None,
            "test_errors": [r["test_error"] for r in searched],
            "seeds": [r["seed"] for r in searched],
        }
    ]
    retrained = {r["model"] for r in records if r["model"] != "searched"}
    for name, row in baseline_rows().items():
        if name in retrained:
            runs = sorted((r for r in records if r["model"] == name), key=lambda r: r["seed"])
            row = {**row, "test_errors": [r["test_error"] for r in runs], "seeds": [r["seed"] for r in runs]}
            row["source"] = "retrained here"
        rows.append({"model": name, **row})
    for row in rows:
        row["test_error_median"] = statistics.median(row["test_errors"]) if row["test_errors"] else None
        row["test_error_range"] = [min(row["test_errors"]), max(row["test_errors"])] if row["test_errors"] else None
        row["within_10pct"] = bool(row["params"] and all(0.9 <= row[k] / BUDGET[k] <= 1.1 for k in ("params", "macs")))
    mine = rows[0]["test_errors"]
    for row in rows[1:]:
        if len(mine) >= 3:
            row["p_searched_lower"] = float(mannwhitneyu(mine, row["test_errors"], alternative="less").pvalue)
            row["searched_minus_this"] = rows[0]["test_error_median"] - row["test_error_median"]  # < 0: pick better
    other = [r for r in records if r["model"] == "searched" and r["key"] != key]
    complete = len(mine) >= 3
    medians = [r["test_error_median"] for r in rows]
    out = {
        "budget": BUDGET,
        "search": {"command": kept["command"], "pick_rule": rule, **kept["summary"]},
        "rule_applied": pick == "rule",
        "recipe": RECIPE,
        "rows": rows,
        "complete": complete,
        "splits": SPLITS,
        "search_fitness": fitness_ranks(kept),
    }
    if other:  # trained before the study's decision named the other pick: reported, not compared
        out["other_pick"] = {
            "key": other[0]["key"],
            "test_errors": [r["test_error"] for r in sorted(other, key=lambda r: r["seed"])],
            "note": "trained before the in-box study's decision; not the rule's pick",
        }
    if complete:
        out["goal"] = {
            "met": medians[0] <= min(medians[1:]),
            "stretch_met": medians[0] <= medians[2] - 0.003,
            "rule": "the pick's median test error at or below both baselines'; stretch: 0.3 points below DARTS",
        }
    write_result(RESULTS / "table3_budget.json", out)
    if complete:
        mark_superseded(RESULTS / "baselines_table3.json", "table3_budget.json", SUPERSEDES)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    stage = parser.add_mutually_exclusive_group(required=True)
    stage.add_argument("--search", action="store_true")
    stage.add_argument("--train", action="store_true")
    stage.add_argument("--fitness", action="store_true", help="score the picks and baselines by the search's fitness")
    stage.add_argument("--summarize", action="store_true")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--retrain-baselines", action="store_true")
    parser.add_argument(
        "--pick",
        choices=("rule", "search", "finalist"),
        default="rule",
        help="which pick --train trains and --summarize reports (default: the one the in-box study's rule "
        "chooses; another is labelled as not the rule's)",
    )
    args = parser.parse_args(argv)
    if args.search:
        search()
    elif args.train:
        train(args.seeds, args.retrain_baselines, args.pick)
    elif args.fitness:
        fitness()
    else:
        print(json.dumps(summarize(args.pick).get("goal"), indent=1))


if __name__ == "__main__":
    main()
