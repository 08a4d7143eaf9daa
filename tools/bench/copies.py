"""Benchmark: RV32 instructions per byte of the copies an emitted program makes.

    .venv/bin/python tools/bench/copies.py [-o tools/bench/results/copies.json]

Builds one small RV32 program twice, against picolibc's string functions
(Debian's build: a byte at a time) and against the runtime's word-wise ones
(runtime/pulp/string.c, which every RV32 and GVSoC program links), and runs
both under QEMU with exact instruction counts (`-icount shift=0`, minstret
around each copy, less the cost of reading minstret). Copies: memcpy of 4 KiB
through a pointer the compiler cannot see through (what the runtime's copies
and the DMA model call), aligned and mutually misaligned, memset of 4 KiB, a
40-byte memcpy (a bias vector), and the runtime's edgeft_rt_copy and 1-D DMA
model of 4 KiB. Prints instructions per byte for each and writes them as JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))

from edgeft.backends import toolchain  # noqa: E402

PROGRAM = r"""
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "edgeft_rt.h"

static uint32_t src[1024 + 4], dst[1024 + 4];
static void *(*volatile copy)(void *, const void *, size_t) = memcpy;
static void *(*volatile fill)(void *, int, size_t) = memset;

static inline uint32_t instret(void)
{
    uint32_t v;
    __asm__ volatile("csrr %0, minstret" : "=r"(v));
    return v;
}

#define MEASURE(name, bytes, statement)                                          \
    do {                                                                         \
        uint32_t a = instret(), b = instret(), empty = b - a;                    \
        a = instret();                                                           \
        statement;                                                               \
        b = instret();                                                           \
        printf("%s %lu %lu\n", name, (unsigned long)(b - a - empty),             \
               (unsigned long)(bytes));                                          \
    } while (0)

int main(void)
{
    for (int i = 0; i < 1024; ++i)
        src[i] = (uint32_t)i * 2654435761u;
    MEASURE("memcpy_4k_aligned", 4096, copy(dst, src, 4096));
    MEASURE("memcpy_4k_misaligned", 4096, copy((char *)dst + 1, (char *)src + 3, 4096));
    MEASURE("memset_4k", 4096, fill(dst, 0, 4096));
    MEASURE("memcpy_40_aligned", 40, copy(dst, src, 40));
    MEASURE("edgeft_rt_copy_4k", 4096, edgeft_rt_copy(dst, src, 4096));
    MEASURE("dma_1d_4k", 4096, edgeft_rt_dma_wait(edgeft_rt_dma_start_1d(dst, src, 4096)));
    return memcmp(dst, src, 4096) == 0 ? 0 : 1;
}
"""


def measure(tmp: Path, word_wise: bool) -> dict[str, float]:
    """Instructions per byte of each copy, with the runtime's string functions
    (`word_wise`) or with picolibc's."""
    source = tmp / "copies.c"
    source.write_text(PROGRAM)
    runtime = toolchain.RUNTIME
    sources = [source, runtime / "rv32" / "edgeft_rt_rv32.c",
               runtime / "common" / "edgeft_rt_models.c"]
    elf = tmp / ("word.elf" if word_wise else "picolibc.elf")
    if word_wise:
        toolchain.build_rv32(sources, elf, what="the copy benchmark",
                             includes=[runtime / "include"])
    else:
        subprocess.run([toolchain.rv32_gcc(), *toolchain.RV32_FLAGS,
                        f"-I{runtime / 'include'}", *map(str, sources), "-lm", "-o", str(elf)],
                       check=True)
    run = toolchain.run_qemu(elf, what="the copy benchmark", timeout=120).check()
    return {name: round(count / size, 3)
            for name, (count, size) in toolchain.parse_counts(run.output).items()}


def main() -> int:
    """Measure both variants, print a table, write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", dest="output", default=str(ROOT / "tools/bench/results/copies.json"))
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="edgeft-copies-") as tmp:
        before = measure(Path(tmp), word_wise=False)
        after = measure(Path(tmp), word_wise=True)
    print(f"{'copy':24} {'picolibc':>10} {'edgeft':>10}   (RV32 instructions per byte)")
    for name in before:
        print(f"{name:24} {before[name]:10.3f} {after[name]:10.3f}")
    result = {"unit": "RV32 instructions per byte (QEMU -icount shift=0, minstret)",
              "compiler": toolchain.compiler_version(),
              "picolibc": before, "edgeft_string": after}
    Path(opts.output).parent.mkdir(parents=True, exist_ok=True)
    Path(opts.output).write_text(json.dumps(result, indent=2) + "\n")
    print(f"-> {opts.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
