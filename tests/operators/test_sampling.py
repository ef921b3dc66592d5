import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tsenas_pymoo import NetworkGenome, TSENASSampling
from tsenas_pymoo.operators.sampling import sample_genome
from tsenas_pymoo.space.cells import is_reduction


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_min=st.integers(1, 6),
    extra=st.integers(0, 6),
    shape=st.sampled_from([(1, 8, 8), (1, 28, 28), (3, 32, 32), (1, 2, 2)]),
)
def test_every_sample_is_valid(seed, n_min, extra, shape):
    g = sample_genome(np.random.default_rng(seed), n_min, n_min + extra, shape)
    g.validate(n_min=n_min, n_max=n_min + extra, input_shape=shape)


def test_alg3_counter_rule_and_depth_spread():
    rng = np.random.default_rng(0)
    genomes = [sample_genome(rng, 3, 9) for _ in range(2000)]
    depths = {g.n_cells for g in genomes}
    assert depths == set(range(3, 10))
    for g in genomes:
        # after ceil(N/2) reduction cells only normal cells are drawn
        k = 0
        for code in g.codes:
            if k >= int(np.ceil(g.n_cells / 2)):
                assert not is_reduction(code)
            k += is_reduction(code)
    assert max(g.n_reductions for g in genomes if g.n_cells == 9) == 5
    assert all(g.free_inputs[0] == 0 and g.free_inputs[1] == 0 for g in genomes)
    assert {g.free_inputs[4] for g in genomes if g.n_cells >= 5} == {0, 1, 2, 3}


def test_input_size_caps_reductions():
    rng = np.random.default_rng(1)
    assert max(sample_genome(rng, 10, 10, (1, 8, 8)).n_reductions for _ in range(300)) == 3


def test_sampling_operator_returns_problem_vectors(problem):
    X = TSENASSampling().do(problem, 30, random_state=np.random.default_rng(3)).get("X")
    assert X.shape == (30, problem.n_var)
    assert np.all(problem.xl <= X) and np.all(problem.xu >= X)
    for x in X:
        NetworkGenome.from_vector(x, n_min=3, n_max=8, input_shape=(1, 8, 8))


def test_the_sampling_operator_draws_inside_the_problems_skeleton():
    from tsenas_pymoo import TSENASProblem, TSENASSampling

    problem = TSENASProblem(lambda g: {"accuracy": 0.5}, n_min=8, n_max=8, input_shape=(1, 28, 28), skeleton="8:3,6")
    X = TSENASSampling().do(problem, 12, random_state=np.random.default_rng(0)).get("X")
    assert X.dtype == np.int64
    for x in X:
        genome = problem.decode(x)
        assert [j for j, code in enumerate(genome.codes, start=1) if code >= 5] == [3, 6]
