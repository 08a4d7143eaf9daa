"""Factories for the frontend's lit tests: BatchNorm, a non-persistent buffer."""

import torch
from torch import nn


def bn_mlp():
    """The issue's repro: Linear, BatchNorm1d, ReLU, Linear."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(),
                         nn.Linear(16, 4)), torch.randn(3, 8)


def cumulative():
    """BatchNorm with momentum=None: a cumulative average of the batch statistics."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16, momentum=None),
                         nn.Linear(16, 4)), torch.randn(3, 8)


class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 3)
        self.register_buffer("scale", torch.full((6,), 2.0), persistent=False)

    def forward(self, x):
        return self.fc(x * self.scale)


def non_persistent():
    """A buffer outside the state dict, as in timm's EfficientViT."""
    torch.manual_seed(0)
    return Scaled(), torch.randn(2, 6)
