"""Fig. 3a: the type-preserving multi-point crossover of the rough search."""

from __future__ import annotations

import numpy as np
from pymoo.core.crossover import Crossover

from ..space.cells import is_reduction
from ..space.genome import NetworkGenome, max_free_input


def cross_cells(
    parent_a: NetworkGenome,
    parent_b: NetworkGenome,
    random_state: np.random.Generator,
    swap_prob: float = 0.5,
    single_point: bool = False,
    carry_connections: bool = False,
) -> tuple[NetworkGenome, NetworkGenome]:
    """Exchange cells between two chains, normal only with normal, reduction with reduction.

    The shorter parent is the reference (``parent_a`` on a tie). Its cells are walked in
    order; the k-th normal (reduction) cell of the reference is paired with the k-th
    normal (reduction) cell of the other parent, and skipped when the other has no k-th
    cell of that type. Each pair is a crossover point with probability ``swap_prob``
    (at least one point when any pair exists); at a point the two cell codes swap. The
    connections stay with the chain position, so both children stay valid and keep
    their parents' depth and reduction count. ``single_point`` (the ablation baseline)
    instead swaps every pair from one random cut on. ``carry_connections``: a swapped
    cell takes its free input along, clipped to what its new position allows
    (``[0, j-2]``), so a crossover also recombines connections.
    """
    swapped = parent_a.n_cells > parent_b.n_cells
    ref, other = (parent_b, parent_a) if swapped else (parent_a, parent_b)
    ref_codes, other_codes = list(ref.codes), list(other.codes)
    by_type = {kind: [i for i, c in enumerate(other_codes) if is_reduction(c) == kind] for kind in (False, True)}
    used = {False: 0, True: 0}
    pairs = []
    for i, code in enumerate(ref_codes):
        kind = is_reduction(code)
        if used[kind] < len(by_type[kind]):
            pairs.append((i, by_type[kind][used[kind]]))
            used[kind] += 1
    if single_point:
        points = np.arange(len(pairs)) >= (random_state.integers(len(pairs)) if pairs else 0)
    else:
        points = random_state.random(len(pairs)) < swap_prob
    if pairs and not points.any():
        points[random_state.integers(len(pairs))] = True
    ref_frees, other_frees = list(ref.free_inputs), list(other.free_inputs)
    for (i, k), point in zip(pairs, points):
        if point:
            ref_codes[i], other_codes[k] = other_codes[k], ref_codes[i]
            if carry_connections:
                ref_frees[i], other_frees[k] = (
                    min(other.free_inputs[k], max_free_input(i + 1)),
                    min(ref.free_inputs[i], max_free_input(k + 1)),
                )
    child_ref = NetworkGenome(tuple(ref_codes), tuple(ref_frees))
    child_other = NetworkGenome(tuple(other_codes), tuple(other_frees))
    return (child_other, child_ref) if swapped else (child_ref, child_other)


class CellCrossover(Crossover):
    """Fig. 3a as a pymoo crossover: 2 parents -> 2 children, applied with ``prob``
    (the paper's crossover rate gamma = 0.8, Sec. V-C); ``single_point=True`` is the
    single-point baseline of the ablation; ``carry_connections=True`` swaps each cell
    with its free input (see :func:`cross_cells`)."""

    def __init__(
        self,
        prob: float = 0.8,
        swap_prob: float = 0.5,
        single_point: bool = False,
        carry_connections: bool = False,
        **kwargs,
    ):
        super().__init__(2, 2, prob=prob, **kwargs)
        self.swap_prob, self.single_point, self.carry_connections = swap_prob, single_point, carry_connections

    def _do(self, problem, X, *args, random_state=None, **kwargs):
        _, n_matings, n_var = X.shape
        Y = np.empty((2, n_matings, n_var), dtype=np.int64)
        for m in range(n_matings):
            a, b = (problem.decode(X[p, m]) for p in range(2))
            children = cross_cells(a, b, random_state, self.swap_prob, self.single_point, self.carry_connections)
            for p, child in enumerate(children):
                Y[p, m] = child.to_vector(problem.n_max)
        return Y
