"""report.json, assembled in one place.

    report = assemble.training(module, model, options)     # after the training passes
    assemble.lowered(report, lowered, target, batch, estimate)   # after the lowering

`training` gives the keys of the training step (target, model, strategy,
options, parameter counts, FLOPs per sample, the forward cache); `lowered`
adds, in this order, what the lowered program shows for a target with a
memory hierarchy (memory, tiling, transfers, redmule) and the performance
estimate (cycles, latency_ms, ...; edgeft.estimate.timeline.report). Keys a
stage did not produce are absent (docs/report.md).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from torch_mlir import ir

from edgeft.analysis import flops
from edgeft.analysis.counts import Counts, count_module
from edgeft.estimate import timeline
from edgeft.ir import attrs
from edgeft.ir.attrs import int_dict
from edgeft.ir.graph import function, globals_of
from edgeft.ir.queries import symbol_name
from edgeft.ir.types import shaped_bytes
from edgeft.options import CompileOptions
from edgeft.passes.forward_cache import CACHE_ATTR, CACHED, FILL
from edgeft.passes.param_summary import collect_params, summary_json
from edgeft.target import Target
from edgeft.training.structure import trained_and_adapter_names


def lowered(report: dict[str, Any], module: ir.Module, target: Target, batch: int,
            estimate: timeline.Estimate | None) -> None:
    """Add what the lowered, planned `module` shows to `report` (in place)."""
    if target.hierarchical:
        report["memory"] = memory(int_dict(module.operation, attrs.MEMORY), target,
                                  int_dict(module.operation, attrs.L2_BUDGET))
    tiling = int_dict(module.operation, attrs.TILING)
    if tiling is not None:
        report["tiling"] = tiling
    if target.hierarchical:
        report.update(engines(count_module(module), batch, report["flops"]))
    if estimate is not None:
        report.update(timeline.report(estimate, target, batch, report["flops"]))


def memory(plan: dict[str, int], target: Target,
           l2_budget: dict[str, int] | None = None) -> dict[str, Any]:
    """report.json `memory`: the planned size of each level, the L2 lower bound,
    the budgets and how the L2 budget was derived (`l2_budget`: the shared L2
    minus the program's image, part by part, or the --l2 given)."""
    levels = [name for name in target.levels if name in plan]
    budgets = {name: target.levels[name].bytes for name in target.levels}
    out: dict[str, Any] = {
        "peak_bytes": {name: plan[name] for name in levels},
        "lower_bound_bytes": {name: plan[f"{name}_lower_bound"] for name in levels},
        "budget_bytes": budgets,
    }
    if l2_budget is not None:
        budgets["L2"] = l2_budget["bytes"]
        parts = {k: v for k, v in l2_budget.items()
                 if k not in ("bytes", "physical", "input_steps", "lowered_ops")}
        out["l2_budget"] = {
            "bytes": l2_budget["bytes"], "source": "footprint",
            "physical_bytes": l2_budget["physical"], "footprint_bytes": sum(parts.values()),
            "footprint": parts, "input_steps": l2_budget["input_steps"],
            "lowered_ops": l2_budget["lowered_ops"],
            "note": "the shared L2 (runtime/pulp/link.ld) minus the program's image: initial "
                    "values (weights.c), constants, the parameter table, one batch's I/O "
                    "buffers, the input of input_steps training steps, the runtime's code "
                    "and the kernels' code estimated per lowered op (docs/memory.md)"}
    elif "L2" in budgets:
        out["l2_budget"] = {"bytes": budgets["L2"], "source": "--l2"}
    return out


def engines(counts: dict[str, Counts], batch: int, flops: dict[str, float]) -> dict[str, Any]:
    """report.json `transfers` and `redmule` from the counts of the lowered
    functions (analysis.counts): bytes per training sample of @train_step on
    each link, per step and per function; RedMulE jobs per step, FLOPs per
    sample and their share of the step's FLOPs."""
    step = counts["train_step"]
    total = flops["forward"] + flops["backward"] + flops["optimizer"]
    per_sample = step.flops / batch
    return {
        "transfers": {
            "bytes": {link: b / batch for link, b in step.bytes.items()},
            "bytes_per_step": dict(step.bytes),
            "dma_per_step": step.transfers,
            "by_function": {name: {**c.bytes, "dma": c.transfers}
                            for name, c in sorted(counts.items())},
        },
        "redmule": {
            "jobs": step.jobs,
            "flops": per_sample,
            "fraction": per_sample / total if total else 0.0,
            "by_function": {name: {"jobs": c.jobs, "flops": c.flops}
                            for name, c in sorted(counts.items())},
        },
    }


def training(module: ir.Module, model: str, options: CompileOptions) -> dict[str, Any]:
    """report.json of a training module: the target, the options, parameter
    counts and FLOPs per training sample (and the forward cache's figures)."""
    op = module.operation
    params = collect_params(op) or []
    names = set(trained_and_adapter_names(op))
    summary = summary_json([p for p in params if p.name in names])
    forward = function(op, "forward")
    step = function(op, "train_step")
    forward_flops = flops.function_flops(forward)
    optimizer = flops.optimizer_flops(step, names)
    backward = flops.function_flops(step) - forward_flops - optimizer
    batch = options.batch
    report: dict[str, Any] = {
        "target": options.target_description().describe(),
        "model": model,
        "strategy": options.strategy,
        "options": {k: v for k, v in asdict(options).items() if k != "strategy"},
        "trainable_params": summary["trainable_params"],
        "total_params": summary["total_params"],
        "parameters": summary["globals"],
        "flops": {
            "forward": forward_flops / batch,
            "backward": backward / batch,
            "optimizer": optimizer / batch,
        },
    }
    cache_figures = cache(op, batch)
    if cache_figures is not None:
        report["cache"] = cache_figures
    return report


def cache(op: ir.Operation, batch: int) -> dict[str, Any] | None:
    """report.json `cache`: its size and what a step costs with it, or None."""
    caches = [g for g in globals_of(op).values() if CACHE_ATTR in g.attributes]
    if not caches:
        return None
    info = ir.DictAttr(caches[0].attributes[CACHE_ATTR])
    samples = ir.IntegerAttr(info["samples"]).value
    total = 0
    for glob in caches:
        total += shaped_bytes(ir.TypeAttr(glob.attributes["type"]).value)
    quant = ir.StringAttr(info["quant"]).value
    out: dict[str, Any] = {
        "quant": "nf4" if quant == "nf4" else "fp32",
        "samples": samples,
        "bytes": total,
        "bytes_per_sample": total // samples,
        "flops": {"fill": flops.function_flops(function(op, FILL)) / batch,
                  "cached_step": flops.function_flops(function(op, CACHED)) / batch},
        "globals": [symbol_name(g) for g in caches],
        "segments": [{"layer": ir.StringAttr(ir.DictAttr(d)["layer"]).value,
                      "values_per_sample": ir.IntegerAttr(ir.DictAttr(d)["values"]).value}
                     for d in ir.ArrayAttr(info["segments"])],
    }
    if "block" in info:
        out["block"] = ir.IntegerAttr(info["block"]).value
    return out
