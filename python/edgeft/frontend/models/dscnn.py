"""dscnn: the depthwise-separable CNN for keyword spotting (MLPerf Tiny KWS).

Written from the public description of the MLPerf Tiny keyword-spotting
reference network (after "Hello Edge", Zhang et al., 2017) and METHODS.md:
input 1 x 49 x 10 MFCC frames; a 10x4 convolution with stride 2 to 64
channels; four depthwise-separable blocks (depthwise 3x3, pointwise 1x1,
each followed by BatchNorm and ReLU); global average pooling; a linear
classifier over 12 keywords.
"""

from __future__ import annotations

import torch
from torch import nn


class DepthwiseSeparable(nn.Module):
    """dw 3x3 (groups = channels) -> BN -> ReLU -> pw 1x1 -> BN -> ReLU.

    The KWS reference gives both convolutions a bias; MobileNetV1 gives none.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1,
                 bias: bool = True) -> None:
        super().__init__()
        self.dw = nn.Conv2d(in_channels, in_channels, 3, stride=stride, padding=1,
                            groups=in_channels, bias=bias)
        self.dw_bn = nn.BatchNorm2d(in_channels)
        self.pw = nn.Conv2d(in_channels, out_channels, 1, bias=bias)
        self.pw_bn = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102 - documented by the class
        x = torch.relu(self.dw_bn(self.dw(x)))
        return torch.relu(self.pw_bn(self.pw(x)))


class DSCNN(nn.Module):
    """conv 10x4/2 (64) -> BN -> ReLU -> 4 x depthwise-separable (64) -> global mean -> fc 12.

    The first convolution pads 5 rows and 1 column on each side, so a 49 x 10
    input gives 25 x 5 maps (the "same" padding of the reference); the
    blocks are named `block1`..`block4` (no numeric container, so edgeft's
    strategies count layers, as for any CNN).
    """

    def __init__(self, in_channels: int = 1, n_classes: int = 12, width: int = 64,
                 blocks: int = 4) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, (10, 4), stride=2, padding=(5, 1))
        self.bn1 = nn.BatchNorm2d(width)
        self.blocks = blocks
        for i in range(1, blocks + 1):
            self.add_module(f"block{i}", DepthwiseSeparable(width, width))
        self.fc = nn.Linear(width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102 - documented by the class
        x = torch.relu(self.bn1(self.conv1(x)))
        for i in range(1, self.blocks + 1):
            x = self.get_submodule(f"block{i}")(x)
        return self.fc(x.mean(dim=(2, 3)))


def dscnn(in_channels: int = 1) -> DSCNN:
    """DS-CNN for keyword spotting: 1 x 49 x 10 MFCC input, 12 classes."""
    return DSCNN(in_channels=in_channels)
