"""autoencoder: the deep autoencoder for anomaly detection (MLPerf Tiny AD).

Written from the public description of the MLPerf Tiny anomaly-detection
reference network and METHODS.md: 640 inputs (5 frames of 128 log-mel
bins), four linear layers of 128, a bottleneck of 8, four linear layers of
128, each followed by BatchNorm and ReLU, and a linear output back to 640.
It trains with the mean squared error against its input (ModelSpec.loss).
"""

from __future__ import annotations

import torch
from torch import nn


class DenseBN(nn.Module):
    """linear -> BN -> ReLU."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)
        self.bn = nn.BatchNorm1d(out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102 - documented by the class
        return torch.relu(self.bn(self.fc(x)))


class Autoencoder(nn.Module):
    """flatten -> 4 x (128) -> bottleneck (8) -> 4 x (128) -> linear to the input size.

    The input is `in_channels` x frames x bins (1 x 5 x 128 by default),
    flattened; the output has the flattened input's size. Layers are named
    `enc1`..`enc4`, `bottleneck`, `dec1`..`dec4`, `out`.
    """

    def __init__(self, in_channels: int = 1, frames: int = 5, bins: int = 128,
                 hidden: int = 128, bottleneck: int = 8, depth: int = 4) -> None:
        super().__init__()
        features = in_channels * frames * bins
        names = [f"enc{i}" for i in range(1, depth + 1)] + ["bottleneck"]
        names += [f"dec{i}" for i in range(1, depth + 1)]
        widths = [hidden] * depth + [bottleneck] + [hidden] * depth
        previous = features
        for name, width in zip(names, widths, strict=True):
            self.add_module(name, DenseBN(previous, width))
            previous = width
        self.names = names
        self.out = nn.Linear(previous, features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102 - documented by the class
        x = torch.flatten(x, 1)
        for name in self.names:
            x = self.get_submodule(name)(x)
        return self.out(x)


def autoencoder(in_channels: int = 1) -> Autoencoder:
    """The anomaly-detection autoencoder over 5 x 128 log-mel frames."""
    return Autoencoder(in_channels=in_channels)
