"""LoRA and Skip-LoRA on the layers real networks have: depthwise, grouped and
pointwise convolutions, a Linear on an N-D input, a convolution head.

Each case compiles a small network with a strategy and runs one SGD step on
the MLIR (the executor), against the same network with the adapters written
out in PyTorch below (autograd + torch.optim.SGD), from identical values.

Tolerance: 1e-4 relative (to the largest magnitude of each tensor), as in
test_training.py: both sides run float32 and differ only in summation order
(measured well below 1e-6 here), while a wrong adapter or gradient is off at
the 1e-2..1 level.

Cases whose gradient would have to cross a frozen depthwise or grouped
convolution (an adapter behind one) wait for those adjoint rules; here the
depthwise/grouped layer is the first layer or the adapted one, so the
backward never crosses a frozen one.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch_reference import sgd_steps
from training_harness import LR, compile_step

from edgeft.frontend.importer import import_model_full

REL_TOL = 1e-4


class LoraConv(nn.Module):
    """A frozen conv plus its adapter, written from docs/training.md.

    dense: `(vec(x) A^T) B^T` reshaped to the output; kernel: per group g, a
    k x k conv from the group's channels to r channels (the layer's stride,
    padding and dilation), then a 1x1 conv from those r to the group's
    outputs: PyTorch's grouped conv with weights (g*r, c_in/g, k, k) and
    (c_out, r, 1, 1).
    """

    def __init__(self, base: nn.Conv2d, a: torch.Tensor, b: torch.Tensor, form: str) -> None:
        super().__init__()
        self.base, self.form = base, form
        self.lora_A, self.lora_B = nn.Parameter(a.clone()), nn.Parameter(b.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.base(x)
        if self.form == "dense":
            return y + ((x.flatten(1) @ self.lora_A.T) @ self.lora_B.T).reshape(y.shape)
        g = self.base.groups
        ax = F.conv2d(x, self.lora_A, stride=self.base.stride, padding=self.base.padding,
                      dilation=self.base.dilation, groups=g)
        return y + F.conv2d(ax, self.lora_B, groups=g)


class LoraLinear(nn.Module):
    """A frozen Linear plus `(x A^T) B^T` on any number of leading dims."""

    def __init__(self, base: nn.Linear, a: torch.Tensor, b: torch.Tensor) -> None:
        super().__init__()
        self.base = base
        self.lora_A, self.lora_B = nn.Parameter(a.clone()), nn.Parameter(b.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_A.T) @ self.lora_B.T


class ConvNet(nn.Module):
    """`first` (a depthwise, grouped or pointwise conv), ReLU, a pointwise
    conv, ReLU, flatten, Linear."""

    def __init__(self, first: nn.Conv2d, size: int) -> None:
        super().__init__()
        self.first = first
        self.pw = nn.Conv2d(first.out_channels, 6, 1)
        side = (size + 2 * first.padding[0] - first.dilation[0] * (first.kernel_size[0] - 1)
                - 1) // first.stride[0] + 1
        self.fc = nn.Linear(6 * side * side, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.relu(self.pw(torch.relu(self.first(x)))).flatten(1))


class TokenMixer(nn.Module):
    """A Linear over the token axis (`x.transpose(1, 2)`, lowered as a
    broadcast + batch_matmul), ReLU, a channel Linear, mean over tokens, head."""

    def __init__(self) -> None:
        super().__init__()
        self.mix = nn.Linear(5, 5)
        self.channel = nn.Linear(8, 6)
        self.head = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mixed = torch.relu(self.mix(x.transpose(1, 2))).transpose(1, 2)
        return self.head(torch.relu(self.channel(mixed)).mean(1))


FIRST = {
    "depthwise": lambda: nn.Conv2d(4, 4, 3, padding=1, groups=4),
    "depthwise_x2": lambda: nn.Conv2d(4, 8, 3, padding=1, groups=4),
    "grouped": lambda: nn.Conv2d(4, 6, 3, padding=2, stride=2, dilation=2, groups=2),
    "pointwise": lambda: nn.Conv2d(4, 5, 1),
}


def _conv_net(kind: str) -> tuple[nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    return ConvNet(FIRST[kind](), 6), torch.randn(2, 4, 6, 6)


def _with_lora(model: nn.Module, values: dict[str, np.ndarray], form: str) -> nn.Module:
    model = copy.deepcopy(model)
    layers = sorted({k.rsplit(".", 1)[0] for k in values if k.endswith(".lora_A")})
    for layer in layers:
        base = model.get_submodule(layer)
        a = torch.from_numpy(values[f"{layer}.lora_A"])
        b = torch.from_numpy(values[f"{layer}.lora_B"])
        wrapped = LoraLinear(base, a, b) if isinstance(base, nn.Linear) else \
            LoraConv(base, a, b, form)
        setattr(model, layer, wrapped)
    return model


def _one_step(model: nn.Module, x: torch.Tensor, strategy: str, form: str = "dense") -> None:
    """One SGD step of `strategy` on the compiled MLIR equals PyTorch's."""
    imported = import_model_full(model, example=x)
    executable = compile_step(imported, strategy, conv_form=form)
    values = executable.globals()
    rng = np.random.default_rng(5)
    for name in values:  # B = 0 would leave A without a gradient
        if name.endswith("lora_B"):
            values[name] = (rng.standard_normal(values[name].shape) * 0.1).astype(np.float32)
            executable.set_global(name, values[name])
    reference = _with_lora(imported.torch_model, values, form)
    trainable = [n for n, _ in reference.named_parameters() if "lora_" in n]
    assert trainable, "the strategy added no adapter"
    x, y = imported.example_x, imported.example_y
    loss = float(executable.call("train_step", x.numpy(), y.numpy())[0])
    expected = sgd_steps(reference, trainable, [(x, y)], LR, imported.loss)
    np.testing.assert_allclose(loss, expected[0], rtol=REL_TOL)  # fp32, see module docstring
    after = executable.globals()
    params = dict(reference.named_parameters())
    for name in trainable:
        want = params[name].detach().numpy()
        scale = np.abs(want).max()
        np.testing.assert_allclose(after[name], want, rtol=0, atol=REL_TOL * scale,
                                   err_msg=name)  # fp32, see module docstring
        assert not np.array_equal(after[name], values[name]), f"{name} did not train"


@pytest.mark.parametrize("form", ["dense", "kernel"])
@pytest.mark.parametrize("kind", sorted(FIRST))
def test_lora_all_on_a_convolution(kind: str, form: str) -> None:
    _one_step(*_conv_net(kind), "lora-all", form)


def test_lora_on_a_linear_over_tokens() -> None:
    torch.manual_seed(0)
    _one_step(TokenMixer(), torch.randn(2, 5, 8), "lora-all")
