"""Search space: Table I ops, Table II cells, the two-stage genome and the network decoder."""

from .cells import CELLS, MAX_NODES, NORMAL_CODES, REDUCTION_CODES, Cell, is_reduction
from .genome import CellGenome, FineGenome, NetworkGenome, genome_from_key, input_reduction_cap, max_reductions
from .network import build_network, count_flops, count_params, network_cost
from .ops import MUTABLE_OPS, OPS, make_op
