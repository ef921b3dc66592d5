"""The two-stage TSENAS algorithm under one minimize call."""

import numpy as np
import pytest
from pymoo.optimize import minimize

from tests.conftest import StandInEvaluator
from tsenas_pymoo import FineGenome, TSENASProblem
from tsenas_pymoo.algorithm import TSENAS, BestAccuracyCallback
from tsenas_pymoo.evaluation import TorchEvaluator


def check_two_stages(res, n_fine, stage1_gens):
    data = res.algorithm.data
    stage1 = sorted(data["stage1_final"], key=lambda kv: -kv[1])
    assert data["stage2_start"] == [k for k, _ in stage1[:n_fine]]  # stage 2 starts from stage 1's best S
    records = data["generations"]
    assert [r["stage"] for r in records] == [1] * stage1_gens + [2] * (len(records) - stage1_gens)
    best2 = [r["best_accuracy"] for r in records if r["stage"] == 2]
    assert all(b >= a for a, b in zip(best2, best2[1:]))  # never decreases in stage 2
    assert data["best_accuracy"] == max(r["best_accuracy"] for r in records)
    assert res.F[0] == pytest.approx(1 - records[-1]["best_accuracy"])


def test_both_stages_with_real_training(digits_small):
    ev = TorchEvaluator(digits_small, epochs=1, init_channels=4, device="cpu")
    problem = TSENASProblem(ev, n_min=2, n_max=4)
    res = minimize(problem, TSENAS(pop_size=4, n_fine=2, stage1_gens=2, stage2_gens=2), seed=0)
    check_two_stages(res, 2, 2)
    best = problem.decode(res.X)
    assert isinstance(best, FineGenome) and len(res.X) == 23 * 4
    assert ev.trained >= 4 + 4 + 4


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stage_two_with_stand_in(seed):
    problem = TSENASProblem(StandInEvaluator(), n_min=3, n_max=8)
    callback = BestAccuracyCallback()
    res = minimize(problem, TSENAS(pop_size=12, n_fine=4, stage1_gens=5, stage2_gens=6), seed=seed,
                   callback=callback)
    check_two_stages(res, 4, 5)
    assert [r["n_gen"] for r in callback.records] == list(range(1, 12))
    for x in res.pop.get("X"):
        problem.decode(x).validate()


def test_termination_counts_across_both_stages():
    problem = TSENASProblem(StandInEvaluator(), n_min=3, n_max=8)
    res = minimize(problem, TSENAS(pop_size=8, n_fine=2, stage1_gens=3, stage2_gens=5), ("n_gen", 5), seed=0)
    assert [r["stage"] for r in res.algorithm.data["generations"]] == [1, 1, 1, 2, 2]


def test_same_seed_same_result():
    runs = []
    for _ in range(2):
        problem = TSENASProblem(StandInEvaluator(), n_min=3, n_max=8)
        res = minimize(problem, TSENAS(pop_size=8, n_fine=3, stage1_gens=3, stage2_gens=3), seed=5)
        runs.append((res.X.tolist(), res.F.tolist()))
    assert runs[0] == runs[1]


def test_rough_offspring_are_unique_and_valid():
    problem = TSENASProblem(StandInEvaluator(), n_min=3, n_max=8)
    res = minimize(problem, TSENAS(pop_size=10, n_fine=2, stage1_gens=4, stage2_gens=0), seed=3)
    keys = [problem.decode(x).key() for x in res.pop.get("X")]
    assert len(keys) == len(set(keys)) == 10


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="n_fine=5; rule: S <= pop_size=4"):
        TSENAS(pop_size=4, n_fine=5)
    with pytest.raises(ValueError, match="crossover_prob"):
        TSENAS(crossover_prob=1.5)
    with pytest.raises(ValueError, match="stage1_gens"):
        TSENAS(stage1_gens=0)


def test_ablation_switches():
    problem = TSENASProblem(StandInEvaluator(), n_min=3, n_max=8)
    res = minimize(problem, TSENAS(pop_size=8, n_fine=3, stage1_gens=3, stage2_gens=3, prune=False,
                                   single_point_crossover=True, mutation_kinds=("cell",), fine_kinds=("edge",)),
                   seed=2)
    check_two_stages(res, 3, 3)
    records = res.algorithm.data["generations"]
    assert records[-1]["n_eval"] - records[-2]["n_eval"] == 3  # one child per parent without pruning
