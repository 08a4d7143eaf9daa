"""Import: the command, determinism, user factories and every bad input."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch_mlir.extras import fx_importer
from torch_reference import sgd_steps

from edgeft.backends.executor import Executable
from edgeft.backends.host import HostProgram
from edgeft.driver.compiler import compile_model, write_build
from edgeft.frontend import import_model
from edgeft.frontend.importer import import_model_full, torch_loss
from edgeft.ir.errors import UserError
from edgeft.options import CompileOptions

from conftest import run_tool

FACTORIES = '''
import torch
from torch import nn


class Unary(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class Net(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(6, 8), nn.Tanh())
        self.spec = Unary(fn)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.spec(self.body(x)))


def good():
    return Net(torch.sigmoid), torch.randn(5, 6)


def unsupported():
    return Net(lambda x: torch.erfinv(x * 0.5)), torch.randn(5, 6)


def raises():
    raise RuntimeError("checkpoint not found")


def not_a_model():
    return 42


def with_loss_name():
    return Net(torch.sigmoid), torch.randn(3, 6), "mse"


def with_loss_module():
    return Net(torch.sigmoid), torch.randn(3, 6), nn.L1Loss()


def with_bad_loss():
    return Net(torch.sigmoid), torch.randn(3, 6), 42


def with_other_loss_module():
    return Net(torch.sigmoid), torch.randn(3, 6), nn.HuberLoss()


class Normed(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 16)
        self.bn = nn.BatchNorm1d(16)
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        return self.head(torch.relu(self.bn(self.fc(x))))


def bn_mlp():
    return Normed(), torch.randn(3, 8)


class Bicubic(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3 * 8 * 8, 4)

    def forward(self, x):
        x = nn.functional.interpolate(x, size=(8, 8), mode="bicubic", antialias=True)
        return self.fc(x.flatten(1))


def bicubic():
    return Bicubic(), torch.randn(2, 3, 4, 4)
'''


@pytest.fixture(scope="module")
def factory_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("factories") / "user_models.py"
    path.write_text(FACTORIES)
    return path


def test_user_factory_imports_and_matches_pytorch(factory_file: Path) -> None:
    model = import_model_full(f"{factory_file}:good")
    assert model.example_x.shape == (5, 6)
    assert model.parameter_names == ["body.0.weight", "body.0.bias", "head.weight", "head.bias"]
    loss = Executable(model.module).call("forward", model.example_x.numpy(),
                                         model.example_y.numpy())[0]
    assert float(loss) == pytest.approx(torch_loss(model), rel=1e-5)  # float32, see numerics


def test_python_api_takes_a_module() -> None:
    module = import_model(nn.Sequential(nn.Linear(4, 2)), example=torch.randn(3, 4))
    text = str(module)
    assert "ml_program.global private mutable @\"0.weight\"" in text
    assert "func.func @forward(%arg0: tensor<3x4xf32>, %arg1: tensor<3xi64>) -> tensor<f32>" in text


def test_import_is_deterministic() -> None:
    first = import_model("lenet5").operation.get_asm(enable_debug_info=True)
    second = import_model("lenet5").operation.get_asm(enable_debug_info=True)
    assert first == second


def test_cli_output_is_byte_identical(tmp_path: Path) -> None:
    for name in ("a", "b"):
        result = run_tool("edgeft", "import", "mlp", "-o", str(tmp_path / f"{name}.mlir"))
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "a.mlir").read_bytes() == (tmp_path / "b.mlir").read_bytes()


def _user_error(result) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_unknown_model_lists_the_known_ones() -> None:
    message = _user_error(run_tool("edgeft", "import", "resnet50"))
    assert message == ("edgeft: error: unknown model 'resnet50' (built-in models: autoencoder, "
                       "cct2, dscnn, lenet5, mlp, mobilenet_v1, mobilenet_v2, resnet8; or give "
                       "path/to/file.py:factory)")


def test_missing_factory_file(tmp_path: Path) -> None:
    message = _user_error(run_tool("edgeft", "import", f"{tmp_path}/absent.py:make"))
    assert message == f"edgeft: error: model factory file '{tmp_path}/absent.py' does not exist"


def test_factory_that_raises(factory_file: Path) -> None:
    message = _user_error(run_tool("edgeft", "import", f"{factory_file}:raises"))
    assert message.startswith(f"edgeft: error: factory 'raises' in '{factory_file}' raised "
                              "RuntimeError: checkpoint not found at user_models.py:")


def test_factory_with_wrong_result(factory_file: Path) -> None:
    message = _user_error(run_tool("edgeft", "import", f"{factory_file}:not_a_model"))
    assert message.endswith("must return (nn.Module, example input tensor) or (nn.Module, "
                            "example input tensor, loss name or nn.Module loss)")


def test_factory_with_a_bad_loss(factory_file: Path) -> None:
    message = _user_error(run_tool("edgeft", "import", f"{factory_file}:with_bad_loss"))
    assert message.endswith("loss name or nn.Module loss)")


def test_factory_with_an_unsupported_loss_module(factory_file: Path) -> None:
    message = _user_error(run_tool("edgeft", "import", f"{factory_file}:with_other_loss_module"))
    assert message == ("edgeft: error: unsupported loss module HuberLoss (supported: "
                       "CrossEntropyLoss, MSELoss, L1Loss, BCEWithLogitsLoss)")


@pytest.mark.parametrize("factory, loss", [("with_loss_name", "mse"),
                                           ("with_loss_module", "l1"), ("good", "cross-entropy")])
def test_factory_names_its_loss(factory_file: Path, factory: str, loss: str) -> None:
    model = import_model_full(f"{factory_file}:{factory}")
    assert model.loss == loss
    assert model.example_y.dtype == (torch.int64 if loss == "cross-entropy" else torch.float32)
    got = Executable(model.module).call("forward", model.example_x.numpy(),
                                        model.example_y.numpy())[0]
    assert float(got) == pytest.approx(torch_loss(model), rel=1e-5)  # float32, see numerics


def test_loss_option_overrides_the_factory_loss(factory_file: Path) -> None:
    assert import_model_full(f"{factory_file}:with_loss_name", loss="l1").loss == "l1"


def test_import_summary_counts_parameters_not_buffers(factory_file: Path) -> None:
    result = run_tool("edgeft", "import", f"{factory_file}:bn_mlp", "--batchnorm", "batch",
                      "-o", "/dev/null")
    assert result.returncode == 0, result.stderr
    # fc 8*16+16, bn 16+16, head 16*4+4; the running statistics are no parameters
    assert "(cross-entropy loss, batch 3): 6 parameter globals, 244 parameters" in result.stderr


def test_compile_keeps_the_factory_batch(factory_file: Path) -> None:
    kept = compile_model(f"{factory_file}:with_loss_module", CompileOptions(strategy="ft-last"))
    assert kept.report["options"]["batch"] == 3
    assert kept.report["options"]["loss"] == "l1"
    assert "func.func @forward(%arg0: tensor<3x6xf32>, %arg1: tensor<3x3xf32>)" in str(kept.module)
    given = compile_model(f"{factory_file}:good", CompileOptions(strategy="ft-last", batch=4))
    assert given.report["options"]["batch"] == 4
    assert "func.func @forward(%arg0: tensor<4x6xf32>, %arg1: tensor<4xi64>)" in str(given.module)


def test_compile_batchnorm_model_to_c(factory_file: Path, tmp_path: Path) -> None:
    """The issue's repro: BatchNorm running statistics no longer stop the compile."""
    for mode in ("frozen", "batch"):
        build = tmp_path / mode
        result = run_tool("edgeft", "compile", f"{factory_file}:bn_mlp", "--strategy", "ft-all",
                          "--batchnorm", mode, "-o", str(build))
        assert result.returncode == 0, result.stderr
        assert "244 of 244 parameters train" in result.stderr
        train = (build / "train.mlir").read_text()
        stores = "ml_program.global_store @bn.running_mean" in train
        assert stores == (mode == "batch")
        assert (build / "network.c").is_file()


def test_bicubic_upsample_is_one_line_naming_the_op(factory_file: Path) -> None:
    message = _user_error(run_tool("edgeft", "import", f"{factory_file}:bicubic"))
    assert message.startswith("edgeft: error: unsupported op 'aten._upsample_bicubic2d_aa' in "
                              "PyTorch layer 'Bicubic' (user_models.py:")


def test_missing_factory_function(factory_file: Path) -> None:
    message = _user_error(run_tool("edgeft", "import", f"{factory_file}:nothing"))
    assert message == f"edgeft: error: '{factory_file}' has no function 'nothing'"


def test_unsupported_op_names_the_op_and_the_layer(factory_file: Path) -> None:
    message = _user_error(run_tool("edgeft", "import", f"{factory_file}:unsupported"))
    assert message.startswith("edgeft: error: unsupported op 'aten.erfinv' in PyTorch layer "
                              "'spec' (user_models.py:")
    assert message.endswith("torch-mlir cannot lower it to linalg")


@pytest.mark.parametrize("args, message", [
    (["--loss", "hinge"], "edgeft: error: unknown loss 'hinge' (known: cross-entropy, mse, l1, bce-with-logits)"),
    (["--batch", "0"], "edgeft: error: --batch must be at least 1, got 0"),
    (["--in-channels", "0"], "edgeft: error: --in-channels must be at least 1, got 0"),
    (["--batchnorm", "train"], "edgeft: error: unknown --batchnorm 'train' (known: frozen, batch)"),
])
def test_bad_options(args: list[str], message: str) -> None:
    assert _user_error(run_tool("edgeft", "import", "mlp", *args)) == message


def test_api_raises_user_errors() -> None:
    with pytest.raises(UserError, match="needs an example input"):
        import_model(nn.Linear(2, 2))


def test_importer_failure_names_the_op_and_the_layer(factory_file: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """An op torch-mlir's FX importer fails on (here made to fail on tanh) is one
    line naming the op, the PyTorch layer and the source line."""
    original = fx_importer.GraphNodeImporter._import_torch_op_overload

    def failing(self, loc, node, *args, **kwargs):
        if node.target is torch.ops.aten.tanh.default:
            raise NotImplementedError("no conversion for this op")
        return original(self, loc, node, *args, **kwargs)

    monkeypatch.setattr(fx_importer.GraphNodeImporter, "_import_torch_op_overload", failing)
    with pytest.raises(UserError) as error:
        import_model_full(f"{factory_file}:good")
    assert str(error.value).startswith("torch-mlir cannot import op 'aten.tanh' in PyTorch "
                                       "layer 'body.1' (")
    assert str(error.value).endswith("NotImplementedError: no conversion for this op")


@pytest.mark.parametrize("mode", ["frozen", "batch"])
def test_batchnorm_c_step_matches_pytorch(factory_file: Path, tmp_path: Path, mode: str) -> None:
    """The emitted C program's SGD step on the BatchNorm repro equals autograd +
    torch.optim.SGD: loss, every parameter and the running statistics.

    Tolerance 1e-4 relative: fp32 on both sides, sums of at most 16 terms in
    another order, a few ulps per op."""
    compiled = compile_model(f"{factory_file}:bn_mlp",
                             CompileOptions(strategy="ft-all", batchnorm=mode, lr=0.1))
    write_build(compiled, tmp_path)
    imported = import_model_full(f"{factory_file}:bn_mlp", batchnorm=mode)
    program = HostProgram.build(tmp_path)
    program.init()
    x, y = imported.example_x, imported.example_y
    loss = program.train_step(x.numpy(), y.numpy())
    reference = copy.deepcopy(imported.torch_model)
    expected = sgd_steps(reference, imported.parameter_names, [(x, y)], 0.1, imported.loss)
    assert loss == pytest.approx(expected[0], rel=1e-4)
    values = program.parameters()
    for name, param in reference.named_parameters():
        want = param.detach().numpy().ravel()
        np.testing.assert_allclose(values[name], want, rtol=0, atol=1e-4 * np.abs(want).max(),
                                   err_msg=name)
    for name in ("bn.running_mean", "bn.running_var"):
        want = dict(reference.named_buffers())[name].numpy().ravel()
        np.testing.assert_allclose(values[name], want, rtol=1e-4, atol=1e-6, err_msg=name)
    moved = not np.allclose(dict(reference.named_buffers())["bn.running_var"].numpy(), 1.0)
    assert moved == (mode == "batch")  # batch statistics update the running ones
