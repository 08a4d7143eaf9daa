"""Benchmark: how long `edgeft compile` takes, and where the time goes.

    .venv/bin/python tools/bench/compile_time.py [--model cct2] [--strategy lora-2]
        [--repeat 3] [-o tools/bench/results/compile_time.json]

Measures the whole command's wall time in a fresh process (what a user
waits for, Python start-up and imports included), then the phases in
process: building the model, torch.export with decompositions, the FX
import, torch-mlir's lowering to linalg, and each pass of the training
pipeline. Writes JSON; prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def whole_command(model: str, strategy: str, repeat: int) -> list[float]:
    """Wall times of `edgeft compile` as a subprocess, one per repeat, in seconds."""
    times = []
    exe = Path(sys.executable).parent / "edgeft"
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as build:
            start = time.perf_counter()
            subprocess.run([str(exe), "compile", model, "--strategy", strategy, "-o", build],
                           check=True, capture_output=True,
                           env=dict(os.environ, PYTHONWARNINGS="ignore"))
            times.append(time.perf_counter() - start)
    return times


def phases(model: str, strategy: str) -> dict[str, float]:
    """Seconds per phase of one compilation, in process."""
    import warnings

    warnings.simplefilter("ignore")
    out: dict[str, float] = {}
    start = time.perf_counter()
    import torch
    from torch_mlir import passmanager
    from torch_mlir.extras.fx_decomp_util import get_decomposition_table

    from edgeft import pipelines
    from edgeft.driver.compiler import DEFAULT_BATCH
    from edgeft.frontend import importer
    from edgeft.ir.context import make_context
    from edgeft.passes import registry

    out["python imports"] = time.perf_counter() - start

    t = time.perf_counter()
    name, torch_model, x = importer.resolve_model(model, 1, DEFAULT_BATCH)
    y = importer.example_target(torch_model, x, "cross-entropy", 0)
    names = [n for n, _ in torch_model.named_parameters()]
    params = [p.detach().clone() for _, p in torch_model.named_parameters()]
    out["build model"] = time.perf_counter() - t

    t = time.perf_counter()
    wrapper = importer._LossOf(torch_model, names, "cross-entropy")  # noqa: SLF001
    program = torch.export.export(wrapper, (x, y, *params), strict=False)
    program = program.run_decompositions(get_decomposition_table())
    out["torch.export + decompositions"] = time.perf_counter() - t

    ctx = make_context()
    t = time.perf_counter()
    fx = importer.FxImporter(context=ctx)
    fx._cc = importer._LayerLocations(ctx, type(torch_model).__name__,  # noqa: SLF001
                                      py_attr_tracker=fx._py_attr_tracker)  # noqa: SLF001
    fx.import_frozen_program(program, func_name="forward")
    module = fx.module
    out["FX import"] = time.perf_counter() - t

    with ctx:
        for label, pipeline in (("torch-mlir to backend", importer.TORCH_TO_BACKEND),
                                ("torch-mlir to linalg", importer.BACKEND_TO_LINALG)):
            t = time.perf_counter()
            passmanager.PassManager.parse(pipeline).run(module.operation)
            out[label] = time.perf_counter() - t
        t = time.perf_counter()
        importer.globalize_parameters(module, names, params)
        out["parameters to globals"] = time.perf_counter() - t
        for element in registry.parse_pipeline(pipelines.training(strategy)):
            t = time.perf_counter()
            registry.build_pass_manager(element.text(), ctx).run(module.operation)
            out[f"pass {element.name}"] = time.perf_counter() - t
        t = time.perf_counter()
        module.operation.get_asm(enable_debug_info=True)
        out["print train.mlir"] = time.perf_counter() - t
    return out


def main() -> int:
    """Run the compile-time benchmark and write its JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="cct2")
    p.add_argument("--strategy", default="lora-2")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("-o", dest="output", default=str(ROOT / "tools/bench/results/compile_time.json"))
    opts = p.parse_args()
    walls = whole_command(opts.model, opts.strategy, opts.repeat)
    parts = phases(opts.model, opts.strategy)
    result = {
        "benchmark": "compile_time",
        "command": f"edgeft compile {opts.model} --strategy {opts.strategy}",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "wall_seconds": {"runs": walls, "median": statistics.median(walls)},
        "phases_seconds": parts,
    }
    Path(opts.output).parent.mkdir(parents=True, exist_ok=True)
    Path(opts.output).write_text(json.dumps(result, indent=2) + "\n")
    print(f"{result['command']}: median {statistics.median(walls):.2f} s over {len(walls)} runs")
    for name, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds:7.3f} s  {name}")
    print(f"-> {opts.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
