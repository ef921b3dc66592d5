"""Regularized (aging) evolution, Real et al. 2019 (AAAI), the standard strong NAS
baseline, as a pymoo algorithm on the TS-ENAS space.

Each cycle samples ``sample_size`` individuals of the population at random; the most
accurate of the sample is the parent; its mutated child (Fig. 3b: a cell or a connection,
every child mutated) joins the population and the *oldest* individual leaves, however
good it is. ``n_offsprings`` cycles run per pymoo generation, parents drawn from the
population at its start (the batched variant; 1 is the paper's sequential one).
"""

from __future__ import annotations

import numpy as np
from pymoo.algorithms.base.genetic import GeneticAlgorithm
from pymoo.core.population import Population
from pymoo.core.survival import Survival
from pymoo.operators.selection.tournament import TournamentSelection
from pymoo.util import default_random_state
from pymoo.util.optimum import filter_optimum

from ..operators.duplicates import GenomeDuplicateElimination
from ..operators.mutation import CellMutation
from ..operators.sampling import TSENASSampling


@default_random_state
def best_of_sample(pop, P, random_state=None, **kwargs):
    """The most accurate (lowest first objective) of each row of sampled indices; ties to
    the first drawn."""
    F = pop.get("F")[:, 0]
    return np.array([row[int(np.argmin(F[row]))] for row in P])[:, None]


OVERSAMPLE = 4  # children made per child still missing, in each round of ``_infill``


class AgingSurvival(Survival):
    """Keep the ``n_survive`` youngest: the offspring of the latest generations, and among
    one generation's the later-made ones (the order they were appended in)."""

    def __init__(self):
        super().__init__(filter_infeasible=False)

    def _do(self, problem, pop, *args, n_survive=None, **kwargs):
        born = np.array([ind.get("n_gen") or 0 for ind in pop], dtype=float)
        order = sorted(range(len(pop)), key=lambda i: (-born[i], -i))
        return pop[sorted(order[:n_survive])]


class RegularizedEvolution(GeneticAlgorithm):
    """Aging evolution: population ``pop_size`` (P), tournament ``sample_size`` (S),
    ``n_offsprings`` children per generation (default P / 10, at least 1). Real et al.
    use P = 100, S = 25."""

    def __init__(self, pop_size: int = 100, sample_size: int = 25, n_offsprings: int | None = None, **kwargs):
        if not 2 <= sample_size <= pop_size:
            raise ValueError(f"sample_size={sample_size}; rule: 2 <= S <= pop_size={pop_size}")
        kwargs.setdefault("sampling", TSENASSampling())
        kwargs.setdefault("eliminate_duplicates", GenomeDuplicateElimination())
        mutation = kwargs.pop("mutation", None) or CellMutation(prob=1.0)
        super().__init__(
            pop_size=pop_size, n_offsprings=n_offsprings or max(1, pop_size // 10), survival=AgingSurvival(), **kwargs
        )
        self.sample_size, self.mutation = sample_size, mutation
        self.selection = TournamentSelection(func_comp=best_of_sample, pressure=sample_size)

    def _infill(self):
        """``n_offsprings`` cycles: best of a random sample, mutated; a child already in the
        population or made in this generation is dropped. Each round makes ``OVERSAMPLE``
        times the children still missing and keeps the first new ones in order (the
        same children as one cycle at a time: each is its own tournament and mutation);
        a converged population, whose children are mostly known, then needs few rounds
        (at most 100)."""
        rs, off = self.random_state, Population.empty()
        X = self.pop.get("X")
        for _ in range(100):
            n = OVERSAMPLE * (self.n_offsprings - len(off))
            picks = self.selection.do(self.problem, self.pop, n, 1, to_pop=False, random_state=rs)
            children = self.mutation.do(self.problem, Population.new("X", X[picks[:, 0]]), random_state=rs)
            off = Population.merge(off, self.eliminate_duplicates.do(children, self.pop, off))
            if len(off) >= self.n_offsprings:
                break
        return off[: self.n_offsprings]

    def _set_optimum(self):
        """The best ever evaluated: aging lets good individuals die, the answer keeps them."""
        pool = self.pop if self.opt is None else Population.merge(self.opt, self.pop)
        self.opt = filter_optimum(pool, least_infeasible=True)

    def _advance(self, infills=None, **kwargs):
        # the oldest leave, however good: the population is the youngest pop_size
        self.pop = self.survival.do(
            self.problem, Population.merge(self.pop, infills), n_survive=self.pop_size, random_state=self.random_state
        )


__all__ = ["AgingSurvival", "RegularizedEvolution", "best_of_sample"]
