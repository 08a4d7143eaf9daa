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

from edgeft.frontend.models.autoencoder import autoencoder
from edgeft.frontend.models.cct import cct2
from edgeft.frontend.models.dscnn import dscnn
from edgeft.frontend.models.lenet5 import LeNet5
from edgeft.frontend.models.mlp import MLP
from edgeft.frontend.models.mobilenet_v1 import mobilenet_v1
from edgeft.frontend.models.mobilenet_v2 import mobilenet_v2
from edgeft.frontend.models.resnet8 import resnet8


@dataclass(frozen=True)
class ModelSpec:
    """A built-in model: how to build it, the shape of one sample and its loss.

    `loss` is the loss the model trains with unless the user names another
    (`cross-entropy` for classifiers, `mse` for the autoencoder).
    """

    build: Callable[[int], nn.Module]
    sample_shape: Callable[[int], tuple[int, ...]]
    description: str
    loss: str = "cross-entropy"


BUILTIN: dict[str, ModelSpec] = {
    "mlp": ModelSpec(MLP, lambda c: (c, 28, 28), "3-layer perceptron for 28x28 inputs"),
    "lenet5": ModelSpec(LeNet5, lambda c: (c, 28, 28), "LeNet-5 for 28x28 inputs"),
    "cct2": ModelSpec(cct2, lambda c: (c, 32, 32), "Compact Convolutional Transformer 2/3x2"),
    "dscnn": ModelSpec(dscnn, lambda c: (c, 49, 10),
                       "DS-CNN keyword spotting (MLPerf Tiny KWS), 49x10 MFCC, 12 classes"),
    "resnet8": ModelSpec(resnet8, lambda c: (c, 32, 32),
                         "ResNet-8 (MLPerf Tiny image classification), 32x32, 10 classes"),
    "autoencoder": ModelSpec(autoencoder, lambda c: (c, 5, 128),
                             "deep autoencoder (MLPerf Tiny anomaly detection), 640 inputs",
                             loss="mse"),
    "mobilenet_v1": ModelSpec(mobilenet_v1, lambda c: (c, 96, 96),
                              "MobileNetV1-0.25 (MLPerf Tiny visual wake words), 96x96, 2 classes"),
    "mobilenet_v2": ModelSpec(mobilenet_v2, lambda c: (c, 32, 32),
                              "MobileNetV2-0.35, inverted residuals, 32x32, 10 classes"),
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
