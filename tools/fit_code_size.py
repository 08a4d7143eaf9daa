"""Measure what the program's image takes of Siracusa's shared L2 and fit the code estimate.

    .venv/bin/python tools/fit_code_size.py BUILD [BUILD ...]

Each BUILD is an `edgeft compile ... --target siracusa` directory. For each,
the GVSoC program is compiled and linked with an empty input (the ziglang
clang of the gvsoc backend), and its sections are read with
riscv64-unknown-elf-size. Printed per build: the lowered ops (what the
estimate counts), network.o's .text and its bytes per op, the runtime's
bytes (the linked image minus the L2 arena, network.o's .text and the parts
edgeft.analysis.footprint counts exactly), and the footprint's estimate
against the measured image, then the least-squares line code = runtime +
bytes per op * ops through the builds, which edgeft.target.ProgramImage
holds (runtime_bytes, code_bytes_per_op; its slack covers the residuals).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from torch_mlir import ir

from edgeft.analysis.footprint import program_footprint
from edgeft.backends import gvsoc
from edgeft.ir.context import make_context
from edgeft.target import siracusa

SECTIONS = ("text", "rodata", "srodata", "data", "sdata", "bss", "sbss")


def sections(path: Path) -> dict[str, int]:
    """The bytes of each loaded section kind of an object or ELF (.text.* under text)."""
    out = subprocess.run(["riscv64-unknown-elf-size", "-A", str(path)], capture_output=True,
                         text=True, check=True).stdout
    found: dict[str, int] = {}
    for line in out.splitlines():
        words = line.split()
        if len(words) < 2 or not words[0].startswith(".") or not words[1].isdigit():
            continue
        kind = words[0].split(".")[1]
        if kind in SECTIONS:
            found[kind] = found.get(kind, 0) + int(words[1])
    return found


def measure(build: Path) -> dict[str, float]:
    """The measured image of `build` next to the footprint's estimate."""
    out = build / "gvsoc"
    out.mkdir(exist_ok=True)
    objects = gvsoc.compile_objects(build, out)
    (out / "edgeft_in.bin").write_bytes(np.int32(0).tobytes())
    elf = gvsoc.link(objects, out, out / "fit.elf")
    image = sum(sections(elf).values())
    arena = json.loads((build / "program.json").read_text())["memory"]["L2"]
    network_text = sections(out / "network.o")["text"]
    with make_context() as context:
        module = ir.Module.parse((build / "lowered.mlir").read_text(), context)
        level = siracusa().levels["L2"]
        fp = program_footprint(module.operation, level.bytes, level.image)
    exact = fp.initial_values + fp.constants + fp.parameter_table + fp.io_buffers
    empty_input = 4
    runtime = image - max(arena, 64) - network_text - exact - empty_input
    estimate = fp.image - fp.slack - fp.input + empty_input
    return {"lowered_ops": fp.lowered_ops, "network_text": network_text,
            "bytes_per_op": network_text / fp.lowered_ops, "runtime": runtime,
            "image": image - max(arena, 64), "estimate": estimate}


def main(argv: list[str] | None = None) -> int:
    """Measure every build and print the rows and the largest figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("builds", nargs="+", type=Path)
    args = parser.parse_args(argv)
    rows = {str(b): measure(b) for b in args.builds}
    for name, row in rows.items():
        print(f"{name}: {row['lowered_ops']} ops, network .text {row['network_text']:,} B "
              f"({row['bytes_per_op']:.2f} B/op), runtime {row['runtime']:,} B, image "
              f"{row['image']:,} B, estimated {row['estimate']:,} B "
              f"({row['estimate'] / row['image'] - 1:+.1%})")
    ops = np.array([r["lowered_ops"] for r in rows.values()], float)
    code = np.array([r["runtime"] + r["network_text"] for r in rows.values()], float)
    if len(rows) > 1:
        per_op, runtime = np.polyfit(ops, code, 1)
        residuals = code - (runtime + per_op * ops)
        print(f"least squares: code = {runtime:,.0f} B + {per_op:.2f} B/op; residuals "
              f"{residuals.min():+,.0f} to {residuals.max():+,.0f} B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
