"""The reference executor: calls, global reads and writes, bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
from torch_mlir import ir

from edgeft.backends.executor import Executable, execute
from edgeft.ir.context import make_context
from edgeft.ir.errors import UserError

# @step(x) doubles w in place and returns x + w (the old w), so one call shows
# both a result and a global_store; pad/extract_slice exercise strided copies.
MODULE = """
ml_program.global private mutable @"fc.weight"(dense<[1.0, 2.0, 3.0]> : tensor<3xf32>) : tensor<3xf32>
ml_program.global private @"frozen"(dense<5.0> : tensor<2xf32>) : tensor<2xf32>
func.func @step(%x: tensor<3xf32>) -> tensor<3xf32> {
  %w = ml_program.global_load @"fc.weight" : tensor<3xf32>
  %e = tensor.empty() : tensor<3xf32>
  %sum = linalg.add ins(%x, %w : tensor<3xf32>, tensor<3xf32>) outs(%e : tensor<3xf32>) -> tensor<3xf32>
  %twice = linalg.add ins(%w, %w : tensor<3xf32>, tensor<3xf32>) outs(%e : tensor<3xf32>) -> tensor<3xf32>
  ml_program.global_store @"fc.weight" = %twice : tensor<3xf32>
  return %sum : tensor<3xf32>
}
func.func @pad_slice(%x: tensor<2x3xf32>) -> (tensor<4x5xf32>, tensor<2x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[1, 1] high[1, 1] {
  ^bb0(%i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<2x3xf32> to tensor<4x5xf32>
  %s = tensor.extract_slice %x[0, 1] [2, 2] [1, 1] : tensor<2x3xf32> to tensor<2x2xf32>
  return %p, %s : tensor<4x5xf32>, tensor<2x2xf32>
}
"""


@pytest.fixture()
def module() -> ir.Module:
    with make_context():
        return ir.Module.parse(MODULE)


def test_call_returns_results_and_updates_globals(module: ir.Module) -> None:
    executable = Executable(module)
    x = np.array([10.0, 20.0, 30.0], np.float32)
    np.testing.assert_array_equal(executable.call("step", x)[0], [11.0, 22.0, 33.0])
    np.testing.assert_array_equal(executable.get_global("fc.weight"), [2.0, 4.0, 6.0])
    # State persists between calls, as it will for training steps.
    np.testing.assert_array_equal(executable.call("step", x)[0], [12.0, 24.0, 36.0])
    np.testing.assert_array_equal(executable.get_global("fc.weight"), [4.0, 8.0, 12.0])
    np.testing.assert_array_equal(executable.get_global("frozen"), [5.0, 5.0])


def test_execute_with_overridden_globals(module: ir.Module) -> None:
    result = execute(module, "step", [np.zeros(3, np.float32)],
                     globals={"fc.weight": np.array([1.0, -1.0, 0.5], np.float32)})
    np.testing.assert_array_equal(result.outputs[0], [1.0, -1.0, 0.5])
    np.testing.assert_array_equal(result.globals["fc.weight"], [2.0, -2.0, 1.0])
    # The caller's module is not changed by running it.
    assert "memref" not in str(module)


def test_pad_and_slice(module: ir.Module) -> None:
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    padded, sliced = Executable(module).call("pad_slice", x)
    np.testing.assert_array_equal(padded, np.pad(x, 1))
    np.testing.assert_array_equal(sliced, x[:, 1:3])


@pytest.mark.parametrize("call, message", [
    (lambda e: e.call("step", np.zeros(4, np.float32)), "@step argument 0 has shape [4], expected [3]"),
    (lambda e: e.call("step"), "@step takes 1 arguments, got 0"),
    (lambda e: e.call("nope"), "module has no function @nope (functions: pad_slice, step)"),
    (lambda e: e.get_global("nope"), "module has no global 'nope'"),
    (lambda e: e.set_global("frozen", np.zeros(2, np.float32)), "global 'frozen' is immutable"),
])
def test_bad_calls_are_user_errors(module: ir.Module, call, message: str) -> None:
    executable = Executable(module)
    with pytest.raises(UserError) as error:
        call(executable)
    assert str(error.value) == message
