"""The backends behind one interface: the registry, the shared RV32 toolchain,
and each backend building only what it runs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from edgeft import backends
from edgeft.backends import toolchain
from edgeft.backends.host import HostProgram
from edgeft.backends.rv32 import Rv32Program
from edgeft.driver.compiler import CompileOptions, compile_model, write_build
from edgeft.estimate import calibration, kernels
from edgeft.ir.errors import UserError

from conftest import run_tool

GCC_MISSING = ("'riscv64-unknown-elf-gcc' is not installed; install it with "
               "`sudo apt-get install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf`")
QEMU_MISSING = ("'qemu-system-riscv32' is not installed; install it with "
                "`sudo apt-get install qemu-system-misc`")


def test_registry_names_each_backend() -> None:
    assert backends.get("host") is HostProgram and backends.get("rv32") is Rv32Program
    assert all(backends.get(name).name == name for name in backends.BACKENDS)


def test_unknown_backend_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"^unknown backend 'nope' \(available: host, rv32, gvsoc\)$"):
        backends.get("nope")
    result = run_tool("edgeft", "run", str(tmp_path), "--data", "fmnist", "--backend", "nope",
                      "--no-progress")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "edgeft: error: unknown backend 'nope' (available: host, rv32, gvsoc)"]


def test_missing_tools_name_their_debian_packages(monkeypatch) -> None:
    monkeypatch.setattr(toolchain.shutil, "which", lambda tool: None)
    with pytest.raises(UserError) as error:
        toolchain.rv32_gcc()
    assert str(error.value) == GCC_MISSING
    with pytest.raises(UserError) as error:
        toolchain.qemu()
    assert str(error.value) == QEMU_MISSING
    # The kernel measurement and the calibration find the compiler the same way.
    with pytest.raises(UserError, match=re.escape(GCC_MISSING)):
        kernels.flags_id()
    with pytest.raises(UserError, match=re.escape(GCC_MISSING)):
        calibration.core_loop_instructions()


def test_parse_counts_reads_named_counts_only() -> None:
    output = "k0 120 118\nkernel failed: x\nk1 7\n\nk2 7 x\n"
    assert toolchain.parse_counts(output) == {"k0": [120, 118], "k1": [7]}


@pytest.fixture(scope="module")
def mlp_build(tmp_path_factory) -> Path:
    build = tmp_path_factory.mktemp("mlp-ft-last")
    write_build(compile_model("mlp", CompileOptions(strategy="ft-last", batch=2)), build)
    return build


def _hide(monkeypatch, *tools: str) -> None:
    which = shutil.which
    monkeypatch.setattr(toolchain.shutil, "which",
                        lambda tool: None if tool in tools else which(tool))


def test_rv32_builds_only_its_program(mlp_build: Path, monkeypatch) -> None:
    _hide(monkeypatch, "cmake", "gcc")
    program = Rv32Program.build(mlp_build)
    assert program.elf.is_file()
    assert not (mlp_build / "host").exists()


def test_host_builds_only_its_library(tmp_path: Path, monkeypatch) -> None:
    write_build(compile_model("mlp", CompileOptions(strategy="ft-last", batch=2)), tmp_path)
    _hide(monkeypatch, toolchain.GCC, toolchain.QEMU)
    HostProgram.build(tmp_path)
    assert not (tmp_path / "rv32").exists()


def test_rv32_predicts_and_takes_parameters_like_the_host(mlp_build: Path) -> None:
    """Parameters written into either backend give the same logits (the same C
    in float32; 1e-5 relative as tests/test_rv32.py says why)."""
    host, rv32 = HostProgram.build(mlp_build), Rv32Program.build(mlp_build)
    host.init()
    rv32.init()
    for name, value in host.parameters().items():
        np.testing.assert_array_equal(rv32.parameters()[name], value, err_msg=name)
    rng = np.random.default_rng(2)
    new = {name: rng.standard_normal(value.size).astype(np.float32)
           for name, value in host.parameters().items()}
    host.write_parameters(new)
    rv32.write_parameters(new)
    x = rng.random((3 * host.info.batch, *host.info.sample_shape)).astype(np.float32)
    expected = host.predict(x)
    assert expected.shape == (3 * host.info.batch, host.info.classes)
    np.testing.assert_allclose(rv32.predict(x), expected, rtol=1e-5,
                               atol=1e-5 * np.abs(expected).max())
    with pytest.raises(UserError, match="has no parameter 'nope'"):
        rv32.write_parameters({"nope": np.zeros(1)})
