"""The cell-based SuperNet of Alg. 2 lines 2-3.

Construction: a stem, then for each resolution stage s = 0..R a *normal slot* at width
``C * 2**s`` and, between stages, a *reduction slot* from ``C * 2**s`` to
``C * 2**(s+1)``, where R is the most halvings the input allows. Every slot holds all four
candidate cells of its type, and for each of them one free-input adapter per distance a
decoded network can put between the cell and its free input (0..s halvings).

Coverage (``cover=True``, the default): at every training step every cell takes its free
input from an earlier output drawn at random (the stem included), through the adapter for
that distance. The draw includes the slot's previous input itself: it stands for the
free input of the second normal cell of a chain (R, N, N: the third cell's free input is
the reduction's output), which the SuperNet, with one normal slot per stage, has no other
way to show at 0 halvings. So every adapter a decoded network can use is trained, and
exported under the keys the networks use. ``chain_prob`` > 0 also runs a normal slot
twice in a row with that chance. Measured on digits (width 4, 6 epochs, lr 0.1, free
inputs drawn from outputs two or more back) chains kept the training loss high: 1.29 at
0.25 and 1.17 at 0.5, against 0.25 without chains; so they are off by default. With the
previous input in the draw (the default) the loss is 0.54, and 0.06 with
``cover=False``: covering costs convergence speed. The classifier is trained at the
widest stage only; a network with fewer reductions gets its classifier from its parent
or fresh. A unit the training never ran (an adapter
never drawn, a single-path candidate never sampled) is not exported. ``cover=False`` is
the earlier wiring: one cell per slot, free input two slots back (DARTS's).

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

from collections.abc import Sequence

import torch
from torch import nn

from .. import faults
from ..space.cells import NORMAL_CODES, REDUCTION_CODES
from ..space.genome import CellGenome, input_reduction_cap
from ..space.network import CellModule, adapter, count_flops
from .augment import Augment
from .trainer import train_model
from .weights import WeightStore, adapter_key, cell_units

#: When covering: the chance that a normal slot runs as a chain of two cells in a step.
CHAIN_PROB = 0.0


class SuperNet(nn.Module):
    """All Table II cells at every width (``mode``: "mean" or "single-path";
    ``cover``: draw free inputs and normal chains per step, see the module docstring)."""

    def __init__(
        self,
        input_shape: Sequence[int],
        num_classes: int,
        init_channels: int,
        seed: int = 0,
        n_reductions: int | None = None,
        mode: str = "mean",
        cover: bool = True,
        chain_prob: float = CHAIN_PROB,
    ):
        super().__init__()
        if mode not in ("mean", "single-path"):
            raise ValueError(f"mode={mode!r}; rule: 'mean' or 'single-path'")
        if not 0.0 <= chain_prob <= 1.0:
            raise ValueError(f"chain_prob={chain_prob}; rule: a probability in [0, 1]")
        self.mode, self.cover, self.chain_prob = mode, cover, chain_prob
        cap = input_reduction_cap(input_shape)
        self.n_reductions = cap if n_reductions is None else min(cap, n_reductions)
        self.in_channels, self.num_classes = input_shape[0], num_classes
        self.input_shape = tuple(int(v) for v in input_shape)
        self.stem = nn.Sequential(
            nn.Conv2d(input_shape[0], init_channels, 3, padding=1, bias=False), nn.BatchNorm2d(init_channels)
        )
        self.slots = nn.ModuleList()
        self.adapters = nn.ModuleList()  # per slot: "code_h" -> free-input adapter
        self.levels: list[int] = []  # per slot: the input resolution level
        for stage in range(self.n_reductions + 1):
            self._add_slot(init_channels, stage, reduction=False)
            if stage < self.n_reductions:
                self._add_slot(init_channels, stage, reduction=True)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(init_channels * 2**self.n_reductions, num_classes)
        self.generator = torch.Generator().manual_seed(seed)
        self.path: list[str] | None = None
        self.used: set[tuple] = set()  # ("cell", slot, code) and ("adapter", slot, code, h) run in training

    def _add_slot(self, width: int, level: int, reduction: bool) -> None:
        c_in = width * 2**level
        channels = 2 * c_in if reduction else c_in
        cells, adapters = nn.ModuleDict(), nn.ModuleDict()
        for code in REDUCTION_CODES if reduction else NORMAL_CODES:
            cell = CellModule(CellGenome.published(code), channels, c_in, 0, c_in)
            cells[str(code)] = cell
            for h in range(level + 1):
                adapters[f"{code}_{h}"] = cell.preprocess0 if h == 0 else adapter(c_in // 2**h, channels, h)
        self.slots.append(cells)
        self.adapters.append(adapters)
        self.levels.append(level)

    def _chance(self) -> float:
        return float(torch.rand((), generator=self.generator))

    def _draw(self, n: int) -> int:
        return int(torch.randint(n, (1,), generator=self.generator))

    def sample_path(self) -> list[str]:
        return [list(slot.keys())[self._draw(len(slot))] for slot in self.slots]

    def _link(self, j: int, codes: list[str], states: list[tuple[torch.Tensor, int]], level: int) -> torch.Tensor:
        """One cell of slot ``j`` on the chain ``states`` ((tensor, level) pairs)."""
        free_at = self._draw(len(states)) if self.cover and self.training else max(len(states) - 2, 0)
        s_free, free_level = states[free_at]
        h = level - free_level
        outs = []
        for code in codes:
            cell = self.slots[j][code]
            if self.training:
                self.used.update({("cell", j, code), ("adapter", j, code, h)})
            outs.append(cell.body(self.adapters[j][f"{code}_{h}"](s_free), cell.preprocess1(states[-1][0])))
        return outs[0] if len(outs) == 1 else torch.stack(outs).mean(0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.path is not None and not self.training:
            path = self.path
        elif self.mode == "single-path":
            path = self.sample_path()
        else:
            path = None
        states = [(self.stem(x), 0)]
        for j, slot in enumerate(self.slots):
            codes = list(slot.keys()) if path is None else [path[j]]
            reduction = slot[codes[0]].cell.reduction
            chain = self.cover and self.training and not reduction and self._chance() < self.chain_prob
            links = 2 if chain else 1
            for _ in range(links):
                states.append((self._link(j, codes, states, self.levels[j]), self.levels[j] + int(reduction)))
        return self.classifier(torch.flatten(self.pool(states[-1][0]), 1))

    def trained_units(self) -> dict[str, nn.Module]:
        """Key -> module of every unit training ran (stem and classifier always)."""
        units = {f"stem_in{self.in_channels}_c{self.stem[0].out_channels}": self.stem}
        for j, slot in enumerate(self.slots):
            for code, cell in slot.items():
                if ("cell", j, code) in self.used:
                    units.update(cell_units(cell, free_adapter=False))
                for h in range(self.levels[j] + 1):
                    if ("adapter", j, code, h) in self.used:
                        units[adapter_key(int(code), cell.channels, cell.c_free // 2**h, h)] = self.adapters[j][
                            f"{code}_{h}"
                        ]
        units[f"classifier_in{self.classifier.in_features}_k{self.num_classes}"] = self.classifier
        return {k: m for k, m in units.items() if any(True for _ in m.state_dict())}

    def export(self, store: WeightStore) -> list[str]:
        """Write every trained unit (and the stem and classifier) to ``store``."""
        units = self.trained_units()
        for key, module in units.items():
            store.put(key, module)
        return list(units)


def train_supernet(
    supernet: SuperNet, store: WeightStore, data: dict[str, torch.Tensor], recipe, seed: int, progress: bool = False
) -> dict:
    """Alg. 2 lines 2-3: train ``supernet`` on ``data``'s training images (``recipe``
    without augmentation, warm-up or label smoothing: plain) and write its trained units
    into ``store``. A failed training exports nothing and is one clear error."""
    result = train_model(
        supernet,
        data["train_x"],
        data["train_y"],
        recipe.replace(augment=Augment(), warmup=0.0, label_smoothing=0.0),
        seed=seed,
        progress="SuperNet" if progress else None,
    )
    if not result.ok:
        raise ValueError(
            f"SuperNet training ended with status {result.status} ({result.reason}); nothing was "
            f"exported to the store; rule: a lower --lr or --batch-size, or --supernet-epochs 0"
        )
    supernet.to("cpu")
    faults.point("supernet")
    keys = supernet.export(store)
    return {
        "status": result.status,
        "epochs": result.epochs,
        "macs": count_flops(supernet, supernet.input_shape) // 2,  # per image, as the archive's
        "seconds": result.seconds,
        "units": len(keys),
        "losses": result.losses,
    }
