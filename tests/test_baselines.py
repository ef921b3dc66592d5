"""Hand-designed networks beside the searched one, at matched sizes."""

import torch

from tsenas_pymoo.baselines import BASELINES, DARTS_STACK, SEARCHED, SmallResNet, matched_widths, models
from tsenas_pymoo.space.cells import is_reduction
from tsenas_pymoo.space.genome import NetworkGenome
from tsenas_pymoo.space.network import count_params


def test_small_resnet_classifies_and_halves_the_map_twice():
    model = SmallResNet(in_channels=1, num_classes=10, width=4).eval()
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    features = model.features(torch.zeros(1, 1, 28, 28))
    assert features.shape == (1, 16, 7, 7)  # widths 4, 8, 16; 28 -> 14 -> 7
    assert [is_reduction(c) for c in DARTS_STACK].count(True) == 2


def test_matched_widths_bring_the_baselines_to_the_searched_size():
    genome, shape = NetworkGenome.from_cells([3, 7, 3, 1, 3]), (1, 8, 8)
    widths = matched_widths(genome, shape, 10, 6)
    sizes = {name: count_params(build()) for name, build in models(genome, shape, 10, widths).items()}
    target = sizes[SEARCHED]
    assert widths[SEARCHED] == 6
    for name in BASELINES:  # no other width comes closer
        w = widths[name]
        for other in (w - 1, w + 1):
            size = count_params(models(genome, shape, 10, other)[name]())
            assert abs(sizes[name] - target) <= abs(size - target)
        assert abs(sizes[name] - target) < 0.25 * target
