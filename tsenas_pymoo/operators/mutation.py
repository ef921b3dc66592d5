"""Fig. 3b: cell mutation and connection mutation of the rough search."""

from __future__ import annotations

import numpy as np
from pymoo.core.mutation import Mutation
from pymoo.core.variable import get

from ..space.cells import NORMAL_CODES, REDUCTION_CODES, is_reduction
from ..space.genome import NetworkGenome, max_free_input


def _mutation_points(candidates: list[int], random_state, prob_var: float | None) -> list[int]:
    """Each candidate is a point with ``prob_var`` (default 1/len); at least one."""
    rate = 1.0 / len(candidates) if prob_var is None else prob_var
    chosen = [c for c, hit in zip(candidates, random_state.random(len(candidates)) < rate) if hit]
    return chosen or [candidates[int(random_state.integers(len(candidates)))]]


def mutate_cells(genome: NetworkGenome, random_state, prob_var: float | None = None) -> NetworkGenome:
    """Cell mutation: replace the cell at each mutation point by another of its type."""
    codes = list(genome.codes)
    for i in _mutation_points(list(range(len(codes))), random_state, prob_var):
        pool = [c for c in (REDUCTION_CODES if is_reduction(codes[i]) else NORMAL_CODES) if c != codes[i]]
        codes[i] = int(random_state.choice(pool))
    return NetworkGenome(tuple(codes), genome.free_inputs)


def mutate_connections(genome: NetworkGenome, random_state, prob_var: float | None = None) -> NetworkGenome | None:
    """Connection mutation: give each mutation point another valid free input.

    Only cells j >= 3 have a choice ([0, j-2]); returns None when no cell has one.
    """
    candidates = [i for i in range(genome.n_cells) if max_free_input(i + 1) >= 1]
    if not candidates:
        return None
    frees = list(genome.free_inputs)
    for i in _mutation_points(candidates, random_state, prob_var):
        pool = [a for a in range(max_free_input(i + 1) + 1) if a != frees[i]]
        frees[i] = int(random_state.choice(pool))
    return NetworkGenome(genome.codes, tuple(frees))


KINDS = ("cell", "connection")


def mutate_genome(
    genome: NetworkGenome, random_state, prob_var: float | None = None, kinds: tuple[str, ...] = KINDS
) -> NetworkGenome:
    """Alg. 2 lines 12-17: cell or connection mutation with equal chance (cell mutation
    when no cell has a choice of connection). ``kinds`` limits them (ablations)."""
    if kinds == ("connection",) or (len(kinds) == 2 and random_state.random() < 0.5):
        mutated = mutate_connections(genome, random_state, prob_var)
        if mutated is not None or kinds == ("connection",):
            return mutated if mutated is not None else genome
    return mutate_cells(genome, random_state, prob_var)


class CellMutation(Mutation):
    """Fig. 3b as a pymoo mutation, applied to an individual with ``prob`` (the paper's
    mutation rate beta = 0.2, Sec. V-C); ``prob_var`` is the per-cell point rate
    (default 1/N)."""

    def __init__(self, prob: float = 0.2, prob_var: float | None = None, kinds: tuple[str, ...] = KINDS, **kwargs):
        super().__init__(prob=prob, prob_var=prob_var, **kwargs)  # pymoo holds prob_var, as its own mutations do
        if not kinds or any(k not in KINDS for k in kinds):
            raise ValueError(f"kinds={kinds}; rule: a non-empty subset of {KINDS}")
        self.kinds = tuple(k for k in KINDS if k in kinds)

    @property
    def cell_prob(self) -> float | None:
        """The per-cell point rate (``prob_var``; None: 1/N)."""
        return None if self.prob_var is None else float(get(self.prob_var))

    def __setstate__(self, state):
        # pickled before 0.8.0: the rate was kept as ``cell_prob``, beside pymoo's prob_var None
        old = state.pop("cell_prob", None)
        self.__dict__.update(state)
        if self.prob_var is None:
            self.prob_var = Mutation(prob_var=old).prob_var  # as pymoo's base makes it (None: None)

    def _do(self, problem, X, *args, random_state=None, **kwargs):
        Y = np.array(X, dtype=np.int64, copy=True)
        for i, x in enumerate(X):
            child = mutate_genome(problem.decode(x), random_state, self.cell_prob, self.kinds)
            Y[i] = child.to_vector(problem.n_max)
        return Y
