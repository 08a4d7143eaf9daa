"""mlp: a small multilayer perceptron for fast tests."""

from __future__ import annotations

import torch
from torch import nn


class MLP(nn.Module):
    """flatten -> fc1 (64) -> ReLU -> fc2 (32) -> ReLU -> fc3 (10)."""

    def __init__(self, in_channels: int = 1, n_classes: int = 10) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_channels * 28 * 28, 64)
        self.fc2 = nn.Linear(64, 32)
        self.fc3 = nn.Linear(32, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102 - documented by the class
        x = torch.flatten(x, 1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)
