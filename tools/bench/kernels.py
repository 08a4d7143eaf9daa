"""Benchmark: the cores' kernels by class, cycles on GVSoC and RV32 instructions.

    .venv/bin/python tools/bench/kernels.py [--cases lenet5-ft-all,cct2-lora-2]
        [-o tools/bench/results/kernels.json]

For each case: compile for --target siracusa, take every core kernel of the
training step (the pulp.parallel regions the C emitter outlines, each loop
nest outside them wrapped as a one-core kernel, as the estimate does) and
measure it twice: its cluster cycles on GVSoC's siracusa model with its
slices forked on the 8 cores (edgeft.estimate.gvsoc_kernels), and the RV32
instructions of its slowest core's slice under QEMU (gcc -O2, rv32imf,
edgeft.estimate.kernels). Each kernel counts as often as one step runs it.

Kernels are sorted into classes by what they compute: matmul and
convolution (forward, backward) by their layer and phase among the
multiply-accumulate kernels; LayerNorm by the layer; GELU by `math.erf`;
softmax by `math.exp` outside a norm; elementwise for the rest of the
arithmetic; copies. Reported per class: cycles per MAC on the cluster,
per MAC per core (times the cores the slices ran on), RV32 instructions per
MAC (summed over the slices); for classes without MACs the same per FLOP,
for copies per byte.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CASES = {
    "lenet5-ft-all": ("lenet5", {"strategy": "ft-all", "l2": 1_400_000}),
    "cct2-lora-2": ("cct2", {"strategy": "lora-2", "batch": 1, "l2": 460_000}),
}
MAC_CLASSES = ("matmul forward", "matmul backward", "conv forward", "conv backward")


def classify(op_names: set[str], kernel_class: str, layer: str, phase: str,
             conv_layers: set[str]) -> str:
    """The benchmark class of one kernel (see the module docstring)."""
    if "math.erf" in op_names:
        return "gelu"
    if "norm" in layer.lower():
        return "layernorm"
    if "math.exp" in op_names:
        return "softmax"
    if kernel_class == "mac":
        kind = "conv" if layer in conv_layers else "matmul"
        return f"{kind} {'forward' if phase == 'forward' else 'backward'}"
    if kernel_class.startswith("copy"):
        return "copy"
    return "elementwise"


def measure_case(name: str) -> dict:
    """Every kernel of the case's training step, measured both ways, summed by class."""
    from torch import nn

    from edgeft.driver.compiler import CompileOptions, compile_model, lower
    from edgeft.estimate import gvsoc_kernels, kernels
    from edgeft.estimate.timeline import core_kernels, estimate, region_counts
    from edgeft.frontend import models
    from edgeft.ir.graph import layer_of, phase_of
    from edgeft.ir.queries import nested

    model, options = CASES[name]
    compiled = compile_model(model, CompileOptions(target="siracusa", estimate=False,
                                                   **options))
    lowered = lower(compiled.module, compiled.target)
    torch_model = models.build(model, compiled.report["options"]["in_channels"],
                               pretrained=False)
    conv_layers = {n for n, m in torch_model.named_modules() if isinstance(m, nn.Conv2d)}

    core = core_kernels(lowered)
    found, globals_ = core.found, core.globals_
    start = time.perf_counter()
    instructions = kernels.measure(list(found.values())).instructions
    launcher = gvsoc_kernels.route("gvsoc")
    cycles = gvsoc_kernels.measure(list(found.values()), launcher).cycles
    seconds = time.perf_counter() - start
    # how often one step runs each kernel: the estimate's walk of the step
    calls = {e.name: e.calls for e in
             estimate(lowered, compiled.target, kernel_cycles="gvsoc").entries["train_step"]
             if e.engine == "cores"}
    classes: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    rows = []
    for info in core.infos:
        if info.name not in calls or not info.name.startswith("p") \
                or "_train_step_" not in info.name:
            continue
        key = found[info.name].key
        body = region_counts(info.op, globals_)
        names = {o.name for o in nested(info.op)}
        label = classify(names, kernels.kernel_class(info.op), layer_of(info.op),
                         phase_of(info.op), conv_layers)
        n = calls[info.name]
        macs = body.flops / 2 * info.workers if label in MAC_CLASSES else 0.0
        flops = body.flops * info.workers
        row = {"kernel": info.name, "class": label, "layer": layer_of(info.op),
               "phase": phase_of(info.op), "calls": n, "cores": info.workers,
               "gvsoc_cycles": cycles[key], "rv32_instructions_slowest_core": instructions[key],
               "macs": macs, "flops": flops}
        rows.append(row)
        c = classes[label]
        c["kernels"] += 1
        c["calls"] += n
        c["cycles"] += n * cycles[key]
        c["core_cycles"] += n * cycles[key] * info.workers
        c["instructions"] += n * instructions[key] * info.workers
        c["macs"] += n * macs
        c["flops"] += n * flops
        c["bytes"] += n * body.bytes * info.workers
    table = {}
    for label, c in sorted(classes.items()):
        unit = "macs" if c["macs"] else "bytes" if label == "copy" else "flops"
        work = c[unit] or float("nan")
        table[label] = {"kernels": int(c["kernels"]), "calls": c["calls"],
                        "cycles": c["cycles"], unit: c[unit], "per": unit[:-1],
                        "cycles_per_unit_cluster": c["cycles"] / work,
                        "cycles_per_unit_per_core": c["core_cycles"] / work,
                        "rv32_instructions_per_unit": c["instructions"] / work}
    return {"model": model, **options, "classes": table, "kernels": rows,
            "measure_seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    """Measure the cases and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("-o", dest="output",
                        default=str(ROOT / "tools" / "bench" / "results" / "kernels.json"))
    args = parser.parse_args(argv)
    os.environ.setdefault("EDGEFT_GVSOC", str(ROOT.parent / "shared/gvsoc/install/bin/gvsoc"))
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    results = {"benchmark": "kernels", "commit": commit,
               "source": "cycles: GVSoC siracusa (../shared/gvsoc), cluster mcycle of each "
                         "kernel forked on its cores; instructions: QEMU rv32imf, gcc -O2, "
                         "slowest core's slice", "cases": {}}
    for name in args.cases.split(","):
        if name not in CASES:
            print(f"kernels.py: unknown case '{name}' (known: {', '.join(CASES)})",
                  file=sys.stderr)
            return 1
        r = measure_case(name)
        results["cases"][name] = r
        print(f"{name}:")
        for label, c in r["classes"].items():
            print(f"  {label:16s} {c['cycles']:>12,.0f} cycles  "
                  f"{c['cycles_per_unit_cluster']:6.3f}/{c['per']} on 8 cores  "
                  f"{c['cycles_per_unit_per_core']:6.2f}/{c['per']} per core  "
                  f"{c['rv32_instructions_per_unit']:6.2f} RV32 instr/{c['per']}")
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    print(f"-> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
