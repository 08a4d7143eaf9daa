"""The runtime's float min/max (runtime/include/edgeft_minmax.h): the exact
semantics of arith.maximumf / minimumf (NaN in, NaN out; -0 < +0) and
maxnumf / minnumf (a NaN operand gives the other one; -0 < +0), on the host
(plain C) and under QEMU (fmax.s / fmin.s of RV32 F); and that RV32 gcc and
the cluster's clang (Zfinx) compile them to the instructions, not to calls.
"""

from __future__ import annotations

import math
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from edgeft.backends import toolchain

ROOT = Path(__file__).resolve().parents[1]
CHECK = ROOT / "tests" / "c" / "minmax_check.c"
INCLUDE = ROOT / "runtime" / "include"
PAIRS = 12 * 12
USE = '''#include "edgeft_minmax.h"
float use_maximum(float a, float b) { return edgeft_maximumf(a, b); }
float use_minimum(float a, float b) { return edgeft_minimumf(a, b); }
float use_maxnum(float a, float b) { return edgeft_maxnumf(a, b); }
float use_minnum(float a, float b) { return edgeft_minnumf(a, b); }
'''


def _float(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def _expected(a: float, b: float, largest: bool, propagate: bool) -> float | None:
    """The result the op must give (None: any NaN)."""
    if math.isnan(a) and math.isnan(b):
        return None
    if math.isnan(a) or math.isnan(b):
        return None if propagate else (b if math.isnan(a) else a)
    if a == b == 0.0:  # -0 < +0
        negative = math.copysign(1, a) < 0 and math.copysign(1, b) < 0 if largest \
            else math.copysign(1, a) < 0 or math.copysign(1, b) < 0
        return -0.0 if negative else 0.0
    return max(a, b) if largest else min(a, b)


def _check(output: str) -> None:
    rows = re.findall(r"^pair ((?:[0-9a-f]{8} ?){6})$", output, re.MULTILINE)
    assert len(rows) == PAIRS, output[-2000:]
    ops = [("maximumf", True, True), ("minimumf", False, True),
           ("maxnumf", True, False), ("minnumf", False, False)]
    for row in rows:
        a_bits, b_bits, *results = (int(w, 16) for w in row.split())
        a, b = _float(a_bits), _float(b_bits)
        for (name, largest, propagate), bits in zip(ops, results, strict=True):
            want, got = _expected(a, b, largest, propagate), _float(bits)
            where = f"{name}({a_bits:08x}, {b_bits:08x}) = {bits:08x}"
            if want is None:
                assert math.isnan(got), where
            else:  # bit for bit: the sign of a zero counts, and a number stays itself
                assert bits == struct.unpack("<I", struct.pack("<f", want))[0], where


def test_host_semantics(tmp_path: Path) -> None:
    exe = tmp_path / "minmax"
    subprocess.run(["gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{INCLUDE}",
                    str(CHECK), "-o", str(exe)], check=True)
    _check(subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout)


def test_rv32_semantics_under_qemu(tmp_path: Path) -> None:
    elf = toolchain.build_rv32([CHECK], tmp_path / "minmax.elf", what="minmax_check",
                               includes=[INCLUDE])
    _check(toolchain.run_qemu(elf, what="minmax_check", timeout=60, icount=False).check().output)


def _assembly(tmp_path: Path, command: list[str]) -> dict[str, str]:
    source = tmp_path / "use.c"
    source.write_text(USE)
    out = tmp_path / "use.s"
    subprocess.run([*command, f"-I{INCLUDE}", "-S", str(source), "-o", str(out)], check=True,
                   capture_output=True)
    text = out.read_text()
    return {name: text[text.index(f"use_{name}:"):] for name in
            ("maximum", "minimum", "maxnum", "minnum")}


def _instructions_not_calls(functions: dict[str, str]) -> None:
    for name, body in functions.items():
        body = body[:body.index(".size")]
        instruction = "fmax.s" if "max" in name else "fmin.s"
        assert instruction in body, body
        assert not re.search(r"\b(call|tail|jal)\b", body), body


def test_rv32_gcc_emits_fmax_s(tmp_path: Path) -> None:
    _instructions_not_calls(_assembly(tmp_path, [
        toolchain.rv32_gcc(), "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror",
        "-march=rv32imf", "-mabi=ilp32f"]))


def test_cluster_clang_emits_fmax_s(tmp_path: Path) -> None:
    pytest.importorskip("ziglang", reason="the ziglang wheel (the gvsoc extra) builds cluster code")
    _instructions_not_calls(_assembly(tmp_path, [
        sys.executable, "-m", "ziglang", "cc", "-target", "riscv32-freestanding-none",
        "-mcpu=generic_rv32+m+c+zfinx", "-std=c11", "-O2", "-ffreestanding", "-fno-builtin",
        "-Wall", "-Wextra", "-Werror",
        "-Wno-unused-command-line-argument"]))  # zig passes -c along with -S


VECTOR_CHECK = ROOT / "tests" / "c" / "vector_minmax_check.c"


@pytest.mark.parametrize("arch", [[], ["-march=native"]])
def test_host_vector_forms_agree_with_the_scalar_ones(tmp_path: Path, arch: list[str]) -> None:
    """EDGEFT_VMAXIMUMF / VMINIMUMF (edgeft_vector.h, the host's vector blocks)
    give every lane the bits edgeft_maximumf / minimumf give its pair, NaNs
    and signed zeros included, with SSE only and with the machine's vectors."""
    exe = tmp_path / "vector_minmax"
    subprocess.run(["gcc", "-std=gnu11", "-O2", *arch, "-ffp-contract=off", "-Wall", "-Wextra",
                    "-Werror", f"-I{INCLUDE}", str(VECTOR_CHECK), "-o", str(exe)], check=True)
    output = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    rows = re.findall(r"^pair ((?:[0-9a-f]{8} ?){6})$", output, re.MULTILINE)
    assert len(rows) == PAIRS, output[-2000:]
    for row in rows:
        a, b, scalar_max, vector_max, scalar_min, vector_min = row.split()
        assert vector_max == scalar_max, f"maximumf({a}, {b})"
        assert vector_min == scalar_min, f"minimumf({a}, {b})"
