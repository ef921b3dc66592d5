"""The stage-2 (fine search) view of a ``TSENASProblem``: the same evaluator and
objectives over stage-2 vectors (Sec. III-B, second layer)."""

from __future__ import annotations

import numpy as np

from ..space.cells import MAX_NODES
from ..space.genome import STAGE2_CELL_LEN, AnyGenome, max_free_input
from ..space.ops import OPS
from .problem import ProblemView


class FineSearchProblem(ProblemView):
    """``23 * n_max`` integers per genome: (free, prev, code) and five 4-tuples
    (x_i, x_j, o_i, o_j) per cell; evaluation is delegated to the stage-1 problem."""

    def __init__(self, base):
        self.base = base
        xl, xu = [], []
        for j in range(1, base.n_max + 1):
            xl += [0, 0, 1 if j <= base.n_min else 0] + [0] * (4 * MAX_NODES)
            xu += [max_free_input(j), j - 1, 8]
            for k in range(2, MAX_NODES + 2):
                xu += [k - 1, k - 1, max(OPS), max(OPS)]
        super().__init__(
            n_var=STAGE2_CELL_LEN * base.n_max,
            n_obj=base.n_obj,
            n_ieq_constr=base.n_ieq_constr,
            xl=np.array(xl),
            xu=np.array(xu),
            vtype=int,
            elementwise_runner=base.elementwise_runner,
            requires_kwargs=True,
        )

    def decode(self, x) -> AnyGenome:
        return self.base.decode(x)

    def _evaluate(self, x, out, *args, **kwargs):
        self.base._evaluate(x, out, *args, **kwargs)
