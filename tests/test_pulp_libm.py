"""runtime/pulp's libm and string functions: accuracy on the host, a clean
object for the cluster cores, and the same bits on a GVSoC cluster core.

The library is built for the host under the prefix edgeft_ (EDGEFT_LIBM_PREFIX,
see runtime/pulp/include/math.h) so a C harness calls it next to glibc, whose
functions one precision up (double for float, long double for double) are the
reference. Error bounds are in ulp against the exact value: below 1.5 means
within 1 ulp of the correctly rounded result.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

ROOT = Path(__file__).resolve().parents[1]
PULP = ROOT / "runtime" / "pulp"
INCLUDE = PULP / "include"
CDIR = Path(__file__).resolve().parent / "c"
HOST_CFLAGS = ["-std=c11", "-O2", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror"]
PREFIX = "-DEDGEFT_LIBM_PREFIX=edgeft_"
CLUSTER_FLAGS = ["-target", "riscv32-freestanding-none", "-mcpu=generic_rv32+m+c+zfinx", "-O2",
                 "-ffreestanding", "-fno-builtin", "-ffp-contract=off", "-std=c11", "-Wall",
                 "-Wextra", "-Werror"]

# Maximum error in ulp (docs/pulp-libm.md), rounded up to 0.05: for the float
# functions of one argument over all floats (sin/cos: |x| < 2^17) and sampled runs,
# for the others over sampled runs with 4 * 10^4, 2 * 10^5 and 10^6 points per
# range. The test runs 4 * 10^4 per range with the same generator.
BOUNDS = {
    "expf": 1.0, "exp2f": 1.0, "expm1f": 1.3, "logf": 1.0, "log2f": 1.3, "log1pf": 1.0,
    "sinf": 0.8, "cosf": 0.8, "atanf": 1.25, "tanhf": 1.5, "erff": 1.05, "sqrtf": 0.501,
    "powf": 0.9, "fabsf": 0.0, "floorf": 0.0, "ceilf": 0.0, "truncf": 0.0, "fmaxf": 0.0,
    "fminf": 0.0, "fmaf": 0.0,
    "exp": 0.95, "exp2": 1.05, "expm1": 1.25, "log": 1.0, "log2": 1.25, "log1p": 0.95,
    "sin": 0.8, "cos": 0.8, "atan": 1.1, "tanh": 1.45, "erf": 1.5, "sqrt": 0.501,
    "pow": 1.15, "fabs": 0.0, "floor": 0.0, "ceil": 0.0, "trunc": 0.0, "fmax": 0.0,
    "fmin": 0.0, "fma": 0.0,
    # the floats and doubles nearest k pi/2, k < 2 * 10^6, and their neighbours
    "sinf_near_pio2": 0.65, "cosf_near_pio2": 0.65, "sin_near_pio2": 0.501,
    "cos_near_pio2": 0.501,
    # pow with y log2 x over the whole range of finite results
    "powf_wide": 0.9, "pow_wide": 1.55,
}
LIBM_FUNCTIONS = sorted(name for name in BOUNDS if "_near_" not in name and "_wide" not in name)
STRING_FUNCTIONS = ["memcpy", "memmove", "memset", "memcmp", "strlen"]
# compiler-rt's soft-float and 64-bit integer helpers (__adddf3, __extendsfdf2, __fixdfdi, ...)
COMPILER_RT = re.compile(r"^__[a-z]+(sf|df|si|di)\d?$")


def run(cmd: list[str], timeout: float = 300, **kwargs: object) -> subprocess.CompletedProcess:
    """Run a command, failing the test with its output when it exits non-zero."""
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False,
                          **kwargs)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}"
    return proc


def zig_cc() -> list[str]:
    """The clang of the ziglang wheel, or a skip when the wheel is not installed."""
    if importlib.util.find_spec("ziglang") is None:
        pytest.skip("ziglang (PyPI ziglang==0.17.1) is not installed: no compiler for the cluster")
    return [sys.executable, "-m", "ziglang", "cc"]


def gvsoc_binary() -> Path:
    """GVSoC from EDGEFT_GVSOC, else ../shared/gvsoc beside the repository, or a skip."""
    env = os.environ.get("EDGEFT_GVSOC")
    path = Path(env) if env else ROOT.parent / "shared" / "gvsoc" / "install" / "bin" / "gvsoc"
    if not path.is_file():
        pytest.skip(f"GVSoC not found at {path} (set EDGEFT_GVSOC to the gvsoc launcher)")
    return path


@pytest.fixture(scope="module")
def host_objects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """libm.c and string.c compiled for the host with the edgeft_ prefix."""
    out = tmp_path_factory.mktemp("pulp_host")
    objects = {}
    for name in ("libm", "string"):
        obj = out / f"{name}.o"
        run(["gcc", *HOST_CFLAGS, "-fno-builtin", PREFIX, "-I", str(INCLUDE), "-c",
             str(PULP / f"{name}.c"), "-o", str(obj)])
        objects[name] = obj
    return objects


def test_libm_accuracy_on_host(host_objects: dict[str, Path], tmp_path: Path) -> None:
    exe = tmp_path / "ulp"
    run(["gcc", *HOST_CFLAGS, str(CDIR / "pulp_libm_ulp.c"), str(host_objects["libm"]), "-lm",
         "-o", str(exe)])
    lines = run([str(exe), "40000"]).stdout.split()
    measured = {name: (float(err), x, y) for name, err, x, y in zip(*[iter(lines)] * 4,
                                                                    strict=True)}
    assert sorted(measured) == sorted(BOUNDS)
    # each bound is the measured maximum of docs/pulp-libm.md; a NaN, infinity or
    # signed-zero mismatch counts as an infinite error
    too_far = {name: measured[name] for name, bound in BOUNDS.items() if measured[name][0] > bound}
    assert not too_far, f"over the bound (ulp, worst arguments): {too_far}"


def test_string_functions_all_alignments(host_objects: dict[str, Path], tmp_path: Path) -> None:
    exe = tmp_path / "strcheck"
    run(["gcc", *HOST_CFLAGS, str(CDIR / "pulp_string_check.c"), str(host_objects["string"]),
         "-o", str(exe)])
    assert run([str(exe)]).stdout.strip() == "ok"


def undefined_and_defined(obj: Path) -> tuple[set[str], set[str]]:
    """Undefined and defined global symbol names of an object file."""
    with obj.open("rb") as f:
        symtab = ELFFile(f).get_section_by_name(".symtab")
        undefined, defined = set(), set()
        for sym in symtab.iter_symbols():
            if not sym.name or sym["st_info"]["bind"] == "STB_LOCAL":
                continue
            (undefined if sym["st_shndx"] == "SHN_UNDEF" else defined).add(sym.name)
    return undefined, defined


def section_words(obj: Path, section: str) -> list[int]:
    """The 32-bit little-endian words at every halfword of a section (RVC mixes sizes)."""
    with obj.open("rb") as f:
        data = ELFFile(f).get_section_by_name(section).data()
    return [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data) - 3, 2)]


def relocation_targets(obj: Path, section: str) -> set[str]:
    """Names of the symbols that the relocations of one section refer to."""
    with obj.open("rb") as f:
        elf = ELFFile(f)
        rela = elf.get_section_by_name(f".rela{section}")
        if rela is None:
            return set()
        symtab = elf.get_section(rela["sh_link"])
        return {symtab.get_symbol(r["r_info_sym"]).name for r in rela.iter_relocations()}


def test_cluster_objects_need_only_compiler_rt(tmp_path: Path) -> None:
    cc = zig_cc()
    objects = {}
    for name in ("libm", "string"):
        obj = tmp_path / f"{name}.o"
        run([*cc, *CLUSTER_FLAGS, "-ffunction-sections", "-I", str(INCLUDE), "-c",
             str(PULP / f"{name}.c"), "-o", str(obj)])
        objects[name] = obj
    libm_undef, libm_def = undefined_and_defined(objects["libm"])
    string_undef, string_def = undefined_and_defined(objects["string"])
    assert set(LIBM_FUNCTIONS) <= libm_def
    assert set(STRING_FUNCTIONS) <= string_def
    assert {s for s in libm_undef | string_undef if not COMPILER_RT.match(s)} == set()
    # the string functions never call themselves (loop idioms turned back into calls)
    for name in STRING_FUNCTIONS:
        assert relocation_targets(objects["string"], f".text.{name}") & set(STRING_FUNCTIONS) == set()
    # sqrtf is fsqrt.s, fmaf is fmadd.s (clang would call fmaf for __builtin_fmaf on Zfinx)
    assert any(w & 0xFFF0007F == 0x58000053 for w in section_words(objects["libm"], ".text.sqrtf"))
    assert any(w & 0x0600007F == 0x43 for w in section_words(objects["libm"], ".text.fmaf"))
    assert "fmaf" not in relocation_targets(objects["libm"], ".text.fmaf")


# Bare-metal start for the probe: stack, zeroed .bss, main, exit code to the SoC.
CRT0 = """\
    .section .text.start
    .globl _start
_start:
    la   sp, __stack_top
    la   t0, __bss_start
    la   t1, __bss_end
1:  bgeu t0, t1, 2f
    sw   zero, 0(t0)
    addi t0, t0, 4
    j    1b
2:  call main
    li   t0, 0x1A1040A0
    li   t1, 0x80000000
    or   a0, a0, t1
    sw   a0, 0(t0)
3:  j    3b
"""
# Everything in shared L2 (siracusa map, ../shared/gvsoc/FACTS.md).
LINK_LD = """\
OUTPUT_ARCH(riscv)
ENTRY(_start)
MEMORY { L2 (rwx) : ORIGIN = 0x1C010000, LENGTH = 0x70000 }
SECTIONS {
  .text : { *(.text.start) *(.text*) } > L2
  .rodata : { *(.rodata*) *(.srodata*) } > L2
  .data : { *(.data*) *(.sdata*) } > L2
  .bss (NOLOAD) : { . = ALIGN(4); __bss_start = .; *(.bss*) *(.sbss*) *(COMMON)
                    . = ALIGN(4); __bss_end = .; } > L2
  __stack_top = 0x1C080000;
}
"""
PROBE_LINE = re.compile(r"^\d+ [0-9a-f]{8}$")


def test_gvsoc_cluster_core_matches_host(tmp_path: Path) -> None:
    cc = zig_cc()
    gvsoc = gvsoc_binary()
    sources = [str(CDIR / "pulp_libm_probe.c"), str(PULP / "libm.c"), str(PULP / "string.c")]
    host_exe = tmp_path / "probe_host"
    run(["gcc", *HOST_CFLAGS, "-fno-builtin", PREFIX, "-I", str(INCLUDE), *sources, "-lm", "-o",
         str(host_exe)])
    expected = run([str(host_exe)]).stdout.splitlines()

    (tmp_path / "crt0.S").write_text(CRT0)
    (tmp_path / "link.ld").write_text(LINK_LD)
    elf = tmp_path / "probe.elf"
    # without -nostdlib: zig links its compiler-rt (the double soft-float helpers)
    run([*cc, *CLUSTER_FLAGS, "-I", str(INCLUDE), "-T", str(tmp_path / "link.ld"),
         str(tmp_path / "crt0.S"), *sources, "-o", str(elf)])
    workdir = tmp_path / "gvsoc"
    workdir.mkdir()
    # the launcher is Python and needs this interpreter's packages first on PATH
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = run([str(gvsoc), "--target=siracusa", "--binary", str(elf.resolve()), "--work-dir",
                str(workdir.resolve()), "run"], timeout=120, env=env)
    got = [line for line in proc.stdout.splitlines() if PROBE_LINE.match(line)]
    assert len(expected) > 300
    assert got == expected
    shutil.rmtree(workdir, ignore_errors=True)
