"""Budgets as pymoo constraints: every algorithm's pick is within budget, a genome over
budget is never trained, and the skeleton's bounds hold for stock operators."""

import numpy as np
import pytest
from pymoo.algorithms.soo.nonconvex.ga import GA
from pymoo.core.mixed import MixedVariableGA
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.mutation.pm import PM
from pymoo.operators.repair.rounding import RoundingRepair
from pymoo.operators.sampling.rnd import IntegerRandomSampling
from pymoo.optimize import minimize

from tsenas_pymoo import TSENAS, GenomeRepair, TSENASMixedProblem, TSENASProblem
from tsenas_pymoo.space.cost import cost_by_parts
from tsenas_pymoo.space.width import Budget, BudgetWidth

SHAPE = (1, 8, 8)
MAX_PARAMS = 60_000


class BiggerIsBetter:
    """A stand-in whose accuracy grows with parameters (what a search at fixed width
    mostly finds), so only the constraint keeps a search inside the budget; it records
    every genome it is asked to train."""

    def __init__(self, width=16):
        self.width, self.trained = width, []

    def __call__(self, genome):
        self.trained.append(genome)
        params = cost_by_parts(genome, SHAPE, 10, self.width)["params"]
        return {"accuracy": min(0.99, params / 200_000)}


def over(genome, width=16):
    return cost_by_parts(genome, SHAPE, 10, width)["params"] > MAX_PARAMS


def test_without_the_budget_the_stand_in_picks_a_network_over_it():
    evaluator = BiggerIsBetter()
    problem = TSENASProblem(evaluator, n_min=3, n_max=8, input_shape=SHAPE, init_channels=16)
    res = minimize(problem, TSENAS(pop_size=8, fine_size=2, stage1_gens=3, stage2_gens=0), seed=1)
    assert over(problem.decode(res.X)), "the test needs a budget that binds"


@pytest.mark.parametrize("algorithm", ["tsenas", "stock-ga", "mixed-ga"])
def test_every_algorithm_picks_within_budget_and_never_trains_over_it(algorithm):
    evaluator = BiggerIsBetter()
    kwargs = dict(n_min=3, n_max=8, input_shape=SHAPE, init_channels=16, max_params=MAX_PARAMS)
    if algorithm == "mixed-ga":
        problem = TSENASMixedProblem(evaluator, **kwargs)
        method, termination = MixedVariableGA(pop_size=10), ("n_gen", 5)
    elif algorithm == "stock-ga":
        problem = TSENASProblem(evaluator, **kwargs)
        method = GA(
            pop_size=10,
            sampling=IntegerRandomSampling(),
            crossover=SBX(vtype=float, repair=RoundingRepair()),
            mutation=PM(vtype=float, repair=RoundingRepair()),
            repair=GenomeRepair(),
        )
        termination = ("n_gen", 5)
    else:
        problem = TSENASProblem(evaluator, **kwargs)
        method, termination = TSENAS(pop_size=8, fine_size=2, stage1_gens=3, stage2_gens=2), None
    res = minimize(problem, method, termination, seed=1)
    assert res.X is not None and res.CV is not None and res.CV[0] <= 0
    pick = problem.decode(res.X)
    assert not over(pick)
    assert evaluator.trained and not any(over(g) for g in evaluator.trained)
    # over-budget individuals were seen and marked, not trained
    G = res.algorithm.pop.get("G") if algorithm != "tsenas" else res.pop.get("G")
    assert G.shape[1] == (2 if algorithm == "mixed-ga" else 1)


def test_an_over_budget_genome_gets_the_worst_error_and_its_cost():
    evaluator = BiggerIsBetter()
    problem = TSENASProblem(evaluator, n_min=3, n_max=8, input_shape=SHAPE, init_channels=16, max_params=1_000)
    genome = problem.decode(np.array([0, 0, 1, 0, 1, 1, 0, 2, 1] + [0] * 15))
    out = problem.evaluate_checked(genome)
    assert out["F"] == [1.0] and out["G"][0] > 0 and out["params"] == cost_by_parts(genome, SHAPE, 10, 16)["params"]
    assert evaluator.trained == []


def test_a_width_rule_brings_its_budget_and_puts_every_network_at_it():
    rule = BudgetWidth(Budget(max_params=MAX_PARAMS), SHAPE)
    evaluator = BiggerIsBetter()
    problem = TSENASProblem(evaluator, n_min=3, n_max=8, input_shape=SHAPE, init_channels=rule)
    assert problem.budget == rule.budget and problem.n_ieq_constr == 1
    minimize(problem, TSENAS(pop_size=6, fine_size=2, stage1_gens=2, stage2_gens=1), seed=2)
    used = [cost_by_parts(g, SHAPE, 10, rule)["params"] / MAX_PARAMS for g in evaluator.trained]
    assert min(used) >= 0.9 and max(used) <= 1.0


def test_a_skeleton_bounds_each_code_to_its_positions_type():
    problem = TSENASProblem(lambda g: {"accuracy": 0.5}, n_min=8, n_max=8, input_shape=(1, 28, 28), skeleton="8:3,6")
    codes = slice(2, None, 3)
    assert list(problem.xl[codes]) == [1, 1, 5, 1, 1, 5, 1, 1] and list(problem.xu[codes]) == [4, 4, 8, 4, 4, 8, 4, 4]
    mixed = TSENASMixedProblem(lambda g: {"accuracy": 0.5}, n_min=8, n_max=8, input_shape=(1, 28, 28), skeleton="8:3,6")
    assert tuple(mixed.vars["cell3"].options) == (5, 6, 7, 8) and tuple(mixed.vars["cell4"].options) == (1, 2, 3, 4)
    with pytest.raises(ValueError, match="skeleton=8:3,6; rule: n_min = n_max"):
        TSENASProblem(lambda g: {"accuracy": 0.5}, n_min=4, n_max=8, input_shape=(1, 28, 28), skeleton="8:3,6")


def test_tsenas_inside_a_skeleton_keeps_it():
    seen = []

    def evaluator(genome):
        seen.append(genome)
        return {"accuracy": 0.5 + 0.01 * sum(genome.codes) / 8}

    problem = TSENASProblem(evaluator, n_min=8, n_max=8, input_shape=(1, 28, 28), skeleton="8:3,6")
    minimize(problem, TSENAS(pop_size=6, fine_size=2, stage1_gens=3, stage2_gens=1), seed=3)
    assert seen and all([j for j, c in enumerate(g.codes, 1) if c >= 5] == [3, 6] for g in seen)


def test_min_budget_use_makes_a_network_far_under_budget_infeasible_untrained():
    evaluator = BiggerIsBetter()
    problem = TSENASProblem(
        evaluator, n_min=3, n_max=8, input_shape=SHAPE, init_channels=16, max_params=MAX_PARAMS, min_budget_use=0.9
    )
    assert problem.n_ieq_constr == 2
    small = problem.decode(np.array([0, 0, 1, 0, 1, 1, 0, 2, 1] + [0] * 15))
    out = problem.evaluate_checked(small)
    assert out["G"][1] > 0 and out["F"] == [1.0] and evaluator.trained == []
