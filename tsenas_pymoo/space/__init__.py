"""Search space: Table I ops, Table II cells, the two-stage genome and the network decoder.

Genomes, cells and primitives load without torch; the names that build modules
(``build_network``, ``OPS``, ...) import torch on first use (PEP 562).
"""

from importlib import import_module

from .cells import CELLS, MAX_NODES, NORMAL_CODES, REDUCTION_CODES, Cell, is_reduction
from .genome import CellGenome, FineGenome, NetworkGenome, genome_from_key, input_reduction_cap, max_reductions
from .primitives import MUTABLE_OPS, OP_CODES, PRIMITIVES

#: The names that need torch, by the module that defines them.
_TORCH = {
    ".network": ("build_network", "count_flops", "count_params", "network_cost"),
    ".ops": ("OPS", "make_op"),
}
_WHERE = {name: module for module, names in _TORCH.items() for name in names}

__all__ = [  # noqa: PLE0604 - the torch-free names above, then the table's
    "CELLS",
    "MAX_NODES",
    "MUTABLE_OPS",
    "NORMAL_CODES",
    "OP_CODES",
    "PRIMITIVES",
    "REDUCTION_CODES",
    "Cell",
    "CellGenome",
    "FineGenome",
    "NetworkGenome",
    "genome_from_key",
    "input_reduction_cap",
    "is_reduction",
    "max_reductions",
    *_WHERE,
]


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(import_module(_WHERE[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
