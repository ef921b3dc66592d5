"""The seam between the search and its evaluator, declared in one place (torch-free).

The search side (problems, algorithms, operators, the parallel runner, the run) reads an
evaluator only through what is declared here; nothing probes an evaluator for other names.

* :class:`SearchEvaluator`: what every evaluator offers the search. The call
  ``genome -> {"accuracy": ...}`` (optionally ``params``, ``macs``, ``flops``,
  ``epochs``); what the problem builds networks for (``input_shape``, ``num_classes``,
  ``init_channels``: a width or a width rule genome -> width); ``n_val`` (validation
  images: alpha = "noise" of Alg. 2 needs it); ``prefetch`` (a batch first, for an
  evaluator that answers batches faster); the counters ``archive_hits`` and ``trained``
  (None: not counted); and the algorithm's notes: the generation (its archive records it),
  each offspring's parents (Alg. 1 lines 6-7; Alg. 4 lines 5-6), the genomes evaluated
  again (Alg. 4 line 7), the population that lives on, the ranked population for the
  paper's cell store (Sec. IV-B2, Steps 1-4), and the ``plan`` a remote worker needs.
* :class:`WorkerEvaluator`: an evaluator the Dask runner splits between the driver (archive
  ``lookup`` and ``record``) and the workers (``train_genome`` on a ``worker_copy``).
  Without it the runner ships the whole problem to the workers, as pymoo's runner does.
* :class:`RunEvaluator`: what a ``tsenas search`` run needs beyond the search: its
  ``archive`` and weight ``store``, a ``progress`` switch, the SuperNet
  (``train_supernet``) and ``search_data()`` for the report.

:class:`EvaluatorBase` holds the defaults of every :class:`SearchEvaluator` member (no
shape, no counters, every note ignored): subclass it and override what an evaluator has.
:func:`search_evaluator` is the one place an object becomes a :class:`SearchEvaluator`:
an evaluator that implements it, as it is; any other callable through
:class:`CallableEvaluator`, which reads only the declared members it has (``OWN``: an
``input_shape``, an ``n_val``, a ``prefetch``, ...) and tells it the notes only when it has
all of them; some notes but not all is refused in one line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

Genome = Any  # a NetworkGenome or FineGenome (space.genome); kept abstract: this module loads nothing


@runtime_checkable
class SearchEvaluator(Protocol):
    """What the search reads of an evaluator (:class:`EvaluatorBase` has defaults)."""

    input_shape: tuple[int, int, int] | None
    num_classes: int | None
    init_channels: int | Callable[[Genome], int] | None
    n_val: int | None
    archive_hits: int | None
    trained: int | None

    def __call__(self, genome: Genome) -> Mapping[str, Any]:
        """The evaluation of ``genome``: at least ``{"accuracy": float}``."""

    def prefetch(self, genomes: Sequence[Genome]) -> None:
        """A batch's genomes before they are evaluated one by one."""

    def note_generation(self, generation: int) -> None:
        """The generation the next evaluations belong to."""

    def note_parents(self, parents: Mapping[str, Sequence[Genome]]) -> None:
        """Pending offspring: child key -> its parents' genomes."""

    def note_repeats(self, repeats: Mapping[str, int]) -> None:
        """Genomes evaluated again in this generation: genome key -> tag."""

    def retain(self, genomes: Iterable[Genome]) -> int:
        """The living population after a generation; returns what the evaluator let go."""

    def update_store(self, population: Iterable[tuple[Genome, float]]) -> list[str]:
        """(genome, accuracy) pairs of the population for the cell store; what it wrote."""

    def plan(self, genome: Genome) -> dict[str, Any]:
        """What a remote worker needs besides the genome (keyword arguments of
        ``train_genome``: its parents and the key it is evaluated under)."""


@runtime_checkable
class WorkerEvaluator(SearchEvaluator, Protocol):
    """An evaluator the Dask runner splits: archive on the driver, training on workers."""

    def lookup(self, genome: Genome) -> dict[str, Any] | None:
        """The archived result of ``genome`` (None: train it)."""

    def record(self, genome: Genome, record: dict[str, Any]) -> dict[str, Any]:
        """Archive a fresh result and return it."""

    def settle(self, genome: Genome, train: Any) -> dict[str, Any]:
        """Archive what ``train()`` returns for ``genome``, or its failure when it raises."""

    def train_genome(self, genome: Genome, **plan: Any) -> dict[str, Any]:
        """Train and score ``genome`` (on a worker), ``plan`` as :meth:`plan` gave it."""

    def worker_copy(self) -> WorkerEvaluator:
        """The copy the workers receive (no archive: the driver alone writes it)."""


@runtime_checkable
class RunEvaluator(SearchEvaluator, Protocol):
    """What a run (``SearchRun``) needs of its evaluator beyond the search."""

    archive: Any
    store: Any
    progress: bool

    def train_supernet(self, epochs: int) -> dict[str, Any]:
        """Fill the weight store from a SuperNet (Sec. IV-B1)."""

    def search_data(self) -> dict[str, Any]:
        """What the run's report records about the data the search saw."""


class EvaluatorBase:
    """The defaults of every :class:`SearchEvaluator` member: no shape (the problem's own
    defaults then hold), no counters, no batch answers, every note accepted and ignored.
    Subclass it and override what an evaluator has."""

    input_shape: tuple[int, int, int] | None = None
    num_classes: int | None = None
    init_channels: int | Callable[[Genome], int] | None = None
    n_val: int | None = None
    archive_hits: int | None = None
    trained: int | None = None

    def prefetch(self, genomes: Sequence[Genome]) -> None:
        return None

    def note_generation(self, generation: int) -> None:
        return None

    def note_parents(self, parents: Mapping[str, Sequence[Genome]]) -> None:
        return None

    def note_repeats(self, repeats: Mapping[str, int]) -> None:
        return None

    def retain(self, genomes: Iterable[Genome]) -> int:
        return 0

    def update_store(self, population: Iterable[tuple[Genome, float]]) -> list[str]:
        return []

    def plan(self, genome: Genome) -> dict[str, Any]:
        return {}


#: The notes: an evaluator has all of them or none.
NOTES = ("note_generation", "note_parents", "note_repeats", "retain", "update_store", "plan")
#: The members a plain callable may have on its own (read when present, else the defaults).
OWN = ("input_shape", "num_classes", "init_channels", "n_val", "archive_hits", "trained", "prefetch")


def _own(name: str):
    return property(lambda self: getattr(self.function, name, getattr(EvaluatorBase, name)))


class CallableEvaluator(EvaluatorBase):
    """A callable ``genome -> mapping`` that does not implement all of
    :class:`SearchEvaluator`, seen through it: the members of ``OWN`` it has (an
    ``input_shape``, a ``prefetch``, ...) are read, the rest are the defaults; its notes are
    told when it has all of them."""

    def __init__(self, function: Callable[[Genome], Mapping[str, Any]] | None):
        self.function = function
        if function is not None and all(hasattr(function, n) for n in NOTES):
            for name in NOTES:  # its own notes, over the ignoring defaults
                setattr(self, name, getattr(function, name))

    def __call__(self, genome: Genome) -> Mapping[str, Any]:
        if not callable(self.function):
            raise TypeError(f"evaluator {self.function!r} is not callable; rule: a callable genome -> mapping")
        return self.function(genome)

    def prefetch(self, genomes):
        batch = getattr(self.function, "prefetch", None)
        return batch(genomes) if callable(batch) else None


for _name in OWN[:-1]:  # the data members (prefetch is a method above)
    setattr(CallableEvaluator, _name, _own(_name))


def search_evaluator(evaluator: Any) -> SearchEvaluator:
    """``evaluator`` as the search reads it: itself when it implements
    :class:`SearchEvaluator`, else seen through :class:`CallableEvaluator` (a problem refuses
    an evaluator that is not callable when it is built). An evaluator with some of the notes
    but not all is a mistake named in one line."""
    if isinstance(evaluator, SearchEvaluator):
        return evaluator
    present = [name for name in NOTES if callable(getattr(evaluator, name, None))]
    if 0 < len(present) < len(NOTES):
        missing = [name for name in ("__call__", *NOTES) if not hasattr(evaluator, name)]
        raise TypeError(
            f"evaluator {type(evaluator).__name__} has {', '.join(present) or 'no notes'} but not "
            f"{', '.join(missing)}; rule: implement every note of SearchEvaluator (tsenas_pymoo.interface), "
            "subclass EvaluatorBase, or pass a plain callable genome -> {'accuracy': ...}"
        )
    return CallableEvaluator(evaluator)


#: The names of 0.7 (``evaluation.protocol``), kept for one version.
IgnoresNotes = EvaluatorBase
notes_for = search_evaluator

__all__ = [
    "CallableEvaluator",
    "EvaluatorBase",
    "IgnoresNotes",
    "RunEvaluator",
    "SearchEvaluator",
    "WorkerEvaluator",
    "notes_for",
    "search_evaluator",
]
