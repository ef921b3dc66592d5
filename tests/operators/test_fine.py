import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymoo.core.population import Population

from tsenas_pymoo import CellGenome, FineGenome, NetworkGenome, NodeEdgeMutation, PruningMutation
from tsenas_pymoo.operators.fine import mutate_edge, mutate_fine, mutate_node, prune_fine, prune_node
from tsenas_pymoo.operators.sampling import sample_genome
from tsenas_pymoo.space.genome import EMPTY_NODE
from tsenas_pymoo.space.ops import MUTABLE_OPS


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(1, 12))
def test_chains_of_fine_operators_stay_valid(seed, steps):
    rng = np.random.default_rng(seed)
    g = sample_genome(rng, 1, 8, (1, 8, 8)).expand()
    for _ in range(steps):
        g = (mutate_fine if rng.random() < 0.5 else prune_fine)(g, rng)
        g.validate()
        assert FineGenome.from_vector(g.to_vector(8), n_max=8) == g
        for cell in g.cells:
            assert len(cell.live_nodes()) >= 1


def test_edge_mutation_changes_one_op_within_table_i():
    rng = np.random.default_rng(0)
    cell = CellGenome.published(3)
    for _ in range(100):
        m = mutate_edge(cell, rng)
        diff = [(a, b) for na, nb in zip(cell.nodes, m.nodes) for a, b in zip(na, nb) if a != b]
        assert len(diff) == 1 and diff[0][1] in MUTABLE_OPS


def test_node_mutation_rewires_one_input_to_an_earlier_node():
    rng = np.random.default_rng(0)
    cell = CellGenome.published(1)
    for _ in range(100):
        m = mutate_node(cell, rng).validate()
        changed = [
            (k, a, b)
            for k, (na, nb) in enumerate(zip(cell.nodes, m.nodes), start=2)
            for a, b in zip(na[:2], nb[:2])
            if a != b
        ]
        assert len(changed) == 1
        k, _, new = changed[0]
        assert new < k
        assert [n[2:] for n in cell.nodes] == [n[2:] for n in m.nodes]


def test_pruning_zeroes_a_node_and_rewires_its_consumers():
    cell = CellGenome.published(3)  # node 5 reads node 2
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(200):
        p = prune_node(cell, rng).validate()
        assert len(p.live_nodes()) == 3
        gone = next(k for k in cell.live_nodes() if k not in p.live_nodes())
        assert p.node(gone) == EMPTY_NODE
        if gone == 2:
            assert p.node(5)[1] in (0, 1) and p.node(5)[3] == 4  # re-wired to node 2's inputs
        seen.add(gone)
    assert seen == {2, 3, 4, 5}


def test_pruning_keeps_at_least_one_node():
    rng = np.random.default_rng(0)
    g = NetworkGenome.from_cells([3, 7]).expand()
    for _ in range(20):
        g = prune_fine(g, rng)
    assert all(len(c.live_nodes()) == 1 for c in g.cells)
    assert prune_fine(g, rng) == g


def test_pymoo_fine_mutations_on_stage2_vectors():
    rng = np.random.default_rng(4)
    X = np.array([sample_genome(rng, 2, 5, (1, 8, 8)).expand().to_vector(5) for _ in range(10)])
    for op in (NodeEdgeMutation(), PruningMutation()):
        Y = op.do(None, Population.new("X", X.copy()), random_state=rng).get("X")
        assert np.any(Y != X)
        for y in Y:
            FineGenome.from_vector(y, n_max=5).validate()


def test_fine_kinds_limit_the_mutation():
    rng = np.random.default_rng(1)
    g = NetworkGenome.from_cells([3, 7, 1]).expand()
    for _ in range(30):
        edge_only = mutate_fine(g, rng, ("edge",))
        assert [[n[:2] for n in c.nodes] for c in edge_only.cells] == [[n[:2] for n in c.nodes] for c in g.cells]
        node_only = mutate_fine(g, rng, ("node",))
        assert [[n[2:] for n in c.nodes] for c in node_only.cells] == [[n[2:] for n in c.nodes] for c in g.cells]
    with pytest.raises(ValueError, match="kinds"):
        mutate_fine(g, rng, ())


def test_every_cell_is_edited_unless_a_number_of_cells_is_given():
    rng = np.random.default_rng(5)
    g = NetworkGenome.from_cells([3, 7, 1, 5, 4]).expand()
    for _ in range(20):
        every = mutate_fine(g, rng)
        assert all(a != b for a, b in zip(every.cells, g.cells))  # Alg. 4 line 5: every cell
        assert every.free_inputs == g.free_inputs and [c.code for c in every.cells] == [c.code for c in g.cells]
        one = mutate_fine(g, rng, n_cells=1)
        assert sum(a != b for a, b in zip(one.cells, g.cells)) == 1
        two = mutate_fine(g, rng, n_cells=2)
        assert sum(a != b for a, b in zip(two.cells, g.cells)) == 2
        assert all(a != b for a, b in zip(mutate_fine(g, rng, n_cells=9).cells, g.cells))  # more than there are
    with pytest.raises(ValueError, match=r"n_cells=0; rule: at least 1"):
        mutate_fine(g, rng, n_cells=0)
    with pytest.raises(ValueError, match=r"kinds=\('cell',\); rule: a non-empty subset"):
        mutate_fine(g, rng, ("cell",))


def test_both_kinds_are_drawn_about_equally():
    rng = np.random.default_rng(7)
    g = NetworkGenome.from_cells([3]).expand()
    edits = [mutate_fine(g, rng).cells[0] for _ in range(400)]
    node = sum(any(a[:2] != b[:2] for a, b in zip(e.nodes, g.cells[0].nodes)) for e in edits)
    assert 150 < node < 250  # equal chance (binomial 400, 0.5: SD 10)


def test_fine_mutations_apply_to_every_individual_by_default():
    from tsenas_pymoo.operators.fine import NodeEdgeMutation, PruningMutation

    assert NodeEdgeMutation().prob.value == 1.0 and PruningMutation().prob.value == 1.0
    assert NodeEdgeMutation(prob=0.3).prob.value == 0.3


def test_fine_mutations_leave_the_parents_vectors_and_pass_pymoos_options_on():
    import numpy as np

    from tsenas_pymoo import NetworkGenome, NodeEdgeMutation, PruningMutation, TSENASProblem

    problem = TSENASProblem(lambda g: {"accuracy": 0.5}, n_min=2, n_max=4, input_shape=(1, 8, 8))
    X = np.array([NetworkGenome.from_cells([3, 7, 3]).expand().to_vector(4)])
    before = X.copy()
    for op in (NodeEdgeMutation(name="fig3c"), PruningMutation(name="fig3d")):
        assert op.name in ("fig3c", "fig3d")
        Y = op._do(problem, X, random_state=np.random.default_rng(0))
        assert not np.array_equal(Y, before) and np.array_equal(X, before)
