"""Built-in models (definitions in shared/METHODS.md).

Each entry builds the model for `in_channels` input channels and gives the
shape of one input sample. Weights are initialised from a fixed seed, so the
same command imports byte-identical MLIR; where pretrained weights exist
(weights/<model>-fmnist.npz, made by `edgeft pretrain`) and the model takes
one channel, they replace the random ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
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


WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
PRETRAINED_ON = "fmnist"


def weights_path(name: str, data: str = PRETRAINED_ON) -> Path:
    """Where the weights of a built-in model pretrained on `data` live (frontend/weights)."""
    return WEIGHTS_DIR / f"{name}-{data}.npz"


def build(name: str, in_channels: int, seed: int = 0, pretrained: bool = True) -> nn.Module:
    """Build built-in model `name`: pretrained weights if committed, else from `seed`."""
    torch.manual_seed(seed)
    model = BUILTIN[name].build(in_channels)
    path = weights_path(name)
    if pretrained and in_channels == 1 and path.is_file():
        with np.load(path) as weights:
            model.load_state_dict({k: torch.from_numpy(weights[k]) for k in weights.files})
    return model.eval()
