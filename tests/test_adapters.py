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
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import parametrize
from torch_mlir import ir
from torch_reference import SkipLora, sgd_steps, unit_modules
from training_harness import LR, compile_step, with_random_lora_b

from edgeft.backends.executor import Executable
from edgeft.backends.host import HostProgram
from edgeft.driver import cli
from edgeft.driver.compiler import CompileOptions, compile_model, write_build
from edgeft.frontend.importer import ImportedModel, import_model_full
from edgeft.ir.graph import globals_of, layer_of
from edgeft.passes import inject_skip_lora
from edgeft.training.structure import Structure, structure_of

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


def _compiled(model: nn.Module, x: torch.Tensor, strategy: str,
              form: str = "dense") -> tuple[ImportedModel, Executable, dict[str, np.ndarray]]:
    """`model` imported and compiled for `strategy`, every LoRA B set to random
    values (B = 0 would leave A without a gradient); returns the globals too."""
    imported = import_model_full(model, example=x)
    executable = compile_step(imported, strategy, conv_form=form)
    return imported, executable, with_random_lora_b(executable, seed=5)


def _step_matches(imported: ImportedModel, executable: Executable, before: dict[str, np.ndarray],
                  reference: nn.Module, trainable: dict[str, str]) -> None:
    """One SGD step on the MLIR equals one of torch.optim.SGD on `reference`;
    `trainable` maps reference parameter names to global names."""
    assert trainable, "the strategy added no adapter"
    x, y = imported.example_x, imported.example_y
    loss = float(executable.call("train_step", x.numpy(), y.numpy())[0])
    expected = sgd_steps(reference, list(trainable), [(x, y)], LR, imported.loss)
    np.testing.assert_allclose(loss, expected[0], rtol=REL_TOL)  # fp32, see module docstring
    after = executable.globals()
    params = dict(reference.named_parameters())
    for name, glob in trainable.items():
        want = params[name].detach().numpy()
        scale = np.abs(want).max()
        np.testing.assert_allclose(after[glob], want, rtol=0, atol=REL_TOL * scale,
                                   err_msg=glob)  # fp32, see module docstring
        assert not np.array_equal(after[glob], before[glob]), f"{glob} did not train"
    for name, value in after.items():
        if name not in trainable.values():
            np.testing.assert_array_equal(value, before[name], err_msg=f"frozen {name} moved")


def _one_step(model: nn.Module, x: torch.Tensor, strategy: str, form: str = "dense") -> None:
    """One SGD step of a LoRA strategy on the compiled MLIR equals PyTorch's
    (for lora-N the head trains in full too)."""
    imported, executable, values = _compiled(model, x, strategy, form)
    reference = _with_lora(imported.torch_model, values, form)
    head = structure_of(imported.parameter_names).head.name
    full = re.fullmatch(r"lora-\d+", strategy) is not None
    trainable = {n: n for n, _ in reference.named_parameters()
                 if "lora_" in n or (full and n.startswith(head + "."))}
    _step_matches(imported, executable, values, reference, trainable)


@pytest.mark.parametrize("form", ["dense", "kernel"])
@pytest.mark.parametrize("kind", sorted(FIRST))
def test_lora_all_on_a_convolution(kind: str, form: str) -> None:
    _one_step(*_conv_net(kind), "lora-all", form)


class Stack(nn.Module):
    """A conv, a depthwise conv with multiplier 2, a grouped strided conv, a
    pointwise conv (each with ReLU), flatten, Linear: MobileNet's layers in a row."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.dw = nn.Conv2d(4, 8, 3, padding=1, groups=4)
        self.gc = nn.Conv2d(8, 8, 3, padding=1, stride=2, groups=4)
        self.pw = nn.Conv2d(8, 4, 1)
        self.fc = nn.Linear(4 * 3 * 3, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in (self.conv, self.dw, self.gc, self.pw):
            x = torch.relu(layer(x))
        return self.fc(x.flatten(1))


# lora-3 and lora-all put an adapter behind the frozen grouped conv: they wait
# for its adjoint (the backward would cross it).
@pytest.mark.parametrize("form", ["dense", "kernel"])
@pytest.mark.parametrize("strategy", ["lora-last", "lora-1", "lora-2"])
def test_lora_k_on_a_mobilenet_like_stack(strategy: str, form: str) -> None:
    torch.manual_seed(0)
    _one_step(Stack(), torch.randn(2, 2, 6, 6), strategy, form)


def test_lora_on_a_linear_over_tokens() -> None:
    torch.manual_seed(0)
    _one_step(TokenMixer(), torch.randn(2, 5, 8), "lora-all")


class ConvHead(nn.Module):
    """SqueezeNet's ending: the classifier is a 1x1 conv to the classes, then
    ReLU, adaptive average pooling and flatten (after a conv and a depthwise conv)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.classifier = nn.Conv2d(8, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.dw(torch.relu(self.conv(x))))
        return F.adaptive_avg_pool2d(torch.relu(self.classifier(h)), 1).flatten(1)


@pytest.mark.parametrize("model", ["conv_head", "depthwise", "grouped", "tokens", "stack"])
def test_skip_lora_taps_any_head(model: str) -> None:
    """Skip-LoRA adds to the (batch, classes) output the loss reads, whatever the head."""
    torch.manual_seed(0)
    if model == "conv_head":
        net, x = ConvHead(), torch.randn(2, 3, 6, 6)
    elif model == "tokens":
        net, x = TokenMixer(), torch.randn(2, 5, 8)
    elif model == "stack":
        net, x = Stack(), torch.randn(2, 2, 6, 6)
    else:
        net, x = _conv_net(model)
    imported, executable, values = _compiled(net, x, "skip-lora")
    units = unit_modules(structure_of(imported.parameter_names))
    reference = SkipLora(imported.torch_model, units, [False] * len(units), values)
    trainable = {f"lora_{m}.{i}": f"skip_lora.{i}.lora_{m}" for i in range(len(units))
                 for m in "AB"}
    _step_matches(imported, executable, values, reference, trainable)

FACTORY = '''
import torch
from test_adapters import ConvHead


def net():
    torch.manual_seed(0)
    return ConvHead(), torch.randn(2, 3, 6, 6)
'''


def _head_result(block: ir.Block, structure: Structure, batch: int) -> ir.Value:
    """The old x^L: the result of the head layer's last op (4-D for a conv head)."""
    last = [op.operation for op in block.operations if layer_of(op.operation) == "classifier"]
    return last[-1].results[0]


def test_invalid_ir_of_our_pass_is_an_internal_error(monkeypatch, tmp_path, capsys) -> None:
    """A pass of ours that builds IR the verifier rejects (here Skip-LoRA adding a
    (batch, classes) matmul onto the 4-D conv of a conv head, the bug of issue 14)
    is exit 2 with a reproducer, not a user error (exit 1)."""
    (tmp_path / "convhead.py").write_text(FACTORY)
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    monkeypatch.setattr(inject_skip_lora, "model_output", _head_result)
    spec = f"{tmp_path / 'convhead.py'}:net"
    code = cli.main(["compile", spec, "--strategy", "skip-lora", "-o", str(tmp_path / "b")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "produced IR that does not verify" in err
    assert "'linalg.matmul' op" in err and "[PyTorch layer 'skip_lora.0']" in err
    assert f"reproducer:\n  edgeft compile {spec} --strategy skip-lora" in err


class Encoder(nn.Module):
    """Two nn.TransformerEncoderLayer blocks (batch_first, so the packed q/k/v
    projection is a broadcast + batch_matmul), mean over tokens, head."""

    def __init__(self) -> None:
        super().__init__()
        layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x).mean(1))


class LowRank(nn.Module):
    """W + B A: a LoRA adapter folded into the weight it adapts (x (W + B A)^T =
    x W^T + (x A^T) B^T), for layers that nn.MultiheadAttention reads by
    attribute instead of calling (in_proj_weight, out_proj.weight)."""

    def __init__(self, a: torch.Tensor, b: torch.Tensor) -> None:
        super().__init__()
        self.lora_A, self.lora_B = nn.Parameter(a.clone()), nn.Parameter(b.clone())

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight + self.lora_B @ self.lora_A


def test_lora_k_on_transformer_encoder_layers() -> None:
    """lora-1 adapts every linear of the last block, the packed attention
    projection included, and trains the head in full."""
    torch.manual_seed(0)
    imported, executable, values = _compiled(Encoder(), torch.randn(2, 5, 8), "lora-1")
    reference = copy.deepcopy(imported.torch_model)
    trainable = {}
    for layer in sorted({k.rsplit(".", 1)[0] for k in values if k.endswith(".lora_A")}):
        module = reference.get_submodule(layer)
        weight = "in_proj_weight" if hasattr(module, "in_proj_weight") else "weight"
        adapter = LowRank(torch.from_numpy(values[f"{layer}.lora_A"]),
                          torch.from_numpy(values[f"{layer}.lora_B"]))
        parametrize.register_parametrization(module, weight, adapter)
        for m in "AB":
            trainable[f"{layer}.parametrizations.{weight}.0.lora_{m}"] = f"{layer}.lora_{m}"
    assert "encoder.layers.1.self_attn.lora_A" in values
    assert "encoder.layers.0.linear1.lora_A" not in values
    trainable.update({f"head.{p}": f"head.{p}" for p in ("weight", "bias")})
    _step_matches(imported, executable, values, reference, trainable)


STACK_FACTORY = '''
import torch
from test_adapters import ConvHead, Stack


def stack():
    torch.manual_seed(0)
    return Stack(), torch.randn(2, 2, 6, 6)


def conv_head():
    torch.manual_seed(0)
    return ConvHead(), torch.randn(2, 3, 6, 6)
'''


@pytest.mark.parametrize(("factory", "strategy", "form"), [
    ("stack", "lora-2", "kernel"), ("stack", "lora-2", "dense"), ("conv_head", "skip-lora", "dense")])
def test_c_program_step_equals_pytorch(monkeypatch, tmp_path, factory: str, strategy: str,
                                       form: str) -> None:
    """The emitted C (host build) of grouped/depthwise adapters and of Skip-LoRA on
    a conv head: one step equals PyTorch's from the program's own initial values."""
    (tmp_path / "zoo.py").write_text(STACK_FACTORY)
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    options = CompileOptions(strategy=strategy, conv_form=form, lr=LR, batch=2)
    spec = f"{tmp_path / 'zoo.py'}:{factory}"
    compiled = compile_model(spec, options)
    write_build(compiled, tmp_path / "build")
    program = HostProgram.build(tmp_path / "build")
    program.init()
    rng = np.random.default_rng(7)
    values = {name: value.copy() for name, value in program.parameters().items()}
    for name in values:
        if name.endswith("lora_B"):
            values[name] = (rng.standard_normal(values[name].shape) * 0.1).astype(np.float32)
    program.write_parameters({n: v for n, v in values.items() if n.endswith("lora_B")})
    torch.manual_seed(0)
    net, x = (Stack(), torch.randn(2, 2, 6, 6)) if factory == "stack" else \
        (ConvHead(), torch.randn(2, 3, 6, 6))
    imported = import_model_full(net, example=x)
    shaped = {n: v.reshape(_global_shape(compiled.module, n))
              for n, v in values.items() if "lora" in n}
    if strategy == "skip-lora":
        units = unit_modules(structure_of(imported.parameter_names))
        reference = SkipLora(imported.torch_model, units, [False] * len(units), shaped)
        trainable = {f"lora_{m}.{i}": f"skip_lora.{i}.lora_{m}" for i in range(len(units))
                     for m in "AB"}
    else:
        reference = _with_lora(imported.torch_model, shaped, form)
        head = structure_of(imported.parameter_names).head.name
        trainable = {n: n for n, _ in reference.named_parameters()
                     if "lora_" in n or n.startswith(head + ".")}
    y = imported.example_y
    loss = program.train_step(x.numpy(), y.numpy())
    expected = sgd_steps(reference, list(trainable), [(x, y)], LR, imported.loss)
    np.testing.assert_allclose(loss, expected[0], rtol=REL_TOL)  # fp32, see module docstring
    params = dict(reference.named_parameters())
    after = program.parameters()
    for name, glob in trainable.items():
        want = params[name].detach().numpy().ravel()
        np.testing.assert_allclose(after[glob], want, rtol=0, atol=REL_TOL * np.abs(want).max(),
                                   err_msg=glob)  # fp32, see module docstring
        assert not np.array_equal(after[glob], values[glob]), f"{glob} did not train"


def _global_shape(module: ir.Module, name: str) -> list[int]:
    glob = globals_of(module.operation)[name]
    return list(ir.RankedTensorType(ir.TypeAttr(glob.attributes["type"]).value).shape)
