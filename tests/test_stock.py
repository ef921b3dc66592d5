"""`--algorithm`: pymoo's own algorithms in a run directory, end to end on digits, with the
same log, archive, checkpoint, resume, plots and best_genotype.json as TS-ENAS."""

import json

import pytest

from tsenas_pymoo import faults
from tsenas_pymoo.config import SearchConfig
from tsenas_pymoo.run import SearchRun
from tsenas_pymoo.testing.tiny import search_settings

SMALL = search_settings(train_subset=600, stage1_gens=2, stage2_gens=0, n_min=3, n_max=5, seed=2, device="cpu")


class Cut(Exception):
    pass


def cut_after(monkeypatch, checkpoints: int) -> None:
    """The next search stops (raises Cut) right after its checkpoint number ``checkpoints``."""
    seen = []

    def point(name):
        seen.append(name)
        if seen.count("checkpoint") == checkpoints:
            raise Cut()

    monkeypatch.setattr(faults, "point", point)


def _config(algorithm, **extra):
    objectives = "error,params" if algorithm == "nsga2" else "error"
    return SearchConfig(**dict(SMALL, algorithm=algorithm, objectives=objectives, **extra))


@pytest.mark.parametrize("algorithm", ["ga", "nsga2", "de", "random"])
def test_a_stock_algorithm_runs_in_a_run_directory_and_resumes_to_the_same_end(algorithm, tmp_path, monkeypatch):
    whole = SearchRun(tmp_path / "whole", _config(algorithm), progress=False).run()
    assert whole["algorithm"] == algorithm and (tmp_path / "whole" / "best_genotype.json").exists()
    log = [json.loads(line) for line in (tmp_path / "whole" / "log.jsonl").read_text().splitlines()]
    assert len(log) == 3 and all(r["stage"] == 1 for r in log)  # 1 + stage1_gens generations
    assert not (tmp_path / "whole" / "store" / "supernet.json").exists()  # no SuperNet for a stock algorithm

    cut_after(monkeypatch, checkpoints=2)
    with pytest.raises(Cut):
        SearchRun(tmp_path / "cut", _config(algorithm), progress=False).run()
    monkeypatch.undo()
    resumed = SearchRun.resume(tmp_path / "cut", progress=False).run()
    assert resumed["best_genome"] == whole["best_genome"]
    assert resumed["best_val_accuracy"] == whole["best_val_accuracy"]


def test_a_training_budget_ends_any_algorithm_and_its_bar_counts_the_budget(tmp_path, capsys):
    summary = SearchRun(tmp_path / "run", _config("random", budget=6, stage1_gens=50), progress=True).run()
    assert 6 <= summary["evaluations"] < 6 + SMALL["pop_size"]  # stops at the first generation past the budget
    bar = [line for line in capsys.readouterr().err.replace("\r", "\n").split("\n") if line.startswith("budget")]
    assert bar and "6/6" in bar[-1] and "net" in bar[-1]  # a total, in networks, not generations
    assert "gen=" in bar[-1] and "stage=" not in bar[-1]  # no TS-ENAS stage for random search


def test_a_compute_budget_counts_macs_times_epochs_with_the_supernet_and_ends_at_the_first_generation_past_it(
    tmp_path,
):
    import sqlite3

    run = tmp_path / "run"
    summary = SearchRun(
        run, _config("tsenas", budget=2, budget_unit="mmac-epochs", stage1_gens=50), progress=False
    ).run()
    supernet = json.loads((run / "store" / "supernet.json").read_text())
    with sqlite3.connect(run / "archive.sqlite") as conn:
        rows = conn.execute("SELECT generation, macs * epochs FROM evaluations").fetchall()
    charged = supernet["macs"] * supernet["epochs"] / 1e6
    assert charged > 0 and summary["compute"]["networks"] == len(rows)
    assert summary["compute"]["mmac_epochs"] == pytest.approx(charged + sum(w for _, w in rows) / 1e6)
    last = max(g for g, _ in rows)
    before_last = charged + sum(w for g, w in rows if g < last) / 1e6
    assert before_last < 2 <= summary["compute"]["mmac_epochs"]  # the first generation past it ends the run
    with pytest.raises(ValueError, match="budget_unit='flops'; rule: one of networks, mmac-epochs"):
        SearchConfig(budget_unit="flops").validate()


def test_algorithm_and_objectives_must_fit():
    with pytest.raises(ValueError, match="algorithm='nsga2'; rule: two objectives"):
        SearchConfig(algorithm="nsga2").validate()
    with pytest.raises(ValueError, match="algorithm='ga' is single-objective"):
        SearchConfig(algorithm="ga", objectives="error,params").validate()


def test_regularized_evolution_runs_as_many_evaluations_as_the_others_and_resumes(tmp_path, monkeypatch):
    whole = SearchRun(tmp_path / "whole", _config("re", stage1_gens=1), progress=False).run()
    # P = 4 makes one child a generation: 1 + stage1_gens generations' worth, 8 networks
    assert whole["algorithm"] == "re" and whole["evaluations"] == 8
    log = (tmp_path / "whole" / "log.jsonl").read_text().splitlines()
    assert len(log) == 5

    cut_after(monkeypatch, checkpoints=3)
    with pytest.raises(Cut):
        SearchRun(tmp_path / "cut", _config("re", stage1_gens=1), progress=False).run()
    monkeypatch.undo()
    resumed = SearchRun.resume(tmp_path / "cut", progress=False).run()
    assert (resumed["best_genome"], resumed["evaluations"]) == (whole["best_genome"], 8)


def test_a_stock_ga_without_repair_is_told_both_remedies():
    from pymoo.algorithms.soo.nonconvex.ga import GA
    from pymoo.optimize import minimize

    from tsenas_pymoo import TSENASProblem

    problem = TSENASProblem(lambda g: {"accuracy": 0.5}, n_min=3, n_max=6, input_shape=(1, 8, 8))
    with pytest.raises(
        ValueError, match=r"rule: every entry is an integer; .*repair=GenomeRepair\(\).*TSENASMixedProblem"
    ):
        minimize(problem, GA(pop_size=6), ("n_gen", 1), seed=0)


def test_a_budget_says_what_it_leaves_out_before_the_search():
    notes = SearchConfig(budget=16, pop_size=8, stage1_gens=4, supernet_epochs=2).budget_notes()
    assert len(notes) == 2
    assert "SuperNet's 2 epochs come on top" in notes[0]
    assert "stage 1 trains up to P x (1 + T0) = 8 x 5 = 40 networks; rule: a budget above 40" in notes[1]
    assert SearchConfig(budget=41, pop_size=8, stage1_gens=4, supernet_epochs=0).budget_notes() == []
    assert SearchConfig(budget=16, algorithm="random").budget_notes() == []
    assert SearchConfig(budget=300, budget_unit="mmac-epochs").budget_notes() == []  # the SuperNet counted


@pytest.mark.parametrize("n_obj", [1, 2])
def test_a_stock_algorithms_verbose_table_shows_accuracy(n_obj, capsys):
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.algorithms.soo.nonconvex.de import DE
    from pymoo.optimize import minimize

    from tsenas_pymoo import CellCrossover, CellMutation, GenomeRepair, TSENASProblem, TSENASSampling, accuracy_output

    objectives = ("error", "params")[:n_obj]
    problem = TSENASProblem(
        lambda g: {"accuracy": 0.5 + 0.01 * g.n_cells}, n_min=3, n_max=6, input_shape=(1, 8, 8), objectives=objectives
    )
    algorithm = (
        DE(pop_size=6, repair=GenomeRepair())
        if n_obj == 1
        else NSGA2(pop_size=6, sampling=TSENASSampling(), crossover=CellCrossover(), mutation=CellMutation())
    )
    minimize(problem, accuracy_output(algorithm, n_obj), ("n_gen", 2), seed=0, verbose=True)
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if "n_gen" in line)
    assert [c.strip() for c in header.split("|")[-2:]] == ["acc_best", "acc_mean"]
    rows = [line for line in lines if line.strip()[:1].isdigit()]
    assert len(rows) == 2 and all(0.5 < float(row.split("|")[-2]) <= 1 for row in rows)


def test_the_plan_counts_the_networks_a_search_may_train():
    assert SearchConfig(pop_size=8, stage1_gens=4, fine_size=4, stage2_gens=3).plan()[0] == 8 * 5 + 3 * 12
    assert SearchConfig(pop_size=8, stage1_gens=4, fine_size=4, stage2_gens=3, reevaluate=False).plan()[0] == 64
    assert SearchConfig(algorithm="ga", pop_size=8, stage1_gens=4, stage2_gens=3).plan() == (
        64,
        "P x (1 + T0 + T1) = 8 x 8",
    )
    assert SearchConfig(budget=16).plan()[0] == 16
    assert SearchConfig().trains_supernet() and not SearchConfig(algorithm="ga").trains_supernet()
    assert not SearchConfig(max_params=300_000).trains_supernet()  # a width rule: no one SuperNet width
