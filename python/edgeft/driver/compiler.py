"""`edgeft compile`: import, training passes, and the report of the result."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch_mlir import ir

from edgeft import __version__, pipelines
from edgeft.codegen import builddir, cwriter
from edgeft.estimate import timeline
from edgeft.frontend.importer import import_model_full, is_factory
from edgeft.ir import attrs, diagnostics
from edgeft.ir.errors import UserError
from edgeft.ir.files import strict_json
from edgeft.ir.graph import clone_module
from edgeft.options import TRAINING_BATCH, CompileOptions
from edgeft.passes.plan_memory import placed_buffers
from edgeft.passes.registry import build_pass_manager
from edgeft.report import assemble
from edgeft.report.plots import draw_memory_plan

__all__ = ["CompileOptions", "Compiled", "compile_model", "lower", "write_build"]


@dataclass
class Compiled:
    """A compiled training step: the module, its report and the pipeline that made it."""

    module: ir.Module
    report: dict[str, Any]
    pipeline: str
    target: Any = None     # edgeft.target.Target
    # kernels measured under QEMU by write_build (the rest came from the cache);
    # kept out of report.json, which stays the same on a second compile
    kernels_measured_now: int | None = None


def compile_model(model: str, options: CompileOptions) -> Compiled:
    """Import `model` and turn it into a training step for `options.strategy`.

    Without `options.batch` a factory keeps its example's batch and a
    built-in model takes TRAINING_BATCH; the returned report's options hold
    the batch and loss the step was built with.
    """
    options.target_description()  # bad target options fail before the slow import
    pipeline = pipelines.training(options.strategy, **options.training_options())
    batch = options.batch or (None if is_factory(model) else TRAINING_BATCH)
    imported = import_model_full(model, batch=batch, in_channels=options.in_channels,
                                 loss=options.loss, seed=options.seed,
                                 batchnorm=options.batchnorm)
    options = dataclasses.replace(options, batch=int(imported.example_x.shape[0]),
                                  loss=imported.loss)
    if options.cache != "none" and options.cache_samples < options.batch:
        raise UserError(f"--cache-samples must be at least the batch ({options.batch}), got "
                        f"{options.cache_samples}")
    module = imported.module
    with module.context:
        pm = build_pass_manager(pipeline, module.context)
        try:
            pm.run(module.operation)
        except ir.MLIRError as e:
            diagnostics.check_invalid(module.operation, f"the training pipeline {pipeline}")
            first = diagnostics.from_error(e)[0]
            raise UserError(f"compiling {imported.name} with {options.strategy} failed: "
                            f"{first.message}") from None
    report = assemble.training(module, imported.name, options)
    return Compiled(module, report, pipeline, options.target_description())


def lower(module: ir.Module, target: Any) -> ir.Module:
    """A lowered, planned copy of a training module for `target` (the lowering
    pipeline, pipelines.lowering); the training module is not changed."""
    lowered = clone_module(module)
    with lowered.context:
        pm = build_pass_manager(pipelines.lowering(target), lowered.context)
        try:
            pm.run(lowered.operation)
        except ir.MLIRError as e:
            diagnostics.check_invalid(lowered.operation, "the lowering pipeline")
            message = diagnostics.from_error(e)[0].message
            if not message.startswith("edgeft-"):
                message = f"lowering to loops failed: {message}"
            raise UserError(message) from None
    return lowered


def write_build(compiled: Compiled, build: Path, emit_c: bool = True,
                force: bool = False) -> None:
    """BUILD/train.mlir (with locations), BUILD/report.json and, with `emit_c`,
    BUILD/lowered.mlir and the C program (network.c/.h, weights.c,
    CMakeLists.txt, program.json; see codegen/), and BUILD/manifest.json.

    The build is written whole into a fresh folder beside BUILD and swapped in
    (codegen.builddir): a failure or an interrupt leaves the previous build as
    it was, and a second compile into BUILD waits for the first. BUILD must be
    new, empty or an earlier build, unless `force`."""
    try:
        with builddir.locked(build), builddir.staged(build, force) as stage:
            _write_files(compiled, stage, emit_c)
            builddir.write_manifest(stage, {
                "edgeft": __version__, "model": compiled.report["model"],
                "strategy": compiled.report["strategy"],
                "options": compiled.report["options"]})
    except OSError as e:
        raise UserError(f"cannot write the build '{build}': {e.strerror}") from None


def _write_files(compiled: Compiled, build: Path, emit_c: bool) -> None:
    text = compiled.module.operation.get_asm(enable_debug_info=True, assume_verified=True)
    (build / "train.mlir").write_text(text)
    if emit_c:
        target = compiled.target
        lowered = lower(compiled.module, target)
        (build / "lowered.mlir").write_text(
            lowered.operation.get_asm(enable_debug_info=True, assume_verified=True))
        sources = cwriter.translate(lowered)
        cwriter.write(sources, build)
        performance = None
        if target.hierarchical:
            budgets = {n: lv.bytes for n, lv in target.levels.items()}
            derived = attrs.int_dict(lowered.operation, attrs.L2_BUDGET)
            if derived is not None:   # what the program's image leaves of the shared L2
                budgets["L2"] = derived["bytes"]
            draw_memory_plan(placed_buffers(lowered.operation), budgets,
                             build / "memory.png")
            if compiled.report["options"]["estimate"]:
                performance = timeline.estimate(
                    lowered, target,
                    kernel_cycles=compiled.report["options"].get("kernel_cycles", "auto"))
                compiled.kernels_measured_now = performance.kernels_measured
        assemble.lowered(compiled.report, lowered, target, sources.batch, performance)
    (build / "report.json").write_text(strict_json(compiled.report))
