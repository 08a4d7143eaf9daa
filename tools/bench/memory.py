"""Benchmark: the Siracusa memory plan of cct2 under ft-2 and lora-2.

    .venv/bin/python tools/bench/memory.py [--batches 20,8] [-o tools/bench/results/memory.json]

Compiles cct2 for `--target siracusa` under ft-2 and lora-2 at each batch
size and records, from report.json (or the planner's error when the plan
does not fit): the planned size of L2 and L3, the
L2 lower bound (the most bytes alive at once) and their ratio (aim: at
most 1.05), the tiling summary, and the lora-2 / ft-2 ratio of the L2 and
L3 sizes. L3 <-> L2 bytes per sample need DMA promotion (edgeft-promote) and
are recorded once it exists; the field is absent until then, not invented.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STRATEGIES = ("ft-2", "lora-2")


def main() -> int:
    """Run the memory benchmark and write its JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batches", default="20,8", help="comma-separated batch sizes")
    p.add_argument("-o", dest="output", default=str(ROOT / "tools/bench/results/memory.json"))
    opts = p.parse_args()
    results = [measure(int(b)) for b in opts.batches.split(",")]
    result = {"benchmark": "memory plan, cct2 on siracusa", "runs": results}
    Path(opts.output).parent.mkdir(parents=True, exist_ok=True)
    Path(opts.output).write_text(json.dumps(result, indent=2) + "\n")
    print(f"-> {opts.output}", file=sys.stderr)
    return 0


def measure(batch: int) -> dict:
    """The memory plan of cct2 under each strategy at this batch (or why it does not fit)."""
    from edgeft.driver.compiler import CompileOptions, compile_model, write_build
    from edgeft.ir.errors import UserError

    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for strategy in STRATEGIES:
            start = time.perf_counter()
            options = CompileOptions(strategy=strategy, batch=batch, target="siracusa")
            compiled = compile_model("cct2", options)
            try:
                write_build(compiled, Path(tmp) / strategy)
            except UserError as e:
                rows[strategy] = {"fits": False, "error": str(e)}
                print(f"cct2 {strategy} batch {batch}: {e}", file=sys.stderr)
                continue
            report = compiled.report
            memory = report["memory"]
            rows[strategy] = {
                "fits": True,
                "peak_bytes": memory["peak_bytes"],
                "lower_bound_bytes": memory["lower_bound_bytes"],
                "l2_peak_over_lower_bound":
                    memory["peak_bytes"]["L2"] / max(1, memory["lower_bound_bytes"]["L2"]),
                "transfers_bytes_per_sample": report["transfers"]["bytes"],
                "redmule": {k: report["redmule"][k] for k in ("jobs", "flops", "fraction")},
                "tiling": report.get("tiling"),
                "trainable_params": report["trainable_params"],
                "compile_seconds": time.perf_counter() - start,
            }
            print(f"cct2 {strategy} batch {batch}: L2 {memory['peak_bytes']['L2']:,} B "
                  f"(lower bound {memory['lower_bound_bytes']['L2']:,}), "
                  f"L3 {memory['peak_bytes']['L3']:,} B, L3<->L2 "
                  f"{report['transfers']['bytes']['L3_L2']:,.0f} B/sample", file=sys.stderr)
    ratios = {}
    if all(row["fits"] for row in rows.values()):
        ratios = {f"lora2_over_ft2_{level}": rows["lora-2"]["peak_bytes"][level]
                  / max(1, rows["ft-2"]["peak_bytes"][level]) for level in ("L2", "L3")}
        for link in ("L3_L2", "L2_L1"):
            ratios[f"lora2_over_ft2_{link}_bytes"] = \
                rows["lora-2"]["transfers_bytes_per_sample"][link] / \
                max(1.0, rows["ft-2"]["transfers_bytes_per_sample"][link])
    return {"batch": batch, "strategies": rows, "ratios": ratios}


if __name__ == "__main__":
    sys.exit(main())
