"""resnet8: the residual network for CIFAR-10 (MLPerf Tiny image classification).

Written from the public description of the MLPerf Tiny image-classification
reference network and METHODS.md: a 3x3 convolution to 16 channels, three
stages of one basic block each (widths 16, 32, 64, stride 2 in the second
and third, a 1x1 convolution on the shortcut where the shape changes),
global average pooling and a linear classifier.
"""

from __future__ import annotations

import torch
from torch import nn


class BasicBlock(nn.Module):
    """conv 3x3 -> BN -> ReLU -> conv 3x3 -> BN, plus the shortcut, then ReLU.

    The shortcut is the identity, or a 1x1 convolution (with bias, no BN, as
    in the reference) when the stride or the width changes.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = (nn.Conv2d(in_channels, out_channels, 1, stride=stride)
                         if stride != 1 or in_channels != out_channels else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102 - documented by the class
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        skip = x if self.shortcut is None else self.shortcut(x)
        return torch.relu(out + skip)


class ResNet8(nn.Module):
    """conv 3x3 (16) -> BN -> ReLU -> stages 16, 32/2, 64/2 -> global mean -> fc 10.

    Stages are named `stage1`..`stage3` (no numeric container, so edgeft's
    strategies count layers, as for any CNN).
    """

    def __init__(self, in_channels: int = 3, n_classes: int = 10,
                 widths: tuple[int, ...] = (16, 32, 64)) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, padding=1)
        self.bn1 = nn.BatchNorm2d(widths[0])
        previous = widths[0]
        for i, width in enumerate(widths, start=1):
            self.add_module(f"stage{i}", BasicBlock(previous, width, 1 if i == 1 else 2))
            previous = width
        self.stages = len(widths)
        self.fc = nn.Linear(previous, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102 - documented by the class
        x = torch.relu(self.bn1(self.conv1(x)))
        for i in range(1, self.stages + 1):
            x = self.get_submodule(f"stage{i}")(x)
        return self.fc(x.mean(dim=(2, 3)))


def resnet8(in_channels: int = 3) -> ResNet8:
    """ResNet-8 for 32 x 32 images, 10 classes."""
    return ResNet8(in_channels=in_channels)
