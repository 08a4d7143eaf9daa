"""Benchmark: every fine-tuning strategy of lenet5 and cct2 on siracusa, side by side.

    .venv/bin/python tools/bench/strategies.py [--batch 20] [--reduced] [--plots DIR]
                                                [--models lenet5,cct2] [--l1 BYTES]
                                                [-o tools/bench/results/strategies.json]

Compiles each model under each strategy for `--target siracusa` (the
performance estimate included: kernels are measured under QEMU once and
cached) and writes one JSON table with, per build: trainable parameters,
peak memory per level, bytes moved per sample on each link, cycles and
milliseconds per step, steps per second, FLOPs per cycle and the cycles per
engine; a build that does not fit records the planner's message instead.
`--plots DIR` draws the comparison (edgeft report's charts) from the builds.

`--reduced` (lenet5 under ft-all, ft-last, lora-all and skip-lora at batch
2) finishes in a few minutes; tests/test_bench_strategies.py runs it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FULL = {"lenet5": ("ft-all", "ft-last", "ft-bias", "lp", "ft-1", "ft-2", "lora-all",
                   "lora-last", "skip-lora"),
        "cct2": ("lp", "ft-1", "ft-2", "lora-1", "lora-2", "skip-lora")}
REDUCED = {"lenet5": ("ft-all", "ft-last", "lora-all", "skip-lora")}


def main(argv: list[str] | None = None) -> int:
    """Run the strategies benchmark and write its JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=None, help="batch size (20; reduced: 2)")
    p.add_argument("--reduced", action="store_true", help="lenet5, four strategies")
    p.add_argument("--plots", default=None, help="directory for the comparison charts")
    p.add_argument("--models", default=None, help="comma-separated subset of the plan")
    p.add_argument("--l1", type=int, default=None, help="L1 budget in bytes (the target's)")
    p.add_argument("-o", dest="output",
                   default=str(ROOT / "tools/bench/results/strategies.json"))
    opts = p.parse_args(argv)
    plan = REDUCED if opts.reduced else FULL
    if opts.models:
        plan = {m: plan[m] for m in opts.models.split(",")}
    batch = opts.batch or (2 if opts.reduced else 20)
    rows, reports = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for model, strategies in plan.items():
            for strategy in strategies:
                row, report = measure(model, strategy, batch, Path(tmp) / f"{model}-{strategy}",
                                      opts.l1)
                rows.append(row)
                if report is not None:
                    reports.append(report)
    result = {"benchmark": "strategies on siracusa", "batch": batch,
              "reduced": opts.reduced, "rows": rows}
    if opts.l1:
        result["l1"] = opts.l1
    Path(opts.output).parent.mkdir(parents=True, exist_ok=True)
    Path(opts.output).write_text(json.dumps(result, indent=2) + "\n")
    print(f"-> {opts.output}", file=sys.stderr)
    if opts.plots:
        from edgeft.report import tables as report_cmd

        for path in report_cmd.plots(reports, Path(opts.plots)):
            print(f"-> {path}", file=sys.stderr)
    return 0


def measure(model: str, strategy: str, batch: int, build: Path,
            l1: int | None = None) -> tuple[dict, dict | None]:
    """One build's row of the table (and its report), or the reason it failed."""
    from edgeft.driver.compiler import CompileOptions, compile_model, write_build
    from edgeft.ir.errors import UserError

    start = time.perf_counter()
    try:
        compiled = compile_model(model, CompileOptions(strategy=strategy, batch=batch,
                                                       target="siracusa", l1=l1))
        write_build(compiled, build)
    except UserError as e:
        print(f"{model} {strategy}: {e}", file=sys.stderr)
        return {"model": model, "strategy": strategy, "fits": False, "error": str(e)}, None
    r = compiled.report
    row = {
        "model": model, "strategy": strategy, "fits": True,
        "trainable_params": r["trainable_params"],
        "peak_bytes": r["memory"]["peak_bytes"],
        "bytes_per_sample": r["transfers"]["bytes"],
        "cycles_per_step": r["cycles"]["estimate"],
        "cycles_by_engine": r["cycles"]["by_engine"],
        "ms_per_step": r["latency_ms"]["estimate"],
        "ms_per_sample": r["latency_ms"]["per_sample"],
        "updates_per_second": r["updates_per_second"],
        "flops_per_cycle": r["flops_per_cycle"],
        "flops_per_sample": r["flops"],
        "redmule_fraction": r["redmule"]["fraction"],
        "compile_seconds": round(time.perf_counter() - start, 1),
    }
    print(f"{model} {strategy}: {row['ms_per_step']:.2f} ms per step, "
          f"{row['flops_per_cycle']:.2f} FLOPs/cycle, L2 {row['peak_bytes']['L2']:,} B "
          f"({row['compile_seconds']} s)", file=sys.stderr)
    return row, r


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "python"))
    sys.exit(main())
