"""Sweep: every strategy of lenet5 and cct2 (and mlp) on siracusa against the flat program.

    .venv/bin/python tools/bench/hierarchy.py [--batch 4] [--l1 0,16384] [--rv32]
        [--models lenet5,cct2] [-o tools/bench/results/hierarchy.json]

For each model, strategy and L1 budget (0: the target's 128 KiB), compiles
for `--target siracusa` (tiled, promoted to L1 by DMA, GEMMs on RedMulE,
core kernels forked over the cluster, every buffer planned) and for the flat
host target, runs two training steps of both C programs on the same random
batches from the same initial parameters and records the largest relative
difference of the losses and of every parameter (the proof asks for at most
1e-5), plus the plan and engine figures of report.json. With --rv32 the
siracusa program also runs one step under QEMU against the host. A
strategy that does not compile records its one-line error.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from edgeft.backends.host import HostProgram

ROOT = Path(__file__).resolve().parents[2]
STRATEGIES = {
    "mlp": ("ft-all", "ft-last", "ft-bias", "lp", "ft-1", "ft-2", "lora-all", "lora-last",
            "skip-lora"),
    "lenet5": ("ft-all", "ft-last", "ft-bias", "lp", "ft-1", "ft-2", "lora-all", "lora-last",
               "skip-lora"),
    "cct2": ("lp", "ft-1", "ft-2", "lora-1", "lora-2", "skip-lora"),
}


def main() -> int:
    """Run the sweep and write its JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--l1", default="0,16384", help="comma-separated L1 budgets (0: default)")
    p.add_argument("--models", default="lenet5,cct2")
    p.add_argument("--rv32", action="store_true", help="also run each program under QEMU")
    p.add_argument("-o", dest="output", default=str(ROOT / "tools/bench/results/hierarchy.json"))
    opts = p.parse_args()
    runs = []
    for model in opts.models.split(","):
        for strategy in STRATEGIES[model]:
            for l1 in (int(v) for v in opts.l1.split(",")):
                runs.append(check(model, strategy, opts.batch, l1 or None, opts.rv32))
                print(json.dumps(runs[-1]), file=sys.stderr)
    worst = max((r.get("max_rel_diff", 0.0) for r in runs), default=0.0)
    result = {"benchmark": "siracusa programs against the flat program", "batch": opts.batch,
              "runs": runs, "worst_rel_diff": worst,
              "failed": [f"{r['model']} {r['strategy']} l1={r['l1']}" for r in runs
                         if "error" in r or r.get("max_rel_diff", 0.0) > 1e-5]}
    Path(opts.output).parent.mkdir(parents=True, exist_ok=True)
    Path(opts.output).write_text(json.dumps(result, indent=2) + "\n")
    print(f"-> {opts.output}; worst relative difference {worst:.2e}; failed: "
          f"{result['failed'] or 'none'}", file=sys.stderr)
    return 0 if not result["failed"] else 1


def check(model: str, strategy: str, batch: int, l1: int | None, with_rv32: bool) -> dict:
    """One strategy: its siracusa program against the flat one (and on rv32 if asked)."""
    from edgeft.backends.host import HostProgram
    from edgeft.driver.compiler import CompileOptions, compile_model, write_build
    from edgeft.ir.errors import UserError

    run: dict = {"model": model, "strategy": strategy, "l1": l1 or 128 * 1024, "batch": batch}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        programs = []
        try:
            for target in ("host", "siracusa"):
                options = CompileOptions(strategy=strategy, batch=batch, target=target,
                                         l1=l1 if target == "siracusa" else None)
                write_build(compile_model(model, options), Path(tmp) / target)
                programs.append(HostProgram.build(Path(tmp) / target))
        except UserError as e:
            run["error"] = str(e)
            return run
        report = json.loads((Path(tmp) / "siracusa" / "report.json").read_text())
        run["max_rel_diff"] = compare(*programs, batch)
        run["memory"] = report["memory"]["peak_bytes"]
        run["tiling"] = report["tiling"]
        run["transfers_per_sample"] = report["transfers"]["bytes"]
        run["redmule"] = {k: report["redmule"][k] for k in ("jobs", "flops", "fraction")}
        if with_rv32:
            run["rv32"] = rv32_check(Path(tmp) / "siracusa")
    run["seconds"] = round(time.perf_counter() - started, 1)
    return run


def compare(flat: HostProgram, placed: HostProgram, batch: int) -> float:
    """The largest relative difference of loss and parameters over two steps of both programs."""
    rng = np.random.default_rng(0)
    shape = (batch, *flat.info.sample_shape)
    flat.init()
    placed.init()
    worst = 0.0
    for _ in range(2):
        x, y = rng.random(shape).astype(np.float32), rng.integers(0, 10, batch)
        a, b = flat.train_step(x, y), placed.train_step(x, y)
        worst = max(worst, abs(a - b) / abs(a))
    for name, value in flat.parameters().items():
        other = placed.parameters()[name]
        scale = float(np.abs(value).max()) or 1.0
        worst = max(worst, float(np.abs(other - value).max()) / scale)
    return worst


def rv32_check(build: Path) -> str:
    """The verdict on the build's rv32 run against its host run: equal, or how it differs."""
    sys.path.insert(0, str(ROOT / "tests"))
    from c_checks import rv32_equals_host

    try:
        rv32_equals_host(build, steps=1)
    except AssertionError as e:
        return f"differs: {str(e).splitlines()[0]}"
    return "equal"


if __name__ == "__main__":
    sys.exit(main())
