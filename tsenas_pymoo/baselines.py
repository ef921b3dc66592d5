"""Hand-designed networks to put beside a searched one (the paper's Table III compares
at similar size): a small pre-activation ResNet and a stack of DARTS cells, both built
from the search space's own ops, and the widths that match their size to the searched
network's."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from .space.genome import AnyGenome, NetworkGenome
from .space.network import build_network, count_params
from .space.ops import FactorizedReduce, ReLUConvBN


class ResidualBlock(nn.Module):
    """Two ReLU-conv3x3-BN layers and an identity or factorized-reduce shortcut."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.body = nn.Sequential(ReLUConvBN(c_in, c_out, 3, stride, 1), ReLUConvBN(c_out, c_out, 3, 1, 1))
        self.shortcut = nn.Identity() if stride == 1 and c_in == c_out else FactorizedReduce(c_in, c_out)

    def forward(self, x):
        return self.body(x) + self.shortcut(x)


class SmallResNet(nn.Module):
    """A stem conv, three stages of two residual blocks (widths w, 2w, 4w; the later two
    halve the map), global pooling and a linear classifier."""

    def __init__(self, in_channels, num_classes, width):
        super().__init__()
        layers = [nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width)]
        c = width
        for stage in range(3):
            out = width * 2**stage
            layers += [ResidualBlock(c, out, 1 if stage == 0 else 2), ResidualBlock(out, out, 1)]
            c = out
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1))


#: Table II codes of the DARTS stack: N = 8 cells, reductions at a third and two thirds.
DARTS_STACK = (3, 3, 7, 3, 3, 7, 3, 3)
SEARCHED = "TS-ENAS best (this run)"
BASELINES = ("small ResNet (hand-designed)", "DARTS cells x8 (hand-picked)")
SHORT = {"searched": SEARCHED, "resnet": BASELINES[0], "darts": BASELINES[1]}


def models(
    genome: AnyGenome, input_shape: Sequence[int], num_classes: int, width
) -> dict[str, Callable[[], nn.Module]]:
    """Name -> a builder of each model (seeded by the caller). ``width``: one initial
    width for all, or name -> width (see :func:`matched_widths`)."""
    darts = NetworkGenome.from_cells(DARTS_STACK)
    w = width if isinstance(width, dict) else dict.fromkeys(BASELINES + (SEARCHED,), width)
    return {
        SEARCHED: lambda: build_network(genome, input_shape, num_classes, w[SEARCHED]),
        BASELINES[0]: lambda: SmallResNet(input_shape[0], num_classes, w[BASELINES[0]]),
        BASELINES[1]: lambda: build_network(darts, input_shape, num_classes, w[BASELINES[1]]),
    }


def matched_widths(genome: AnyGenome, input_shape: Sequence[int], num_classes: int, width: int) -> dict[str, int]:
    """The searched network at ``width``; each baseline at the width whose parameter
    count is closest to the searched network's (Table III compares at similar params)."""

    def params(name, w):
        return count_params(models(genome, input_shape, num_classes, w)[name]())

    target = params(SEARCHED, width)
    return {
        SEARCHED: width,
        **{name: min(range(2, 8 * width + 1), key=lambda w: abs(params(name, w) - target)) for name in BASELINES},
    }


__all__ = ["BASELINES", "DARTS_STACK", "SEARCHED", "SHORT", "ResidualBlock", "SmallResNet", "matched_widths", "models"]
