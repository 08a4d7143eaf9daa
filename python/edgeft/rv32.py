"""The rv32 backend: the emitted C, bare metal on QEMU's RISC-V virt machine.

Built with Debian's riscv64-unknown-elf-gcc for rv32imf/ilp32f against
picolibc with semihosting (flags from METHODS.md), run with
qemu-system-riscv32 -icount shift=0 so `minstret` counts are exact and
repeatable. Steps go in and results come out through semihosted files in
BUILD/rv32/ (runtime/rv32/main.c says the format).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgeft.errors import UserError
from edgeft.host import ProgramInfo, require_tool

RUNTIME = Path(__file__).resolve().parents[2] / "runtime"
GCC = "riscv64-unknown-elf-gcc"
QEMU = "qemu-system-riscv32"
FLAGS = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-march=rv32imf", "-mabi=ilp32f",
         "-mcmodel=medany", "--specs=picolibc.specs", "--oslib=semihost", "--crt0=hosted",
         "-Wl,--defsym=__flash=0x80000000", "-Wl,--defsym=__flash_size=0x2000000",
         "-Wl,--defsym=__ram=0x82000000", "-Wl,--defsym=__ram_size=0x6000000"]
QEMU_ARGS = ["-machine", "virt", "-cpu", "rv32", "-m", "256M", "-nographic", "-bios", "none",
             "-monitor", "none", "-serial", "none", "-semihosting-config",
             "enable=on,target=native", "-icount", "shift=0"]


PLAIN, FILL_AND_STEP, CACHED_STEP = 0, 1, 2


@dataclass
class Rv32Step:
    """One training step for the rv32 program: on x, or (cached builds) on cache
    rows idx, after filling them from x when `fill`."""

    y: np.ndarray
    x: np.ndarray | None = None
    idx: np.ndarray | None = None
    fill: bool = False

    @property
    def kind(self) -> int:
        if self.idx is None:
            return PLAIN
        return FILL_AND_STEP if self.fill else CACHED_STEP


@dataclass
class Rv32Result:
    losses: list[float]
    instructions: list[int]
    parameters: dict[str, np.ndarray]


def build_elf(build: Path) -> Path:
    """BUILD/rv32/train.elf from the build's C files and the rv32 runtime."""
    gcc = require_tool(GCC, "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf")
    out = build / "rv32"
    out.mkdir(exist_ok=True)
    elf = out / "train.elf"
    sources = [build / "network.c", build / "weights.c", RUNTIME / "rv32" / "main.c",
               RUNTIME / "rv32" / "edgeft_rt_rv32.c", RUNTIME / "common" / "edgeft_rt_models.c"]
    if elf.is_file() and all(elf.stat().st_mtime >= s.stat().st_mtime for s in sources):
        return elf
    command = [gcc, *FLAGS, f"-I{build}", f"-I{RUNTIME / 'include'}", *map(str, sources),
               "-lm", "-o", str(elf)]
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise UserError(f"building the rv32 program failed:\n{result.stderr[-3000:]}")
    return elf


def run_steps(build: Path, batches: list[Rv32Step | tuple[np.ndarray, np.ndarray]],
              parameter_counts: list[tuple[str, int]], timeout: float = 1800) -> Rv32Result:
    """Run the given training steps in QEMU (an (x, y) pair is a plain step);
    returns losses, instruction counts per step (a fill included) and the
    parameters after the last step."""
    info = ProgramInfo.load(build)
    if not info.labels_are_indices:
        raise UserError("the rv32 program takes class labels (cross-entropy builds)")
    steps_in = [s if isinstance(s, Rv32Step) else Rv32Step(x=s[0], y=s[1]) for s in batches]
    if info.cache is None and any(s.kind != PLAIN for s in steps_in):
        raise UserError(f"{build} has no forward cache; compile it with --cache fp32|nf4")
    qemu = require_tool(QEMU, "qemu-system-misc")
    elf = build_elf(build)
    work = build / "rv32"
    with open(work / "edgeft_in.bin", "wb") as f:
        f.write(np.int32(len(steps_in)).tobytes())
        for step in steps_in:
            f.write(np.int32(step.kind).tobytes())
            if step.kind != CACHED_STEP:
                f.write(np.ascontiguousarray(step.x, np.float32).tobytes())
            if step.kind != PLAIN:
                f.write(np.ascontiguousarray(step.idx, np.int32).tobytes())
            f.write(np.ascontiguousarray(step.y, np.int32).tobytes())
    (work / "edgeft_out.bin").unlink(missing_ok=True)
    try:
        result = subprocess.run([qemu, *QEMU_ARGS, "-kernel", str(elf.resolve())], cwd=work,
                                check=False, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise UserError(f"QEMU did not finish within {timeout:.0f} s") from None
    if result.returncode != 0:
        raise UserError(f"the rv32 program failed (exit {result.returncode}): "
                        f"{(result.stdout + result.stderr).strip()[-2000:]}")
    raw = (work / "edgeft_out.bin").read_bytes()
    steps = np.frombuffer(raw[:8 * len(batches)], dtype=[("loss", "<f4"), ("instret", "<u4")])
    values = np.frombuffer(raw[8 * len(batches):], dtype="<f4")
    parameters, offset = {}, 0
    for name, count in parameter_counts:
        parameters[name] = values[offset:offset + count].copy()
        offset += count
    return Rv32Result([float(v) for v in steps["loss"]], [int(v) for v in steps["instret"]],
                      parameters)
