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


def _footprint(op, size=15):
    """Side of the square an impulse at the centre reaches (all weights 1, BN as identity)."""
    op.eval()
    with torch.no_grad():
        for module in op.modules():
            if isinstance(module, torch.nn.Conv2d):
                module.weight.fill_(1.0)
        x = torch.zeros(1, 1, size, size)
        x[0, 0, size // 2, size // 2] = 1.0
        rows = torch.nonzero(op(x)[0, 0].abs().sum(dim=1) > 0).flatten()
    return int(rows.max() - rows.min() + 1)


@pytest.mark.parametrize(
    "code, side",
    [(2, 3), (3, 7), (4, 5), (9, 1), (10, 3), (11, 5), (12, 9), (13, 13), (14, 9)],
)
def test_each_convolution_reaches_what_its_name_says(code, side):
    """conv_1x3_3x1: 3; dil_conv_3x3 (dilation 2): 5; two stacked undilated sep_conv_kxk:
    2k - 1; conv_kxk: k (DARTS' definitions)."""
    assert _footprint(make_op(code, 1, 1)) == side


@pytest.mark.parametrize("code", [2, 3, 4, 9, 10, 11, 12, 13, 14])
def test_convolutions_start_with_relu(code):
    op = make_op(code, 3, 1).eval()
    x = torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(code))
    assert torch.allclose(op(x), op(torch.relu(x)))


def test_pools_average_over_the_image_only_and_take_the_max():
    x = torch.zeros(1, 1, 5, 5)
    x[0, 0, 0, 0] = 1.0
    assert make_op(5, 1, 1)(x)[0, 0, 0, 0].item() == pytest.approx(1 / 4)  # padding not counted
    assert make_op(6, 1, 1)(x)[0, 0, 1, 1].item() == 1.0 and make_op(5, 1, 1)(x)[0, 0, 1, 1].item() == pytest.approx(
        1 / 9
    )
