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


def _nodes(spec: str) -> tuple[tuple[int, int, int, int], ...]:
    """Parse ``"op,in op,in / op,in op,in / ..."`` into 4-tuples (x_i, x_j, o_i, o_j)."""
    nodes = []
    for node in spec.split("/"):
        (op_i, x_i), (op_j, x_j) = (pair.split(",") for pair in node.split())
        nodes.append((int(x_i), int(x_j), OP_CODES[op_i], OP_CODES[op_j]))
    return tuple(nodes)


#: Table II: code -> Cell.
CELLS: dict[int, Cell] = {
    1: Cell(
        "AmoebaNet-A normal",
        "AmoebaNC",
        False,
        _nodes(
            "avg_pool_3x3,0 max_pool_3x3,1 / sep_conv_3x3,0 sep_conv_5x5,2 / "
            "sep_conv_3x3,0 avg_pool_3x3,3 / sep_conv_3x3,1 identity,1 / identity,0 avg_pool_3x3,1"
        ),
    ),
    2: Cell(
        "NASNet-A normal",
        "NASNetNC",
        False,
        _nodes(
            "sep_conv_5x5,1 sep_conv_3x3,0 / sep_conv_5x5,0 sep_conv_3x3,0 / "
            "avg_pool_3x3,1 identity,0 / avg_pool_3x3,0 avg_pool_3x3,0 / sep_conv_3x3,1 identity,1"
        ),
    ),
    3: Cell(
        "DARTS normal",
        "DartsNC",
        False,
        _nodes(
            "sep_conv_3x3,0 sep_conv_3x3,1 / sep_conv_3x3,0 sep_conv_3x3,1 / "
            "sep_conv_3x3,1 identity,0 / identity,0 dil_conv_3x3,2"
        ),
    ),
    4: Cell(
        "CARS-H normal",
        "CarsNC",
        False,
        _nodes(
            "sep_conv_5x5,0 sep_conv_3x3,1 / sep_conv_3x3,0 dil_conv_5x5,2 / "
            "avg_pool_3x3,0 identity,1 / sep_conv_5x5,2 max_pool_3x3,0"
        ),
    ),
    5: Cell(
        "AmoebaNet-A reduction",
        "AmoebaRC",
        True,
        _nodes(
            "avg_pool_3x3,0 sep_conv_3x3,1 / max_pool_3x3,0 sep_conv_7x7,2 / "
            "sep_conv_7x7,0 avg_pool_3x3,1 / max_pool_3x3,0 max_pool_3x3,1 / "
            "conv_1x7_7x1,0 sep_conv_3x3,5"
        ),
    ),
    6: Cell(
        "NASNet-A reduction",
        "NASNetRC",
        True,
        _nodes(
            "sep_conv_5x5,1 sep_conv_7x7,0 / max_pool_3x3,1 sep_conv_7x7,0 / "
            "avg_pool_3x3,1 sep_conv_5x5,0 / identity,3 avg_pool_3x3,2 / sep_conv_3x3,2 max_pool_3x3,1"
        ),
    ),
    7: Cell(
        "DARTS reduction",
        "DartsRC",
        True,
        _nodes(
            "max_pool_3x3,0 max_pool_3x3,1 / identity,2 max_pool_3x3,1 / "
            "max_pool_3x3,0 identity,2 / identity,2 max_pool_3x3,1"
        ),
    ),
    8: Cell(
        "CARS-H reduction",
        "CarsRC",
        True,
        _nodes(
            "sep_conv_5x5,0 max_pool_3x3,1 / sep_conv_3x3,0 identity,1 / "
            "dil_conv_3x3,2 max_pool_3x3,0 / sep_conv_5x5,0 avg_pool_3x3,3"
        ),
    ),
}

NORMAL_CODES: tuple[int, ...] = (1, 2, 3, 4)
REDUCTION_CODES: tuple[int, ...] = (5, 6, 7, 8)


def is_reduction(code: int) -> bool:
    """True for the reduction cells 5-8 of Table II."""
    return code in REDUCTION_CODES
