import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pymoo.core.population import Population

from tsenas_pymoo import CellCrossover, NetworkGenome
from tsenas_pymoo.operators.crossover import cross_cells
from tsenas_pymoo.operators.sampling import sample_genome
from tsenas_pymoo.space.cells import is_reduction


def types(g):
    return [is_reduction(c) for c in g.codes]


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_children_valid_and_type_preserving(seed):
    rng = np.random.default_rng(seed)
    a, b = sample_genome(rng, 2, 9, (1, 8, 8)), sample_genome(rng, 2, 9, (1, 8, 8))
    c, d = cross_cells(a, b, rng)
    for parent, child in ((a, c), (b, d)):
        child.validate(n_min=2, n_max=9, input_shape=(1, 8, 8))
        assert types(child) == types(parent)  # normal only with normal, reduction with reduction
        assert child.free_inputs == parent.free_inputs
    assert sorted(a.codes + b.codes) == sorted(c.codes + d.codes)  # cells are exchanged, not made


def test_shorter_parent_is_reference_and_missing_types_are_skipped():
    short = NetworkGenome.from_cells([1, 5, 2])  # N, R, N
    long = NetworkGenome.from_cells([3, 3, 4, 4, 4])  # no reduction cell
    rng = np.random.default_rng(0)
    for _ in range(50):
        c, d = cross_cells(long, short, rng, swap_prob=1.0)
        # the reduction cell has no partner and stays; the two normals swap with the
        # first two normals of the longer parent; the rest of the longer one stays
        assert d.codes == (3, 5, 3)
        assert c.codes == (1, 2, 4, 4, 4)


def test_multi_point_exchanges_at_least_one_pair():
    a, b = NetworkGenome.from_cells([1, 1, 1]), NetworkGenome.from_cells([2, 2, 2])
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(200):
        c, _ = cross_cells(a, b, rng)
        assert c != a
        seen.add(c.codes)
    assert len(seen) == 7  # every non-empty subset of the three points


def test_pymoo_crossover_two_parents_two_children(problem):
    rng = np.random.default_rng(5)
    genomes = [sample_genome(rng, 3, 8, (1, 8, 8)) for _ in range(8)]
    pop = Population.new("X", np.array([g.to_vector(8) for g in genomes]))
    parents = np.arange(8).reshape(4, 2)
    off = CellCrossover(prob=1.0).do(problem, pop, parents, random_state=rng)
    assert len(off) == 8
    for x in off.get("X"):
        problem.decode(x)


def test_single_point_swaps_a_suffix_of_the_pairs():
    a, b = NetworkGenome.from_cells([1, 1, 1, 1]), NetworkGenome.from_cells([2, 2, 2, 2])
    rng = np.random.default_rng(0)
    seen = {cross_cells(a, b, rng, single_point=True)[0].codes for _ in range(200)}
    assert seen == {(2, 2, 2, 2), (1, 2, 2, 2), (1, 1, 2, 2), (1, 1, 1, 2)}


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000))
def test_carried_connections_travel_with_their_cell(seed):
    from tsenas_pymoo.operators.sampling import sample_genome
    from tsenas_pymoo.space.genome import max_free_input

    rng = np.random.default_rng(seed)
    a, b = sample_genome(rng, 3, 9), sample_genome(rng, 3, 9)
    plain = cross_cells(a, b, np.random.default_rng(seed))
    carried = cross_cells(a, b, np.random.default_rng(seed), carry_connections=True)
    assert [c.codes for c in plain] == [c.codes for c in carried]  # the same crossover points
    for child, parent, other in zip(carried, (a, b), (b, a)):
        child.validate()
        for j, (code, free) in enumerate(zip(child.codes, child.free_inputs)):
            if code == parent.codes[j] and free == parent.free_inputs[j]:
                continue
            # a swapped cell: its free input came from the other parent's paired cell, clipped
            assert free <= max_free_input(j + 1)
            assert any(free == min(f, max_free_input(j + 1)) for f in other.free_inputs)


def test_carried_connections_swap_with_the_cell_and_are_clipped():
    a = NetworkGenome((1, 2, 3, 4), (0, 0, 1, 2))
    b = NetworkGenome((4, 3, 2), (0, 0, 0))
    plain = cross_cells(a, b, np.random.default_rng(0), swap_prob=1.0)
    carried = cross_cells(a, b, np.random.default_rng(0), swap_prob=1.0, carry_connections=True)
    # the shorter b is the reference: its cells pair with a's first three, all swapped
    assert [c.codes for c in carried] == [c.codes for c in plain] == [(4, 3, 2, 4), (1, 2, 3)]
    assert [c.free_inputs for c in plain] == [a.free_inputs, b.free_inputs]  # connections stay put
    assert [c.free_inputs for c in carried] == [(0, 0, 0, 2), (0, 0, 1)]  # they travel with the cells
    # a's normal cells 3 and 4 (free inputs 1 and 2) move to b's positions 1 and 2: clipped to 0
    a, b = NetworkGenome((5, 6, 1, 2), (0, 0, 1, 2)), NetworkGenome((3, 4), (0, 0))
    children = cross_cells(a, b, np.random.default_rng(0), swap_prob=1.0, carry_connections=True)
    assert [c.codes for c in children] == [(5, 6, 3, 4), (1, 2)]
    assert [c.free_inputs for c in children] == [(0, 0, 0, 0), (0, 0)]
    for child in children:
        child.validate()


def test_crossover_defaults_are_the_papers_and_the_operator_passes_its_options_on(problem):
    import numpy as np

    from tsenas_pymoo import CellCrossover, NetworkGenome
    from tsenas_pymoo.operators.crossover import cross_cells

    c = CellCrossover()
    assert c.prob.value == 0.8 and c.swap_prob == 0.5 and (c.n_parents, c.n_offsprings) == (2, 2)
    assert c.single_point is False and c.carry_connections is False
    a, b = NetworkGenome((3, 7, 3, 4, 3), (0, 0, 1, 2, 0)), NetworkGenome((4, 8, 4, 3), (0, 0, 0, 1))
    X = np.array([[a.to_vector(8)], [b.to_vector(8)]])
    for options in ({"single_point": True}, {"carry_connections": True, "swap_prob": 1.0}):
        op = CellCrossover(**options)
        Y = op._do(problem, X, random_state=np.random.default_rng(4))
        expected = cross_cells(a, b, np.random.default_rng(4), op.swap_prob, op.single_point, op.carry_connections)
        assert [problem.decode(Y[p, 0]).key() for p in range(2)] == [g.key() for g in expected]


def test_every_pair_swaps_at_swap_prob_one_the_kth_reduction_with_the_kth_reduction():
    import numpy as np

    from tsenas_pymoo import NetworkGenome
    from tsenas_pymoo.operators.crossover import cross_cells

    a, b = NetworkGenome.from_cells([3, 7, 3]), NetworkGenome.from_cells([4, 8, 4])
    first, second = cross_cells(a, b, np.random.default_rng(0), swap_prob=1.0)
    assert (first.codes, second.codes) == ((4, 8, 4), (3, 7, 3))


def test_chains_with_no_cell_type_in_common_come_back_unchanged():
    """All-normal against all-reduction: no pair, so nothing to swap (single point too)."""
    a, b = NetworkGenome.from_cells([3, 3]), NetworkGenome.from_cells([7])
    for single_point in (False, True):
        assert cross_cells(a, b, np.random.default_rng(0), single_point=single_point) == (a, b)
    assert CellCrossover(name="fig3a").name == "fig3a"  # pymoo's options reach its base


def test_every_operator_writes_integer_vectors(problem):
    """The problem's variables are integers: offspring, mutants, samples and repairs are
    int64 arrays, never floats that merely hold integers."""
    from tsenas_pymoo import CellMutation, GenomeRepair, TSENASSampling

    rng = np.random.default_rng(0)
    X = np.array([sample_genome(rng, 3, 8, (1, 8, 8)).to_vector(8) for _ in range(4)])
    outputs = [
        CellCrossover(prob=1.0)._do(problem, X.reshape(2, 2, -1), random_state=rng),
        CellMutation(prob=1.0)._do(problem, X, random_state=rng),
        TSENASSampling()._do(problem, 4, random_state=rng),
        GenomeRepair()._do(problem, X.astype(float)),
    ]
    assert [y.dtype for y in outputs] == [np.dtype(np.int64)] * 4
