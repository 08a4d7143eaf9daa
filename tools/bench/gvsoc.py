"""Benchmark: a whole training step measured on GVSoC against the estimate.

    .venv/bin/python tools/bench/gvsoc.py [--gvsoc PATH] [--cases lenet5-ft-all,cct2-lora-2]
        [--steps 2] [-o tools/bench/results/gvsoc.json]

For each case: compile for --target siracusa with the estimate (kernels
measured on GVSoC, and again with the QEMU route), run the first steps of
real Fashion-MNIST batches on GVSoC (`edgeft run --backend gvsoc --steps
N`, the same path a user takes) and record the cluster cycles of each step
(mcycle of core 0) and where they went. Siracusa's GVSoC model has no
RedMulE, so the runtime runs the jobs on the cores; the step compared with
the estimates (and turned into images per second and FLOPs per cycle at the
chip's 360 MHz) has those cycles replaced by the RedMulE model's. The L2
budgets are capped so that the code and the initial values fit beside the
L2 arena in the chip's 2 MiB (docs/running.md, gvsoc); cct2's cap puts
buffers in L3.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CASES = {
    "lenet5-ft-all": ("lenet5", {"strategy": "ft-all", "l2": 1_400_000}),
    "cct2-lora-2": ("cct2", {"strategy": "lora-2", "batch": 1, "l2": 460_000}),
}


def measure_case(name: str, gvsoc: str | None, steps: int) -> dict:
    """Compile, run `steps` steps on GVSoC, compare with the estimate of both routes."""
    from edgeft.driver.compiler import CompileOptions, compile_model, write_build
    from edgeft.driver.run import run

    model, options = CASES[name]
    with tempfile.TemporaryDirectory(prefix=f"edgeft-gvsoc-{name}-") as tmp:
        build = Path(tmp)
        start = time.perf_counter()
        write_build(compile_model(model, CompileOptions(target="siracusa", kernel_cycles="gvsoc",
                                                        **options)), build)
        compile_seconds = time.perf_counter() - start
        write_build(compile_model(model, CompileOptions(target="siracusa", kernel_cycles="qemu",
                                                        **options)), build / "qemu")
        by_qemu = json.loads((build / "qemu" / "report.json").read_text())
        start = time.perf_counter()
        metrics = run(build, "fmnist-rot:30", samples=max(steps * batch_of(build), 1),
                      epochs=1, backend="gvsoc", progress=False, steps=steps, gvsoc=gvsoc)
        gvsoc_seconds = time.perf_counter() - start
        report = json.loads((build / "report.json").read_text())
    batch = report["options"]["batch"]
    measured = report["cycles"]["measured"]
    # siracusa's GVSoC has no RedMulE: the jobs ran on the cores, and the estimate
    # is compared with the step as the RedMulE model has them
    compared = measured.get("redmule_modelled", measured)["cycles_per_step"]
    estimates = {"gvsoc": report["cycles"]["estimate"], "qemu": by_qemu["cycles"]["estimate"]}
    mhz = report["target"]["frequency_mhz"]
    flops = sum(report["flops"][k] for k in ("forward", "backward", "optimizer")) * batch
    by_engine = {route: r["cycles"]["busy"] for route, r in (("gvsoc", report),
                                                              ("qemu", by_qemu))}
    return {"model": model, **options, "batch": batch, "steps": measured["steps"],
            "cycles_per_step": measured["per_step"], "measured_cycles": measured["cycles_per_step"],
            "measured_by_kind": measured.get("by_kind"),
            "measured_redmule_modelled": compared,
            "estimated_cycles": estimates,
            "estimate_over_measured": {route: e / compared for route, e in estimates.items()},
            "estimate_busy": by_engine,
            "images_per_second_at_mhz": batch * mhz * 1e6 / compared, "mhz": mhz,
            "flops_per_cycle": flops / compared,
            "images_per_second_redmule_on_cores": batch * mhz * 1e6 / measured["cycles_per_step"],
            "losses": metrics.loss_per_step,
            "compile_seconds": compile_seconds, "gvsoc_seconds": gvsoc_seconds,
            "source": "GVSoC siracusa (../shared/gvsoc build), mcycle of cluster core 0 "
                      "around each step; RedMulE jobs (run on the cores there) replaced by "
                      "the RedMulE model's cycles (measured_redmule_modelled)"}


def batch_of(build: Path) -> int:
    """The batch a build was compiled for."""
    return json.loads((build / "report.json").read_text())["options"]["batch"]


def main(argv: list[str] | None = None) -> int:
    """Run the cases and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gvsoc", default=None)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("-o", dest="output",
                        default=str(ROOT / "tools" / "bench" / "results" / "gvsoc.json"))
    args = parser.parse_args(argv)
    results = {}
    for name in args.cases.split(","):
        results[name] = measure_case(name, args.gvsoc, args.steps)
        r = results[name]
        print(f"{name}: measured {r['measured_cycles']:,.0f} cycles/step, "
              f"{r['measured_redmule_modelled']:,.0f} with RedMulE as modelled; estimate "
              f"{r['estimated_cycles']['gvsoc']:,} ({r['estimate_over_measured']['gvsoc']:.3f}x) "
              f"from GVSoC kernels, {r['estimated_cycles']['qemu']:,} "
              f"({r['estimate_over_measured']['qemu']:.3f}x) from QEMU; "
              f"{r['images_per_second_at_mhz']:.2f} images/s at {r['mhz']:g} MHz, "
              f"{r['flops_per_cycle']:.2f} FLOPs/cycle", file=sys.stderr)
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
