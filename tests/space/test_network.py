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
