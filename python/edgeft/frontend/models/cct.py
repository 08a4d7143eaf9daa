"""cct2: Compact Convolutional Transformer CCT-2/3x2 for 32x32 inputs.

Written from the CCT paper's description (Hassani et al., "Escaping the Big
Data Paradigm with Compact Transformers", 2021) and METHODS.md: a
convolutional tokenizer, learnable positional embedding, pre-norm transformer
blocks, sequence pooling and a linear classifier. Attention is spelled out
with matmul and softmax so the import stays in the op set METHODS.md lists.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class Tokenizer(nn.Module):
    """Two conv 3x3 (no bias) + ReLU + maxpool 3x3/2/1 stages, then tokens."""

    def __init__(self, in_channels: int, width: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width // 2, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(width // 2, width, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102 - documented by the class
        x = F.max_pool2d(torch.relu(self.conv1(x)), 3, stride=2, padding=1)
        x = F.max_pool2d(torch.relu(self.conv2(x)), 3, stride=2, padding=1)
        return x.flatten(2).transpose(1, 2)  # (B, tokens, width)


class Attention(nn.Module):
    """Multi-head self-attention: qkv (no bias) -> softmax(q k^T / sqrt(d)) v -> proj."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.scale = (width // heads) ** -0.5
        self.qkv = nn.Linear(width, 3 * width, bias=False)
        self.proj = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102 - documented by the class
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = torch.softmax((q @ k.transpose(-2, -1)) * self.scale, dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(out)


class MLPBlock(nn.Module):
    """fc1 -> GELU -> fc2 (MLP ratio 1)."""

    def __init__(self, width: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(width, hidden)
        self.fc2 = nn.Linear(hidden, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102 - documented by the class
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer encoder block."""

    def __init__(self, width: int, heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attn = Attention(width, heads)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = MLPBlock(width, int(width * mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102 - documented by the class
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class CCT(nn.Module):
    """Tokenizer -> + pos_emb -> blocks -> norm -> sequence pooling -> head."""

    def __init__(self, in_channels: int = 1, n_classes: int = 10, width: int = 128,
                 depth: int = 2, heads: int = 2, mlp_ratio: float = 1.0,
                 image_size: int = 32) -> None:
        super().__init__()
        self.tokenizer = Tokenizer(in_channels, width)
        tokens = (image_size // 4) ** 2
        self.pos_emb = nn.Parameter(torch.randn(1, tokens, width) * 0.02)
        self.blocks = nn.ModuleList(Block(width, heads, mlp_ratio) for _ in range(depth))
        self.norm = nn.LayerNorm(width)
        self.pool = nn.Linear(width, 1)
        self.head = nn.Linear(width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102 - documented by the class
        x = self.tokenizer(x) + self.pos_emb
        for block in self.blocks:
            x = block(x)
        x = self.norm(x)
        weights = torch.softmax(self.pool(x), dim=1)  # (B, tokens, 1)
        x = (weights.transpose(1, 2) @ x).squeeze(1)  # (B, width)
        return self.head(x)


def cct2(in_channels: int = 1) -> CCT:
    """CCT-2/3x2: 2 blocks, 2 heads, MLP ratio 1, width 128, 2 conv tokenizer stages."""
    return CCT(in_channels=in_channels)
