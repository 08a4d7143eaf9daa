"""The built-in edge models and the model zoo (tests/zoo_models.py).

Built-ins: each builds, gives the right output shape, is deterministic from
its seed and has the parameter count docs/models.md states.

Zoo: every (model, strategy) of zoo_models.CASES compiles to C for the host
(batch 2), and one SGD step of the C program equals PyTorch (autograd +
torch.optim.SGD from the same initial values and batch) within 1e-4
relative on the loss and on every trained parameter (check_steps; the
tolerance is justified in tests/test_training.py: float32 on both sides,
different summation orders, measured agreement ~1e-6; the C program runs
the executor's loops through gcc -O3 without fast-math, which
tests/test_codegen.py holds to 1e-5 of the executor).

PENDING lists the cases whose comparison does not hold yet, each with the
reason; they run as strict xfails, so a case that starts to pass fails the
suite until it is taken off the list.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from training_harness import check_steps
from zoo_models import CASES, ZOO, compile_case

from edgeft.frontend import models

# Parameters (trainable tensors; BatchNorm running statistics are buffers) at the
# input the public description names; docs/models.md gives the same figures.
PARAMETERS = {
    "dscnn": (1, 23_756),
    "resnet8": (3, 78_186),
    "autoencoder": (1, 267_928),
    "mobilenet_v1": (3, 213_586),
    "mobilenet_v2": (3, 408_938),
}
OUTPUTS = {"dscnn": 12, "resnet8": 10, "autoencoder": 640, "mobilenet_v1": 2, "mobilenet_v2": 10}

# Cases whose comparison does not hold yet, with the reason (none today).
PENDING: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_builtin_parameter_count_and_output(name: str) -> None:
    channels, count = PARAMETERS[name]
    spec = models.BUILTIN[name]
    model = models.build(name, channels)
    assert sum(p.numel() for p in model.parameters()) == count
    x = torch.randn(2, *spec.sample_shape(channels))
    with torch.no_grad():
        assert tuple(model(x).shape) == (2, OUTPUTS[name])


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_builtin_is_deterministic_from_its_seed(name: str) -> None:
    first, again = models.build(name, 1, seed=3), models.build(name, 1, seed=3)
    other = models.build(name, 1, seed=4)
    for (key, a), b in zip(first.state_dict().items(), again.state_dict().values(),
                           strict=True):
        assert torch.equal(a, b), key
    assert any(not torch.equal(a, c) for a, c in zip(first.parameters(), other.parameters(),
                                                     strict=True))


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_builtin_in_channels_sets_the_input(name: str) -> None:
    spec = models.BUILTIN[name]
    model = models.build(name, 2)
    x = torch.randn(2, *spec.sample_shape(2))
    assert spec.sample_shape(2)[0] == 2
    with torch.no_grad():
        out = model(x)
    # The autoencoder reconstructs its whole (flattened) input.
    assert out.shape[1] == (2 * 640 if name == "autoencoder" else OUTPUTS[name])


def test_builtin_losses() -> None:
    assert models.BUILTIN["autoencoder"].loss == "mse"
    assert {spec.loss for name, spec in models.BUILTIN.items() if name != "autoencoder"} == {
        "cross-entropy"}


def test_builtins_run_in_eval_mode() -> None:
    # Frozen BatchNorm statistics (METHODS.md) unless the user asks for batch statistics.
    assert not models.build("resnet8", 3).training


def _params(case_id: tuple[str, str]) -> object:
    reason = PENDING.get(case_id)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(*case_id, marks=marks, id=f"{case_id[0]}-{case_id[1]}")


@pytest.mark.parametrize("model, strategy", [_params(c) for c in CASES])
def test_zoo_step_in_c_matches_pytorch(tmp_path, model: str, strategy: str) -> None:
    case = compile_case(model, strategy, tmp_path)
    check_steps(case.pair, [(case.x, case.y)])


def test_zoo_check_catches_a_wrong_step(tmp_path) -> None:
    # The comparison can fail: PyTorch starts from a head 1.5 times the C program's.
    case = compile_case("lenet5", "ft-last", tmp_path)
    case.pair.reference.fc3.weight.data.mul_(1.5)
    with pytest.raises(AssertionError):
        check_steps(case.pair, [(case.x, case.y)])


def test_zoo_lists_every_pending_case() -> None:
    assert set(PENDING) <= set(CASES)
    assert all(reason for reason in PENDING.values())
    assert len({name for name, _ in CASES}) == len(ZOO)
    assert np.all([len(ZOO[name].strategies) >= 4 for name in ZOO])
