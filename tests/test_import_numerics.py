"""The imported forward computes PyTorch's loss, through the reference executor.

Tolerance: 1e-5 relative. Both sides compute in float32 (eps 1.2e-7) with
the same operations; only the order of summation inside matmul, conv and the
loss reductions may differ. The longest reduction is 1152 terms (cct2's
second conv), and the loss is O(1), so reordering error stays far below 1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from edgeft.backends.executor import Executable
from edgeft.frontend.importer import torch_loss

REL_TOL = 1e-5


def _loss(executable: Executable, imported) -> float:
    x = imported.example_x.numpy()
    y = imported.example_y.numpy()
    return float(executable.call("forward", x, y)[0])


@pytest.mark.parametrize("name", ["mlp", "lenet5", "cct2"])
def test_forward_loss_matches_pytorch(imported, name: str) -> None:
    model = imported(name)
    executable = Executable(model.module)
    reference = torch_loss(model)
    assert _loss(executable, model) == pytest.approx(reference, rel=REL_TOL)


@pytest.mark.parametrize("name", ["mlp", "lenet5", "cct2"])
def test_forward_reads_parameters_from_globals(imported, name: str) -> None:
    """New values written into the globals change the loss as they change PyTorch's."""
    model = imported(name)
    executable = Executable(model.module)
    generator = torch.Generator().manual_seed(7)
    new = {n: torch.randn(p.shape, generator=generator) * 0.1
           for n, p in model.torch_model.named_parameters()}
    for n, value in new.items():
        executable.set_global(n, value.numpy())
    reference = torch_loss(model, new)
    assert reference != pytest.approx(torch_loss(model), rel=1e-3)  # the check can fail
    assert _loss(executable, model) == pytest.approx(reference, rel=REL_TOL)


def test_mse_loss_and_other_batch(imported) -> None:
    model = imported("lenet5", loss="mse", batch=3, in_channels=3)
    executable = Executable(model.module)
    assert model.example_x.shape == (3, 3, 28, 28)
    assert _loss(executable, model) == pytest.approx(torch_loss(model), rel=REL_TOL)


@pytest.mark.parametrize("name", ["mlp", "lenet5", "cct2"])
def test_globals_hold_the_parameters(imported, name: str) -> None:
    model = imported(name)
    values = Executable(model.module).globals()
    params = dict(model.torch_model.named_parameters())
    assert list(values) == list(params)
    for n, p in params.items():
        np.testing.assert_array_equal(values[n], p.detach().numpy())


def test_cct2_size_matches_methods(imported) -> None:
    """METHODS.md: CCT-2/3x2 has about 0.28 M parameters."""
    count = sum(p.numel() for p in imported("cct2").torch_model.parameters())
    assert 270_000 < count < 290_000
