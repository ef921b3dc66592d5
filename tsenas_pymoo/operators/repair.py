"""A repair that turns any in-bounds vector into a valid stage-1 genome, so that pymoo's
stock operators (integer sampling, SBX, PM, DE) can search a ``TSENASProblem``."""

from __future__ import annotations

import functools

import numpy as np
from pymoo.core.repair import Repair

from ..space.cells import is_reduction
from ..space.genome import NetworkGenome, max_free_input, max_reductions


def repair_vector(x: np.ndarray, n_min: int, n_max: int, input_shape=None) -> NetworkGenome:
    """Deterministic repair of one (possibly real-valued) stage-1 vector.

    Round and clip every entry; the chain ends at the first absent cell (code 0) after
    N_min (earlier ones become cell 1); the previous input of cell j becomes j-1; free
    inputs clip to [0, j-2]; surplus reduction cells, from the last, become the normal
    cell of the same family (code - 4).
    """
    cells = np.rint(np.nan_to_num(np.asarray(x, dtype=float))).astype(np.int64).reshape(n_max, 3).tolist()
    codes, frees = [], []
    for j, (free, _prev, code) in enumerate(cells, start=1):
        code = min(max(code, 0), 8)
        if code == 0:
            if j > n_min:
                break
            code = 1
        codes.append(code)
        frees.append(min(max(free, 0), max_free_input(j)))
    surplus = sum(map(is_reduction, codes)) - max_reductions(len(codes), input_shape)
    for i in reversed(range(len(codes))):
        if surplus <= 0:
            break
        if is_reduction(codes[i]):
            codes[i] -= 4
            surplus -= 1
    return NetworkGenome(tuple(codes), tuple(frees))


class GenomeRepair(Repair):
    """pymoo ``Repair``: any in-bounds vector -> the vector of a valid genome."""

    def _do(self, problem, X, **kwargs):
        X = np.asarray(X, dtype=float)
        shape = None if problem.input_shape is None else tuple(problem.input_shape)
        return np.array([_repaired(x.tobytes(), problem.n_min, problem.n_max, shape) for x in X], dtype=np.int64)


@functools.lru_cache(maxsize=100_000)
def _repaired(data: bytes, n_min: int, n_max: int, input_shape) -> tuple[int, ...]:
    """A repaired vector, remembered: a converged DE population proposes the same trial
    vectors generation after generation."""
    x = np.frombuffer(data, dtype=float)
    return tuple(repair_vector(x, n_min, n_max, input_shape).to_vector(n_max).tolist())
