"""Weight inheritance as one service (Sec. IV-B2 and lineage inheritance): what a network
starts from, the schedule it trains on, and its trained state kept for its children.

The evaluator calls it once per evaluation: :meth:`Inheritance.start` loads a freshly
built network's inherited units (its parents' trained units first, under ``lineage``,
then the paper's cell store) and returns their shares and the warm-start schedule;
:meth:`Inheritance.keep` saves the trained state. Living networks stay in memory (on the
host) as well as in the store's ``trained/`` folder, so a parent is built and read once,
not once per child, and the store update (Steps 1-4) reads the same networks; what
:meth:`Inheritance.retain` learns is dead goes from both. The folder stays the source of
truth: a resumed search, or a worker, reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ..space.genome import AnyGenome
from .lineage import MODES, Lineage, WarmStart, default_warm_counts, inherit_from_parents
from .weights import WeightStore, n_params, update_from_ranked

Build = Callable[[AnyGenome], nn.Module]

#: Trained networks held in memory at most (a population and its offspring: TS-ENAS's
#: paper settings hold 100 + 100); the folder answers for any other.
MAX_IN_MEMORY = 512


@dataclass(frozen=True)
class Start:
    """What a network starts from: the shares of its parameters by source (``parent``,
    ``store``, ``fresh``) and the schedule's peak-lr scale and warm-up share."""

    sources: dict[str, float]
    lr_scale: float = 1.0
    warmup: float = 0.0

    @property
    def inherited(self) -> float:
        return self.sources["parent"] + self.sources["store"]


class Inheritance:
    """``mode``: "lineage" (parents' trained units first, then the store), "store" (the
    paper's cell store only) or "none" (every network from scratch; no store is used).
    ``warm_start``: the schedule of an inherited network (None: the defaults with
    ``counts`` by mode, :func:`default_warm_counts`). ``in_memory``: keep living trained
    networks in memory too (a worker's copy does not: its parents' states may be replaced
    between its tasks)."""

    def __init__(
        self,
        mode: str = "lineage",
        store: WeightStore | None = None,
        warm_start: WarmStart | None = None,
        in_memory: bool = True,
    ):
        if mode not in MODES:
            raise ValueError(f"inheritance={mode!r}; rule: one of {', '.join(MODES)}")
        self.mode = mode
        self.store = None if mode == "none" else store
        self.warm_start = WarmStart(counts=default_warm_counts(mode)) if warm_start is None else warm_start
        self.lineage = Lineage(self.store)
        self.in_memory = in_memory
        self.living: dict[str, nn.Module] = {}  # genome or evaluation key -> trained network, on the host

    def __getstate__(self):  # the networks in memory are a cache of the store's folder
        return {**self.__dict__, "living": {}}

    def worker_copy(self) -> Inheritance:
        """A copy for remote workers: no notes (each task carries its parents), nothing in memory."""
        return Inheritance(self.mode, self.store, self.warm_start, in_memory=False)

    def start(self, model: nn.Module, parents: Sequence[AnyGenome], build: Build) -> Start:
        """Load ``model``'s inherited units; its sources and schedule."""
        if self.store is None:
            return Start({"parent": 0.0, "store": 0.0, "fresh": 1.0})
        total = n_params(model) or 1
        from_parent, taken = 0, set()
        if self.mode == "lineage" and parents:
            sources = [m for m in (self.trained_network(p, build) for p in parents) if m is not None]
            from_parent, taken = inherit_from_parents(model, sources)
        shares = {"parent": from_parent / total, "store": self.store.inherit(model, skip=taken)}
        shares["fresh"] = max(0.0, 1.0 - shares["parent"] - shares["store"])
        if not self.warm_start.applies(shares):
            return Start(shares)
        return Start(shares, self.warm_start.lr_scale, self.warm_start.warmup)

    def keep(self, key: str, model: nn.Module) -> None:
        """Save ``model``'s trained state under ``key`` (an evaluation key) for its children."""
        if self.store is None:
            return
        self.store.save_trained(key, model)
        self.living.pop(key, None)
        if self.in_memory:
            self._remember(key, model.to("cpu"))

    def _remember(self, key: str, model: nn.Module) -> None:
        """Hold ``model`` in memory; past :data:`MAX_IN_MEMORY` the oldest goes (an algorithm
        that never calls :meth:`retain`, a stock GA, would otherwise hold every network)."""
        self.living[key] = model
        while len(self.living) > MAX_IN_MEMORY:
            del self.living[next(iter(self.living))]

    def trained_network(self, genome: AnyGenome, build: Build) -> nn.Module | None:
        """``genome``'s trained network (``build`` makes it untrained), or None when its
        state is gone (evicted, never trained here, failed, or written under other settings)."""
        key = genome.key()
        if key in self.living:
            return self.living[key]
        state = self.store.load_trained(key) if self.store is not None else None
        if state is None:
            return None
        with torch.random.fork_rng(devices=[]):
            model = build(genome)
        if not self.store.load_into(key, model, state):
            return None
        if self.in_memory:
            self._remember(key, model)
        return model

    def retain(self, genomes: Iterable[AnyGenome]) -> int:
        """The living population (:meth:`Lineage.retain`); the rest leave memory too."""
        genomes = list(genomes)
        promoted = {key: self.living.get(evaluated) for key, evaluated in self.lineage.repeats.items()}
        deleted = self.lineage.retain(genomes)
        keep = {g.key() for g in genomes}
        for key, model in promoted.items():  # a living repeat's new state is its state (None: read from the folder)
            self.living[key] = model
        self.living = {k: m for k, m in self.living.items() if k in keep and m is not None}
        return deleted

    def update_store(self, population: Iterable[tuple[AnyGenome, float]], build: Build) -> list[str]:
        """Steps 1-4 of Sec. IV-B2: ``population`` is (genome, accuracy) pairs; walking
        from the best down, write each trained unit not yet written in this round."""
        if self.store is None:
            return []
        ranked = sorted(population, key=lambda pair: -pair[1])
        networks = (self.trained_network(genome, build) for genome, _ in ranked)
        return update_from_ranked(self.store, (m for m in networks if m is not None))


__all__ = ["Inheritance", "Start"]
