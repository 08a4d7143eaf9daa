"""The rv32 backend: the emitted C on RISC-V (QEMU virt) against the host.

Tolerance 1e-5 relative: both run the same C in float32, but picolibc's
expf/logf and the RV32 code generation round differently from glibc on
x86-64 in the last bits (measured: 4e-8 to 1.4e-7 after 3 steps).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from edgeft.backends import rv32
from edgeft.backends.host import HostProgram
from edgeft.driver.compiler import CompileOptions, compile_model, write_build
from edgeft.driver.run import run
from edgeft.ir.errors import UserError

REL_TOL = 1e-5


@pytest.mark.parametrize("strategy", ["ft-last", "lora-all"])
def test_three_steps_equal_the_host(tmp_path: Path, strategy: str) -> None:
    write_build(compile_model("lenet5", CompileOptions(strategy=strategy, batch=4)), tmp_path)
    host = HostProgram.build(tmp_path)
    host.init()
    rng = np.random.default_rng(5)
    batches = [(rng.random((4, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 4))
               for _ in range(3)]
    expected = [host.train_step(x, y) for x, y in batches]
    result = rv32.run_steps(tmp_path, batches)
    np.testing.assert_allclose(result.losses, expected, rtol=REL_TOL)
    for name, value in host.parameters().items():
        np.testing.assert_allclose(result.parameters[name], value, rtol=0,
                                   atol=REL_TOL * np.abs(value).max(), err_msg=name)
    # Exact instruction counts (QEMU -icount): the same work every step.
    assert all(c > 1_000_000 for c in result.instructions)
    assert max(result.instructions) - min(result.instructions) < 0.01 * max(result.instructions)


def test_run_on_rv32_writes_instruction_counts(tmp_path: Path, monkeypatch) -> None:
    write_build(compile_model("lenet5", CompileOptions(strategy="skip-lora")), tmp_path)
    # rv32 builds only its own program: no CMake, no host library.
    which = shutil.which
    monkeypatch.setattr("edgeft.backends.toolchain.shutil.which",
                        lambda tool: None if tool == "cmake" else which(tool))
    metrics = run(tmp_path, "fmnist-rot:30", samples=40, epochs=1, backend="rv32",
                  progress=False)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["backend"] == "rv32" and len(saved["instructions_per_step"]) == 2
    assert len(saved["loss_per_step"]) == 2 and 0 <= metrics.accuracy_after <= 1
    assert not (tmp_path / "host").exists()


def test_missing_toolchain_says_how_to_install(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("edgeft.backends.toolchain.shutil.which", lambda tool: None)
    write_build(compile_model("mlp", CompileOptions(strategy="ft-last", batch=2)), tmp_path)
    with pytest.raises(UserError, match="sudo apt-get install gcc-riscv64-unknown-elf "
                                        "picolibc-riscv64-unknown-elf"):
        rv32.build_elf(tmp_path)
    with pytest.raises(UserError, match="sudo apt-get install qemu-system-misc"):
        rv32.run_steps(tmp_path, [])
