"""Time edgeft-inject-skip-lora on a deep CNN: a MobileNetV2-like stack.

    .venv/bin/python tools/bench/skip_lora_taps.py [--batchnorm]

Seventeen inverted residual blocks (width 0.35, expand 1x1, depthwise 3x3,
project 1x1, ReLU6, residuals where the shape allows), 32x32 inputs, batch
2, optionally a BatchNorm after every conv (eval statistics; each BN is a
unit of its own, so Skip-LoRA gets twice as many taps). Prints the import
time and the time of the pass alone.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn

from edgeft.frontend.importer import import_model_full
from edgeft.passes.registry import build_pass_manager

# (expansion, channels, repeats, first stride) of MobileNetV2
SETTING = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
           (6, 160, 3, 2), (6, 320, 1, 1)]


def _norm(channels: int, batchnorm: bool) -> list[nn.Module]:
    return [nn.BatchNorm2d(channels)] if batchnorm else []


class InvertedResidual(nn.Module):
    """Expand (1x1), depthwise 3x3, project (1x1); a residual if shapes allow."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int, batchnorm: bool) -> None:
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers += [nn.Conv2d(cin, hidden, 1), *_norm(hidden, batchnorm), nn.ReLU6()]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden),
                   *_norm(hidden, batchnorm), nn.ReLU6(),
                   nn.Conv2d(hidden, cout, 1), *_norm(cout, batchnorm)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The block's output."""
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2Like(nn.Module):
    """MobileNetV2's body (width 0.35) and a linear classifier on pooled features."""

    def __init__(self, batchnorm: bool, width: float = 0.35, classes: int = 10) -> None:
        super().__init__()

        def c(n: int) -> int:
            return max(8, int(n * width + 4) // 8 * 8)

        features: list[nn.Module] = [nn.Sequential(nn.Conv2d(3, c(32), 3, 1, 1), nn.ReLU6())]
        cin = c(32)
        for t, ch, n, s in SETTING:
            for i in range(n):
                features.append(InvertedResidual(cin, c(ch), s if i == 0 else 1, t, batchnorm))
                cin = c(ch)
        features.append(nn.Sequential(nn.Conv2d(cin, 1280, 1), nn.ReLU6()))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Linear(1280, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits."""
        return self.classifier(self.features(x).mean((2, 3)))


def main() -> None:
    """Import the model, run the pass, print both times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batchnorm", action="store_true", help="a BatchNorm after every conv")
    args = parser.parse_args()
    torch.manual_seed(0)
    model = MobileNetV2Like(args.batchnorm)
    start = time.perf_counter()
    imported = import_model_full(model, example=torch.randn(2, 3, 32, 32))
    imported_at = time.perf_counter()
    module = imported.module
    with module.context:
        pm = build_pass_manager("builtin.module(edgeft-inject-skip-lora)", module.context)
        pm.run(module.operation)
    done = time.perf_counter()
    print(f"import {imported_at - start:.2f} s, edgeft-inject-skip-lora {done - imported_at:.2f} s")


if __name__ == "__main__":
    main()
