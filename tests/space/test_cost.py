"""Counting by parts gives exactly what counting the whole network gives."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tsenas_pymoo.operators.fine import mutate_fine, prune_fine
from tsenas_pymoo.operators.sampling import sample_genome
from tsenas_pymoo.space.cost import cost_by_parts
from tsenas_pymoo.space.network import network_cost

SHAPES = [(1, 28, 28), (3, 32, 32), (1, 15, 13), (1, 8, 8)]


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**31), shape=st.sampled_from(SHAPES), width=st.sampled_from([4, 8]), edit=st.booleans())
def test_cost_by_parts_equals_the_whole_networks_count(seed, shape, width, edit):
    rng = np.random.default_rng(seed)
    genome = sample_genome(rng, 3, 6, shape)
    if edit:  # stage 2: edited nodes and edges, then a pruning
        genome = prune_fine(mutate_fine(genome.expand(), rng), rng)
    assert cost_by_parts(genome, shape, 10, width) == network_cost(genome, shape, 10, width)


def test_cost_by_parts_defaults_and_integer_counts():
    import pytest

    from tsenas_pymoo import NetworkGenome

    g = NetworkGenome.from_cells([3, 7, 3])
    cost = cost_by_parts(g)
    assert cost == cost_by_parts(g, (1, 8, 8), num_classes=10, init_channels=16)
    assert cost["flops"] == 2 * cost["macs"] and all(type(v) is int for v in cost.values())
    with pytest.raises(ValueError, match="reduction cells"):
        cost_by_parts(NetworkGenome((3, 7, 3, 7), (0, 0, 0, 0)), (1, 2, 2))
