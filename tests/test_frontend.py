"""Import: the command, determinism, user factories and every bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from edgeft.backends.executor import Executable
from edgeft.frontend import import_model
from edgeft.frontend.importer import torch_loss
from edgeft.ir.errors import UserError

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
'''


@pytest.fixture(scope="module")
def factory_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("factories") / "user_models.py"
    path.write_text(FACTORIES)
    return path


def test_user_factory_imports_and_matches_pytorch(factory_file: Path) -> None:
    from edgeft.frontend.importer import import_model_full

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
    assert message == ("edgeft: error: unknown model 'resnet50' (built-in models: cct2, lenet5, "
                       "mlp; or give path/to/file.py:factory)")


def test_missing_factory_file(tmp_path: Path) -> None:
    message = _user_error(run_tool("edgeft", "import", f"{tmp_path}/absent.py:make"))
    assert message == f"edgeft: error: model factory file '{tmp_path}/absent.py' does not exist"


def test_factory_that_raises(factory_file: Path) -> None:
    message = _user_error(run_tool("edgeft", "import", f"{factory_file}:raises"))
    assert message.startswith(f"edgeft: error: factory 'raises' in '{factory_file}' raised "
                              "RuntimeError: checkpoint not found at user_models.py:")


def test_factory_with_wrong_result(factory_file: Path) -> None:
    message = _user_error(run_tool("edgeft", "import", f"{factory_file}:not_a_model"))
    assert "must return (nn.Module, example input tensor)" in message


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
])
def test_bad_options(args: list[str], message: str) -> None:
    assert _user_error(run_tool("edgeft", "import", "mlp", *args)) == message


def test_api_raises_user_errors() -> None:
    with pytest.raises(UserError, match="needs an example input"):
        import_model(nn.Linear(2, 2))
