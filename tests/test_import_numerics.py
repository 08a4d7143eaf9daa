"""The imported forward computes PyTorch's loss, through the reference executor.

Tolerance: 1e-5 relative. Both sides compute in float32 (eps 1.2e-7) with
the same operations; only the order of summation inside matmul, conv and the
loss reductions may differ. The longest reduction is 1152 terms (cct2's
second conv), and the loss is O(1), so reordering error stays far below 1e-5.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn
from torch_mlir import ir
from torch_reference import sgd_steps
from training_harness import LR, compile_step

from edgeft.backends.executor import Executable
from edgeft.frontend.importer import import_model_full, torch_loss
from edgeft.ir import attrs
from edgeft.ir.errors import UserError
from edgeft.ir.queries import symbol_name
from edgeft.passes.registry import build_pass_manager

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


# --- buffers, BatchNorm modes, losses ------------------------------------------------------

class _BnNet(nn.Module):
    """Conv + BatchNorm2d, then Linear + BatchNorm1d: running statistics as buffers."""

    def __init__(self, momentum: float | None = 0.1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.bn2d = nn.BatchNorm2d(4, momentum=momentum)
        self.fc = nn.Linear(4 * 4 * 4, 8)
        self.bn1d = nn.BatchNorm1d(8, momentum=momentum)
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.bn2d(self.conv(x))).flatten(1)
        return self.head(self.drop(torch.relu(self.bn1d(self.fc(h)))))


class _Scaled(nn.Module):
    """A non-persistent buffer (not in the state dict), read by forward."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 3)
        self.register_buffer("scale", torch.linspace(0.5, 2.0, 6), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x * self.scale)


def _bn_net(momentum: float | None = 0.1) -> nn.Module:
    torch.manual_seed(3)
    model = _BnNet(momentum)
    with torch.no_grad():  # running statistics unlike a fresh model's, so reading them shows
        for bn in (model.bn2d, model.bn1d):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.2, 0.2)
    return model


def _example(shape: tuple[int, ...], seed: int = 5) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


BN_BUFFERS = ["bn2d.running_mean", "bn2d.running_var", "bn2d.num_batches_tracked",
              "bn1d.running_mean", "bn1d.running_var", "bn1d.num_batches_tracked"]


def _buffer_globals(module) -> dict[str, bool]:
    """Global name -> whether it carries edgeft.buffer."""
    return {symbol_name(op): attrs.BUFFER in op.attributes
            for op in module.operation.regions[0].blocks[0].operations
            if op.operation.name == "ml_program.global"}


def test_buffers_are_named_untrained_globals() -> None:
    imported = import_model_full(_bn_net(), example=_example((3, 2, 4, 4)))
    marks = _buffer_globals(imported.module)
    assert [n for n, b in marks.items() if b] == BN_BUFFERS
    assert imported.parameter_names == [n for n, b in marks.items() if not b]
    values = Executable(imported.module).globals()
    for name, buffer in imported.torch_model.named_buffers():
        np.testing.assert_array_equal(values[name], buffer.numpy())
    # no strategy trains a buffer: ft-all marks exactly the parameters
    with imported.module.context:
        copy = ir.Module.parse(imported.module.operation.get_asm())
        build_pass_manager("edgeft-select-trainable{strategy=ft-all}",
                           copy.context).run(copy.operation)
    trainable = [symbol_name(op) for op in copy.operation.regions[0].blocks[0].operations
                 if op.operation.name == "ml_program.global" and attrs.TRAINABLE in op.attributes]
    assert trainable == imported.parameter_names


def test_frozen_batchnorm_reads_the_running_statistics() -> None:
    """frozen: eval-mode BatchNorm (and dropout off), the running statistics read from globals."""
    imported = import_model_full(_bn_net(), example=_example((3, 2, 4, 4)))
    assert not any(m.training for m in imported.torch_model.modules())
    executable = Executable(imported.module)
    assert _loss(executable, imported) == pytest.approx(torch_loss(imported), rel=REL_TOL)
    # other running statistics in the globals change the loss as they change PyTorch's
    new = {n: b * 1.5 + 0.25 for n, b in imported.torch_model.named_buffers()
           if n.endswith(("running_mean", "running_var"))}
    for name, value in new.items():
        executable.set_global(name, value.numpy())
    reference = torch_loss(imported, new)
    assert reference != pytest.approx(torch_loss(imported), rel=1e-3)  # the check can fail
    assert _loss(executable, imported) == pytest.approx(reference, rel=REL_TOL)


def test_non_persistent_buffer_imports() -> None:
    """A buffer outside the state dict (timm's EfficientViT) becomes a global too."""
    torch.manual_seed(0)
    imported = import_model_full(_Scaled(), example=_example((2, 6)))
    assert _buffer_globals(imported.module) == {"fc.weight": False, "fc.bias": False,
                                                "scale": True}
    executable = Executable(imported.module)
    assert _loss(executable, imported) == pytest.approx(torch_loss(imported), rel=REL_TOL)


@pytest.mark.parametrize("momentum", [0.1, 0.3])
def test_batch_batchnorm_matches_train_mode(momentum: float) -> None:
    """batch: the loss of train-mode BatchNorm, and @forward stores the running
    statistics PyTorch's forward leaves."""
    imported = import_model_full(_bn_net(momentum), example=_example((4, 2, 4, 4)),
                                 batchnorm="batch")
    assert imported.updated_buffers == BN_BUFFERS
    assert [m.training for m in imported.torch_model.modules()] == [
        False, False, True, False, True, False, False]  # only the BatchNorm layers train
    reference = copy.deepcopy(imported.torch_model)
    with torch.no_grad():
        expected = float(imported.criterion(reference(imported.example_x), imported.example_y))
    executable = Executable(imported.module)
    assert _loss(executable, imported) == pytest.approx(expected, rel=REL_TOL)
    values = executable.globals()
    for name, buffer in reference.named_buffers():
        # fp32 updates (1-m)*r + m*stat of O(1) values: a few ulps apart at most
        np.testing.assert_allclose(values[name], buffer.numpy(), rtol=REL_TOL, atol=1e-6,
                                   err_msg=name)
    before = dict(imported.torch_model.named_buffers())
    assert not np.allclose(values["bn1d.running_var"], before["bn1d.running_var"].numpy())
    assert int(values["bn1d.num_batches_tracked"]) == 1


def test_batch_batchnorm_refuses_a_cumulative_average() -> None:
    """momentum=None divides by the batch count as a Python number: one clear refusal."""
    with pytest.raises(UserError, match=r"^BatchNorm layer 'bn2d' has momentum=None"):
        import_model_full(_bn_net(None), example=_example((4, 2, 4, 4)), batchnorm="batch")


def test_batch_batchnorm_sgd_step_matches_pytorch() -> None:
    """One ft-all SGD step with batch statistics equals autograd + torch.optim.SGD on
    the train-mode model: loss, every parameter and the running statistics.

    Tolerance 1e-4 relative: fp32 forward and backward with reordered sums
    (reductions of at most 72 terms) stay within a few hundred ulps."""
    imported = import_model_full(_bn_net(), example=_example((4, 2, 4, 4)), batchnorm="batch")
    executable = compile_step(imported, "ft-all")
    reference = copy.deepcopy(imported.torch_model)
    x, y = imported.example_x, imported.example_y
    loss = float(executable.call("train_step", x.numpy(), y.numpy())[0])
    expected = sgd_steps(reference, imported.parameter_names, [(x, y)], LR, imported.loss)
    assert loss == pytest.approx(expected[0], rel=1e-4)
    values = executable.globals()
    for name, param in reference.named_parameters():
        scale = np.abs(param.detach().numpy()).max()
        np.testing.assert_allclose(values[name], param.detach().numpy(), rtol=0,
                                   atol=1e-4 * scale, err_msg=name)
    for name, buffer in reference.named_buffers():
        np.testing.assert_allclose(values[name], buffer.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=name)


def test_frozen_batchnorm_sgd_step_trains_the_affine() -> None:
    """frozen: the affine weight and bias train, the running statistics stay."""
    imported = import_model_full(_bn_net(), example=_example((4, 2, 4, 4)))
    executable = compile_step(imported, "ft-all")
    reference = copy.deepcopy(imported.torch_model)
    x, y = imported.example_x, imported.example_y
    loss = float(executable.call("train_step", x.numpy(), y.numpy())[0])
    expected = sgd_steps(reference, imported.parameter_names, [(x, y)], LR, imported.loss)
    assert loss == pytest.approx(expected[0], rel=1e-4)  # fp32, as above
    values = executable.globals()
    for name in ("bn2d.weight", "bn1d.bias", "head.weight"):
        want = dict(reference.named_parameters())[name].detach().numpy()
        np.testing.assert_allclose(values[name], want, rtol=0,
                                   atol=1e-4 * np.abs(want).max(), err_msg=name)
    for name, buffer in imported.torch_model.named_buffers():
        np.testing.assert_array_equal(values[name], buffer.numpy(), err_msg=name)


REGRESSION_LOSSES = ["mse", "l1", "bce-with-logits"]


@pytest.mark.parametrize("loss", ["cross-entropy", *REGRESSION_LOSSES])
def test_each_loss_matches_pytorch(imported, loss: str) -> None:
    model = imported("mlp", loss=loss, batch=3)
    out_shape = (3, 10)
    if loss == "cross-entropy":
        assert model.example_y.dtype == torch.int64 and model.example_y.shape == (3,)
    else:
        assert model.example_y.dtype == torch.float32 and model.example_y.shape == out_shape
    if loss == "bce-with-logits":
        assert set(model.example_y.unique().tolist()) <= {0.0, 1.0}
    executable = Executable(model.module)
    assert _loss(executable, model) == pytest.approx(torch_loss(model), rel=REL_TOL)


@pytest.mark.parametrize("loss", REGRESSION_LOSSES)
def test_each_loss_sgd_step_matches_pytorch(imported, loss: str) -> None:
    """ft-last under each loss: one step equals torch.optim.SGD (1e-4 relative, fp32
    as above); mse differentiates its x^2 (math.fpowi)."""
    model = imported("mlp", loss=loss, batch=3)
    executable = compile_step(model, "ft-last")
    reference = copy.deepcopy(model.torch_model)
    x, y = model.example_x, model.example_y
    got = float(executable.call("train_step", x.numpy(), y.numpy())[0])
    expected = sgd_steps(reference, ["fc3.weight", "fc3.bias"], [(x, y)], LR, loss)
    assert got == pytest.approx(expected[0], rel=1e-4)
    values = executable.globals()
    for name in ("fc3.weight", "fc3.bias"):
        want = dict(reference.named_parameters())[name].detach().numpy()
        assert not np.array_equal(want, dict(model.torch_model.named_parameters())[name]
                                  .detach().numpy())  # the step moved it
        np.testing.assert_allclose(values[name], want, rtol=0,
                                   atol=1e-4 * np.abs(want).max(), err_msg=name)


def test_criterion_module_and_its_buffers() -> None:
    """A PyTorch criterion may be given instead of a name; its buffers (a class
    weight) become globals under `loss.`."""
    torch.manual_seed(0)
    weight = torch.tensor([0.2, 1.0, 3.0])
    imported = import_model_full(nn.Linear(6, 3), example=_example((4, 6)),
                                 loss=nn.CrossEntropyLoss(weight=weight))
    assert imported.loss == "cross-entropy"
    assert _buffer_globals(imported.module)["loss.weight"]
    executable = Executable(imported.module)
    assert _loss(executable, imported) == pytest.approx(torch_loss(imported), rel=REL_TOL)
    plain = float(nn.functional.cross_entropy(imported.torch_model(imported.example_x),
                                              imported.example_y))
    assert torch_loss(imported) != pytest.approx(plain, rel=1e-3)  # the weight matters


def test_buffer_import_is_deterministic() -> None:
    """Same model and example twice, in batch mode: byte-identical MLIR."""
    texts = [import_model_full(_bn_net(), example=_example((4, 2, 4, 4)), batchnorm="batch")
             .module.operation.get_asm(enable_debug_info=True) for _ in range(2)]
    assert texts[0] == texts[1]
