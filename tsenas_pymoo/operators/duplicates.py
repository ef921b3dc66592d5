"""Duplicate elimination on decoded genomes, not raw vectors."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from pymoo.core.duplicate import DuplicateElimination
from pymoo.core.mixed import MixedVariableDuplicateElimination

from ..space.genome import NetworkGenome


def _key(decode: Callable, x) -> str:
    try:
        return decode(x).key()
    except ValueError:
        return "raw:" + ",".join(str(v) for v in x)


@functools.lru_cache(maxsize=100_000)
def _stage1_key(dtype: str, data: bytes) -> str:
    """A stage-1 vector's key, remembered: each generation compares the offspring with the
    whole population, so every member is keyed again and again."""
    return _key(NetworkGenome.from_vector, np.frombuffer(data, dtype=dtype))


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
        x = individual.X
        kept = individual.data.get("genome_key")
        if kept is not None and kept[0] is x:  # the same vector object: pymoo replaces X, never edits it
            return kept[1]
        arr = np.asarray(x)
        if not np.issubdtype(arr.dtype, np.number) or arr.ndim != 1:
            return _key(self.decode, x)  # a mixed-variable dict: keyed afresh every time
        if self.decode == NetworkGenome.from_vector:
            key = _stage1_key(arr.dtype.str, arr.tobytes())
        else:
            key = _key(self.decode, x)  # a problem's decode remembers its vectors itself
        individual.data["genome_key"] = (x, key)  # each generation keys the whole population again
        return key

    def _do(self, pop, other, is_duplicate):
        seen = set() if other is None else {self.key(ind) for ind in other}
        for i, ind in enumerate(pop):
            k = self.key(ind)
            if k in seen:
                is_duplicate[i] = True
            else:
                seen.add(k)
        return is_duplicate


class HashedMixedVariableElimination(MixedVariableDuplicateElimination):
    """pymoo's mixed-variable duplicate elimination with the same answer in linear time.

    pymoo compares every pair of individuals' ``X`` dicts in Python (``is_equal``): at a
    population of 100 that is most of a long run's time once a population converges and
    its offspring are mostly known (28 million comparisons in one NSGA2 run at the
    paper's budget). Here each ``X`` is hashed once. As pymoo does, of equal individuals
    within ``pop`` the last is kept, and one equal to any of ``other`` is dropped; the
    same individuals survive in the same order (property-tested against pymoo's).
    """

    @staticmethod
    def key(individual) -> tuple:
        return tuple(sorted(individual.X.items()))

    def _do(self, pop, other, is_duplicate):
        keys = [self.key(ind) for ind in pop]
        if other is None:
            later: set = set()
            for i in range(len(pop) - 1, -1, -1):
                is_duplicate[i] = keys[i] in later
                later.add(keys[i])
        else:
            known = {self.key(ind) for ind in other}
            for i, k in enumerate(keys):
                is_duplicate[i] = is_duplicate[i] or k in known
        return is_duplicate
