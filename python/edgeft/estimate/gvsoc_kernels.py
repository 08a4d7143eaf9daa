"""Cycles of a program's core kernels, measured on GVSoC's Siracusa cluster.

The same kernels as edgeft.estimate.kernels (outlined `pulp.parallel`
regions and one-core loop nests wrapped for measuring), built as the chip
runs them: clang Zfinx code of the ziglang wheel, linked with
runtime/pulp. Each pointer argument gets a buffer in the level its buffer
has in the plan (L1 in the TCDM, L2 in the shared L2 banks, L3 in the
HyperRAM window), views of one buffer share it, floats are filled with
values in [0.25, 1.75] and integers with zeros, scalars are 0. A parallel
kernel runs through `edgeft_rt_fork` on its cores, as the program does; a
one-core kernel is called on core 0. Each kernel runs twice and its
figure is the second pass's cluster cycles (mcycle of core 0 around the
call, the fork's barriers included), with the instruction cache warm as in
a step that repeats.

Figures are cached by a hash of the kernel's C text, its arguments'
levels and sizes and the toolchain (the clang wheel, flags and the
runtime's sources), in $EDGEFT_CACHE_DIR (default ~/.cache/edgeft)
under kernels-gvsoc/.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from edgeft.backends import gvsoc
from edgeft.estimate import kernels
from edgeft.ir.errors import UserError

HARNESS_VERSION = "1"
# Kernels per GVSoC run: their code and the largest kernel's buffers share L2.
CHUNK = 48
LEVELS = ("L1", "L2", "L3")
# What fits beside the cores' stacks and the runtime's fork state in the
# model's 256 KiB of TCDM.
L1_POOL_LIMIT = 220 * 1024


@dataclass(frozen=True)
class Measured:
    """Cluster cycles of each kernel (by its edgeft.estimate.kernels key) and
    how many were measured now rather than read from the cache."""

    cycles: dict[str, int]
    measured_now: int


ROUTES = ("auto", "gvsoc", "qemu")
ROUTE_ENV = "EDGEFT_KERNEL_CYCLES"


def route(choice: str = "auto") -> Path | None:
    """The gvsoc launcher to measure kernels with, or None for the QEMU route.

    "gvsoc" needs GVSoC (a user error naming how to get it otherwise);
    "qemu" counts instructions under QEMU; "auto" takes $EDGEFT_KERNEL_CYCLES
    when set, else GVSoC when it and the ziglang wheel are found."""
    if choice == "auto":
        choice = os.environ.get(ROUTE_ENV, "auto")
    if choice not in ROUTES:
        raise UserError(f"kernel cycles from '{choice}': expected one of {', '.join(ROUTES)} "
                        f"(--kernel-cycles or {ROUTE_ENV})")
    if choice == "qemu":
        return None
    try:
        gvsoc.zig()
        return gvsoc.find_gvsoc()
    except UserError:
        if choice == "gvsoc":
            raise
        return None


def cache_dir() -> Path:
    """Where GVSoC kernel measurements are kept (beside the QEMU ones)."""
    return kernels.cache_dir().parent / "kernels-gvsoc"


def gvsoc_key(kernel: kernels.Kernel, toolchain: str) -> str:
    """The cache key of a kernel's GVSoC figure."""
    text = "\n".join([HARNESS_VERSION, toolchain, kernel.text, repr(kernel.fields),
                      repr(kernel.levels), repr(kernel.roots), str(kernel.workers),
                      str(kernel.serial)])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def measure(found: list[kernels.Kernel], launcher: Path, use_cache: bool = True,
            timeout: float = gvsoc.TIMEOUT) -> Measured:
    """Cycles of each kernel: from the cache, the rest measured on GVSoC (and cached)."""
    toolchain = gvsoc.toolchain_id()
    unique = {k.key: k for k in found}
    keys = {key: gvsoc_key(k, toolchain) for key, k in unique.items()}
    cache = cache_dir()
    out: dict[str, int] = {}
    if use_cache:
        for key, stored in keys.items():
            path = cache / f"{stored}.json"
            if path.is_file():
                out[key] = json.loads(path.read_text())["cycles"]
    missing = [k for key, k in sorted(unique.items()) if key not in out]
    for start in range(0, len(missing), CHUNK):
        chunk = missing[start:start + CHUNK]
        for kernel, passes in zip(chunk, _run(chunk, launcher, toolchain, timeout),
                                  strict=True):
            out[kernel.key] = passes[-1]
            if use_cache:
                # written whole then renamed: parallel compiles may share the cache
                cache.mkdir(parents=True, exist_ok=True)
                part = cache / f"{keys[kernel.key]}.json.{os.getpid()}"
                part.write_text(json.dumps({"cycles": passes[-1], "passes": passes,
                                            "cores": kernel.workers}) + "\n")
                part.replace(cache / f"{keys[kernel.key]}.json")
    return Measured(out, len(missing))


def harness(found: list[kernels.Kernel]) -> str:
    """The C of the measuring program for `found` (cluster code for runtime/pulp)."""
    pools = {level: 64 for level in LEVELS}
    layouts = []
    for kernel in found:
        layout, used = _layout(kernel)
        layouts.append(layout)
        for level in LEVELS:
            pools[level] = max(pools[level], used[level])
    if pools["L1"] > L1_POOL_LIMIT:
        raise UserError(f"a kernel's L1 buffers take {pools['L1']} bytes, more than the "
                        f"{L1_POOL_LIMIT} the measuring program has in L1")
    parts = [_PRELUDE]
    parts += [f"static uint8_t pool_{level}[{pools[level]}] EDGEFT_PLACE({level}) "
              "__attribute__((aligned(64)));" for level in LEVELS]
    runs = []
    for i, (kernel, layout) in enumerate(zip(found, layouts, strict=True)):
        name = f"k{i}"
        parts.append(kernel.text.replace("KERNEL", name))
        setup = []
        names = kernels.field_names(kernel.text)
        for field_name, (c, pointer, elements), (level, offset) in zip(
                names, kernel.fields, layout, strict=True):
            if not pointer:
                setup.append(f"    args.{field_name} = 0;")
                continue
            base = c.replace("const ", "")
            at = f"pool_{level} + {offset}"
            setup.append(f"    args.{field_name} = ({c} *)({at});")
            if level != "L3":   # the cores cannot store to L3, and a copy does not care
                setup.append(f"    fill_{kernels.fill_kind(base)}({at}, {elements}, "
                             f"sizeof({base}));")
        parts.append(f"static void run_{name}(void)\n{{\n    struct {name}_args args;\n"
                     + "\n".join(setup) + f"\n    measure(\"{kernel.key}\", {kernel.workers}, "
                     f"{int(kernel.serial)}, {name}, &args);\n}}\n")
        runs.append(f"    run_{name}();")
    parts.append("int edgeft_pulp_main(void)\n{\n" + "\n".join(runs)
                 + '\n    edgeft_pulp_put("EDGEFT end 0\\n");\n    return 0;\n}\n')
    return "\n".join(parts)


def _layout(kernel: kernels.Kernel) -> tuple[list[tuple[str, int]], dict[str, int]]:
    """Each field's (level, offset in that level's pool); bytes used per level."""
    used = dict.fromkeys(LEVELS, 0)
    at: dict[int, tuple[str, int]] = {}
    layout = []
    for field_, level, root in zip(kernel.fields, kernel.levels, kernel.roots, strict=True):
        if not field_[1]:
            layout.append(("", 0))
            continue
        if root not in at:
            at[root] = (level, used[level])
            used[level] += kernels.field_bytes(field_)
        layout.append(at[root])
    return layout, used


_PRELUDE = """/* Generated by edgeft.estimate.gvsoc_kernels: cluster cycles of kernels. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "edgeft_rt.h"

void edgeft_pulp_put(const char *s);
void edgeft_pulp_put_unsigned(uint32_t value);

""" + kernels.FILLS + """
/* Two passes of a kernel: the second's cycles count, the first warms the
 * instruction cache. */
static void measure(const char *key, int cores, int serial, void (*fn)(int, void *),
                    void *arg)
{
    edgeft_pulp_put("EDGEFT kernel ");
    edgeft_pulp_put(key);
    for (int pass = 0; pass < 2; ++pass) {
        const uint32_t start = (uint32_t)edgeft_rt_cycles();
        if (serial)
            fn(0, arg);
        else
            edgeft_rt_fork(cores, fn, arg);
        const uint32_t end = (uint32_t)edgeft_rt_cycles();
        edgeft_pulp_put(" ");
        edgeft_pulp_put_unsigned(end - start);
    }
    edgeft_pulp_put("\\n");
}
"""


def _run(chunk: list[kernels.Kernel], launcher: Path, toolchain: str,
         timeout: float) -> list[list[int]]:
    """Both passes' cycles of each kernel of `chunk`, in one GVSoC run."""
    with tempfile.TemporaryDirectory(prefix="edgeft-gvsoc-kernels-") as tmp:
        work = Path(tmp)
        source = work / "harness.c"
        source.write_text(harness(chunk))
        # the runtime's objects, once per toolchain
        runtime = (cache_dir().parent / "gvsoc-runtime"
                   / hashlib.sha256(toolchain.encode()).hexdigest()[:16])
        runtime.mkdir(parents=True, exist_ok=True)
        objects = gvsoc.compile_sources(gvsoc.runtime_sources(), runtime)
        objects += gvsoc.compile_sources(
            [gvsoc.Source(source, gvsoc.CLUSTER_CPU, gvsoc.cluster_includes(),
                          tuple(kernels.EXTRA_FLAGS))], work)
        elf = gvsoc.link_objects(objects, work / "kernels.elf",
                                 what="linking the kernel measurement program")
        text = gvsoc.run_gvsoc(launcher, elf, work / "run", timeout)
    measured: dict[str, list[int]] = {}
    ended = False
    for line in text.splitlines():
        words = line.split()
        if words[:2] == ["EDGEFT", "kernel"] and len(words) == 5:
            measured[words[2]] = [int(w) for w in words[3:]]
        ended = ended or words[:3] == ["EDGEFT", "end", "0"]
    if not ended or any(k.key not in measured for k in chunk):
        raise UserError(f"measuring kernels on GVSoC failed ({len(measured)} of {len(chunk)} "
                        f"measured): {text.strip()[-1500:]}")
    return [measured[k.key] for k in chunk]

