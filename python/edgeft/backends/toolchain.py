"""The RV32 toolchain: find the tools, build a bare-metal ELF, run it under QEMU.

The one place that knows the compiler, its flags (METHODS.md, "Toolchains")
and QEMU's command line. The rv32 backend, the kernel measurement
(`edgeft.estimate.kernels`) and the calibration (`edgeft.estimate.calibration`)
all build and run through it:

    elf = build_rv32([source], tmp / "prog.elf", what="the calibration loops")
    run = run_qemu(elf, timeout=120, what="the calibration loops").check()
    counts = parse_counts(run.output)       # {"dot_4acc": [4107], ...}

Programs print through picolibc's semihosting; their stdout reaches QEMU's
stderr, so `QemuRun.output` holds both streams.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from edgeft.ir.errors import UserError

RUNTIME = Path(__file__).resolve().parents[3] / "runtime"

GCC = "riscv64-unknown-elf-gcc"
GCC_PACKAGES = "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf"
QEMU = "qemu-system-riscv32"
QEMU_PACKAGES = "qemu-system-misc"

# rv32imf/ilp32f against picolibc with semihosting; --crt0=hosted makes main's
# return value QEMU's exit status (without it QEMU never exits). The memory
# map is QEMU virt's: flash at 0x80000000, RAM at 0x82000000.
# The generated C writes a product and its sum as two statements; these let
# the compiler fuse them into one fmadd.s (one rounding), as the cores' FPU
# does: half the instructions of a multiply-accumulate. The runtime's libm
# keeps its error-free sums (runtime/pulp/libm.c builds without them).
CONTRACT_FLAGS = ["-ffp-contract=fast"]
RV32_FLAGS = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-march=rv32imf",
              "-mabi=ilp32f", "-mcmodel=medany", "--specs=picolibc.specs", "--oslib=semihost",
              "--crt0=hosted", "-Wl,--defsym=__flash=0x80000000",
              "-Wl,--defsym=__flash_size=0x2000000", "-Wl,--defsym=__ram=0x82000000",
              "-Wl,--defsym=__ram_size=0x6000000"]
QEMU_ARGS = ["-machine", "virt", "-cpu", "rv32", "-m", "256M", "-nographic", "-bios", "none",
             "-monitor", "none", "-serial", "none", "-semihosting-config",
             "enable=on,target=native"]
# Exact, repeatable `minstret` counts (one instruction per virtual nanosecond).
ICOUNT = ["-icount", "shift=0"]


def require_tool(tool: str, packages: str) -> str:
    """The path of `tool`, or a user error naming the Debian packages to install."""
    path = shutil.which(tool)
    if path is None:
        raise UserError(f"'{tool}' is not installed; install it with "
                        f"`sudo apt-get install {packages}`")
    return path


def rv32_gcc() -> str:
    """The path of the RV32 cross compiler (with picolibc)."""
    return require_tool(GCC, GCC_PACKAGES)


def qemu() -> str:
    """The path of qemu-system-riscv32."""
    return require_tool(QEMU, QEMU_PACKAGES)


def compiler_version() -> str:
    """The first line of `riscv64-unknown-elf-gcc --version` (part of cache keys)."""
    gcc = rv32_gcc()
    result = subprocess.run([gcc, "--version"], capture_output=True, text=True, check=False)
    return result.stdout.splitlines()[0] if result.stdout else gcc


# Debian's picolibc copies a byte at a time in memcpy, memmove and memset
# (lb/sb and four more instructions a byte: 6.0 instructions a byte for an
# aligned 4 KiB memcpy, tools/bench/copies.py); every RV32 program links the
# runtime's word-wise ones instead (0.75), the same file the GVSoC program
# links. It is compiled on its own, with -fno-builtin, so that the compiler
# does not turn its loops back into calls to memcpy.
STRING_C = RUNTIME / "pulp" / "string.c"


def build_rv32(sources: Sequence[Path], elf: Path, *, what: str,
               includes: Sequence[Path] = (), extra_flags: Sequence[str] = ()) -> Path:
    """Compile and link `sources` (with libm and the runtime's word-wise
    string functions, STRING_C) into the bare-metal ELF `elf`; a failure is a
    user error naming `what` with the compiler's messages."""
    gcc = rv32_gcc()
    string_o = elf.with_name(elf.name + ".string.o")
    commands = [[gcc, *RV32_FLAGS, "-fno-builtin", "-c", str(STRING_C), "-o", str(string_o)],
                [gcc, *RV32_FLAGS, *extra_flags, *(f"-I{path}" for path in includes),
                 *map(str, sources), str(string_o), "-lm", "-o", str(elf)]]
    for command in commands:
        result = subprocess.run(command, check=False, capture_output=True, text=True)
        if result.returncode != 0:
            raise UserError(f"building {what} failed:\n{result.stderr[-3000:]}")
    return elf


@dataclass(frozen=True)
class QemuRun:
    """How a program ended under QEMU: main's return value and what it printed."""

    what: str
    returncode: int
    output: str   # stdout + stderr (semihosted stdout arrives on stderr)

    def check(self) -> QemuRun:
        """The run itself, or a user error if the program did not return 0."""
        if self.returncode != 0:
            raise UserError(f"{self.what} failed under QEMU (exit {self.returncode}): "
                            f"{self.output.strip()[-2000:]}")
        return self


def run_qemu(elf: Path, *, what: str, timeout: float, cwd: Path | None = None,
             icount: bool = True) -> QemuRun:
    """Run `elf` on QEMU's RISC-V virt machine, in `cwd` (where its semihosted
    files are); `icount` makes instruction counts exact (a little slower)."""
    command = [qemu(), *QEMU_ARGS, *(ICOUNT if icount else []), "-kernel", str(elf.resolve())]
    try:
        result = subprocess.run(command, cwd=cwd, check=False, capture_output=True, text=True,
                                timeout=timeout)
    except subprocess.TimeoutExpired:
        raise UserError(f"{what} did not finish under QEMU within {timeout:.0f} s") from None
    return QemuRun(what, result.returncode, result.stdout + result.stderr)


def parse_counts(output: str) -> dict[str, list[int]]:
    """The lines `NAME COUNT [COUNT ...]` a measuring program prints, by name
    (other lines are ignored)."""
    counts: dict[str, list[int]] = {}
    for line in output.splitlines():
        words = line.split()
        if len(words) >= 2 and all(w.isdigit() for w in words[1:]):
            counts[words[0]] = [int(w) for w in words[1:]]
    return counts
