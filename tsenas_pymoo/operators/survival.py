"""Sec. IV-B4: alpha-level density environmental selection."""

from __future__ import annotations

from collections import Counter

import numpy as np
from pymoo.core.population import Population
from pymoo.core.survival import Survival
from pymoo.util import default_random_state

from ..interface import search_evaluator


def alpha_levels(accuracy: np.ndarray, alpha: float) -> list[list[int]]:
    """Split indices into levels: level 1 is every individual within ``alpha`` of the best
    accuracy (best first); remove it and repeat. Each level is ordered best first."""
    order = sorted(range(len(accuracy)), key=lambda i: (-accuracy[i], i))
    levels, start = [], 0
    while start < len(order):
        top = accuracy[order[start]]
        end = start
        while end < len(order) and top - accuracy[order[end]] <= alpha + 1e-12:
            end += 1
        levels.append(order[start:end])
        start = end
    return levels


def pareto_levels(F: np.ndarray) -> list[list[int]]:
    """The multi-objective levels: non-dominated fronts of F, each ordered best error first."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    fronts = NonDominatedSorting().do(F)
    return [sorted(map(int, front), key=lambda i: (F[i, 0], i)) for front in fronts]


def select_by_alpha_levels(
    accuracy: np.ndarray, depth: np.ndarray, alpha: float, n_survive: int, levels: list[list[int]] | None = None
) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Fill ``n_survive`` places level by level; in the level that overflows take, one at
    a time, the individual whose depth N is least common among those already taken
    (its density), ties to the more accurate one, then to the lower index. ``levels``
    overrides the alpha levels (e.g. non-dominated fronts).

    Returns (selected indices in order, level of each individual, density at selection).
    """
    levels = alpha_levels(accuracy, alpha) if levels is None else levels
    level_of = np.empty(len(accuracy), dtype=int)
    for rank, members in enumerate(levels):
        level_of[members] = rank
    density = np.zeros(len(accuracy), dtype=int)
    taken: list[int] = []
    counts: Counter = Counter()
    for members in levels:
        room = n_survive - len(taken)
        if room <= 0:
            break
        if len(members) <= room:
            chosen = members
        else:
            chosen, pending = [], list(members)
            local = Counter(counts)
            while len(chosen) < room:
                best = min(pending, key=lambda i: (local[depth[i]], -accuracy[i], i))
                pending.remove(best)
                local[depth[best]] += 1
                chosen.append(best)
        for i in chosen:
            density[i] = counts[depth[i]]
            counts[depth[i]] += 1
            taken.append(i)
    return taken, level_of, density


class AlphaLevelSurvival(Survival):
    """Keep ``n_survive`` individuals by alpha levels of validation accuracy, breaking the
    overflowing level by depth density (Sec. IV-B4; DESIGN.md's reading).

    Accuracy is ``1 - F[:, 0]``; depth N comes from ``problem.decode``. With two
    objectives (error and params or FLOPs) the levels are the non-dominated fronts of F:
    the individuals of one front are equally good in the multi-objective sense, as those
    within alpha are in one dimension; the depth density then spreads N inside the front
    that overflows, as in the paper. Sets each
    individual's ``rank`` (its alpha level, 0 = best) and ``density`` so that a
    ``TournamentSelection(func_comp=compare_by_alpha_level)`` can use them (pymoo's
    default fitness tournament works as well).

    ``alpha="noise"``: alpha is the binomial standard error of the best validation
    accuracy p of the pool, ``sqrt(p (1 - p) / n_val)``, with ``n_val`` the evaluator's
    validation images, so that "within alpha" reads "within the measurement's noise".
    The value used last is ``last_alpha``.
    """

    def __init__(self, alpha: float | str = 0.01):
        super().__init__(filter_infeasible=False)
        if alpha != "noise" and not (isinstance(alpha, (int, float)) and alpha >= 0):
            raise ValueError(f"alpha={alpha!r}; rule: an accuracy difference >= 0, or 'noise'")
        self.alpha = alpha
        self.last_alpha: float | None = None

    def alpha_for(self, problem, accuracy: np.ndarray) -> float:
        if self.alpha != "noise":
            return float(self.alpha)
        n_val = search_evaluator(getattr(problem, "evaluator", None)).n_val
        if not n_val:
            raise ValueError(
                "alpha='noise' needs the evaluator's number of validation images (evaluator.n_val); "
                "rule: a TorchEvaluator, or an evaluator with an n_val attribute"
            )
        p = float(np.clip(np.max(accuracy), 0.0, 1.0))
        return float(np.sqrt(p * (1 - p) / n_val))

    def _do(self, problem, pop, *args, n_survive=None, random_state=None, **kwargs):
        n_survive = len(pop) if n_survive is None else n_survive
        if not len(pop):
            return pop
        violation = pop.get("CV")[:, 0]
        infeasible = violation > 0
        if infeasible.any():  # pymoo's feasibility rule: feasible first, then the least violation
            feasible = pop[~infeasible]
            kept = self._do(problem, feasible, n_survive=min(n_survive, len(feasible)))
            worst = pop[infeasible][np.argsort(violation[infeasible], kind="stable")][: n_survive - len(kept)]
            worst.set("rank", np.full(len(worst), np.iinfo(np.int64).max), "density", np.full(len(worst), np.inf))
            return Population.merge(kept, worst)
        accuracy = 1.0 - pop.get("F")[:, 0]
        depth = np.array([problem.decode(x).n_cells for x in pop.get("X")])
        F = pop.get("F")
        levels = pareto_levels(F) if F.shape[1] > 1 else None
        self.last_alpha = self.alpha_for(problem, accuracy)
        taken, level, density = select_by_alpha_levels(accuracy, depth, self.last_alpha, n_survive, levels)
        pop.set("rank", level, "density", density)
        return pop[taken]


@default_random_state
def compare_by_alpha_level(pop, P, random_state=None, **kwargs):
    """Binary tournament: the lower alpha level wins, then the lower density, then the
    lower error; a full tie is broken at random."""
    winners = np.empty(len(P), dtype=int)
    for row, (a, b) in enumerate(P[:, :2]):
        key_a = (pop[a].get("rank"), pop[a].get("density"), pop[a].F[0])
        key_b = (pop[b].get("rank"), pop[b].get("density"), pop[b].F[0])
        if key_a == key_b:
            winners[row] = a if random_state.random() < 0.5 else b
        else:
            winners[row] = a if key_a < key_b else b
    return winners[:, None]
