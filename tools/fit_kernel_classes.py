"""Refit the QEMU route of the estimate against GVSoC, per kernel class.

    .venv/bin/python tools/fit_kernel_classes.py [--cases lenet5-ft-all,...] [--check]

For each case: compile for siracusa, lower, and cost the step both ways,
every core kernel once with its QEMU instruction count through the core
model (no class factors) and once with its cycles measured on GVSoC
(edgeft.estimate.gvsoc_kernels; needs GVSoC, EDGEFT_GVSOC or PATH). Each
kernel's figures are weighted by the times the step runs it; a class's
factor is the sum of its GVSoC cycles over the sum of its model cycles, over
every case. Writes python/edgeft/target/kernel_classes.json: the factors
and every point they come from (case, kernel, class, calls, both figures).
With --check, it recomputes and fails when the file's factors differ by
more than 1 %.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "python" / "edgeft" / "target" / "kernel_classes.json"

CASES = {
    "lenet5-ft-all": ("lenet5", {"strategy": "ft-all", "l2": 1_400_000}),
    "lenet5-lora-all": ("lenet5", {"strategy": "lora-all", "batch": 4}),
    "cct2-lora-2": ("cct2", {"strategy": "lora-2", "batch": 1, "l2": 460_000}),
}


def points(name: str) -> list[dict]:
    """Every core kernel of a case's step: calls, model and GVSoC cycles."""
    from edgeft.driver.compiler import CompileOptions, compile_model, lower
    from edgeft.estimate import timeline

    model, options = CASES[name]
    compiled = compile_model(model, CompileOptions(target="siracusa", estimate=False,
                                                   **options))
    lowered = lower(compiled.module, compiled.target)
    target = compiled.target
    plain = dataclasses.replace(target, core=dataclasses.replace(target.core, class_factors=()))
    by_qemu = timeline.estimate(lowered, plain, kernel_cycles="qemu")
    by_gvsoc = timeline.estimate(lowered, target, kernel_cycles="gvsoc")
    gvsoc = {(e.name, e.layer, e.phase): e for e in by_gvsoc.entries["train_step"]
             if e.engine == "cores"}
    out = []
    for e in by_qemu.entries["train_step"]:
        if e.engine != "cores":
            continue
        measured = gvsoc[(e.name, e.layer, e.phase)]
        out.append({"case": name, "kernel": e.name, "layer": e.layer, "phase": e.phase,
                    "class": e.kernel_class, "calls": e.calls,
                    "model_cycles": round(e.cycles, 1), "gvsoc_cycles": round(measured.cycles, 1)})
    return out


def fit(all_points: list[dict]) -> dict[str, float]:
    """Per class: the sum of GVSoC cycles over the sum of model cycles."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for p in all_points:
        sums[p["class"]][0] += p["gvsoc_cycles"]
        sums[p["class"]][1] += p["model_cycles"]
    return {name: round(g / m, 4) for name, (g, m) in sorted(sums.items()) if m > 0}


def main(argv: list[str] | None = None) -> int:
    """Fit the factors and write (or check) the data file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    all_points = [p for name in args.cases.split(",") for p in points(name)]
    factors = fit(all_points)
    for name, factor in factors.items():
        n = sum(1 for p in all_points if p["class"] == name)
        print(f"{name:15} {factor:6.3f}  ({n} kernels)")
    if args.check:
        stored = json.loads(OUTPUT.read_text())["factors"]
        off = {k: (v, stored.get(k)) for k, v in factors.items()
               if stored.get(k) is None or abs(v - stored[k]) > 0.01 * stored[k]}
        if off:
            print(f"kernel_classes.json is out of date: {off}", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(json.dumps({
        "source": "tools/fit_kernel_classes.py: GVSoC siracusa (../shared/gvsoc) cycles of "
                  "each kernel against the model's cycles from its QEMU instruction count, "
                  "weighted by the step's calls",
        "cases": {name: CASES[name] for name in args.cases.split(",")},
        "factors": factors, "points": all_points}, indent=1) + "\n")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
