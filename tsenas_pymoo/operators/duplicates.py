"""Duplicate elimination on decoded genomes, not raw vectors."""

from __future__ import annotations

from collections.abc import Callable

from pymoo.core.duplicate import DuplicateElimination

from ..space.genome import NetworkGenome


class GenomeDuplicateElimination(DuplicateElimination):
    """Two individuals are duplicates when their decoded genomes have the same canonical
    key (a stage-1 genome and its unchanged stage-2 expansion are equal).

    ``decode`` maps a vector to a genome: a ``TSENASProblem``'s ``decode`` (stage 1 or 2),
    by default stage-1 decoding. A vector that does not decode is compared by its values.
    """

    def __init__(self, decode: Callable | None = None):
        super().__init__()
        self.decode = decode if decode is not None else NetworkGenome.from_vector

    def key(self, individual) -> str:
        try:
            return self.decode(individual.X).key()
        except ValueError:
            return "raw:" + ",".join(str(v) for v in individual.X)

    def _do(self, pop, other, is_duplicate):
        seen = set() if other is None else {self.key(ind) for ind in other}
        for i, ind in enumerate(pop):
            k = self.key(ind)
            if k in seen:
                is_duplicate[i] = True
            else:
                seen.add(k)
        return is_duplicate
