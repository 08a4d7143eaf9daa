"""`edgeft compile`: import, training passes, and the report of the result."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from torch_mlir import ir

from edgeft import pipelines
from edgeft.analysis import flops
from edgeft.ir import attrs
from edgeft.ir.errors import UserError
from edgeft.ir.graph import clone_module, function, globals_of
from edgeft.options import DEFAULTS, CompileOptions
from edgeft.passes.param_summary import collect_params, summary_json
from edgeft.training.structure import trained_and_adapter_names

DEFAULT_BATCH = DEFAULTS.batch

__all__ = ["CompileOptions", "Compiled", "compile_model", "lower", "write_build"]


@dataclass
class Compiled:
    module: ir.Module
    report: dict[str, Any]
    pipeline: str
    target: Any = None     # edgeft.target.Target
    # kernels measured under QEMU by write_build (the rest came from the cache);
    # kept out of report.json, which stays the same on a second compile
    kernels_measured_now: int | None = None


def memory_report(plan: dict[str, int], target) -> dict[str, Any]:
    """report.json `memory`: the planned size of each level, the L2 lower bound
    and the budgets."""
    levels = [name for name in target.levels if name in plan]
    return {
        "peak_bytes": {name: plan[name] for name in levels},
        "lower_bound_bytes": {name: plan[f"{name}_lower_bound"] for name in levels},
        "budget_bytes": {name: target.levels[name].bytes for name in target.levels},
    }


def engine_report(counts: dict, batch: int, flops: dict[str, int]) -> dict[str, Any]:
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


def compile_model(model: str, options: CompileOptions) -> Compiled:
    """Import `model` and turn it into a training step for `options.strategy`."""
    from edgeft.frontend.importer import import_model_full
    from edgeft.passes.registry import build_pass_manager

    if options.batch < 1:
        raise UserError(f"--batch must be at least 1, got {options.batch}")
    if options.rank < 1:
        raise UserError(f"--rank must be at least 1, got {options.rank}")
    if options.cache != "none" and options.cache_samples < options.batch:
        raise UserError(f"--cache-samples must be at least the batch ({options.batch}), got "
                        f"{options.cache_samples}")
    options.target_description()  # bad target options fail before the slow import
    if options.cache_block < 2 or options.cache_block % 2:
        raise UserError(f"--cache-block must be an even number of at least 2, got "
                        f"{options.cache_block}")
    pipeline = pipelines.training(options.strategy, **options.training_options())
    imported = import_model_full(model, batch=options.batch, in_channels=options.in_channels,
                                 loss=options.loss, seed=options.seed)
    module = imported.module
    with module.context:
        pm = build_pass_manager(pipeline, module.context)
        try:
            pm.run(module.operation)
        except ir.MLIRError as e:
            from edgeft.ir import diagnostics

            first = diagnostics.from_error(e)[0]
            raise UserError(f"compiling {imported.name} with {options.strategy} failed: "
                            f"{first.message}") from None
    report = make_report(module, imported.name, options)
    return Compiled(module, report, pipeline, options.target_description())


def make_report(module: ir.Module, model: str, options: CompileOptions) -> dict[str, Any]:
    """report.json: parameter counts and FLOPs per training sample."""
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
    cache = cache_report(op, batch)
    if cache is not None:
        report["cache"] = cache
    return report


def cache_report(op: ir.Operation, batch: int) -> dict[str, Any] | None:
    """report.json `cache`: its size and what a step costs with it, or None."""
    from edgeft.passes.forward_cache import CACHE_ATTR, CACHED, FILL

    caches = [g for g in globals_of(op).values() if CACHE_ATTR in g.attributes]
    if not caches:
        return None
    info = ir.DictAttr(caches[0].attributes[CACHE_ATTR])
    samples = ir.IntegerAttr(info["samples"]).value
    total = 0
    for glob in caches:
        t = ir.RankedTensorType(ir.TypeAttr(glob.attributes["type"]).value)
        total += math.prod(t.shape) * (t.element_type.width // 8)
    quant = ir.StringAttr(info["quant"]).value
    out: dict[str, Any] = {
        "quant": "nf4" if quant == "nf4" else "fp32",
        "samples": samples,
        "bytes": total,
        "bytes_per_sample": total // samples,
        "flops": {"fill": flops.function_flops(function(op, FILL)) / batch,
                  "cached_step": flops.function_flops(function(op, CACHED)) / batch},
        "globals": [ir.StringAttr(g.attributes["sym_name"]).value for g in caches],
        "segments": [{"layer": ir.StringAttr(ir.DictAttr(d)["layer"]).value,
                      "values_per_sample": ir.IntegerAttr(ir.DictAttr(d)["values"]).value}
                     for d in ir.ArrayAttr(info["segments"])],
    }
    if "block" in info:
        out["block"] = ir.IntegerAttr(info["block"]).value
    return out


def lower(module: ir.Module, target: Any) -> ir.Module:
    """A lowered, planned copy of a training module for `target` (the lowering
    pipeline, pipelines.lowering); the training module is not changed."""
    from edgeft.ir import diagnostics
    from edgeft.passes.registry import build_pass_manager

    lowered = clone_module(module)
    with lowered.context:
        pm = build_pass_manager(pipelines.lowering(target), lowered.context)
        try:
            pm.run(lowered.operation)
        except ir.MLIRError as e:
            message = diagnostics.from_error(e)[0].message
            if not message.startswith("edgeft-"):
                message = f"lowering to loops failed: {message}"
            raise UserError(message) from None
    return lowered


def write_build(compiled: Compiled, build: Path, emit_c: bool = True) -> None:
    """BUILD/train.mlir (with locations), BUILD/report.json and, with `emit_c`,
    BUILD/lowered.mlir and the C program (network.c/.h, weights.c,
    CMakeLists.txt, program.json; see codegen/)."""
    from edgeft.analysis import counts
    from edgeft.codegen import cwriter
    from edgeft.passes.plan_memory import placed_buffers
    from edgeft.report.plots import draw_memory_plan

    try:
        build.mkdir(parents=True, exist_ok=True)
        text = compiled.module.operation.get_asm(enable_debug_info=True, assume_verified=True)
        (build / "train.mlir").write_text(text)
        if emit_c:
            target = compiled.target
            lowered = lower(compiled.module, target)
            (build / "lowered.mlir").write_text(
                lowered.operation.get_asm(enable_debug_info=True, assume_verified=True))
            sources = cwriter.translate(lowered)
            cwriter.write(sources, build)
            if target.hierarchical:
                draw_memory_plan(placed_buffers(lowered.operation),
                                 {n: lv.bytes for n, lv in target.levels.items()},
                                 build / "memory.png")
                compiled.report["memory"] = memory_report(sources.memory, target)
            tiling = cwriter.int_dict(lowered, attrs.TILING)
            if tiling is not None:
                compiled.report["tiling"] = tiling
            if target.hierarchical:
                compiled.report.update(engine_report(counts.count_module(lowered),
                                                     sources.batch, compiled.report["flops"]))
            if target.hierarchical and compiled.report["options"]["estimate"]:
                from edgeft.estimate import timeline as estimate

                performance = estimate.estimate(lowered, target)
                compiled.kernels_measured_now = performance.kernels_measured
                compiled.report.update(estimate.report(performance, target, sources.batch,
                                                       compiled.report["flops"]))
        (build / "report.json").write_text(json.dumps(compiled.report, indent=2) + "\n")
    except OSError as e:
        raise UserError(f"cannot write into '{build}': {e.strerror}") from None
