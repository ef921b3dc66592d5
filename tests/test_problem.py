"""Short real ``minimize`` runs of the TS-ENAS operators and of pymoo's stock algorithms
on the same ``TSENASProblem`` (with the cheap stand-in evaluator)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.algorithms.soo.nonconvex.de import DE
from pymoo.algorithms.soo.nonconvex.ga import GA
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.mutation.pm import PM
from pymoo.operators.repair.rounding import RoundingRepair
from pymoo.operators.sampling.rnd import IntegerRandomSampling
from pymoo.optimize import minimize

from tests.conftest import StandInEvaluator
from tsenas_pymoo import (
    AlphaLevelSurvival,
    CellCrossover,
    CellMutation,
    GenomeDuplicateElimination,
    GenomeRepair,
    NetworkGenome,
    TSENASProblem,
    TSENASSampling,
)


def tsenas_ga(problem, pop_size=20):
    return GA(
        pop_size=pop_size,
        sampling=TSENASSampling(),
        crossover=CellCrossover(),
        mutation=CellMutation(),
        survival=AlphaLevelSurvival(alpha=0.01),
        eliminate_duplicates=GenomeDuplicateElimination(problem.decode),
    )


def stock_ga(pop_size=20):
    return GA(
        pop_size=pop_size,
        sampling=IntegerRandomSampling(),
        crossover=SBX(prob=0.9, eta=3.0, vtype=float, repair=RoundingRepair()),
        mutation=PM(eta=3.0, vtype=float, repair=RoundingRepair()),
        repair=GenomeRepair(),
        eliminate_duplicates=True,
    )


def assert_all_valid(problem, evaluator, res):
    assert evaluator.seen, "nothing was evaluated"
    for genome in evaluator.seen:
        genome.validate(n_min=problem.n_min, n_max=problem.n_max, input_shape=problem.input_shape)
    for x in res.pop.get("X"):
        problem.decode(x)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_tsenas_operators_in_ga_evaluate_only_valid_genomes(seed):
    evaluator = StandInEvaluator()
    problem = TSENASProblem(evaluator, n_min=3, n_max=8, input_shape=(1, 8, 8))
    res = minimize(problem, tsenas_ga(problem), ("n_gen", 10), seed=seed)
    assert_all_valid(problem, evaluator, res)
    assert len(evaluator.seen) >= 100
    best = problem.decode(res.X)
    assert isinstance(best, NetworkGenome)
    fresh = StandInEvaluator()
    assert res.F[0] == pytest.approx(min(1 - fresh(g)["accuracy"] for g in evaluator.seen))
    assert res.pop.get("accuracy").shape == (20,)


def test_issue_example_improves_over_initial_population():
    evaluator = StandInEvaluator()
    problem = TSENASProblem(evaluator, n_min=3, n_max=8)
    res = minimize(problem, tsenas_ga(problem), ("n_gen", 10), seed=1, save_history=True)
    first = res.history[0].opt.get("F")[0, 0]
    assert res.F[0] < first


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stock_ga_with_repair(seed):
    evaluator = StandInEvaluator()
    problem = TSENASProblem(evaluator, n_min=3, n_max=8)
    res = minimize(problem, stock_ga(), ("n_gen", 8), seed=seed)
    assert_all_valid(problem, evaluator, res)


@pytest.mark.parametrize("operators", ["tsenas", "stock"])
def test_nsga2_on_two_objectives(operators):
    evaluator = StandInEvaluator()
    problem = TSENASProblem(evaluator, n_min=3, n_max=8, objectives=("error", "params"))
    if operators == "tsenas":
        algorithm = NSGA2(
            pop_size=20,
            sampling=TSENASSampling(),
            crossover=CellCrossover(),
            mutation=CellMutation(),
            eliminate_duplicates=GenomeDuplicateElimination(problem.decode),
        )
    else:
        algorithm = NSGA2(
            pop_size=20,
            sampling=IntegerRandomSampling(),
            crossover=SBX(vtype=float, repair=RoundingRepair()),
            mutation=PM(vtype=float, repair=RoundingRepair()),
            repair=GenomeRepair(),
        )
    res = minimize(problem, algorithm, ("n_gen", 6), seed=3)
    assert_all_valid(problem, evaluator, res)
    assert res.F.shape[1] == 2
    # the second objective is what the evaluator reported for the decoded genome: the stand-in's
    # 1,000 per cell and 500 more per reduction cell, recomputed here from the genome
    from tsenas_pymoo.space.cells import is_reduction

    expected = [
        1000.0 * g.n_cells + 500.0 * sum(map(is_reduction, g.codes)) for g in map(problem.decode, res.opt.get("X"))
    ]
    assert res.F[:, 1].tolist() == expected and len(set(res.F[:, 1])) == len(res.F)  # a front, not one point


def test_de_with_repair():
    evaluator = StandInEvaluator()
    problem = TSENASProblem(evaluator, n_min=3, n_max=8)
    res = minimize(problem, DE(pop_size=20, repair=GenomeRepair()), ("n_gen", 8), seed=4)
    assert_all_valid(problem, evaluator, res)


@pytest.mark.parametrize("make", [tsenas_ga, lambda problem: stock_ga()])
def test_same_seed_same_result(make):
    runs = []
    for _ in range(2):
        evaluator = StandInEvaluator()
        problem = TSENASProblem(evaluator, n_min=3, n_max=8)
        res = minimize(problem, make(problem), ("n_gen", 6), seed=7)
        runs.append((res.X.tolist(), res.F.tolist(), [g.key() for g in evaluator.seen]))
    assert runs[0] == runs[1]


def test_second_objective_computed_when_evaluator_lacks_it():
    problem = TSENASProblem(
        lambda g: {"accuracy": 0.5}, n_min=2, n_max=3, init_channels=4, objectives=("error", "flops")
    )
    out = problem.evaluate(NetworkGenome.from_cells([3, 7]).to_vector(3)[None, :], return_as_dictionary=True)
    assert out["F"][0, 0] == 0.5 and out["F"][0, 1] > 0 and out["flops"][0] == out["F"][0, 1]


def test_bad_evaluator_output_and_arguments_are_named():
    problem = TSENASProblem(lambda g: {"accuracy": 1.5}, n_min=2, n_max=3)
    with pytest.raises(ValueError, match=r"accuracy=1.5 .*rule: a number in \[0, 1\]"):
        problem.evaluate(NetworkGenome.from_cells([3, 7]).to_vector(3)[None, :])
    with pytest.raises(ValueError, match="n_max=2; rule"):
        TSENASProblem(lambda g: {}, n_min=3, n_max=2)
    with pytest.raises(ValueError, match="objectives"):
        TSENASProblem(lambda g: {}, objectives=("params",))
    with pytest.raises(ValueError, match="evaluator"):
        TSENASProblem(None)


def test_decode_names_invalid_vectors(problem):
    x = NetworkGenome.from_cells([3, 7, 3]).to_vector(8)
    x[8] = 9
    with pytest.raises(ValueError, match="cell 3: cell code 9"):
        problem.decode(x)


def test_settings_come_from_the_evaluator_and_must_agree():
    class Known:
        input_shape, num_classes, init_channels = (1, 28, 28), 5, 8

        def __call__(self, genome):
            return {"accuracy": 0.5}

    problem = TSENASProblem(Known(), n_min=2, n_max=4)
    assert (problem.input_shape, problem.num_classes, problem.init_channels) == ((1, 28, 28), 5, 8)
    assert problem.reduction_cap == 4
    with pytest.raises(ValueError, match=r"input_shape=\(1, 8, 8\) differs from the evaluator's"):
        TSENASProblem(Known(), input_shape=(1, 8, 8))


def test_decode_remembers_valid_vectors_and_refuses_invalid_ones_every_time(problem):
    x = NetworkGenome.from_cells([3, 7, 3]).to_vector(8)
    first = problem.decode(x)
    assert problem.decode(x.astype(float)) == first and problem.decode(list(x)) == first
    assert problem.decode(x.copy()) is first  # the same vector is decoded once
    bad = x.copy()
    bad[8] = 9
    for _ in range(2):
        with pytest.raises(ValueError, match="cell 3: cell code 9"):
            problem.decode(bad)


def test_an_evaluator_with_prefetch_gets_each_batch_before_its_evaluations():
    class Batched(StandInEvaluator):
        def __init__(self):
            super().__init__()
            self.batches, self.calls_before = [], []

        def prefetch(self, genomes):
            self.batches.append([g.key() for g in genomes])
            self.calls_before.append(len(self.seen))

    evaluator = Batched()
    problem = TSENASProblem(evaluator, n_min=3, n_max=8)
    minimize(problem, tsenas_ga(problem, pop_size=10), ("n_gen", 3), seed=1)
    assert len(evaluator.batches) == 3 and len(evaluator.batches[0]) == 10
    done = 0
    for batch, before in zip(evaluator.batches, evaluator.calls_before):
        assert before == done and [g.key() for g in evaluator.seen[done : done + len(batch)]] == batch
        done += len(batch)
    assert done == len(evaluator.seen)


def test_num_classes_given_to_the_problem_still_works_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match=r"num_classes=\.\.\.\) is deprecated"):
        problem = TSENASProblem(lambda g: {"accuracy": 0.5}, n_min=2, n_max=4, num_classes=5)
    assert problem.num_classes == 5
    from tsenas_pymoo.search.mixed_problem import TSENASMixedProblem

    mixed = TSENASMixedProblem(lambda g: {"accuracy": 0.5}, n_min=2, n_max=4, input_shape=(1, 28, 28))
    assert mixed.base.input_shape == (1, 28, 28) and mixed.n_var == len(mixed.vars)
