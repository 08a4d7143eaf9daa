"""The same fine-tuning in plain PyTorch: the oracle for the training passes.

Adapters are written here independently of the passes, from METHODS.md:
LoRA `W x + b + (alpha/r) B (A x)` on linear layers and on convolutions in
the dense form (over flattened activations) or the kernel form (a k x k conv
to r channels, then a 1x1 conv), and Skip-LoRA `x^L += sum_i B_i A_i vec(x^i)`
with the activation entering every unit, averaged over tokens for a
transformer. Values come from the compiled module's globals, so both sides
start from identical numbers.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import parametrize

from edgeft.frontend.importer import loss_fn
from edgeft.training.structure import Structure


class LoraLinear(nn.Module):
    def __init__(self, base: nn.Linear, a: torch.Tensor, b: torch.Tensor, scale: float) -> None:
        super().__init__()
        self.base, self.scale = base, scale
        self.lora_A, self.lora_B = nn.Parameter(a.clone()), nn.Parameter(b.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.scale * ((x @ self.lora_A.T) @ self.lora_B.T)

    # nn.TransformerEncoderLayer reads its linears' weight and bias (to decide
    # on its fused path), so the wrapper shows the base layer's.
    @property
    def weight(self) -> nn.Parameter:
        return self.base.weight

    @property
    def bias(self) -> nn.Parameter | None:
        return self.base.bias


class LoraConvDense(nn.Module):
    def __init__(self, base: nn.Conv2d, a: torch.Tensor, b: torch.Tensor, scale: float) -> None:
        super().__init__()
        self.base, self.scale = base, scale
        self.lora_A, self.lora_B = nn.Parameter(a.clone()), nn.Parameter(b.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.base(x)
        delta = (x.flatten(1) @ self.lora_A.T) @ self.lora_B.T
        return y + self.scale * delta.reshape(y.shape)


class LoraConvKernel(nn.Module):
    def __init__(self, base: nn.Conv2d, a: torch.Tensor, b: torch.Tensor, scale: float) -> None:
        super().__init__()
        self.base, self.scale = base, scale
        self.lora_A, self.lora_B = nn.Parameter(a.clone()), nn.Parameter(b.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ax = F.conv2d(x, self.lora_A, stride=self.base.stride, padding=self.base.padding)
        return self.base(x) + F.conv2d(self.scale * ax, self.lora_B)


def _set(model: nn.Module, path: str, module: nn.Module) -> None:
    parent_path, _, name = path.rpartition(".")
    parent = model.get_submodule(parent_path) if parent_path else model
    setattr(parent, name, module)


class LowRankDelta(nn.Module):
    """A parametrization W -> W + scale * B A, reading A and B from the module that
    owns them (kept out of this module's parameters, so they are named there)."""

    def __init__(self, owner: nn.Module, scale: float) -> None:
        super().__init__()
        self._owner, self.scale = [owner], scale

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        owner = self._owner[0]
        return weight + self.scale * (owner.lora_B @ owner.lora_A)


def _adapt_weight(module: nn.Module, weight: str, a: torch.Tensor, b: torch.Tensor,
                  scale: float) -> None:
    """LoRA on a weight the forward applies functionally (nn.MultiheadAttention's
    in_proj_weight and out_proj.weight): W + scale B A, the same map as
    W x + scale B (A x) up to rounding; A and B become `<module>.lora_A/B`."""
    module.lora_A, module.lora_B = nn.Parameter(a.clone()), nn.Parameter(b.clone())
    parametrize.register_parametrization(module, weight, LowRankDelta(module, scale))


def with_lora(model: nn.Module, layers: list[str], values: dict[str, np.ndarray], scale: float,
              conv_form: str) -> nn.Module:
    """A copy of `model` with LoRA adapters on `layers`, A/B taken from `values`."""
    model = copy.deepcopy(model)
    attention = {path for path, m in model.named_modules()
                 if isinstance(m, nn.MultiheadAttention)}
    for layer in layers:
        base = model.get_submodule(layer)
        a = torch.from_numpy(values[f"{layer}.lora_A"])
        b = torch.from_numpy(values[f"{layer}.lora_B"])
        if layer in attention:
            _adapt_weight(base, "in_proj_weight", a, b, scale)
            continue
        if layer.rpartition(".")[0] in attention:   # out_proj: its weight is read, not called
            _adapt_weight(base, "weight", a, b, scale)
            continue
        if isinstance(base, nn.Linear):
            wrapped = LoraLinear(base, a, b, scale)
        elif conv_form == "dense":
            wrapped = LoraConvDense(base, a, b, scale)
        else:
            wrapped = LoraConvKernel(base, a, b, scale)
        _set(model, layer, wrapped)
    return model


class SkipLora(nn.Module):
    """model(x) + sum_i B_i A_i vec(x^i), x^i captured by forward pre-hooks.

    x^i is the input of unit i's module; a module the forward never calls (the
    `out_proj` of nn.MultiheadAttention, whose weight is applied functionally)
    takes the input of the innermost enclosing module that is called.
    """

    def __init__(self, model: nn.Module, unit_modules: list[str], pooled: list[bool],
                 values: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.model = copy.deepcopy(model)
        self.pooled = pooled
        self.lora_A = nn.ParameterList(
            nn.Parameter(torch.from_numpy(values[f"skip_lora.{i}.lora_A"]).clone())
            for i in range(len(unit_modules)))
        self.lora_B = nn.ParameterList(
            nn.Parameter(torch.from_numpy(values[f"skip_lora.{i}.lora_B"]).clone())
            for i in range(len(unit_modules)))
        self.candidates = [_enclosing(path) for path in unit_modules]
        self.inputs: dict[str, torch.Tensor] = {}
        for path in sorted({c for chain in self.candidates for c in chain}):
            self.model.get_submodule(path).register_forward_pre_hook(self._hook(path))

    def _hook(self, path: str) -> Callable:
        def hook(module: nn.Module, args: tuple) -> None:
            self.inputs.setdefault(path, args[0])
        return hook

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.inputs = {}
        out = self.model(x)
        for i, chain in enumerate(self.candidates):
            tap = next(self.inputs[p] for p in chain if p in self.inputs)
            # a transformer's token activations (batch, tokens, features) are
            # averaged over the tokens; anything else (a CNN's maps) is flattened
            v = tap.mean(dim=1) if self.pooled[i] and tap.dim() == 3 else tap.flatten(1)
            out = out + (v @ self.lora_A[i].T) @ self.lora_B[i].T
        return out


def _enclosing(path: str) -> list[str]:
    """`path` and the modules above it below the root: `a.b.c`, `a.b`, `a` (or [""])."""
    parts = path.split(".") if path else []
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)] or [""]


def unit_modules(structure: Structure) -> list[str]:
    """The PyTorch module whose input is each unit's input.

    x^0 is the model input (the root module, path ""); then the first layer
    of each later unit, or the block itself.
    """
    out = [""]
    for unit in structure.units[1:]:
        out.append(unit.name if unit in structure.blocks else unit.layers[0].name)
    return out


def sgd_steps(model: nn.Module, trainable: list[str], batches: list[tuple], lr: float,
              loss: str, momentum: float = 0.0) -> list[float]:
    """Train the named parameters with torch.optim.SGD; returns the losses."""
    params = dict(model.named_parameters())
    for name, p in params.items():
        p.requires_grad_(name in trainable)
    missing = [n for n in trainable if n not in params]
    assert not missing, f"reference model lacks {missing}"
    optimizer = torch.optim.SGD([params[n] for n in trainable], lr=lr, momentum=momentum)
    losses = []
    for x, y in batches:
        optimizer.zero_grad()
        value = loss_fn(loss, model(x), y)
        value.backward()
        optimizer.step()
        losses.append(value.item())
    return losses
