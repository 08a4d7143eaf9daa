"""`edgeft compile`: import, training passes, and the report of the result."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from torch_mlir import ir

from edgeft import flops, pipelines
from edgeft.errors import UserError
from edgeft.graph import function, globals_of
from edgeft.passes.param_summary import collect_params, summary_json
from edgeft.structure import trained_and_adapter_names

DEFAULT_BATCH = 20


@dataclass(frozen=True)
class CompileOptions:
    """Everything `edgeft compile` takes besides the model."""

    strategy: str
    rank: int = 4
    alpha: float | None = None
    lr: float = 0.1
    momentum: float = 0.0
    batch: int = DEFAULT_BATCH
    in_channels: int = 1
    loss: str = "cross-entropy"
    seed: int = 0
    conv_form: str = "dense"
    cache: str = "none"
    cache_samples: int = 1024
    cache_block: int = 64
    target: str = "host"
    l1: int | None = None
    l2: int | None = None
    l3: int | None = None
    cores: int | None = None
    redmule_format: str | None = None
    estimate: bool = True     # the performance estimate (siracusa; measures kernels in QEMU)

    def target_description(self):
        """The edgeft.target.Target these options name (UserError if bad)."""
        from edgeft import target

        return target.get(self.target, l1=self.l1, l2=self.l2, l3=self.l3, cores=self.cores,
                          redmule_format=self.redmule_format)


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
    functions (codegen.counts): bytes per training sample of @train_step on
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
    pipeline = pipelines.training(options.strategy, rank=options.rank, alpha=options.alpha,
                                  lr=options.lr, momentum=options.momentum, seed=options.seed,
                                  conv_form=options.conv_form, cache=options.cache,
                                  cache_samples=options.cache_samples,
                                  cache_block=options.cache_block)
    imported = import_model_full(model, batch=options.batch, in_channels=options.in_channels,
                                 loss=options.loss, seed=options.seed)
    module = imported.module
    with module.context:
        pm = build_pass_manager(pipeline, module.context)
        try:
            pm.run(module.operation)
        except ir.MLIRError as e:
            from edgeft import diagnostics

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


def write_build(compiled: Compiled, build: Path, emit_c: bool = True) -> None:
    """BUILD/train.mlir (with locations), BUILD/report.json and the C program
    (network.c/.h, weights.c, CMakeLists.txt, program.json; see codegen/)."""
    from edgeft.codegen import cwriter

    try:
        build.mkdir(parents=True, exist_ok=True)
        text = compiled.module.operation.get_asm(enable_debug_info=True, assume_verified=True)
        (build / "train.mlir").write_text(text)
        if emit_c:
            with compiled.module.context:
                lowered = ir.Module.parse(text)  # C generation lowers a copy
            target = compiled.target
            sources = cwriter.generate(lowered, target,
                                       estimate=compiled.report["options"]["estimate"])
            cwriter.write(sources, build)
            if sources.memory is not None:
                compiled.report["memory"] = memory_report(sources.memory, target)
            if sources.tiling is not None:
                compiled.report["tiling"] = sources.tiling
            if sources.counts:
                compiled.report.update(engine_report(sources.counts, sources.batch,
                                                     compiled.report["flops"]))
            if sources.estimate is not None:
                from edgeft.codegen import estimate

                compiled.kernels_measured_now = sources.estimate.kernels_measured
                compiled.report.update(estimate.report(sources.estimate, target,
                                                       sources.batch, compiled.report["flops"]))
        (build / "report.json").write_text(json.dumps(compiled.report, indent=2) + "\n")
    except OSError as e:
        raise UserError(f"cannot write into '{build}': {e.strerror}") from None
