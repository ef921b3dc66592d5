import numpy as np
import pytest

from tsenas_pymoo import CellGenome, FineGenome, NetworkGenome
from tsenas_pymoo.space.genome import EMPTY_NODE, genome_from_key, max_reductions


def test_from_cells_defaults_free_inputs_two_back_or_stem():
    g = NetworkGenome.from_cells([3, 7, 1, 8, 2])
    assert g.free_inputs == (0, 0, 1, 2, 3)
    assert g.n_cells == 5 and g.n_reductions == 2


def test_vector_round_trip_pads_absent_cells():
    g = NetworkGenome.from_cells([3, 7, 1], free_inputs=[0, 0, 0])
    v = g.to_vector(n_max=5)
    assert v.tolist() == [0, 0, 3, 0, 1, 7, 0, 2, 1, 0, 0, 0, 0, 0, 0]
    assert NetworkGenome.from_vector(v, n_max=5) == g
    assert NetworkGenome.from_vector(v.astype(float), n_max=5) == g  # pymoo may return float64


def test_wrong_length_is_named():
    with pytest.raises(ValueError, match="length 14 does not match the expected 15"):
        NetworkGenome.from_vector(np.zeros(14), n_max=5)


def test_code_out_of_range_names_cell():
    with pytest.raises(ValueError, match="cell 2: cell code 9 is out of range"):
        NetworkGenome.from_cells([3, 9, 1])


def test_input_pointing_forward_names_cell_and_rule():
    with pytest.raises(ValueError, match=r"cell 3: free input 2 .*\[0, 1\]"):
        NetworkGenome.from_cells([3, 3, 3], free_inputs=[0, 0, 2])


def test_previous_input_must_be_j_minus_1():
    v = NetworkGenome.from_cells([3, 3, 3]).to_vector()
    v[7] = 0
    with pytest.raises(ValueError, match=r"cell 3 .*previous input 0"):
        NetworkGenome.from_vector(v)


def test_cell_after_absent_cell_is_rejected():
    v = NetworkGenome.from_cells([3, 3]).to_vector(n_max=4)
    v[9:12] = (0, 3, 1)
    with pytest.raises(ValueError, match=r"cell 4 .*follows absent cell 3"):
        NetworkGenome.from_vector(v, n_max=4)


def test_non_integer_entry_is_named():
    v = NetworkGenome.from_cells([3, 3]).to_vector().astype(float)
    v[2] = 2.5
    with pytest.raises(ValueError, match=r"position 2 holds 2.5"):
        NetworkGenome.from_vector(v)


def test_too_many_reduction_cells():
    with pytest.raises(ValueError, match="3 reduction cells; rule: at most 2 for N=4"):
        NetworkGenome.from_cells([5, 6, 7, 1])
    NetworkGenome.from_cells([5, 6, 7, 1, 2])  # ceil(5/2) = 3 is allowed (Alg. 3)
    with pytest.raises(ValueError, match=r"at most 3 for N=8 input \(1, 8, 8\)"):
        NetworkGenome.from_cells([5, 6, 7, 8, 1, 1, 1, 1]).validate(input_shape=(1, 8, 8))


def test_depth_bounds():
    g = NetworkGenome.from_cells([3, 3])
    with pytest.raises(ValueError, match="N=2 cells; rule: N >= N_min=3"):
        g.validate(n_min=3)
    with pytest.raises(ValueError, match="N <= N_max=1"):
        g.validate(n_max=1)


def test_max_reductions():
    assert max_reductions(4) == 2 and max_reductions(5) == 3
    assert max_reductions(10, (1, 8, 8)) == 3
    assert max_reductions(10, (1, 28, 28)) == 4
    assert max_reductions(10, (3, 32, 32)) == 5


def test_expand_copies_published_cells_and_keeps_key():
    g = NetworkGenome.from_cells([3, 7, 1])
    fine = g.expand()
    assert next(c.nodes[: len(c.live_nodes())] for c in fine.cells) == CellGenome.published(3).nodes[:4]
    assert fine.key() == g.key()
    v = fine.to_vector(n_max=4)
    assert len(v) == 23 * 4
    assert FineGenome.from_vector(v, n_max=4) == fine


def test_stage2_cycle_inside_cell_is_rejected():
    nodes = list(CellGenome.published(3).nodes)
    nodes[0] = (0, 3, 11, 11)  # node 2 reads node 3
    with pytest.raises(ValueError, match=r"cell 2, node 2, input 1: points to node 3.*cycle"):
        FineGenome((0, 0), (CellGenome.published(3), CellGenome(3, tuple(nodes)))).validate()


def test_stage2_pruned_input_and_empty_cell_are_rejected():
    nodes = list(CellGenome.published(3).nodes)
    nodes[0] = EMPTY_NODE  # node 5 reads node 2
    with pytest.raises(ValueError, match="node 5, input 1: points to pruned node 2"):
        CellGenome(3, tuple(nodes)).validate()
    with pytest.raises(ValueError, match="every node is pruned"):
        CellGenome(3, ()).validate()
    with pytest.raises(ValueError, match="operation 15 is out of range"):
        CellGenome(3, ((0, 1, 15, 1),)).validate()


def test_output_nodes_are_unconsumed_live_nodes():
    cell = CellGenome.published(3)
    assert cell.output_nodes() == [3, 4, 5]  # node 2 feeds node 5


def test_genome_from_key_inverts_key_for_stage1_and_edited_stage2_genomes():
    from tsenas_pymoo.operators.fine import mutate_fine, prune_fine
    from tsenas_pymoo.operators.sampling import sample_genome
    from tsenas_pymoo.space.genome import FineGenome, NetworkGenome, genome_from_key

    rng = np.random.default_rng(0)
    for _ in range(50):
        genome = sample_genome(rng, 3, 8, (1, 32, 32))
        assert genome_from_key(genome.key()) == genome
        fine = genome.expand()
        for _ in range(3):  # prunings leave holes inside a cell; the key leaves them out
            fine = prune_fine(mutate_fine(fine, rng), rng)
        back = genome_from_key(fine.key())
        assert isinstance(back, FineGenome) and back.key() == fine.key()
    from tsenas_pymoo.space.network import build_network, count_params

    assert count_params(build_network(back, (1, 32, 32))) == count_params(build_network(fine, (1, 32, 32)))
    assert isinstance(genome_from_key(genome.expand().key()), NetworkGenome)


def test_genome_from_key_names_the_cell_and_the_rule():
    from tsenas_pymoo.space.genome import genome_from_key

    with pytest.raises(ValueError, match=r"cell 2.*rule"):
        genome_from_key("0:1,x:2")
    with pytest.raises(ValueError, match=r"cell 1.*rule"):
        genome_from_key("0:1[0.1.2],0:3")


def test_from_vector_checks_the_bounds_it_is_given_and_names_the_vector():
    import numpy as np

    from tsenas_pymoo.space.genome import FineGenome, NetworkGenome

    three = NetworkGenome.from_cells([3, 7, 3])
    for kind in (NetworkGenome, FineGenome):
        genome = three if kind is NetworkGenome else three.expand()
        vector = genome.to_vector(6)
        with pytest.raises(ValueError, match="N_min"):
            kind.from_vector(vector, n_min=4, n_max=6)
        with pytest.raises(ValueError, match=r"length \d+ does not match the expected"):
            kind.from_vector(genome.to_vector(), n_max=2)  # n_max fixes the length: N <= n_max
        with pytest.raises(ValueError, match=r"input \(1, 1, 1\)"):
            kind.from_vector(vector, input_shape=(1, 1, 1))
        broken = np.array(vector)
        broken[1] = 5  # cell 1's previous input
        stage = "stage-1" if kind is NetworkGenome else "stage-2"
        with pytest.raises(ValueError, match=rf"^{stage} vector: cell 1"):
            kind.from_vector(broken)
        assert kind.from_vector(vector, n_min=3, n_max=6, input_shape=(1, 28, 28)).key() == three.key()


# Each bad input gets one line naming the field and the rule: the whole line is the
# contract (positions count from 0 in a vector, cells from 1), so it is matched in full.
MESSAGES = [
    (lambda: NetworkGenome.from_vector(np.zeros((2, 3))), "stage-1 vector: expected a 1-d vector, got shape (2, 3)"),
    (
        lambda: NetworkGenome.from_vector([0, 0, 3, 0, 0, 2.5]),
        "stage-1 vector: position 5 holds 2.5; rule: every entry is an integer",
    ),
    (
        lambda: NetworkGenome.from_vector([0, 0, 3, 0, 0, 0, 0, 2, 3]),
        "stage-1 vector: cell 3 (positions 6-8) follows absent cell 2; rule: absent cells are all zeros and come last",
    ),
    (
        lambda: NetworkGenome.from_vector([0, 0, 3, 0, 0, 3, 0, 2, 3]),
        "stage-1 vector: cell 2 (position 4) has previous input 0; rule: the previous input of cell j is j-1 = 1",
    ),
    (
        lambda: NetworkGenome.from_vector([0, 0, 3, 0, 1]),
        "stage-1 vector: length 5; rule: a multiple of 3 (free, prev, code, ...)",
    ),
    (lambda: NetworkGenome((), ()).validate(), "genome has no cells; rule: N >= 1"),
    (lambda: NetworkGenome((3, 3), (0,)).validate(), "genome has 2 cell codes but 1 free inputs; rule: one each"),
    (
        lambda: NetworkGenome((3, 7, 7, 7), (0, 0, 0, 0)).validate(input_shape=(1, 8, 8)),
        "genome has 3 reduction cells; rule: at most 2 for N=4 "
        "(Alg. 3: ceil(N/2); the input size: floor(log2(min(H, W))))",
    ),
    (
        lambda: NetworkGenome((3, 7, 3, 7), (0, 0, 0, 0)).validate(input_shape=(1, 2, 2)),
        "genome has 2 reduction cells; rule: at most 1 for N=4 input (1, 2, 2) "
        "(Alg. 3: ceil(N/2); the input size: floor(log2(min(H, W))))",
    ),
    (lambda: NetworkGenome.from_cells([3, 3, 3, 3]).to_vector(3), "genome has N=4 cells; rule: N <= N_max=3"),
    (
        lambda: NetworkGenome.from_cells([3, 3, 3, 3]).expand().validate(n_max=3),
        "genome has N=4 cells; rule: N <= N_max=3",
    ),
    (lambda: CellGenome(3, ((0, 1, 1, 1),) * 6), "cell has 6 nodes; rule: at most 5 intermediate nodes"),
    (lambda: CellGenome.published(9), "cell code 9 is out of range; rule: codes are 1-8 (Table II)"),
    (
        lambda: CellGenome(9, ((0, 1, 1, 1),)).validate(),
        "cell: cell code 9 is out of range; rule: codes are 1-8 (Table II)",
    ),
    (
        lambda: CellGenome(3, ((0, 2, 1, 1),)).validate(),  # node 2 reads itself
        "cell, node 2, input 1: points to node 2; rule: inputs of node k are earlier nodes in [0, k-1] = [0, 1] "
        "(else the cell has a cycle)",
    ),
    (
        lambda: genome_from_key("0:3[0.2.1.1]"),  # its only node reads node 2, which cannot be live
        "genome key '0:3[0.2.1.1]', cell 1: its nodes cannot be placed; "
        "rule: each node reads earlier live nodes or inputs 0-1",
    ),
    (
        lambda: genome_from_key("0:3[0.1.1.1;0.1.1.1;0.1.1.1;0.1.1.1;0.6.1.1]"),  # 5 nodes, the last reads 6
        "genome key '0:3[0.1.1.1;0.1.1.1;0.1.1.1;0.1.1.1;0.6.1.1]', cell 1: its nodes cannot be placed; "
        "rule: each node reads earlier live nodes or inputs 0-1",
    ),
]


@pytest.mark.parametrize("call, message", MESSAGES)
def test_each_bad_input_gets_its_one_line(call, message):
    import re

    with pytest.raises(ValueError) as err:
        call()
    assert re.fullmatch(re.escape(message), str(err.value)), str(err.value)


def test_vectors_are_integers():
    """pymoo's integer variables: every vector a genome writes is int64."""
    g = NetworkGenome.from_cells([3, 7])
    assert g.to_vector(4).dtype == np.int64 and g.expand().to_vector(4).dtype == np.int64


def test_genomes_hold_tuples_of_ints_whatever_they_are_given():
    listed = NetworkGenome([3, 7], np.array([0, 0]))
    assert listed == NetworkGenome((3, 7), (0, 0)) and hash(listed) == hash(NetworkGenome((3, 7), (0, 0)))
    assert all(type(v) is int for v in listed.codes + listed.free_inputs)
    cells = [CellGenome.published(3), CellGenome.published(7)]
    fine = FineGenome([0, 0], cells)
    assert fine == FineGenome((0, 0), tuple(cells)) and isinstance(fine.cells, tuple) and hash(fine)
    assert CellGenome(3, ((0, 1, 1, 1),)).nodes == ((0, 1, 1, 1),) + (EMPTY_NODE,) * 4


def test_readable_names_each_cell_its_inputs_and_stage2_edits():
    from tsenas_pymoo.space.genome import readable

    g = NetworkGenome.from_cells([3, 7, 3])
    assert readable(g) == "DartsNC(0,0) DartsRC(0,1) DartsNC(1,2)"
    fine = g.expand()
    cells = list(fine.cells)
    cells[1] = cells[1].__class__(cells[1].code, cells[1].nodes[:-1] + ((0, 1, 1, 1),))
    edited = fine.__class__(fine.free_inputs, tuple(cells))
    assert readable(edited) == "DartsNC(0,0) DartsRC*(0,1) DartsNC(1,2)"


def test_a_genome_keeps_its_key_and_expansion_once_computed():
    g = NetworkGenome.from_cells([3, 7, 3])
    assert g.key() is g.key() and g.expand() is g.expand() and g.expand().key() is g.expand().key()


def test_integer_vectors_come_back_as_int64():
    from tsenas_pymoo.space.genome import _as_int_vector

    assert _as_int_vector(np.array([1.0, 2.0]), 2, "v").dtype == np.int64
