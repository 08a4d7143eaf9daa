"""Instruction counts of a program's core kernels, measured on RV32 under QEMU.

The performance model (edgeft.estimate.timeline) needs the cycles of every
piece of code the cluster cores run. Each such piece is a *kernel*:

- a `pulp.parallel` region, outlined by the C emitter into
  `static void pN_...(int core_id, void *arg)`;
- a loop nest or a `memref.copy` that runs on one core (outside any
  parallel region); for measuring, it is wrapped into a one-core
  `pulp.parallel` (`wrap_serial`), so the emitter outlines it the same way.

`measure` builds one bare-metal RV32 program holding every kernel not yet
measured, runs it once under `qemu-system-riscv32 -icount shift=0` and reads
`minstret` around each core's slice (the slowest core's count is the
kernel's). Pointer arguments get buffers as large as the buffer they view
(floats filled with values in [0.25, 1.75], integers zero, so gathers stay
in range); scalar arguments are 0, a valid value of every loop index.
Counts are cached by a hash of the kernel's C text, the compiler flags and
the compiler version, in $EDGEFT_CACHE_DIR (default ~/.cache/edgeft).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from torch_mlir import ir

from edgeft.analysis import counts
from edgeft.analysis.flops import FREE_BODY_OPS
from edgeft.backends import toolchain
from edgeft.ir import attrs, queries
from edgeft.ir.errors import UserError
from edgeft.ir.queries import memory_level
from edgeft.ir.types import align

if TYPE_CHECKING:
    from edgeft.codegen.emitter import ParallelKernel

# Part of every cache key: 2 since RV32 programs link the runtime's word-wise
# string functions (toolchain.STRING_C; a fill gcc turns into memset counts less).
HARNESS_VERSION = "2"
SERIAL_ATTR = attrs.SERIAL
CORE_OPS = ("pulp.", "redmule.", "func.call")
# A one-core kernel does not read its core index.
EXTRA_FLAGS = ["-Wno-unused-variable", *toolchain.CONTRACT_FLAGS]
# The float min/max the kernels call (part of a kernel's cache key: its code counts).
MINMAX_HEADER = toolchain.RUNTIME / "include" / "edgeft_minmax.h"


@dataclass(frozen=True)
class Kernel:
    """One kernel ready to measure: its outlined C (named KERNEL), its
    argument struct's fields and the element count behind each pointer."""

    key: str
    text: str
    workers: int
    fields: tuple[tuple[str, bool, int], ...]   # (C type, pointer?, elements)
    # Where each pointer's buffer lives ("" for scalars) and which buffer it
    # views (fields viewing one buffer share a number; -1 for scalars): the
    # GVSoC route places them so (edgeft.estimate.gvsoc_kernels).
    levels: tuple[str, ...] = ()
    roots: tuple[int, ...] = ()
    serial: bool = False


def cache_dir() -> Path:
    """Where compiled kernel measurements are kept: $EDGEFT_CACHE_DIR, else the user cache."""
    env = os.environ.get("EDGEFT_CACHE_DIR")
    base = Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) \
        / "edgeft"
    return base / "kernels"


# --- finding kernels ---------------------------------------------------------------


def wrap_serial(module: ir.Module) -> None:
    """Wrap every loop nest and memref.copy that runs outside a parallel region
    (and holds no DMA, job or region) into `pulp.parallel {cores = 1}`."""
    for op in module.body.operations:
        if op.operation.name == "func.func" and op.regions[0].blocks:
            _wrap_in(op.regions[0].blocks[0])


def _wrap_in(block: ir.Block) -> None:
    for op in list(block.operations):
        op = op.operation
        if op.name in ("scf.for", "scf.execute_region") and not len(op.results) and \
                not _holds_core_control(op):
            _wrap(op)
        elif op.name == "memref.copy":
            _wrap(op)
        elif op.name in ("scf.for", "scf.if"):
            for region in op.regions:
                for inner in region.blocks:
                    _wrap_in(inner)


def _holds_core_control(op: ir.Operation) -> bool:
    """Whether a region holds DMA, RedMulE, a parallel region or a call."""
    return any(inner.name.startswith(CORE_OPS) for inner in queries.nested(op))


def _wrap(op: ir.Operation) -> None:
    i64 = ir.IntegerType.get_signless(64, op.context)
    with op.context, op.location:
        with ir.InsertionPoint(op):
            region = ir.Operation.create("pulp.parallel", regions=1,
                                         attributes={"cores": ir.IntegerAttr.get(i64, 1),
                                                     SERIAL_ATTR: ir.UnitAttr.get()})
        block = region.regions[0].blocks.append(ir.IndexType.get())
        with ir.InsertionPoint(block):
            end = ir.Operation.create("pulp.yield")
    op.move_before(end)


# Kernel classes, in the order they are recognized: what a kernel does that
# decides how its QEMU instruction count turns into cluster cycles (the
# siracusa target's core.class_factors, fitted against GVSoC).
CLASSES = ("f64", "transcendental", "divide_sqrt", "max", "mac", "elementwise", "copy_l1",
           "copy_far")
_TRANSCENDENTAL = {"math.exp", "math.expm1", "math.log", "math.log1p", "math.log2",
                   "math.erf", "math.tanh", "math.powf", "math.atan", "math.sin", "math.cos"}
_DIVIDE_SQRT = {"arith.divf", "math.sqrt", "math.rsqrt"}
_MAX = {"arith.maximumf", "arith.minimumf", "arith.maxnumf", "arith.minnumf"}


def kernel_class(op: ir.Operation) -> str:
    """The class of a kernel (a pulp.parallel), one of CLASSES."""
    inner = queries.nested(op)
    names = {o.name for o in inner}
    f64 = ir.F64Type.get(op.context)
    if any(any(r.type == f64 for r in o.results) for o in inner
           if o.name.startswith(("arith.", "math."))):
        return "f64"
    if names & _TRANSCENDENTAL:
        return "transcendental"
    if names & _DIVIDE_SQRT:
        return "divide_sqrt"
    if names & _MAX:
        return "max"
    if "arith.mulf" in names and "arith.addf" in names:
        return "mac"
    if any(n.startswith("math.") or (n.startswith("arith.") and n.endswith("f")
                                     and n not in FREE_BODY_OPS) for n in names):
        return "elementwise"
    accessed = [o.operands[0 if o.name == "memref.load" else 1].type for o in inner
                if o.name in ("memref.load", "memref.store")]
    accessed += [t for o in inner if o.name == "memref.copy" for t in (o.operands[0].type,
                                                                      o.operands[1].type)]
    far = any(memory_level(t) != "L1" for t in accessed)
    return "copy_far" if far else "copy_l1"


def root_elements(value: ir.Value, globals_: dict[str, ir.OpView]) -> int:
    """Elements of the buffer a view reads (its alloc, global or argument)."""
    value = queries.root_buffer(value)
    owner = queries.producer(value)
    t = value.type
    if owner is not None and owner.name == "memref.get_global":
        glob = globals_[ir.FlatSymbolRefAttr(owner.attributes["name"]).value]
        t = ir.TypeAttr(glob.attributes["type"]).value
    return math.prod(ir.MemRefType(t).shape)


def kernel_of(info: ParallelKernel, globals_: dict[str, ir.OpView], flags: str) -> Kernel:
    """A Kernel from the emitter's record of one outlined parallel region."""
    text = info.text.replace(info.name, "KERNEL")
    sizes = iter([root_elements(v, globals_) for v in info.memrefs])
    fields = tuple((c, pointer, next(sizes) if pointer else 0) for c, pointer in info.fields)
    key = hashlib.sha256("\n".join([HARNESS_VERSION, flags, MINMAX_HEADER.read_text(), text,
                                    repr(fields)]).encode()).hexdigest()[:24]
    roots: list[ir.Value] = []
    memrefs = iter(info.memrefs)
    levels, root_ids = [], []
    for _, pointer in info.fields:
        if not pointer:
            levels.append("")
            root_ids.append(-1)
            continue
        view = next(memrefs)
        levels.append(memory_level(view.type) or counts.home_level(view, globals_))
        root = queries.root_buffer(view)
        if root not in roots:
            roots.append(root)
        root_ids.append(roots.index(root))
    return Kernel(key, text, info.workers, fields, tuple(levels), tuple(root_ids),
                  SERIAL_ATTR in info.op.attributes)


# --- measuring ---------------------------------------------------------------------


def flags_id() -> str:
    """What besides its text decides a kernel's instruction count."""
    return " ".join([toolchain.compiler_version(), *toolchain.RV32_FLAGS, *EXTRA_FLAGS])


@dataclass(frozen=True)
class Measured:
    """Instructions of each kernel (by key) and how many were measured now
    rather than read from the cache."""

    instructions: dict[str, int]
    measured_now: int


def measure(kernels: list[Kernel], use_cache: bool = True, timeout: float = 1800) -> Measured:
    """Instructions of the slowest core's slice of each kernel: from the
    cache, the rest measured in one QEMU run (and cached)."""
    unique = {k.key: k for k in kernels}
    cache = cache_dir()
    found: dict[str, int] = {}
    if use_cache:
        for key in unique:
            path = cache / f"{key}.json"
            if path.is_file():
                found[key] = json.loads(path.read_text())["instructions"]
    missing = [k for key, k in sorted(unique.items()) if key not in found]
    if not missing:
        return Measured(found, 0)
    measured = _run(missing, timeout)
    for key, per_core in measured.items():
        found[key] = max(per_core)
        if use_cache:
            # written whole then renamed: parallel compiles may share the cache
            cache.mkdir(parents=True, exist_ok=True)
            part = cache / f"{key}.json.{os.getpid()}"
            record = {"instructions": max(per_core), "per_core": per_core}
            part.write_text(json.dumps(record) + "\n")
            part.replace(cache / f"{key}.json")
    return Measured(found, len(missing))


def harness(kernels: list[Kernel]) -> str:
    """The C of the measuring program for `kernels`."""
    pool = max((sum(field_bytes(f) for f in k.fields) for k in kernels), default=0)
    parts = [_PRELUDE, f"static uint8_t pool[{max(pool, 64)}] __attribute__((aligned(64)));\n"]
    runs = []
    for i, kernel in enumerate(kernels):
        name = f"k{i}"
        parts.append(kernel.text.replace("KERNEL", name))
        setup, offset = [], 0
        names = field_names(kernel.text)
        for field_name, (c, pointer, elements) in zip(names, kernel.fields, strict=True):
            if not pointer:
                setup.append(f"    args.{field_name} = 0;")
                continue
            base = c.replace("const ", "")
            setup.append(f"    args.{field_name} = ({c} *)(pool + {offset});")
            setup.append(f"    fill_{fill_kind(base)}(pool + {offset}, {elements}, "
                         f"sizeof({base}));")
            offset += field_bytes((c, pointer, elements))
        parts.append(f"static void run_{name}(void)\n{{\n    struct {name}_args args;\n"
                     + "\n".join(setup) + f"\n    measure(\"{kernel.key}\", {kernel.workers}, "
                     f"{name}, &args);\n}}\n")
        runs.append(f"    run_{name}();")
    parts.append("int main(void)\n{\n" + "\n".join(runs) + "\n    return 0;\n}\n")
    return "\n".join(parts)


# The fills of a measuring program's buffers (both routes): floats 0.25..1.75,
# integers zero, so gathers stay in range.
FILLS = """__attribute__((unused)) static void fill_float(uint8_t *p, long n, size_t size)
{
    for (long i = 0; i < n; ++i) {
        float v = 0.25f + (float)(i % 13) * 0.125f;
        if (size == sizeof(double)) {
            double d = v;
            memcpy(p + i * size, &d, sizeof d);
        } else {
            memcpy(p + i * size, &v, sizeof v);
        }
    }
}

__attribute__((unused)) static void fill_zero(uint8_t *p, long n, size_t size)
{
    memset(p, 0, (size_t)n * size);
}
"""

_PRELUDE = """/* Generated by edgeft.estimate.kernels: instruction counts of kernels. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeft_minmax.h"

void edgeft_rt_barrier(void) {}
/* A copy that may touch L3: here, where every level is memory, memcpy. */
__attribute__((unused)) static void edgeft_rt_copy(void *dst, const void *src, size_t bytes)
{
    memcpy(dst, src, bytes);
}
_Noreturn void edgeft_rt_fail(const char *message)
{
    fprintf(stderr, "kernel failed: %s\\n", message);
    exit(3);
}

static inline uint32_t instret(void)
{
    uint32_t value;
    __asm__ volatile("csrr %0, minstret" : "=r"(value));
    return value;
}

""" + FILLS + """
static void measure(const char *key, int cores, void (*fn)(int, void *), void *arg)
{
    printf("%s", key);
    for (int core = 0; core < cores; ++core) {
        uint32_t start = instret();
        fn(core, arg);
        uint32_t end = instret();
        printf(" %lu", (unsigned long)(end - start));
    }
    printf("\\n");
}
"""

C_SIZES = {"float": 4, "double": 8, "int64_t": 8, "int32_t": 4, "int16_t": 2, "int8_t": 1,
           "uint8_t": 1, "uint16_t": 2, "uint32_t": 4, "uint64_t": 8, "bool": 1, "long": 4}


def field_bytes(field_: tuple[str, bool, int]) -> int:
    """Bytes of the buffer behind a pointer field (aligned; 0 for a scalar)."""
    c, pointer, elements = field_
    if not pointer:
        return 0
    size = C_SIZES.get(c.replace("const ", ""), 8)
    return align(elements * size)


def fill_kind(c: str) -> str:
    """Which fill a buffer of C type `c` gets: floats for float and double, else zeros."""
    return "float" if c in ("float", "double") else "zero"


def field_names(text: str) -> list[str]:
    """The field names of a kernel's argument struct, in order."""
    struct = text.split("};", 1)[0]
    return re.findall(r"(\w+);", struct)


def _run(kernels: list[Kernel], timeout: float) -> dict[str, list[int]]:
    what = "the kernel measurement program"
    with tempfile.TemporaryDirectory(prefix="edgeft-kernels-") as tmp:
        source = Path(tmp) / "kernels.c"
        source.write_text(harness(kernels))
        elf = toolchain.build_rv32([source], Path(tmp) / "kernels.elf", what=what,
                                   includes=[MINMAX_HEADER.parent], extra_flags=EXTRA_FLAGS)
        ran = toolchain.run_qemu(elf, what=what, timeout=timeout)
    out = toolchain.parse_counts(ran.output)
    if ran.returncode != 0 or len(out) != len(kernels):
        raise UserError(f"measuring kernels under QEMU failed (exit {ran.returncode}, "
                        f"{len(out)} of {len(kernels)} measured): "
                        f"{ran.output.strip()[-1500:]}")
    return out
