"""Decode a genome into a ``torch.nn.Module`` (Fig. 1a), and count its cost.

The network is a stem (3x3 conv + BN at ``init_channels``), the cell chain, global
average pooling and a linear classifier. A normal cell keeps width and resolution; a
reduction cell halves the resolution (to ceil(H/2)) and doubles the width. Each cell
adapts its two inputs to its width as DARTS does: ReLU-conv1x1-BN for the previous
cell, and for the free input one factorized reduce per resolution halving between it
and the cell (or ReLU-conv1x1-BN when there is none).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from .genome import AnyGenome, CellGenome, input_reduction_cap
from .ops import FactorizedReduce, ReLUConvBN, make_op
from .width import resolve_width, stage_channels

#: A width: the stem's channel count, or a rule ``genome -> width`` (``width.BudgetWidth``).
Width = float | Callable[[AnyGenome], float]


def adapter(c_in: int, c_out: int, halvings: int) -> nn.Module:
    if halvings == 0:
        return ReLUConvBN(c_in, c_out, 1, 1, 0)
    steps = [FactorizedReduce(c_in, c_out)] + [FactorizedReduce(c_out, c_out) for _ in range(halvings - 1)]
    return steps[0] if halvings == 1 else nn.Sequential(*steps)


class CellModule(nn.Module):
    """One cell: nodes 0, 1 are the adapted inputs; each live node adds two op outputs;
    the output adds the live nodes that feed no other node (Sec. III-A)."""

    def __init__(self, cell: CellGenome, channels: int, c_free: int, free_halvings: int, c_prev: int):
        super().__init__()
        self.cell = cell
        self.channels, self.c_free, self.free_halvings, self.c_prev = channels, c_free, free_halvings, c_prev
        self.edge_specs: dict[str, tuple[int, int]] = {}  # edge name -> (op code, stride)
        self.preprocess0 = adapter(c_free, channels, free_halvings)
        self.preprocess1 = ReLUConvBN(c_prev, channels, 1, 1, 0)
        self.edges = nn.ModuleDict()
        self.wiring = []
        for node_id in cell.live_nodes():
            x_i, x_j, o_i, o_j = cell.node(node_id)
            for slot, (x, op) in enumerate(((x_i, o_i), (x_j, o_j))):
                stride = 2 if cell.reduction and x < 2 else 1
                self.edges[edge_name(node_id, slot)] = make_op(op, channels, stride)
                self.edge_specs[edge_name(node_id, slot)] = (op, stride)
            self.wiring.append((node_id, x_i, x_j))
        self.outputs = cell.output_nodes()

    def forward(self, s_free: torch.Tensor, s_prev: torch.Tensor) -> torch.Tensor:
        return self.body(self.preprocess0(s_free), self.preprocess1(s_prev))

    def body(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        """The nodes and the output node, from the two inputs already adapted."""
        states = {0: s0, 1: s1}
        for node_id, x_i, x_j in self.wiring:
            states[node_id] = self.edges[edge_name(node_id, 0)](states[x_i]) + self.edges[edge_name(node_id, 1)](
                states[x_j]
            )
        out = states[self.outputs[0]]
        for node_id in self.outputs[1:]:
            out = out + states[node_id]
        return out


def edge_name(node_id: int, slot: int) -> str:
    """Module name of the op on input ``slot`` (0 or 1) of intermediate node ``node_id``."""
    return f"node{node_id}_in{slot}"


class TSENASNetwork(nn.Module):
    """The decoded network of a stage-1 or stage-2 genome."""

    def __init__(self, genome: AnyGenome, input_shape: Sequence[int], num_classes: int, init_channels: float):
        super().__init__()
        fine = genome.expand().validate(input_shape=input_shape)
        self.genome = fine
        self.width = init_channels
        in_channels = input_shape[0]
        stem_channels = stage_channels(init_channels, 0)
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, stem_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(stem_channels),
        )
        shapes = [(stem_channels, 0)]  # (channels, halvings) of the stem and each cell output
        self.cells = nn.ModuleList()
        for j, (cell, free) in enumerate(zip(fine.cells, fine.free_inputs), start=1):
            c_prev, level_prev = shapes[j - 1]
            c_free, level_free = shapes[free]
            channels = stage_channels(init_channels, level_prev + int(cell.reduction))
            self.cells.append(CellModule(cell, channels, c_free, level_prev - level_free, c_prev))
            shapes.append((channels, level_prev + int(cell.reduction)))
        self.free_inputs = fine.free_inputs
        self.in_channels, self.num_classes = in_channels, num_classes
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(shapes[-1][0], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states = [self.stem(x)]
        for j, cell in enumerate(self.cells, start=1):
            states.append(cell(states[self.free_inputs[j - 1]], states[j - 1]))
        return self.classifier(torch.flatten(self.pool(states[-1]), 1))


def build_network(
    genome: AnyGenome, input_shape: Sequence[int] = (1, 8, 8), num_classes: int = 10, init_channels: Width = 16
) -> TSENASNetwork:
    """Decode ``genome`` (stage 1 or 2) into a ``torch.nn.Module`` for (C, H, W) inputs.

    ``init_channels``: the stem's width (cells at halving level k get ``round(w * 2**k)``
    channels), or a width rule such as :class:`~.width.BudgetWidth` (``genome -> width``).

    Raises ``ValueError`` if the genome is invalid or holds more reduction cells than the
    input size allows (floor(log2(min(H, W)))).
    """
    if len(input_shape) != 3:
        raise ValueError(f"input_shape {tuple(input_shape)}: rule: (channels, height, width)")
    if num_classes < 2:
        raise ValueError(f"num_classes={num_classes}; rule: at least 2 classes")
    init_channels = resolve_width(init_channels, genome)
    if not init_channels >= 2:
        raise ValueError(f"init_channels={init_channels}; rule: at least 2")
    return TSENASNetwork(genome, input_shape, num_classes, init_channels)


def count_params(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of parameters: the trainable ones, or all (``trainable_only=False``: the unit
    of the shares weight inheritance reports)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def count_flops(model: nn.Module, input_shape: Sequence[int]) -> int:
    """FLOPs of one forward pass on one image, by ``torch.utils.flop_counter``: two per
    multiply-add (a 10x10 Linear counts 200). NAS papers, TS-ENAS included, report
    multiply-adds under the name FLOPs: see :func:`count_macs`."""
    from torch.utils.flop_counter import FlopCounterMode

    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(was_training)
    return int(counter.get_total_flops())


def count_macs(model: nn.Module, input_shape: Sequence[int]) -> int:
    """Multiply-adds of one forward pass on one image (what the paper calls FLOPs)."""
    return count_flops(model, input_shape) // 2


def network_cost(
    genome: AnyGenome,
    input_shape: Sequence[int] = (1, 8, 8),
    num_classes: int = 10,
    init_channels: Width = 16,
    flops: bool = True,
) -> dict[str, int]:
    """``{"params": ..., "macs": ..., "flops": ...}`` of the decoded network of
    ``genome`` (MACs and FLOPs only when ``flops``: counting them runs a forward pass;
    FLOPs = 2 x MACs)."""
    model = build_network(genome, input_shape, num_classes, init_channels)
    cost = {"params": count_params(model)}
    if flops:
        cost["flops"] = count_flops(model, input_shape)
        cost["macs"] = cost["flops"] // 2
    return cost


__all__ = [
    "CellModule",
    "TSENASNetwork",
    "adapter",
    "build_network",
    "count_flops",
    "count_macs",
    "count_params",
    "edge_name",
    "input_reduction_cap",
    "network_cost",
]
