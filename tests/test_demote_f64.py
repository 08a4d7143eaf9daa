"""No f64 on the device: edgeft-demote-f64 in the lowering pipeline.

torch's LayerNorm decomposition computes the variance in f64; the lowering
pipeline computes it in f32 (edgeft-demote-f64). These tests check that no
f64 is left in a real model's lowered program and that the f32 statistics
still give PyTorch's LayerNorm forward and backward through the emitted C.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from edgeft.backends.host import HostProgram
from edgeft.driver.compiler import CompileOptions, compile_model, write_build

# The width of the normalised rows: cct2's embedding.
WIDTH = 128
LR = 0.5
# Each statistic of a row is a sum of WIDTH float32 terms: worst case relative
# error WIDTH * 2^-24 (7.6e-6). The loss goes through the forward's two
# (mean, variance), a gradient also through the backward's two sums over the
# row (of dy and of dy * x_hat): four such errors at most, 3.1e-5 relative to
# the size of the value; the matmuls around the LayerNorm reduce over at most
# WIDTH terms and stay inside the same bound.
REL_TOL = 4 * WIDTH * 2.0**-24

FACTORY = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 128)
        self.norm = nn.LayerNorm(128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(self.norm(self.fc1(x)))


def make():
    net = Net()
    with torch.no_grad():  # rows far from zero mean, unit-free scale: the statistics matter
        net.fc1.bias.add_(3.0)
        net.norm.weight.uniform_(0.5, 1.5)
        net.norm.bias.uniform_(-0.5, 0.5)
    return net, torch.randn(8, 16)
'''


def test_cct2_lora2_lowers_without_f64(tmp_path: Path) -> None:
    compiled = compile_model("cct2", CompileOptions(strategy="lora-2", batch=2))
    write_build(compiled, tmp_path)
    assert "f64" in (tmp_path / "train.mlir").read_text()  # torch's LayerNorms widen
    assert "f64" not in (tmp_path / "lowered.mlir").read_text()
    assert "double" not in (tmp_path / "network.c").read_text()


def _torch_net(factory: Path, values: dict[str, np.ndarray]) -> torch.nn.Module:
    namespace: dict = {}
    exec(compile(factory.read_text(), str(factory), "exec"), namespace)  # noqa: S102
    net = namespace["Net"]()
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(torch.from_numpy(values[name].reshape(p.shape)))
    return net


def test_layernorm_forward_and_backward_match_pytorch(tmp_path: Path) -> None:
    factory = tmp_path / "net.py"
    factory.write_text(FACTORY)
    compiled = compile_model(f"{factory}:make", CompileOptions(strategy="ft-all", lr=LR))
    build = tmp_path / "build"
    write_build(compiled, build)
    assert "f64" not in (build / "lowered.mlir").read_text()
    program = HostProgram.build(build)
    program.init()
    before = {name: value.copy() for name, value in program.parameters().items()}

    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 16)).astype(np.float32)
    y = rng.integers(0, 10, 8)
    loss = program.train_step(x, y)

    net = _torch_net(factory, before)
    expected = torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y))
    expected.backward()
    assert abs(loss - expected.item()) <= REL_TOL * abs(expected.item())
    after = program.parameters()
    for name, p in net.named_parameters():
        grad = p.grad.numpy().astype(np.float64).ravel()
        start = before[name].astype(np.float64)
        # what the step applied, against PyTorch's gradient; the subtraction of
        # two float32 parameters adds up to 2^-24 of the parameter's size
        applied = (start - after[name]) / LR
        bound = REL_TOL * np.abs(grad).max() + 2.0**-23 * np.abs(start).max() / LR
        np.testing.assert_allclose(applied, grad, rtol=0, atol=bound, err_msg=name)
