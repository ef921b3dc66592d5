"""A fixed-length description of any genome, stage 1 or stage 2, for a surrogate model.

Per cell position (up to ``n_max``): the cell code (one-hot over Table II's 8), the free
input, whether the cell is published as Table II gives it and its live nodes. Per network:
N, the reductions, the normal cells at each resolution (a chain that opens with three
reductions runs its normal cells on small maps), the edited cells, and the op counts of
Table I over the whole network and per resolution stage (stage-2 edits change these).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..space.cells import CELLS
from ..space.genome import AnyGenome
from ..space.ops import OPS

CODES = tuple(sorted(CELLS))
OP_CODES = tuple(sorted(OPS))
STAGES = 4  # resolutions 0..3 halvings; a fourth reduction and beyond counts in the last


def feature_names(n_max: int) -> list[str]:
    names = ["n_cells", "n_reductions", "n_edited"]
    names += [f"normal_at_stage{s}" for s in range(STAGES)]
    for p in range(n_max):
        names += [f"cell{p}_code{c}" for c in CODES]
        names += [f"cell{p}_free_input", f"cell{p}_published", f"cell{p}_live_nodes"]
    names += [f"op{o}" for o in OP_CODES]
    names += [f"stage{s}_op{o}" for s in range(STAGES) for o in OP_CODES]
    return names


def features(genome: AnyGenome, n_max: int) -> np.ndarray:
    """The feature vector of ``genome`` (``len(feature_names(n_max))`` floats)."""
    return _features(genome.expand(), n_max).copy()


@lru_cache(maxsize=65536)
def _features(fine, n_max: int) -> np.ndarray:
    if fine.n_cells > n_max:
        raise ValueError(f"genome has N={fine.n_cells} cells; rule: at most n_max={n_max} for these features")
    per_cell = np.zeros((n_max, len(CODES) + 3))
    normal = np.zeros(STAGES)
    ops = np.zeros((STAGES, len(OP_CODES)))
    stage = 0
    for p, (cell, free) in enumerate(zip(fine.cells, fine.free_inputs)):
        stage = min(stage + cell.reduction, STAGES - 1)
        if not cell.reduction:
            normal[stage] += 1
        per_cell[p, CODES.index(cell.code)] = 1
        live = cell.live_nodes()
        per_cell[p, len(CODES) :] = (free, cell.is_published, len(live))
        for k in live:
            for op in cell.node(k)[2:]:
                ops[stage, OP_CODES.index(op)] += 1
    edited = sum(not c.is_published for c in fine.cells)
    return np.concatenate(
        [[fine.n_cells, fine.n_reductions, edited], normal, per_cell.ravel(), ops.sum(axis=0), ops.ravel()]
    )


__all__ = ["feature_names", "features"]
