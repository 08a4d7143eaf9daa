"""mobilenet_v2: MobileNetV2 with inverted residuals (width 0.35).

Written from the MobileNetV2 paper (Sandler et al., 2018, Table 2) and
METHODS.md: a 3x3 convolution with stride 2, seventeen inverted-residual
blocks (1x1 expansion, depthwise 3x3, linear 1x1 projection; BatchNorm after
each convolution, ReLU6 after the first two; a residual when the stride is 1
and the width is unchanged), a 1x1 convolution to 1280 channels, global
average pooling and a linear classifier. Channel counts are multiplied by
the width and rounded to a multiple of 8 (never down by more than 10 %),
as in the paper's reference models; the last 1280 is not reduced.
"""

from __future__ import annotations

import torch
from torch import nn

# (expansion t, output channels c, repeats n, first stride s) of the paper's Table 2.
SETTINGS: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)


def round_channels(value: float, divisor: int = 8) -> int:
    """`value` rounded to the nearest multiple of `divisor`, at least `divisor`,
    and never below 90 % of `value`."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


class InvertedResidual(nn.Module):
    """[1x1 expand -> BN -> ReLU6] -> dw 3x3 -> BN -> ReLU6 -> 1x1 project -> BN (+ x)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = in_channels * expansion
        self.expand = nn.Conv2d(in_channels, hidden, 1, bias=False) if expansion != 1 else None
        self.expand_bn = nn.BatchNorm2d(hidden) if expansion != 1 else None
        self.dw = nn.Conv2d(hidden, hidden, 3, stride=stride, padding=1, groups=hidden,
                            bias=False)
        self.dw_bn = nn.BatchNorm2d(hidden)
        self.project = nn.Conv2d(hidden, out_channels, 1, bias=False)
        self.project_bn = nn.BatchNorm2d(out_channels)
        self.residual = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102 - documented by the class
        out = x
        if self.expand is not None:
            out = nn.functional.relu6(self.expand_bn(self.expand(out)))
        out = nn.functional.relu6(self.dw_bn(self.dw(out)))
        out = self.project_bn(self.project(out))
        return x + out if self.residual else out


class MobileNetV2(nn.Module):
    """conv 3x3/2 -> BN -> ReLU6 -> inverted residuals -> 1x1 (last) -> BN -> ReLU6
    -> global mean -> fc.

    `width` scales the channels; `settings` (the paper's table by default)
    and `last_channels` let the zoo build small variants. Blocks are named
    `block1`..`block17`.
    """

    def __init__(self, in_channels: int = 3, n_classes: int = 10, width: float = 0.35,
                 settings: tuple[tuple[int, int, int, int], ...] = SETTINGS,
                 last_channels: int = 1280) -> None:
        super().__init__()
        channels = round_channels(32 * width)
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.blocks = 0
        for expansion, c, repeats, stride in settings:
            out = round_channels(c * width)
            for r in range(repeats):
                self.blocks += 1
                block = InvertedResidual(channels, out, stride if r == 0 else 1, expansion)
                self.add_module(f"block{self.blocks}", block)
                channels = out
        self.last = nn.Conv2d(channels, last_channels, 1, bias=False)
        self.last_bn = nn.BatchNorm2d(last_channels)
        self.fc = nn.Linear(last_channels, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102 - documented by the class
        x = nn.functional.relu6(self.bn1(self.conv1(x)))
        for i in range(1, self.blocks + 1):
            x = self.get_submodule(f"block{i}")(x)
        x = nn.functional.relu6(self.last_bn(self.last(x)))
        return self.fc(x.mean(dim=(2, 3)))


def mobilenet_v2(in_channels: int = 3) -> MobileNetV2:
    """MobileNetV2-0.35 for 32 x 32 images (96 x 96 also fits), 10 classes."""
    return MobileNetV2(in_channels=in_channels)
