import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymoo.core.population import Population

from tsenas_pymoo import GenomeDuplicateElimination, NetworkGenome


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    """Stage-1 keys are remembered per process (``_stage1_key``): each test computes its
    own, so a key another test (or a run before a fork) left there cannot hide a fault."""
    from tsenas_pymoo.operators.duplicates import _stage1_key

    _stage1_key.cache_clear()


def test_duplicates_compare_decoded_genomes(problem):
    g = NetworkGenome.from_cells([3, 5, 1])
    other = NetworkGenome.from_cells([3, 5, 2])
    raw = g.to_vector(8).astype(float)
    pop = Population.new("X", np.array([g.to_vector(8), raw + 0.0, other.to_vector(8)]))
    kept = GenomeDuplicateElimination(problem.decode).do(pop)
    assert len(kept) == 2
    against = GenomeDuplicateElimination(problem.decode).do(Population.new("X", np.array([other.to_vector(8)])), pop)
    assert len(against) == 0


def test_stage2_expansion_equals_its_stage1_genome(problem):
    g = NetworkGenome.from_cells([3, 5, 1])
    elim = GenomeDuplicateElimination(problem.decode)
    a = Population.new("X", np.array([g.to_vector(8)]))
    b = Population.new("X", np.array([g.expand().to_vector(8)]))
    assert elim.key(a[0]) == elim.key(b[0])


def test_vectors_that_do_not_decode_are_compared_by_their_values():
    import numpy as np
    from pymoo.core.population import Population

    from tsenas_pymoo import GenomeDuplicateElimination, NetworkGenome

    good = NetworkGenome.from_cells([3, 7, 3]).to_vector(4)
    bad = np.array([9] * 12)  # cell code 9: no genome
    other_bad = np.array([9] * 11 + [8])
    elim = GenomeDuplicateElimination()  # default: stage-1 decoding
    assert elim.key(Population.new("X", [good])[0]) == NetworkGenome.from_cells([3, 7, 3]).key()
    assert elim.key(Population.new("X", [bad])[0]) == "raw:" + ",".join(["9"] * 12)
    pop = Population.new("X", np.array([bad, other_bad, bad, good]))
    kept = elim.do(pop)
    assert [x.tolist() for x in kept.get("X")] == [bad.tolist(), other_bad.tolist(), good.tolist()]


def _mixed_population(rng, n: int) -> Population:
    """Mixed-variable individuals over a small space, so that many repeat (ints, numpy
    ints and strings as pymoo's Choice and Integer variables hand them over)."""
    rows = [
        {"n": int(rng.integers(1, 3)), "c0": np.int64(rng.integers(0, 2)), "op": str(rng.choice(["a", "b"]))}
        for _ in range(n)
    ]
    pop = Population.new("X", [None] * n)
    for ind, x in zip(pop, rows):
        ind.X = x
    return pop


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), m=st.integers(0, 12))
def test_hashed_mixed_elimination_keeps_what_pymoos_pairwise_one_keeps(seed, n, m):
    from pymoo.core.mixed import MixedVariableDuplicateElimination

    from tsenas_pymoo.operators.duplicates import HashedMixedVariableElimination

    rng = np.random.default_rng(seed)
    pop, other = _mixed_population(rng, n), _mixed_population(rng, m)
    ours = HashedMixedVariableElimination().do(pop, other, return_indices=True)
    pymoos = MixedVariableDuplicateElimination().do(pop, other, return_indices=True)
    assert [id(ind) for ind in ours[0]] == [id(ind) for ind in pymoos[0]]  # the same individuals, same order
    assert ours[1] == pymoos[1] and ours[2] == pymoos[2]


def test_an_individual_is_keyed_once_until_its_vector_is_replaced():
    from pymoo.core.individual import Individual

    calls = []

    def decode(x):
        calls.append(tuple(x))
        return NetworkGenome.from_vector(x)

    eliminate = GenomeDuplicateElimination(decode)
    a, b = NetworkGenome.from_cells([3, 5, 1]), NetworkGenome.from_cells([3, 5, 2])
    ind = Individual(X=a.to_vector(8))
    assert eliminate.key(ind) == eliminate.key(ind) == a.key() and len(calls) == 1
    ind.X = b.to_vector(8)  # pymoo replaces X, never edits it in place
    assert eliminate.key(ind) == b.key() and len(calls) == 2


def test_mixed_variable_dicts_and_object_vectors_are_keyed_by_their_genome():
    from pymoo.core.individual import Individual

    from tsenas_pymoo.search.mixed_problem import TSENASMixedProblem

    g = NetworkGenome.from_cells([3, 5, 1])
    mixed = TSENASMixedProblem(lambda genome: {"accuracy": 0.5}, n_min=3, n_max=8)
    assert GenomeDuplicateElimination(mixed.decode).key(Individual(X=mixed.encode(g))) == g.key()
    as_objects = np.array(list(g.to_vector(8)), dtype=object)
    assert GenomeDuplicateElimination().key(Individual(X=as_objects)) == g.key()
