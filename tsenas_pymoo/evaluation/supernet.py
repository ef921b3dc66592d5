"""The cell-based SuperNet of Alg. 2 lines 2-3.

Construction: a stem, then for each resolution stage s = 0..R a *normal slot* at width
``C * 2**s`` and, between stages, a *reduction slot* from ``C * 2**s`` to
``C * 2**(s+1)``, where R is the most halvings the input allows. Every slot holds all four
candidate cells of its type; each slot's free input is the output two slots back
(DARTS's wiring). So every (cell, width) that a decoded network can use is trained, and
exported to the weight store under the same keys the networks use.

Two ways to train the slots (DESIGN.md leaves it open):

* ``mode="mean"`` (default): every step runs all four candidates of a slot and passes
  on their mean. Measured on digits (width 8, lr 0.1): the loss falls from 0.92 to 0.009
  in 10 epochs.
* ``mode="single-path"``: each step samples one candidate per slot (SPOS-style).
  Measured on the same data it does not converge at this scale: the loss is still 2.0
  (chance: 2.3) after 40 epochs at lr 0.03 and rises to 16 at lr 0.1, because each
  slot's successors see a different cell, with a different output scale, at every one of
  the few steps (10 per epoch on digits). It is kept for large data sets, where it is
  four times cheaper per step.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..space.cells import NORMAL_CODES, REDUCTION_CODES
from ..space.genome import CellGenome, input_reduction_cap
from ..space.network import CellModule
from .weights import WeightStore, weight_units


class SuperNet(nn.Module):
    """All Table II cells at every width (``mode``: "mean" or "single-path")."""

    def __init__(self, input_shape: Sequence[int], num_classes: int, init_channels: int, seed: int = 0,
                 n_reductions: int | None = None, mode: str = "mean"):
        super().__init__()
        if mode not in ("mean", "single-path"):
            raise ValueError(f"mode={mode!r}; rule: 'mean' or 'single-path'")
        self.mode = mode
        cap = input_reduction_cap(input_shape)
        self.n_reductions = cap if n_reductions is None else min(cap, n_reductions)
        self.in_channels, self.num_classes = input_shape[0], num_classes
        self.stem = nn.Sequential(nn.Conv2d(input_shape[0], init_channels, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(init_channels))
        shapes = [(init_channels, 0)]
        self.slots = nn.ModuleList()
        kinds = []
        for stage in range(self.n_reductions + 1):
            kinds.append(False)
            if stage < self.n_reductions:
                kinds.append(True)
        for j, reduction in enumerate(kinds, start=1):
            c_prev, level_prev = shapes[j - 1]
            c_free, level_free = shapes[max(j - 2, 0)]
            channels = 2 * c_prev if reduction else c_prev
            self.slots.append(nn.ModuleDict({
                str(code): CellModule(CellGenome.published(code), channels, c_free, level_prev - level_free, c_prev)
                for code in (REDUCTION_CODES if reduction else NORMAL_CODES)}))
            shapes.append((channels, level_prev + int(reduction)))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(shapes[-1][0], num_classes)
        self.generator = torch.Generator().manual_seed(seed)
        self.path: list[str] | None = None

    def sample_path(self) -> list[str]:
        return [list(slot.keys())[int(torch.randint(len(slot), (1,), generator=self.generator))]
                for slot in self.slots]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.path is not None and not self.training:
            path = self.path
        elif self.mode == "single-path":
            path = self.sample_path()
        else:
            path = None
        states = [self.stem(x)]
        for j, slot in enumerate(self.slots, start=1):
            s_free, s_prev = states[max(j - 2, 0)], states[j - 1]
            if path is None:
                outs = [cell(s_free, s_prev) for cell in slot.values()]
                states.append(torch.stack(outs).mean(0))
            else:
                states.append(slot[path[j - 1]](s_free, s_prev))
        return self.classifier(torch.flatten(self.pool(states[-1]), 1))

    def export(self, store: WeightStore) -> list[str]:
        """Write every cell's units (and the stem and classifier) to ``store``."""
        units = weight_units(self, [cell for slot in self.slots for cell in slot.values()])
        for key, modules in units.items():
            store.put(key, modules[0])
        return list(units)
