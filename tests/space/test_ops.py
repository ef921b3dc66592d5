import pytest
import torch

from tsenas_pymoo.space.ops import OPS, FactorizedReduce, make_op


@pytest.mark.parametrize("code", sorted(OPS))
@pytest.mark.parametrize("size", [1, 2, 7, 8, 28])
def test_every_op_keeps_width_and_halves_to_ceil(code, size):
    x = torch.randn(2, 4, size, size)
    assert make_op(code, 4, 1)(x).shape == (2, 4, size, size)
    half = (size + 1) // 2
    assert make_op(code, 4, 2)(x).shape == (2, 4, half, half)


def test_factorized_reduce_maps_channels_on_odd_sizes():
    assert FactorizedReduce(3, 7)(torch.randn(1, 3, 7, 7)).shape == (1, 7, 4, 4)


def test_unknown_op_code_is_named():
    with pytest.raises(ValueError, match="operation code 15"):
        make_op(15, 4, 1)
