import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pymoo.core.population import Population

from tsenas_pymoo import CellMutation, NetworkGenome
from tsenas_pymoo.operators.mutation import mutate_cells, mutate_connections, mutate_genome
from tsenas_pymoo.operators.sampling import sample_genome
from tsenas_pymoo.space.cells import is_reduction


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_mutants_are_valid_and_differ(seed):
    rng = np.random.default_rng(seed)
    g = sample_genome(rng, 1, 9, (1, 8, 8))
    m = mutate_genome(g, rng)
    m.validate(n_min=1, n_max=9, input_shape=(1, 8, 8))
    assert m != g and m.n_cells == g.n_cells


def test_cell_mutation_preserves_type_and_connections():
    rng = np.random.default_rng(0)
    g = NetworkGenome.from_cells([1, 5, 2, 6, 3])
    for _ in range(100):
        m = mutate_cells(g, rng)
        assert [is_reduction(c) for c in m.codes] == [is_reduction(c) for c in g.codes]
        assert m.free_inputs == g.free_inputs and m.codes != g.codes


def test_connection_mutation_changes_only_free_inputs_in_range():
    rng = np.random.default_rng(0)
    g = NetworkGenome.from_cells([1, 5, 2, 6, 3])
    for _ in range(100):
        m = mutate_connections(g, rng)
        assert m.codes == g.codes and m.free_inputs != g.free_inputs
        assert m.free_inputs[:2] == (0, 0)
        assert all(0 <= a <= j - 2 for j, a in enumerate(m.free_inputs, start=1) if j >= 3)
    assert mutate_connections(NetworkGenome.from_cells([1, 2]), rng) is None


def test_both_kinds_are_chosen_with_equal_chance():
    rng = np.random.default_rng(1)
    g = NetworkGenome.from_cells([1, 5, 2, 6, 3])
    kinds = [mutate_genome(g, rng).codes == g.codes for _ in range(2000)]
    assert 0.45 < np.mean(kinds) < 0.55


def test_pymoo_mutation_applies_with_prob(problem):
    rng = np.random.default_rng(2)
    genomes = [sample_genome(rng, 3, 8, (1, 8, 8)) for _ in range(200)]
    X = np.array([g.to_vector(8) for g in genomes])
    off = CellMutation(prob=0.2).do(problem, Population.new("X", X.copy()), random_state=rng)
    changed = np.any(off.get("X") != X, axis=1)
    assert 0.1 < changed.mean() < 0.3
    for x in off.get("X"):
        problem.decode(x)


def test_kinds_limit_the_mutation():
    rng = np.random.default_rng(3)
    g = NetworkGenome.from_cells([1, 5, 2, 6, 3])
    assert all(mutate_genome(g, rng, kinds=("cell",)).free_inputs == g.free_inputs for _ in range(50))
    assert all(mutate_genome(g, rng, kinds=("connection",)).codes == g.codes for _ in range(50))
    import pytest

    with pytest.raises(ValueError, match="kinds"):
        CellMutation(kinds=("swap",))


def test_prob_var_one_mutates_every_point_and_reaches_every_kind():
    import numpy as np

    from tsenas_pymoo import NetworkGenome
    from tsenas_pymoo.operators.mutation import mutate_cells, mutate_connections, mutate_genome

    genome = NetworkGenome((3, 7, 3, 4, 3), (0, 0, 1, 2, 0))
    rng = np.random.default_rng(0)
    cells = mutate_cells(genome, rng, prob_var=1.0)
    assert all(x != y for x, y in zip(cells.codes, genome.codes))
    links = mutate_connections(genome, rng, prob_var=1.0)
    # cells 3, 4, 5 have a choice of free input ([0, j-2]); cells 1 and 2 do not
    assert [x != y for x, y in zip(links.free_inputs, genome.free_inputs)] == [False, False, True, True, True]
    linked = mutate_genome(genome, rng, prob_var=1.0, kinds=("connection",))
    assert linked.codes == genome.codes
    assert [x != y for x, y in zip(linked.free_inputs, genome.free_inputs)] == [False, False, True, True, True]
    changed = mutate_genome(genome, rng, prob_var=1.0, kinds=("cell",))
    assert all(x != y for x, y in zip(changed.codes, genome.codes))
    for _ in range(10):  # either kind, every point of it
        either = mutate_genome(genome, rng, prob_var=1.0)
        assert either.codes == genome.codes or all(x != y for x, y in zip(either.codes, genome.codes))


def test_by_default_one_point_is_mutated_on_average():
    import numpy as np

    from tsenas_pymoo import NetworkGenome
    from tsenas_pymoo.operators.mutation import mutate_cells

    genome = NetworkGenome((3, 4, 3, 4, 3, 4), (0,) * 6)
    rng = np.random.default_rng(1)
    changed = [sum(x != y for x, y in zip(mutate_cells(genome, rng).codes, genome.codes)) for _ in range(2000)]
    # each of 6 cells with rate 1/6, at least one: mean 1 + (5/6)^6 = 1.33
    assert 1.25 < np.mean(changed) < 1.42


def test_a_genome_with_no_choice_of_connection_mutates_a_cell_instead():
    import numpy as np

    from tsenas_pymoo import NetworkGenome
    from tsenas_pymoo.operators.mutation import mutate_connections, mutate_genome

    two = NetworkGenome((3, 4), (0, 0))
    assert mutate_connections(two, np.random.default_rng(0)) is None
    assert mutate_genome(two, np.random.default_rng(0), kinds=("connection",)) == two
    rng = np.random.default_rng(0)
    assert all(mutate_genome(two, rng).codes != two.codes for _ in range(5))


def test_mutation_defaults_and_the_options_the_operator_passes_on(problem):
    from tsenas_pymoo.operators.mutation import KINDS

    m = CellMutation()
    assert m.prob.value == 0.2 and m.cell_prob is None and m.kinds == KINDS
    assert CellMutation(kinds=("connection",)).kinds == ("connection",)
    assert CellMutation(name="fig3b").name == "fig3b"  # pymoo's options reach its base
    g = NetworkGenome((3, 7, 3, 4, 3, 8, 1), (0, 0, 1, 2, 0, 3, 4))
    X = np.array([g.to_vector(8)])
    for options in ({"prob_var": 1.0}, {"kinds": ("connection",)}):
        op = CellMutation(prob=1.0, **options)
        Y = op._do(problem, X, random_state=np.random.default_rng(3))
        expected = mutate_genome(g, np.random.default_rng(3), op.cell_prob, op.kinds)
        assert problem.decode(Y[0]).key() == expected.key()
    assert np.array_equal(X, [g.to_vector(8)])  # the parents' vectors are left as they were


def test_prob_var_reaches_pymoos_base_and_an_old_pickle_keeps_its_rate():
    import pickle

    m = CellMutation(prob_var=0.3)
    assert m.prob_var.value == 0.3 and m.cell_prob == 0.3 and CellMutation().prob_var is None
    old = CellMutation()
    state = dict(old.__dict__, cell_prob=0.4)  # as 0.7 pickled it: the rate beside pymoo's prob_var None
    revived = CellMutation.__new__(CellMutation)
    revived.__setstate__(state)
    assert revived.cell_prob == 0.4 and "cell_prob" not in revived.__dict__
    assert revived.prob_var.bounds == CellMutation(prob_var=0.4).prob_var.bounds  # as pymoo's base makes it
    default = CellMutation.__new__(CellMutation)
    default.__setstate__(dict(old.__dict__, cell_prob=None))  # 0.7's default: 1/N
    assert default.prob_var is None and default.cell_prob is None
    assert pickle.loads(pickle.dumps(m)).cell_prob == 0.3
