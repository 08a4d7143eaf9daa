"""edgeft-fuse-elementwise on whole training steps: fewer ops, the same numbers.

The pass only moves scalar arithmetic from one loop nest into the next one,
in the same order on the same f32 values, so the training step it gives
must compute bit for bit what the unfused step computes. The reference
executor (upstream lowering, LLVM at -O0, no contraction of multiply-adds)
runs both; any difference is a fusion that changed what was computed.
"""

from __future__ import annotations

import numpy as np
import pytest
from torch_mlir import ir

from edgeft.backends.executor import Executable
from edgeft.driver.compiler import CompileOptions, compile_model
from edgeft.ir.queries import nested
from edgeft.passes.registry import build_pass_manager


def _lowered_to(module: ir.Module, pipeline: str) -> ir.Module:
    with module.context:
        copy = ir.Module.parse(module.operation.get_asm(assume_verified=True,
                                                        enable_debug_info=True))
        build_pass_manager(pipeline, module.context).run(copy.operation)
    return copy


def _arguments(executable: Executable, rng: np.random.Generator) -> list[np.ndarray]:
    arguments = []
    for spec in executable.signatures["train_step"][0]:
        if np.issubdtype(spec.dtype, np.integer):
            arguments.append(rng.integers(0, 10, spec.shape).astype(spec.dtype))
        elif spec.shape == ():
            arguments.append(np.array(0.1, spec.dtype))   # the learning rate, if passed
        else:
            arguments.append(rng.standard_normal(spec.shape).astype(spec.dtype))
    return arguments


@pytest.mark.parametrize("model,strategy", [("cct2", "lora-2"), ("cct2", "ft-2"),
                                            ("lenet5", "ft-all")])
def test_fused_step_equals_unfused_bit_for_bit(model: str, strategy: str) -> None:
    compiled = compile_model(model, CompileOptions(strategy=strategy, batch=2))
    unfused = _lowered_to(compiled.module, "builtin.module(edgeft-demote-f64)")
    fused = _lowered_to(compiled.module,
                        "builtin.module(edgeft-demote-f64,edgeft-fuse-elementwise)")
    before = len(nested(unfused.operation, "linalg.generic"))
    after = len(nested(fused.operation, "linalg.generic"))
    assert after < before
    assert "edgeft.fused" in str(fused)

    rng = np.random.default_rng(0)
    plain, merged = Executable(unfused), Executable(fused)
    values = plain.globals()
    for name, value in values.items():   # LoRA's B = 0 would hide A's gradient
        if name.endswith("lora_B"):
            values[name] = (rng.standard_normal(value.shape) * 0.1).astype(value.dtype)
    for executable in (plain, merged):
        for name, value in values.items():
            executable.set_global(name, value)
    arguments = _arguments(plain, rng)
    outputs = [plain.call("train_step", *arguments), merged.call("train_step", *arguments)]
    for a, b in zip(*outputs, strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.isfinite(outputs[0][0]).all()
    after_plain, after_merged = plain.globals(), merged.globals()
    changed = [n for n in after_plain if not np.array_equal(after_plain[n], values[n])]
    assert changed   # the step trained something
    for name in after_plain:
        np.testing.assert_array_equal(after_plain[name], after_merged[name], err_msg=name)
