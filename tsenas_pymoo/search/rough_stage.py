"""Stage 1 of TS-ENAS, the rough search (Alg. 2): one generation's offspring of a running
:class:`~tsenas_pymoo.search.algorithm.TSENAS`."""

from __future__ import annotations

import math

from pymoo.core.population import Population


def rough_offspring(algorithm) -> Population:
    """Alg. 2 lines 7-19: q1, q2 by crossover (gamma), q3 by mutation (beta); duplicates
    of the population or of earlier offspring are dropped and made again. Each
    child's parents are noted for the evaluator (lineage inheritance)."""
    off = Population.empty()
    rs, problem, pop = algorithm.random_state, algorithm.problem, algorithm.pop
    parents: dict[str, list] = {}
    for _ in range(algorithm.options.n_max_iterations):
        n_triples = math.ceil((algorithm.pop_size - len(off)) / 3)
        pairs = algorithm.selection.do(problem, pop, n_triples, 2, to_pop=False, random_state=rs)
        q12 = algorithm.crossover.do(problem, pop, pairs, random_state=rs)
        if algorithm.options.mutate_offspring:
            q12 = algorithm.mutation.do(problem, q12, random_state=rs)
        singles = algorithm.selection.do(problem, pop, n_triples, 1, to_pop=False, random_state=rs)
        q3 = algorithm.mutation.do(problem, Population.new("X", pop.get("X")[singles[:, 0]]), random_state=rs)
        # pymoo orders crossover children (child o of mating m) at o * n_matings + m
        sources = [pairs[c % len(pairs)] for c in range(len(q12))] + [singles[i] for i in range(len(q3))]
        for child, idx in zip(Population.merge(q12, q3), sources):
            parents.setdefault(problem.decode(child.X).key(), [pop[i].X for i in idx])
        new = algorithm.eliminate.do(Population.merge(q12, q3), pop, off)
        if algorithm.options.remake_known and len(new):
            new = new[[problem.decode(x).key() not in algorithm.known for x in new.get("X")]]
        off = Population.merge(off, new)
        if len(off) >= algorithm.pop_size:
            break
    off = off[: algorithm.pop_size]
    algorithm.note_parents({key: parents[key] for key in (problem.decode(x).key() for x in off.get("X"))})
    return off


__all__ = ["rough_offspring"]
