"""End to end: tiny networks using the new adjoint rules compile to C on the
host, and one SGD step of the C program equals PyTorch (autograd +
torch.optim.SGD).

tests/data/op_models.py chains the ops (activations; convolutions, pooling,
normalisation and data movement; attention) so that three C builds cover them; the MSE
loss (whose square is math.fpowi) is checked on the built-in mlp.

Tolerance: 1e-4 relative to the largest magnitude of each parameter tensor
and on the loss, as in test_training.py: both sides run float32 and differ
only in summation order (a few ulps), while a wrong rule shows at 1e-2..1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch_reference import sgd_steps

from edgeft.backends.host import HostProgram
from edgeft.driver.compiler import CompileOptions, compile_model, write_build
from edgeft.frontend.importer import resolve_model

MODELS = Path(__file__).parent / "data" / "op_models.py"
LR = 0.1
REL_TOL = 1e-4


def _one_step(tmp_path: Path, spec: str, strategy: str, loss: str,
              trainable: list[str] | None = None) -> None:
    options = CompileOptions(strategy=strategy, batch=2, lr=LR, loss=loss, estimate=False)
    compiled = compile_model(spec, options)
    write_build(compiled, tmp_path)
    program = HostProgram.build(tmp_path)
    program.init()
    _, model, x = resolve_model(spec, 1, 2)
    model.eval()
    params = dict(model.named_parameters())
    before = {n: v.copy() for n, v in program.parameters().items()}
    with torch.no_grad():  # the C program's initial values, by parameter name
        for name, p in params.items():
            p.copy_(torch.from_numpy(before[name].reshape(p.shape)))
    rng = np.random.default_rng(7)
    out_shape = model(x).shape
    y = (rng.standard_normal(out_shape).astype(np.float32) if loss == "mse"
         else rng.integers(0, out_shape[1], out_shape[0]))
    ours = program.train_step(x.numpy(), y)
    names = trainable if trainable is not None else list(params)
    reference = sgd_steps(model, names, [(x, torch.from_numpy(y))], LR, loss)[0]
    # fp32, summation order only: see the module docstring.
    assert ours == pytest.approx(reference, rel=REL_TOL)
    after = program.parameters()
    for name, p in params.items():
        expected = p.detach().numpy().ravel()
        scale = np.abs(expected).max()
        np.testing.assert_allclose(after[name], expected, rtol=0, atol=REL_TOL * scale,
                                   err_msg=name)
        # conv.bias before batch-statistics BatchNorm has an exactly zero
        # gradient (the mean is subtracted): it may stay where PyTorch stays.
        if name in names and not np.allclose(expected, before[name], rtol=0,
                                             atol=REL_TOL * scale):
            assert not np.array_equal(after[name], before[name]), f"{name} did not train"


@pytest.mark.parametrize("factory", ["activations", "convolutions", "attention"])
def test_ops_one_sgd_step_in_c(tmp_path: Path, factory: str) -> None:
    _one_step(tmp_path, f"{MODELS}:{factory}", "ft-all", "cross-entropy")


def test_mse_loss_ft_last_in_c(tmp_path: Path) -> None:
    """`edgeft compile mlp --strategy ft-last --loss mse`: the loss's square is math.fpowi."""
    _, model, _ = resolve_model("mlp", 1, 2)
    head = [n for n, _ in model.named_parameters()][-2:]
    _one_step(tmp_path, "mlp", "ft-last", "mse", trainable=head)
