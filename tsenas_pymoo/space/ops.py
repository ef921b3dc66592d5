"""The operation space of Table I (codes 1-13), plus code 14 (5x5 dilated conv).

Like the DARTS reference code, the op table is one dict: ``OPS[code] = (name, factory)``
where ``factory(channels, stride)`` returns a ``torch.nn.Module`` that keeps the width and,
for stride 2, halves the resolution to ``ceil(H / 2)`` (odd sizes such as 7x7 included).
Code 14 is used only by the CARS-H normal cell (see DESIGN.md); it is not part of the
mutation alphabet ``MUTABLE_OPS``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .primitives import MUTABLE_OPS, OP_CODES, PRIMITIVES  # noqa: F401 - the first two re-exported


class ReLUConvBN(nn.Module):
    """ReLU -> conv -> BN, the DARTS building block."""

    def __init__(self, c_in: int, c_out: int, kernel, stride, padding):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out),
        )

    def forward(self, x):
        return self.op(x)


class DilConv(nn.Module):
    """ReLU -> depthwise dilated conv -> pointwise conv -> BN."""

    def __init__(self, channels: int, kernel: int, stride: int, dilation: int):
        super().__init__()
        padding = dilation * (kernel - 1) // 2
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(
                channels,
                channels,
                kernel,
                stride=stride,
                padding=padding,
                dilation=dilation,
                groups=channels,
                bias=False,
            ),
            nn.Conv2d(channels, channels, 1, bias=False),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x):
        return self.op(x)


class SepConv(nn.Module):
    """Two stacked (depthwise, pointwise, BN) blocks, the first with the stride (DARTS)."""

    def __init__(self, channels: int, kernel: int, stride: int):
        super().__init__()
        self.op = nn.Sequential(
            DilConv(channels, kernel, stride, 1),
            DilConv(channels, kernel, 1, 1),
        )

    def forward(self, x):
        return self.op(x)


class FactorizedConv(nn.Module):
    """1xk then kx1 convolution (Table I codes 2 and 3)."""

    def __init__(self, channels: int, kernel: int, stride: int):
        super().__init__()
        pad = (kernel - 1) // 2
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(channels, channels, (1, kernel), stride=(1, stride), padding=(0, pad), bias=False),
            nn.Conv2d(channels, channels, (kernel, 1), stride=(stride, 1), padding=(pad, 0), bias=False),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x):
        return self.op(x)


class FactorizedReduce(nn.Module):
    """Halve the resolution (to ceil(H/2)) and map c_in -> c_out channels (DARTS).

    Two stride-2 1x1 convs, the second on the input shifted by one pixel; the shifted
    input is zero-padded on the right and bottom so odd sizes (7x7, 1x1) work too.
    """

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out - c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x):
        x = self.relu(x)
        shifted = F.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(shifted)], dim=1))


def _pool(kind: str, kernel: int, stride: int) -> nn.Module:
    if kind == "avg":
        return nn.AvgPool2d(kernel, stride=stride, padding=kernel // 2, count_include_pad=False)
    return nn.MaxPool2d(kernel, stride=stride, padding=kernel // 2)


def _identity(channels: int, stride: int) -> nn.Module:
    return nn.Identity() if stride == 1 else FactorizedReduce(channels, channels)


OpFactory = Callable[[int, int], nn.Module]

#: Table I (plus code 14): code -> (name, factory(channels, stride)); the names are
#: :data:`~tsenas_pymoo.space.primitives.PRIMITIVES`.
OPS: dict[int, tuple[str, OpFactory]] = {
    code: (PRIMITIVES[code], factory)
    for code, factory in {
        1: _identity,
        2: lambda c, s: FactorizedConv(c, 3, s),
        3: lambda c, s: FactorizedConv(c, 7, s),
        4: lambda c, s: DilConv(c, 3, s, 2),
        5: lambda c, s: _pool("avg", 3, s),
        6: lambda c, s: _pool("max", 3, s),
        7: lambda c, s: _pool("max", 5, s),
        8: lambda c, s: _pool("max", 7, s),
        9: lambda c, s: ReLUConvBN(c, c, 1, s, 0),
        10: lambda c, s: ReLUConvBN(c, c, 3, s, 1),
        11: lambda c, s: SepConv(c, 3, s),
        12: lambda c, s: SepConv(c, 5, s),
        13: lambda c, s: SepConv(c, 7, s),
        14: lambda c, s: DilConv(c, 5, s, 2),
    }.items()
}


def make_op(code: int, channels: int, stride: int) -> nn.Module:
    """Build operation ``code`` (Table I) at ``channels`` width and ``stride`` (1 or 2)."""
    if code not in OPS:
        raise ValueError(f"operation code {code} is not in Table I (valid: 1-14)")
    return OPS[code][1](channels, stride)
