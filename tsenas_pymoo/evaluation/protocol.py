"""What a search tells its evaluator: one declared interface.

Any callable ``genome -> {"accuracy": ...}`` evaluates (``TSENASProblem`` asks nothing
more). An evaluator that also implements :class:`SearchEvaluator` is kept informed by the
algorithm: the generation (its archive records it), each offspring's parents (Alg. 1
lines 6-7; Alg. 4 lines 5-6), the genomes evaluated again (Alg. 4 line 7), the population
that lives on, and the ranked population for the paper's cell store (Sec. IV-B2, Steps
1-4). :class:`~tsenas_pymoo.evaluation.evaluator.TorchEvaluator` implements all of it;
:class:`IgnoresNotes` is a base with every note ignored, to subclass for an evaluator
that wants only some.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from ..space.genome import AnyGenome


@runtime_checkable
class SearchEvaluator(Protocol):
    """An evaluator the algorithm keeps informed (all methods; :class:`IgnoresNotes` has
    defaults)."""

    def __call__(self, genome: AnyGenome) -> Mapping[str, Any]:
        """The evaluation of ``genome``: at least ``{"accuracy": float}``."""

    def note_generation(self, generation: int) -> None:
        """The generation the next evaluations belong to."""

    def note_parents(self, parents: Mapping[str, Sequence[AnyGenome]]) -> None:
        """Pending offspring: child key -> its parents' genomes."""

    def note_repeats(self, repeats: Mapping[str, int]) -> None:
        """Genomes evaluated again in this generation: genome key -> tag."""

    def retain(self, genomes: Iterable[AnyGenome]) -> int:
        """The living population after a generation; returns what the evaluator let go."""

    def update_store(self, population: Iterable[tuple[AnyGenome, float]]) -> list[str]:
        """(genome, accuracy) pairs of the population for the cell store; what it wrote."""

    def plan(self, genome: AnyGenome) -> dict[str, Any]:
        """What a remote worker needs besides the genome (keyword arguments of
        ``train_genome``: its parents and the key it is evaluated under)."""


class IgnoresNotes:
    """Every note of :class:`SearchEvaluator` accepted and ignored: subclass it and
    override the notes an evaluator needs."""

    def note_generation(self, generation: int) -> None:
        return None

    def note_parents(self, parents: Mapping[str, Sequence[AnyGenome]]) -> None:
        return None

    def note_repeats(self, repeats: Mapping[str, int]) -> None:
        return None

    def retain(self, genomes: Iterable[AnyGenome]) -> int:
        return 0

    def update_store(self, population: Iterable[tuple[AnyGenome, float]]) -> list[str]:
        return []

    def plan(self, genome: AnyGenome) -> dict[str, Any]:
        return {}


_NOTES = tuple(name for name in vars(IgnoresNotes) if not name.startswith("_"))
_IGNORED = IgnoresNotes()


def notes_for(evaluator: Any) -> SearchEvaluator | IgnoresNotes:
    """The object the algorithm tells its notes: the evaluator when it implements
    :class:`SearchEvaluator`, else one that ignores them (a plain callable, or None). An
    evaluator with some of the notes but not all is a mistake, named in one line."""
    if isinstance(evaluator, SearchEvaluator):
        return evaluator
    present = [name for name in _NOTES if callable(getattr(evaluator, name, None))]
    if present:
        missing = [name for name in _NOTES if name not in present]
        raise TypeError(
            f"evaluator {type(evaluator).__name__} has {', '.join(present)} but not {', '.join(missing)}; "
            "rule: implement every method of SearchEvaluator, or subclass IgnoresNotes"
        )
    return _IGNORED


__all__ = ["IgnoresNotes", "SearchEvaluator", "notes_for"]
