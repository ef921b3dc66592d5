"""A repair that turns any in-bounds vector into a valid stage-1 genome, so that pymoo's
stock operators (integer sampling, SBX, PM, DE) can search a ``TSENASProblem``."""

from __future__ import annotations

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
    cells = np.rint(np.nan_to_num(np.asarray(x, dtype=float))).astype(np.int64).reshape(n_max, 3)
    codes, frees = [], []
    for j, (free, _prev, code) in enumerate(cells, start=1):
        code = int(np.clip(code, 0, 8))
        if code == 0:
            if j > n_min:
                break
            code = 1
        codes.append(code)
        frees.append(int(np.clip(free, 0, max_free_input(j))))
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
        return np.array(
            [repair_vector(x, problem.n_min, problem.n_max, problem.input_shape).to_vector(problem.n_max) for x in X],
            dtype=np.int64,
        )
