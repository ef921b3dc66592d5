"""The cost of a decoded network counted by parts, for callers that count many networks.

A network's parameters and FLOPs are the stem's, each cell's and the classifier's
(:mod:`.network`); a cell's depend only on its genome and its context (width, the two
inputs' widths and sizes). Each part is counted once per context with
``torch.utils.flop_counter`` on the meta device (no memory, no arithmetic) and cached, so
the thousandth network of a surrogate search costs a few dictionary look-ups instead of a
forward pass. A cell is counted op by op (its input adapters and each live node's two
ops, each cached per width, stride and input size): a stage-2 search makes a new cell
with nearly every evaluation, and its ops are all known after a few.
:func:`cost_by_parts` equals :func:`~.network.network_cost` exactly (a property test
checks it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

import torch
from torch import nn

from .genome import AnyGenome, CellGenome
from .network import adapter, count_params
from .ops import make_op
from .width import resolve_width, stage_channels


def _count(module: nn.Module, *inputs: tuple[int, ...]) -> tuple[int, int, tuple[int, ...]]:
    """(params, FLOPs, output shape) of ``module`` on inputs of these shapes."""
    from torch.utils.flop_counter import FlopCounterMode

    module.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = module(*(torch.zeros(1, *shape, device="meta") for shape in inputs))
    return count_params(module), int(counter.get_total_flops()), tuple(out.shape[1:])


@cache
def _stem(in_channels: int, width: int, size: tuple[int, int]) -> tuple[int, int]:
    with torch.device("meta"):
        stem = nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width))
    return _count(stem, (in_channels, *size))[:2]


@cache
def _input_adapter(c_in: int, channels: int, halvings: int, size: tuple) -> tuple[int, int, tuple[int, ...]]:
    """A cell's adapter of its free input (``halvings`` 0: the previous cell's 1x1 conv)."""
    with torch.device("meta"):
        module = adapter(c_in, channels, halvings)
    return _count(module, (c_in, *size))


@cache
def _edge(op: int, channels: int, stride: int, size: tuple) -> tuple[int, int, tuple[int, ...]]:
    """One op of Table I on a ``channels`` x ``size`` input."""
    with torch.device("meta"):
        module = make_op(op, channels, stride)
    return _count(module, (channels, *size))


@cache
def _cell(
    cell: CellGenome, channels: int, c_free: int, halvings: int, c_prev: int, size_free: tuple, size_prev: tuple
) -> tuple[int, int]:
    """A cell in its context, as :class:`~.network.CellModule` builds it: its two input
    adapters and each live node's two ops (cost counts only convolutions and linear
    layers, so the nodes' and output's additions add none); each op counted once per
    (op, width, stride, input size), so an edited cell costs look-ups too."""
    p0, f0, shape0 = _input_adapter(c_free, channels, halvings, size_free)
    p1, f1, shape1 = _input_adapter(c_prev, channels, 0, size_prev)
    params, flops = p0 + p1, f0 + f1
    sizes = {0: shape0[1:], 1: shape1[1:]}
    for node_id in cell.live_nodes():
        x_i, x_j, o_i, o_j = cell.node(node_id)
        for x, op in ((x_i, o_i), (x_j, o_j)):
            p, f, shape = _edge(op, channels, 2 if cell.reduction and x < 2 else 1, sizes[x])
            params, flops = params + p, flops + f
        sizes[node_id] = shape[1:]
    return params, flops


@cache
def _classifier(channels: int, num_classes: int) -> tuple[int, int]:
    with torch.device("meta"):
        linear = nn.Linear(channels, num_classes)
    return _count(linear, (channels,))[:2]


def cost_by_parts(
    genome: AnyGenome, input_shape: Sequence[int] = (1, 8, 8), num_classes: int = 10, init_channels=16
) -> dict[str, int]:
    """``{"params", "macs", "flops"}`` of ``build_network(genome, ...)``, counted by parts
    (``init_channels``: a width or a width rule, as :func:`~.network.build_network` takes)."""
    fine = genome.expand().validate(input_shape=input_shape)
    init_channels = resolve_width(init_channels, genome)
    in_channels, height, width = (int(v) for v in input_shape)
    sizes = [(height, width)]  # the map size after each halving level
    stem_channels = stage_channels(init_channels, 0)
    params, flops = _stem(in_channels, stem_channels, sizes[0])
    shapes = [(stem_channels, 0)]
    for j, (cell, free) in enumerate(zip(fine.cells, fine.free_inputs), start=1):
        c_prev, level_prev = shapes[j - 1]
        c_free, level_free = shapes[free]
        channels = stage_channels(init_channels, level_prev + int(cell.reduction))
        while len(sizes) <= level_prev:
            h, w = sizes[-1]
            sizes.append((math.ceil(h / 2), math.ceil(w / 2)))
        p, f = _cell(cell, channels, c_free, level_prev - level_free, c_prev, sizes[level_free], sizes[level_prev])
        params, flops = params + p, flops + f
        shapes.append((channels, level_prev + int(cell.reduction)))
    p, f = _classifier(shapes[-1][0], num_classes)
    return {"params": params + p, "flops": flops + f, "macs": (flops + f) // 2}


__all__ = ["cost_by_parts"]
