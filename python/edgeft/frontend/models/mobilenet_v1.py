"""mobilenet_v1: MobileNetV1 for visual wake words (MLPerf Tiny VWW).

Written from the MobileNets paper (Howard et al., 2017, Table 1) and the
public description of the MLPerf Tiny visual-wake-words reference network:
width multiplier 0.25, 96 x 96 x 3 inputs, 2 classes. A 3x3 convolution
with stride 2, 13 depthwise-separable blocks (depthwise 3x3 and pointwise
1x1, each followed by BatchNorm and ReLU), global average pooling and a
linear classifier. Convolutions carry no bias (BatchNorm follows).
"""

from __future__ import annotations

import torch
from torch import nn

from edgeft.frontend.models.dscnn import DepthwiseSeparable

# (pointwise output channels at width 1.0, depthwise stride) of the 13 blocks.
BLOCKS: tuple[tuple[int, int], ...] = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
)


class MobileNetV1(nn.Module):
    """conv 3x3/2 (32 w) -> BN -> ReLU -> 13 depthwise-separable blocks -> global mean -> fc.

    `width` multiplies every channel count (at least 1 channel each);
    `blocks` keeps only the first blocks (the zoo's small variants). Blocks
    are named `block1`..`block13`.
    """

    def __init__(self, in_channels: int = 3, n_classes: int = 2, width: float = 0.25,
                 blocks: int = len(BLOCKS)) -> None:
        super().__init__()
        channels = max(1, int(32 * width))
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        for i, (out, stride) in enumerate(BLOCKS[:blocks], start=1):
            out = max(1, int(out * width))
            self.add_module(f"block{i}", DepthwiseSeparable(channels, out, stride, bias=False))
            channels = out
        self.blocks = blocks
        self.fc = nn.Linear(channels, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102 - documented by the class
        x = torch.relu(self.bn1(self.conv1(x)))
        for i in range(1, self.blocks + 1):
            x = self.get_submodule(f"block{i}")(x)
        return self.fc(x.mean(dim=(2, 3)))


def mobilenet_v1(in_channels: int = 3) -> MobileNetV1:
    """MobileNetV1-0.25 for 96 x 96 images, 2 classes (person / no person)."""
    return MobileNetV1(in_channels=in_channels)
