import pytest
import torch

from tsenas_pymoo import NetworkGenome, build_network, network_cost
from tsenas_pymoo.operators.fine import prune_fine
from tsenas_pymoo.space.network import count_params

SHAPES = [(1, 8, 8), (1, 28, 28), (3, 32, 32)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("code", range(1, 9))
def test_forward_for_every_cell_and_input_shape(shape, code):
    other = 3 if code >= 5 else 7
    genome = NetworkGenome.from_cells([code, other, code, code if code < 5 else 1])
    model = build_network(genome, shape, num_classes=5, init_channels=4)
    out = model(torch.randn(2, *shape))
    assert out.shape == (2, 5)
    out.sum().backward()


def test_free_input_from_two_resolutions_back_is_adapted():
    genome = NetworkGenome.from_cells([3, 5, 6, 3], free_inputs=[0, 0, 0, 0])
    model = build_network(genome, (1, 28, 28), 10, 4)
    assert model(torch.randn(1, 1, 28, 28)).shape == (1, 10)


def test_reduction_cap_by_input_size():
    genome = NetworkGenome.from_cells([5, 6, 7, 8, 1, 1, 1, 1])
    with pytest.raises(ValueError, match="4 reduction cells; rule: at most 3"):
        build_network(genome, (1, 8, 8))
    assert build_network(genome, (1, 28, 28), 10, 4)(torch.randn(1, 1, 28, 28)).shape == (1, 10)


def test_widths_double_at_reduction():
    model = build_network(NetworkGenome.from_cells([3, 7, 3]), (1, 8, 8), 10, 4)
    assert model.classifier.in_features == 8


def test_cost_grows_with_width_and_counts_flops():
    g = NetworkGenome.from_cells([3, 7, 3])
    small, big = network_cost(g, init_channels=4), network_cost(g, init_channels=8)
    assert 0 < small["params"] < big["params"] and 0 < small["flops"] < big["flops"]
    assert small["params"] == count_params(build_network(g, init_channels=4))


def test_pruned_genome_builds_fewer_params():
    import numpy as np

    g = NetworkGenome.from_cells([2, 6, 2]).expand()
    pruned = prune_fine(g, np.random.default_rng(0))
    assert sum(len(c.live_nodes()) for c in pruned.cells) == sum(len(c.live_nodes()) for c in g.cells) - 1
    assert network_cost(pruned, init_channels=4)["params"] <= network_cost(g, init_channels=4)["params"]
    assert build_network(pruned, (1, 8, 8), 10, 4)(torch.randn(1, 1, 8, 8)).shape == (1, 10)


def test_bad_arguments_are_named():
    g = NetworkGenome.from_cells([3])
    with pytest.raises(ValueError, match="input_shape"):
        build_network(g, (8, 8))
    with pytest.raises(ValueError, match="num_classes"):
        build_network(g, (1, 8, 8), num_classes=1)


def test_each_node_adds_its_two_edges_and_the_cell_adds_its_loose_nodes():
    """Cell 3 (Table II: ((0,1), (0,1), (1,0), (0,2)) for nodes 2-5) with each node's first
    edge an identity and its second a doubling: nodes 2 and 3 = s0 + 2 s1, node 4 = s1 +
    2 s0, node 5 = s0 + 2 node 2; nodes 3, 4, 5 feed no other node, so the cell's output is
    their sum. With s0 = 1, s1 = 10: 21 + 12 + 43 = 76 (worked out by hand)."""
    from torch import nn

    from tsenas_pymoo import CellGenome
    from tsenas_pymoo.space.network import CellModule

    class Double(nn.Module):
        def forward(self, x):
            return 2 * x

    cell = CellModule(CellGenome.published(3), channels=2, c_free=2, free_halvings=0, c_prev=2)
    for name in list(cell.edges):
        cell.edges[name] = Double() if name.endswith("in1") else nn.Identity()
    s0, s1 = torch.full((1, 2, 3, 3), 1.0), torch.full((1, 2, 3, 3), 10.0)
    assert torch.equal(cell.body(s0, s1), torch.full((1, 2, 3, 3), 76.0))


def test_edge_specs_name_each_edges_op_and_stride():
    """Reduction cell 7: ((0,1,6,6), (2,1,1,6), (0,2,6,1), (2,1,1,6)); an edge reading an
    input (node 0 or 1) of a reduction cell has stride 2 (read off the genotype by hand)."""
    from tsenas_pymoo import CellGenome
    from tsenas_pymoo.space.network import CellModule

    cell = CellModule(CellGenome.published(7), channels=4, c_free=2, free_halvings=0, c_prev=2)
    assert cell.edge_specs == {
        "node2_in0": (6, 2), "node2_in1": (6, 2),
        "node3_in0": (1, 1), "node3_in1": (6, 2),
        "node4_in0": (6, 2), "node4_in1": (1, 1),
        "node5_in0": (1, 1), "node5_in1": (6, 2),
    }  # fmt: skip
    assert cell.cell == CellGenome.published(7)


def test_parameter_names_are_the_weight_stores_format():
    """Stores and checkpoints of weights are keyed by these names: an adapter over one
    halving is the factorized reduce itself, over two a sequence of them."""
    g = NetworkGenome((3, 7, 3, 7, 3), (0, 0, 0, 0, 0))
    names = set(build_network(g, (1, 16, 16)).state_dict())
    assert "cells.2.preprocess0.conv_1.weight" in names  # cell 3 reads the stem, one halving back
    assert "cells.4.preprocess0.1.conv_1.weight" in names  # cell 5 reads the stem, two halvings back
    assert "cells.0.preprocess0.op.1.weight" in names  # no halving: ReLU-conv1x1-BN


def test_defaults_and_the_smallest_allowed_sizes():
    g = NetworkGenome.from_cells([3, 7])
    model = build_network(g)
    assert model.genome == g.expand()  # what the weight lineage reads
    assert model.stem[0].out_channels == 16 and model.classifier.out_features == 10
    assert network_cost(g, flops=False) == {"params": count_params(build_network(g, (1, 8, 8), 10, 16))}
    small = build_network(g, (1, 8, 8), num_classes=2, init_channels=2)
    assert small(torch.zeros(1, 1, 8, 8)).shape == (1, 2)
    with pytest.raises(ValueError, match=r"^init_channels=1; rule: at least 2$"):
        build_network(g, (1, 8, 8), init_channels=1)


def test_flops_are_two_per_multiply_add_and_counts_are_integers():
    from torch import nn

    from tsenas_pymoo.space.network import count_flops, count_macs

    linear = nn.Linear(10, 10)
    flops, macs = count_flops(linear, (10,)), count_macs(linear, (10,))
    assert (flops, macs) == (200, 100) and type(flops) is int and type(macs) is int
    cost = network_cost(NetworkGenome.from_cells([3, 7]))
    assert cost["flops"] == 2 * cost["macs"] and all(type(v) is int for v in cost.values())


def test_count_params_counts_trainable_parameters_unless_asked_for_all():
    model = build_network(NetworkGenome.from_cells([3, 7, 3]), (1, 8, 8), 10, 4)
    total = sum(p.numel() for p in model.parameters())
    frozen = next(model.parameters())
    frozen.requires_grad_(False)
    assert count_params(model) == total - frozen.numel()
    assert count_params(model, trainable_only=False) == total
    assert model.width == 4
