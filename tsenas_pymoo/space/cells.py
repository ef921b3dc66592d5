"""The eight cells of Table II, exactly as published (see shared ``cells.md``).

Plain data, like DARTS's ``genotypes.py``: ``CELLS[code] = Cell(name, reduction, nodes)``
where each node is the paper's 4-tuple ``(x_i, x_j, o_i, o_j)``: inputs ``x`` (0 = the free
earlier input, 1 = the previous cell, 2+ = earlier intermediate nodes) and Table I op codes
``o``. Codes 1-4 are normal cells, 5-8 reduction cells (Sec. III-B).
"""

from __future__ import annotations

from typing import NamedTuple

from .primitives import OP_CODES

#: At most 5 intermediate nodes per cell (NASNet and AmoebaNet have 5).
MAX_NODES = 5


class Cell(NamedTuple):
    name: str
    abbreviation: str
    reduction: bool
    nodes: tuple[tuple[int, int, int, int], ...]


#: Table II as published: code -> (name, abbreviation, reduction, nodes as "op,input op,input / ...").
_TABLE_II: dict[int, tuple[str, str, bool, str]] = {
    1: (
        "AmoebaNet-A normal",
        "AmoebaNC",
        False,
        "avg_pool_3x3,0 max_pool_3x3,1 / sep_conv_3x3,0 sep_conv_5x5,2 / "
        "sep_conv_3x3,0 avg_pool_3x3,3 / sep_conv_3x3,1 identity,1 / identity,0 avg_pool_3x3,1",
    ),
    2: (
        "NASNet-A normal",
        "NASNetNC",
        False,
        "sep_conv_5x5,1 sep_conv_3x3,0 / sep_conv_5x5,0 sep_conv_3x3,0 / "
        "avg_pool_3x3,1 identity,0 / avg_pool_3x3,0 avg_pool_3x3,0 / sep_conv_3x3,1 identity,1",
    ),
    3: (
        "DARTS normal",
        "DartsNC",
        False,
        "sep_conv_3x3,0 sep_conv_3x3,1 / sep_conv_3x3,0 sep_conv_3x3,1 / "
        "sep_conv_3x3,1 identity,0 / identity,0 dil_conv_3x3,2",
    ),
    4: (
        "CARS-H normal",
        "CarsNC",
        False,
        "sep_conv_5x5,0 sep_conv_3x3,1 / sep_conv_3x3,0 dil_conv_5x5,2 / "
        "avg_pool_3x3,0 identity,1 / sep_conv_5x5,2 max_pool_3x3,0",
    ),
    5: (
        "AmoebaNet-A reduction",
        "AmoebaRC",
        True,
        "avg_pool_3x3,0 sep_conv_3x3,1 / max_pool_3x3,0 sep_conv_7x7,2 / "
        "sep_conv_7x7,0 avg_pool_3x3,1 / max_pool_3x3,0 max_pool_3x3,1 / "
        "conv_1x7_7x1,0 sep_conv_3x3,5",
    ),
    6: (
        "NASNet-A reduction",
        "NASNetRC",
        True,
        "sep_conv_5x5,1 sep_conv_7x7,0 / max_pool_3x3,1 sep_conv_7x7,0 / "
        "avg_pool_3x3,1 sep_conv_5x5,0 / identity,3 avg_pool_3x3,2 / sep_conv_3x3,2 max_pool_3x3,1",
    ),
    7: (
        "DARTS reduction",
        "DartsRC",
        True,
        "max_pool_3x3,0 max_pool_3x3,1 / identity,2 max_pool_3x3,1 / "
        "max_pool_3x3,0 identity,2 / identity,2 max_pool_3x3,1",
    ),
    8: (
        "CARS-H reduction",
        "CarsRC",
        True,
        "sep_conv_5x5,0 max_pool_3x3,1 / sep_conv_3x3,0 identity,1 / "
        "dil_conv_3x3,2 max_pool_3x3,0 / sep_conv_5x5,0 avg_pool_3x3,3",
    ),
}

#: Table II: code -> Cell, each node the 4-tuple (x_i, x_j, o_i, o_j) parsed from its spec.
CELLS: dict[int, Cell] = {
    code: Cell(
        name,
        abbreviation,
        reduction,
        tuple(
            (int(x_i), int(x_j), OP_CODES[op_i], OP_CODES[op_j])
            for (op_i, x_i), (op_j, x_j) in ((pair.split(",") for pair in node.split()) for node in spec.split("/"))
        ),
    )
    for code, (name, abbreviation, reduction, spec) in _TABLE_II.items()
}

NORMAL_CODES: tuple[int, ...] = (1, 2, 3, 4)
REDUCTION_CODES: tuple[int, ...] = (5, 6, 7, 8)


def is_reduction(code: int) -> bool:
    """True for the reduction cells 5-8 of Table II."""
    return code in REDUCTION_CODES
