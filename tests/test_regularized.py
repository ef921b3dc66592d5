"""Regularized (aging) evolution on the TS-ENAS space."""

import numpy as np
import pytest
from pymoo.core.population import Population
from pymoo.optimize import minimize

from tsenas_pymoo import TSENASProblem
from tsenas_pymoo.search.regularized import AgingSurvival, RegularizedEvolution, best_of_sample


def test_the_parent_is_the_best_of_its_sample():
    pop = Population.new("F", np.array([[0.5], [0.1], [0.3], [0.2]]))
    winners = best_of_sample(pop, np.array([[0, 2, 3], [0, 2, 2], [1, 0, 3]]), random_state=np.random.default_rng(0))
    assert winners[:, 0].tolist() == [3, 2, 1]


def test_the_oldest_leave_however_good():
    pop = Population.new("F", np.array([[0.0], [0.9], [0.5], [0.4]]), "n_gen", np.array([1, 1, 2, 3]))
    kept = AgingSurvival().do(None, pop, n_survive=2)
    assert kept.get("n_gen").tolist() == [2, 3] and 0.0 not in kept.get("F")


def test_a_run_keeps_the_youngest_population_and_answers_the_best_ever(evaluator):
    problem = TSENASProblem(evaluator, n_min=3, n_max=6, input_shape=(1, 16, 16))
    algorithm = RegularizedEvolution(pop_size=20, sample_size=5, n_offsprings=4)
    res = minimize(problem, algorithm, ("n_gen", 15), seed=1)
    born = res.algorithm.pop.get("n_gen")
    assert sorted(born.tolist()) == sorted([11, 12, 13, 14, 15] * 4) and res.algorithm.evaluator.n_eval == 20 + 14 * 4
    errors = [1 - evaluator(g)["accuracy"] for g in {g.key(): g for g in evaluator.seen}.values()]
    assert res.F[0] == pytest.approx(min(errors))
    problem = TSENASProblem(type(evaluator)(), n_min=3, n_max=6, input_shape=(1, 16, 16))
    again = minimize(problem, RegularizedEvolution(pop_size=20, sample_size=5, n_offsprings=4), ("n_gen", 15), seed=1)
    assert again.F.tolist() == res.F.tolist()


def test_sample_size_is_checked():
    with pytest.raises(ValueError, match="sample_size=30; rule: 2 <= S <= pop_size=20"):
        RegularizedEvolution(pop_size=20, sample_size=30)
    assert RegularizedEvolution(pop_size=100).n_offsprings == 10
