"""Stage 2 of TS-ENAS, the fine search (Alg. 4), as steps of a running :class:`TSENAS`:
its start from the best S (Alg. 1 line 9), each generation's offspring (Alg. 4 lines 5-7)
and the choice among s, p1 and p2 (Alg. 4 line 8)."""

from __future__ import annotations

import logging

import numpy as np
from pymoo.core.population import Population

from ..operators.fine import mutate_fine, prune_fine
from .records import best_first

log = logging.getLogger(__name__)


def start_fine_search(algorithm) -> None:
    """Alg. 1 line 9 / Alg. 4 line 1: the best S, in the stage-2 encoding."""
    problem, pop = algorithm.problem, algorithm.pop
    algorithm.data["stage1_final"] = [
        (problem.decode(x).key(), float(a)) for x, a in zip(pop.get("X"), pop.get("accuracy"))
    ]
    best = pop[best_first(pop)[: algorithm.fine_size]]
    X = np.array([problem.decode(x).expand().to_vector(problem.n_max) for x in best.get("X")])
    fine = Population.new("X", X)
    for key in ("F", "accuracy", "params", "macs", "flops"):
        fine.set(key, best.get(key))
    fine.set("evaluated", [set(ind.evaluated) for ind in best])
    algorithm.stage2_start = [problem.decode(x).key() for x in X]
    log.info("stage 2 (fine search) starts from the best %d of generation %d", len(X), algorithm.n_iter - 1)
    algorithm.stage = 2
    algorithm.pop = fine


def fine_offspring(algorithm) -> Population:
    """Alg. 4 lines 5-7: per parent s, a node/edge-mutated child p1 and a pruned child
    p2, then (``reevaluate``) every s again, after all children. Each is noted with
    its parent s; the evaluator is told which are evaluations of s again."""
    rs, options, problem = algorithm.random_state, algorithm.options, algorithm.problem
    X, parents, keys = [], {}, []
    for x in algorithm.pop.get("X"):
        genome = problem.decode(x)
        keys.append(genome.key())
        children = [mutate_fine(genome, rs, options.fine_kinds, options.fine_cells)]
        children += [prune_fine(genome, rs)] if options.prune else []
        for child in children:
            X.append(child.to_vector(problem.n_max))
            parents.setdefault(child.key(), [x])
    if options.reevaluate:
        repeats = {}
        for x, key in zip(algorithm.pop.get("X"), keys):
            X.append(np.array(x))
            parents.setdefault(key, [x])
            repeats[key] = int(algorithm.n_iter)
        algorithm.notes.note_repeats(repeats)
    algorithm.note_parents(parents)
    return Population.new("X", np.array(X))


def fine_select(algorithm, off: Population) -> Population:
    """Alg. 4 line 8: the best of {s, p1, p2} takes s's place (s on ties); s is its
    evaluation of this generation when ``reevaluate``, else its earlier one."""
    winners = []
    per = 2 if algorithm.options.prune else 1  # children per parent
    n = len(algorithm.pop)
    for i, parent in enumerate(algorithm.pop):
        parent = off[per * n + i] if algorithm.options.reevaluate else parent
        trio = [parent] + [off[per * i + c] for c in range(per)]
        accuracy = [float(ind.get("accuracy")) for ind in trio]
        second = [float(ind.F[1]) if len(ind.F) > 1 else 0.0 for ind in trio]
        winners.append(trio[max(range(len(trio)), key=lambda k: (accuracy[k], -second[k], -k))])
    return Population.create(*winners)


__all__ = ["fine_offspring", "fine_select", "start_fine_search"]
