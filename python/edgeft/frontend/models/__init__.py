"""Built-in models (definitions in shared/METHODS.md).

Each entry builds the model for `in_channels` input channels and gives the
shape of one input sample. Weights are initialised from a fixed seed, so the
same command imports byte-identical MLIR.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from edgeft.frontend.models.cct import cct2
from edgeft.frontend.models.lenet5 import LeNet5
from edgeft.frontend.models.mlp import MLP


@dataclass(frozen=True)
class ModelSpec:
    """A built-in model: how to build it and the shape of one sample."""

    build: Callable[[int], nn.Module]
    sample_shape: Callable[[int], tuple[int, ...]]
    description: str


BUILTIN: dict[str, ModelSpec] = {
    "mlp": ModelSpec(MLP, lambda c: (c, 28, 28), "3-layer perceptron for 28x28 inputs"),
    "lenet5": ModelSpec(LeNet5, lambda c: (c, 28, 28), "LeNet-5 for 28x28 inputs"),
    "cct2": ModelSpec(cct2, lambda c: (c, 32, 32), "Compact Convolutional Transformer 2/3x2"),
}


def build(name: str, in_channels: int, seed: int = 0) -> nn.Module:
    """Build built-in model `name` with weights drawn from `seed`."""
    torch.manual_seed(seed)
    model = BUILTIN[name].build(in_channels)
    return model.eval()
