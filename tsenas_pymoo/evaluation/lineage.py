"""Lineage weight inheritance: a child starts from its parents' trained weights.

Lamarckian inheritance as in large-scale evolution of image classifiers (Real et al.
2017), at the unit level of Sec. IV-B2. The algorithm tells the evaluator each child's
parents (:meth:`TorchEvaluator.note_parents`) and which individuals live on
(:meth:`TorchEvaluator.retain`); every trained network's state is kept in the weight
store's ``trained/`` folder until no living individual can be a parent.

Which parent unit a child unit takes (:func:`inherit_from_parents`):

* **cells** come from the parent cell they were copied from: the parent whose chain the
  child keeps (same free inputs) at the same position when the cell code matches there,
  else the k-th cell of the same type in a parent (Fig. 3a pairs the k-th normal cell of
  one parent with the k-th normal cell of the other), when its code matches. A cell
  changed by cell mutation has no parent source.
* **edges** of a source cell are taken when the node, input and op are equal (Alg. 4:
  the edges a node or edge mutation or the pruning edited are new).
* **input adapters** are taken when their shapes match; the free-input adapter of a cell
  whose connection was mutated (same position, another free input) is not.
* **stem and classifier** come from the first parent whose shapes match.

Whatever has no parent source comes from the paper's cell store, else stays fresh; the
evaluator records the three shares (``sources``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

from torch import nn

from .. import faults
from ..space.genome import AnyGenome
from ..space.network import CellModule, TSENASNetwork
from .keys import repeat_key
from .weights import WeightStore, n_params

MODES = ("lineage", "store", "none")
WARM_COUNTS = ("inherited", "parents")


def default_warm_counts(mode: str) -> str:
    """The warm start's ``counts`` by inheritance ``mode`` (since 0.6.0): under ``lineage``
    only a trained parent's weights count, so a first-generation network on the SuperNet's
    units trains on scratch's schedule (why, measured: docs/inheritance.md);
    under ``store`` (the paper's) every inherited weight counts, as before: the store's
    later generations were not measured on scratch's schedule."""
    return "parents" if mode == "lineage" else "inherited"


@dataclass(frozen=True)
class WarmStart:
    """The training schedule of an inherited network: the peak learning rate is
    ``lr_scale`` times the search's, reached after a linear warm-up over ``warmup`` of the
    steps. It applies when at least ``threshold`` of the network's parameters were
    inherited; ``counts`` says which inherited weights count: ``inherited`` (from parents
    and the cell store, the SuperNet's units included) or ``parents`` (a trained parent's
    only: a first-generation network on the SuperNet's units trains on the full schedule).
    The defaults were chosen by measurement (docs/inheritance.md)."""

    lr_scale: float = 0.3
    warmup: float = 0.2
    threshold: float = 0.5
    counts: str = "inherited"

    def __post_init__(self):
        if not 0.0 < self.lr_scale <= 10.0:
            raise ValueError(f"lr_scale={self.lr_scale}; rule: 0 < value <= 10")
        if not 0.0 <= self.warmup < 1.0:
            raise ValueError(f"warmup={self.warmup}; rule: a fraction of the steps, 0 <= value < 1")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold={self.threshold}; rule: a fraction in [0, 1]")
        if self.counts not in WARM_COUNTS:
            raise ValueError(f"counts={self.counts!r}; rule: one of {', '.join(WARM_COUNTS)}")

    def share(self, sources: Mapping[str, float]) -> float:
        """The share of parameters that counts toward ``threshold`` (``sources``: the
        evaluator's parent/store/fresh shares)."""
        return sources["parent"] + (sources["store"] if self.counts == "inherited" else 0.0)

    def applies(self, sources: Mapping[str, float]) -> bool:
        share = self.share(sources)
        return share >= self.threshold and share > 0

    def to_dict(self) -> dict:
        return asdict(self)


class Lineage:
    """Who descends from whom in one search, and whose trained state is kept.

    The algorithm's notes: each pending offspring's parents (Alg. 1 lines 6-7, Alg. 4
    lines 5-6) and the genomes evaluated again in this generation (Alg. 4 line 7: s beside
    p1 and p2). Every trained network's state stays in the weight store's ``trained/``
    folder until :meth:`retain` learns no living individual can be its parent. With no
    store (``inheritance="none"``) the notes are kept and nothing is saved."""

    def __init__(self, store: WeightStore | None = None):
        self.store = store
        self.parents: dict[str, tuple[AnyGenome, ...]] = {}  # pending offspring -> parents
        self.repeats: dict[str, str] = {}  # genomes evaluated again -> their evaluation key

    def note_parents(self, parents: Mapping[str, Sequence[AnyGenome]]) -> None:
        self.parents.update({key: tuple(genomes) for key, genomes in parents.items()})

    def parents_of(self, genome: AnyGenome) -> tuple[AnyGenome, ...]:
        return self.parents.get(genome.key(), ())

    def note_repeats(self, repeats: Mapping[str, int]) -> None:
        self.repeats.update({key: repeat_key(key, tag) for key, tag in repeats.items()})

    def eval_key(self, genome: AnyGenome) -> str:
        """The key this evaluation is archived, seeded and saved under."""
        return self.repeats.get(genome.key(), genome.key())

    def retain(self, genomes: Iterable[AnyGenome]) -> int:
        """Keep the trained states of ``genomes`` (the living population), delete the rest;
        a living genome that was evaluated again keeps its new state. The pending notes
        are done with. Returns the number of states deleted."""
        genomes = list(genomes)
        repeats, self.parents, self.repeats = self.repeats, {}, {}
        if self.store is None:
            return 0
        faults.point("retain")
        for genome in genomes:
            if genome.key() in repeats:
                self.store.promote_trained(repeats[genome.key()], genome.key())
        return self.store.retain_trained(g.key() for g in genomes)


def _copy(target: nn.Module, source: nn.Module, taken: set[int]) -> int:
    """Load ``source``'s state into ``target`` when every tensor's shape matches;
    returns the parameters copied."""
    mine, theirs = target.state_dict(), source.state_dict()
    if not mine or set(mine) != set(theirs) or any(mine[k].shape != theirs[k].shape for k in mine):
        return 0
    target.load_state_dict(theirs)
    taken.add(id(target))
    return n_params(target)


def _type_rank(cells: Sequence[CellModule], index: int) -> tuple[bool, int]:
    kind = cells[index].cell.reduction
    return kind, sum(c.cell.reduction == kind for c in cells[:index])


def source_cell(child: TSENASNetwork, index: int, parents: Sequence[TSENASNetwork]):
    """(parent, cell index) that cell ``index`` of ``child`` was copied from, or None."""
    cell = child.cells[index]

    def same(parent, k):
        theirs = parent.cells[k]
        return theirs.cell.code == cell.cell.code and theirs.channels == cell.channels

    for parent in parents:
        if index < len(parent.cells) and same(parent, index):
            return parent, index
    kind, rank = _type_rank(child.cells, index)
    for parent in parents:
        of_kind = [k for k, c in enumerate(parent.cells) if c.cell.reduction == kind]
        if rank < len(of_kind) and same(parent, of_kind[rank]):
            return parent, of_kind[rank]
    return None


def _inherit_cell(child: TSENASNetwork, index: int, parent: TSENASNetwork, k: int, taken: set[int]) -> int:
    mine, theirs = child.cells[index], parent.cells[k]
    copied = _copy(mine.preprocess1, theirs.preprocess1, taken)
    if k != index or parent.free_inputs[k] == child.free_inputs[index]:
        copied += _copy(mine.preprocess0, theirs.preprocess0, taken)
    for name, module in mine.edges.items():
        node_id, slot = int(name[4 : name.index("_")]), int(name[-1])
        if (
            name in theirs.edges
            and theirs.edge_specs[name] == mine.edge_specs[name]
            and theirs.cell.node(node_id)[slot] == mine.cell.node(node_id)[slot]
        ):
            copied += _copy(module, theirs.edges[name], taken)
    return copied


def inherit_from_parents(child: TSENASNetwork, parents: Sequence[TSENASNetwork]) -> tuple[int, set[int]]:
    """Load into ``child`` every unit it shares with a parent (module docstring); returns
    the parameters inherited and the ids of the modules that were loaded."""
    taken: set[int] = set()
    if not parents:
        return 0, taken
    # the parent whose chain the child keeps comes first
    parents = sorted(parents, key=lambda p: (p.free_inputs != child.free_inputs, len(p.cells) != len(child.cells)))
    copied = 0
    for index in range(len(child.cells)):
        found = source_cell(child, index, parents)
        if found is not None:
            copied += _inherit_cell(child, index, found[0], found[1], taken)
    for name in ("stem", "classifier"):
        for parent in parents:
            got = _copy(getattr(child, name), getattr(parent, name), taken)
            if got:
                copied += got
                break
    return copied, taken


__all__ = ["MODES", "Lineage", "WarmStart", "inherit_from_parents", "repeat_key", "source_cell"]
