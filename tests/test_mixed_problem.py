"""pymoo's mixed-variable form of the stage-1 space: same genomes as the integer form,
every variable dict valid or infeasible, and MixedVariableGA under minimize."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pymoo.core.mixed import MixedVariableGA
from pymoo.optimize import minimize

from tsenas_pymoo import TSENASMixedProblem, TSENASProblem
from tsenas_pymoo.operators.sampling import sample_genome
from tsenas_pymoo.space.cells import CELLS


def test_the_space_has_no_gene_that_does_nothing(evaluator):
    problem = TSENASMixedProblem(evaluator, n_min=3, n_max=6, input_shape=(1, 28, 28))
    assert sorted(problem.vars) == sorted(
        ["n_cells"] + [f"cell{j}" for j in range(1, 7)] + [f"free{j}" for j in range(3, 7)]
    )
    assert tuple(problem.vars["cell4"].options) == tuple(CELLS) and problem.vars["free5"].bounds == (0, 3)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_min=st.integers(1, 4), extra=st.integers(0, 5))
def test_both_forms_decode_to_the_same_genomes(seed, n_min, extra):
    shape = (1, 28, 28)
    integer = TSENASProblem(lambda g: {"accuracy": 0.5}, n_min=n_min, n_max=n_min + extra, input_shape=shape)
    mixed = TSENASMixedProblem(lambda g: {"accuracy": 0.5}, n_min=n_min, n_max=n_min + extra, input_shape=shape)
    genome = sample_genome(np.random.default_rng(seed), n_min, n_min + extra, shape)
    x = mixed.encode(genome)
    assert mixed.decode(x) == genome == integer.decode(genome.to_vector(integer.n_max))


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_every_variable_dict_is_a_genome_or_infeasible(data):
    problem = TSENASMixedProblem(lambda g: {"accuracy": 0.5}, n_min=2, n_max=7, input_shape=(1, 8, 8))
    x = {"n_cells": data.draw(st.integers(2, 7))}
    for name, var in problem.vars.items():
        if name.startswith("cell"):
            x[name] = data.draw(st.sampled_from(list(var.options)))
        elif name.startswith("free"):
            x[name] = data.draw(st.integers(*var.bounds))
    chain = problem.chain(x)
    if problem.surplus(chain) > 0:
        out = {}
        problem._evaluate(x, out)
        assert out["G"][0] > 0 and out["F"][0] == 1.0
    else:
        assert problem.decode(x) == chain.validate(input_shape=(1, 8, 8))


def test_mixed_variable_ga_runs_under_minimize_without_repair(evaluator):
    problem = TSENASMixedProblem(evaluator, n_min=3, n_max=8, input_shape=(1, 8, 8))
    res = minimize(problem, MixedVariableGA(pop_size=10), ("n_gen", 5), seed=4)
    assert evaluator.seen and all(g.validate(3, 8, (1, 8, 8)) for g in evaluator.seen)
    best = problem.decode(res.X)
    assert abs(1 - res.F[0] - evaluator(best)["accuracy"]) < 1e-12
    again = minimize(
        TSENASMixedProblem(evaluator, n_min=3, n_max=8, input_shape=(1, 8, 8)),
        MixedVariableGA(pop_size=10),
        ("n_gen", 5),
        seed=4,
    )
    assert again.X == res.X  # the seed decides every draw
