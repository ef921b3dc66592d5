"""Every cell of Table II against the published table (shared/cells.md), typed in here
independently in the notation of the DARTS reference code."""

import pytest

from tsenas_pymoo import CELLS, OPS
from tsenas_pymoo.space.cells import NORMAL_CODES, REDUCTION_CODES

NAME_TO_CODE = {
    "skip_connect": 1,
    "conv_7x1_1x7": 3,
    "dil_conv_3x3": 4,
    "avg_pool_3x3": 5,
    "max_pool_3x3": 6,
    "sep_conv_3x3": 11,
    "sep_conv_5x5": 12,
    "sep_conv_7x7": 13,
    "dil_conv_5x5": 14,
}

PUBLISHED = {
    1: "(avg_pool_3x3,0) (max_pool_3x3,1) / (sep_conv_3x3,0) (sep_conv_5x5,2) / (sep_conv_3x3,0) (avg_pool_3x3,3) / (sep_conv_3x3,1) (skip_connect,1) / (skip_connect,0) (avg_pool_3x3,1)",
    2: "(sep_conv_5x5,1) (sep_conv_3x3,0) / (sep_conv_5x5,0) (sep_conv_3x3,0) / (avg_pool_3x3,1) (skip_connect,0) / (avg_pool_3x3,0) (avg_pool_3x3,0) / (sep_conv_3x3,1) (skip_connect,1)",
    3: "(sep_conv_3x3,0) (sep_conv_3x3,1) / (sep_conv_3x3,0) (sep_conv_3x3,1) / (sep_conv_3x3,1) (skip_connect,0) / (skip_connect,0) (dil_conv_3x3,2)",
    4: "(sep_conv_5x5,0) (sep_conv_3x3,1) / (sep_conv_3x3,0) (dil_conv_5x5,2) / (avg_pool_3x3,0) (skip_connect,1) / (sep_conv_5x5,2) (max_pool_3x3,0)",
    5: "(avg_pool_3x3,0) (sep_conv_3x3,1) / (max_pool_3x3,0) (sep_conv_7x7,2) / (sep_conv_7x7,0) (avg_pool_3x3,1) / (max_pool_3x3,0) (max_pool_3x3,1) / (conv_7x1_1x7,0) (sep_conv_3x3,5)",
    6: "(sep_conv_5x5,1) (sep_conv_7x7,0) / (max_pool_3x3,1) (sep_conv_7x7,0) / (avg_pool_3x3,1) (sep_conv_5x5,0) / (skip_connect,3) (avg_pool_3x3,2) / (sep_conv_3x3,2) (max_pool_3x3,1)",
    7: "(max_pool_3x3,0) (max_pool_3x3,1) / (skip_connect,2) (max_pool_3x3,1) / (max_pool_3x3,0) (skip_connect,2) / (skip_connect,2) (max_pool_3x3,1)",
    8: "(sep_conv_5x5,0) (max_pool_3x3,1) / (sep_conv_3x3,0) (skip_connect,1) / (dil_conv_3x3,2) (max_pool_3x3,0) / (sep_conv_5x5,0) (avg_pool_3x3,3)",
}
PUBLISHED_OUTPUT = {1: [4, 5, 6], 2: [2, 3, 4, 5, 6], 5: [3, 4, 6], 6: [4, 5, 6]}
NAMES = {
    1: "AmoebaNet-A normal",
    2: "NASNet-A normal",
    3: "DARTS normal",
    4: "CARS-H normal",
    5: "AmoebaNet-A reduction",
    6: "NASNet-A reduction",
    7: "DARTS reduction",
    8: "CARS-H reduction",
}


def parse(row):
    nodes = []
    for node in row.split("/"):
        pairs = [p.strip("()").split(",") for p in node.split()]
        (op_i, x_i), (op_j, x_j) = pairs
        nodes.append((int(x_i), int(x_j), NAME_TO_CODE[op_i], NAME_TO_CODE[op_j]))
    return tuple(nodes)


@pytest.mark.parametrize("code", range(1, 9))
def test_cell_matches_table_ii(code):
    cell = CELLS[code]
    assert cell.nodes == parse(PUBLISHED[code])
    assert cell.name == NAMES[code]
    assert cell.reduction == (code >= 5)


def test_codes_split_normal_and_reduction():
    assert set(CELLS) == set(range(1, 9))
    assert NORMAL_CODES == (1, 2, 3, 4) and REDUCTION_CODES == (5, 6, 7, 8)


@pytest.mark.parametrize("code", sorted(PUBLISHED_OUTPUT))
def test_output_node_matches_published_concat_for_nasnet_and_amoebanet(code):
    from tsenas_pymoo import CellGenome

    assert CellGenome.published(code).output_nodes() == PUBLISHED_OUTPUT[code]


def test_op_table_has_table_i_codes_and_names():
    expected = {
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
    assert {code: name for code, (name, _) in OPS.items()} == expected
    used_14 = [code for code, cell in CELLS.items() if any(14 in n[2:] for n in cell.nodes)]
    assert used_14 == [4]


def test_torch_names_of_the_space_load_on_first_use_and_stay():
    import tsenas_pymoo.space as space
    from tsenas_pymoo.space.network import build_network

    space.__dict__.pop("build_network", None)
    assert space.build_network is build_network and space.__dict__["build_network"] is build_network
    with pytest.raises(AttributeError, match=r"module 'tsenas_pymoo\.space' has no attribute 'nothing'"):
        space.nothing  # noqa: B018
