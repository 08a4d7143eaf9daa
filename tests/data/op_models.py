"""Tiny networks for test_adjoints_c.py: each chains several of the ops that
real edge models use, so one C build covers many adjoint rules.

Factories in the `edgeft compile path.py:factory` form: each returns
(nn.Module, example input) with batch 2, the module in eval mode (Dropout
is then the identity; batch statistics are asked for explicitly with
F.batch_norm(training=True), whatever the frontend does with the mode).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class Activations(nn.Module):
    """Linear layers joined by sigmoid, SiLU, hardswish, hardsigmoid, tanh,
    GELU (tanh form, whose x^3 is math.fpowi), a cube, dropout (eval),
    softmax and log-softmax."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.ModuleList([nn.Linear(6, 8)] + [nn.Linear(8, 8) for _ in range(7)]
                                + [nn.Linear(8, 3)])
        self.dropout = nn.Dropout(0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The chain; each activation follows its own linear layer."""
        acts = [torch.sigmoid, F.silu, F.hardswish, F.hardsigmoid, torch.tanh,
                lambda t: F.gelu(t, approximate="tanh"), lambda t: 0.5 * t ** 3,
                lambda t: F.softmax(self.dropout(t), -1)]
        for fc, act in zip(self.fc, acts, strict=False):
            x = act(fc(x))
        return self.fc[-1](F.log_softmax(x, -1))


class Convolutions(nn.Module):
    """Dense, depthwise (strided), grouped (dilated) and pointwise convolutions,
    BatchNorm arithmetic on batch statistics, squeeze-excite (global mean),
    channel shuffle, split and concat, average pooling, nearest upsampling and
    adaptive average pooling."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.bn_weight = nn.Parameter(torch.rand(4) + 0.5)
        self.bn_bias = nn.Parameter(torch.randn(4) * 0.1)
        self.depthwise = nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=4)
        self.grouped = nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=2)
        self.excite = nn.Linear(4, 4)
        self.pointwise = nn.Conv2d(4, 4, 1)
        self.head = nn.Linear(16, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """8x8 -> 8x8 -> 4x4 -> 4x4 -> 2x2 (avg) -> 4x4 (upsample) -> 2x2 (adaptive)."""
        x = self.conv(x)
        x = F.batch_norm(x, None, None, self.bn_weight, self.bn_bias, training=True)
        x = F.hardswish(self.depthwise(F.relu6(x)))
        x = self.grouped(x)
        x = x * torch.sigmoid(self.excite(x.mean((2, 3)))).view(2, 4, 1, 1)
        x = x.view(2, 2, 2, 4, 4).transpose(1, 2).reshape(2, 4, 4, 4)
        first, second = x.split(2, 1)
        x = self.pointwise(torch.cat([F.silu(second), first], 1))
        x = F.interpolate(F.avg_pool2d(x, 2), scale_factor=2, mode="nearest")
        x = F.adaptive_avg_pool2d(x, 2)
        return self.head(x.flatten(1))


class Attention(nn.Module):
    """nn.MultiheadAttention (softmax with a boolean constant) between linear layers."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(4, 8)
        self.attention = nn.MultiheadAttention(8, 2, batch_first=True)
        self.head = nn.Linear(24, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Self-attention over 3 tokens, then a head on the flattened tokens."""
        h = self.embed(x)
        a, _ = self.attention(h, h, h, need_weights=False)
        return self.head(F.gelu(a + h, approximate="tanh").flatten(1))


def activations() -> tuple[nn.Module, torch.Tensor]:
    """The activation chain on a (2, 6) batch."""
    return Activations().eval(), torch.randn(2, 6)


def convolutions() -> tuple[nn.Module, torch.Tensor]:
    """The convolution chain on a (2, 2, 8, 8) batch."""
    return Convolutions().eval(), torch.randn(2, 2, 8, 8)


def attention() -> tuple[nn.Module, torch.Tensor]:
    """Self-attention on a (2, 3, 4) batch of 3 tokens."""
    return Attention().eval(), torch.randn(2, 3, 4)
