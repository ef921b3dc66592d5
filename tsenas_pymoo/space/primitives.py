"""The operations of Table I by code and name, without torch (like DARTS's ``PRIMITIVES``
beside its ``OPS``): what genomes, cells and operators need to know of an operation.
The modules that build them are :mod:`tsenas_pymoo.space.ops`.
"""

from __future__ import annotations

#: Table I (codes 1-13) plus code 14 (5x5 dilated conv, the CARS-H normal cell only): code -> name.
PRIMITIVES: dict[int, str] = {
    1: "identity",
    2: "conv_1x3_3x1",
    3: "conv_1x7_7x1",
    4: "dil_conv_3x3",
    5: "avg_pool_3x3",
    6: "max_pool_3x3",
    7: "max_pool_5x5",
    8: "max_pool_7x7",
    9: "conv_1x1",
    10: "conv_3x3",
    11: "sep_conv_3x3",
    12: "sep_conv_5x5",
    13: "sep_conv_7x7",
    14: "dil_conv_5x5",
}

#: The mutation alphabet of the fine search: Table I's 13 codes.
MUTABLE_OPS: tuple[int, ...] = tuple(range(1, 14))

#: Name -> code, for reading genotypes written with op names.
OP_CODES: dict[str, int] = {name: code for code, name in PRIMITIVES.items()}
