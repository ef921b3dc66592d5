"""Alg. 3 (population initialization) as a pymoo ``Sampling``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pymoo.core.sampling import Sampling

from ..space.cells import CELLS, NORMAL_CODES, REDUCTION_CODES, is_reduction
from ..space.genome import NetworkGenome, max_free_input, max_reductions
from ..space.width import Skeleton


def sample_genome(
    random_state: np.random.Generator,
    n_min: int,
    n_max: int,
    input_shape: Sequence[int] | None = None,
    skeleton: Skeleton | None = None,
) -> NetworkGenome:
    """One network by Alg. 3.

    Draw N in [N_min, N_max]; for cell j draw the free input in [0, j-2] (the previous
    input is j-1); while fewer than N/2 reduction cells were drawn (and the input size
    allows another halving) draw the cell from all 8, afterwards from the normal cells.
    Inside a fixed ``skeleton`` (N and the reduction positions given) Alg. 3 draws the
    free inputs as above and each cell from its position's type.
    """
    if skeleton is not None:
        return _sample_in_skeleton(random_state, skeleton)
    n_cells = int(random_state.integers(n_min, n_max + 1))
    cap = max_reductions(n_cells, input_shape)
    codes, frees, n_reductions = [], [], 0
    for j in range(1, n_cells + 1):
        frees.append(int(random_state.integers(max_free_input(j) + 1)))
        pool = tuple(CELLS) if n_reductions < cap else NORMAL_CODES
        code = int(random_state.choice(pool))
        n_reductions += is_reduction(code)
        codes.append(code)
    return NetworkGenome(tuple(codes), tuple(frees))


def _sample_in_skeleton(random_state: np.random.Generator, skeleton: Skeleton) -> NetworkGenome:
    codes, frees = [], []
    for j in range(1, skeleton.n_cells + 1):
        frees.append(int(random_state.integers(max_free_input(j) + 1)))
        codes.append(int(random_state.choice(REDUCTION_CODES if skeleton.is_reduction(j) else NORMAL_CODES)))
    return NetworkGenome(tuple(codes), tuple(frees))


class TSENASSampling(Sampling):
    """Alg. 3: each individual is a fresh chain of N_min..N_max Table II cells.

    Reads ``n_min``, ``n_max``, ``input_shape`` and ``skeleton`` (None: free) from the
    problem (a ``TSENASProblem``).
    """

    def _do(self, problem, n_samples, *args, random_state=None, **kwargs):
        skeleton = getattr(problem, "skeleton", None)
        genomes = [
            sample_genome(random_state, problem.n_min, problem.n_max, problem.input_shape, skeleton)
            for _ in range(n_samples)
        ]
        return np.array([g.to_vector(problem.n_max) for g in genomes], dtype=np.int64)
