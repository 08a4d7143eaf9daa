"""`edgeft compile`: import, training passes, and the report of the result."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from torch_mlir import ir

from edgeft import flops, pipelines
from edgeft.errors import UserError
from edgeft.graph import function
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


@dataclass
class Compiled:
    module: ir.Module
    report: dict[str, Any]
    pipeline: str


def compile_model(model: str, options: CompileOptions) -> Compiled:
    """Import `model` and turn it into a training step for `options.strategy`."""
    from edgeft.frontend.importer import import_model_full
    from edgeft.passes.registry import build_pass_manager

    if options.batch < 1:
        raise UserError(f"--batch must be at least 1, got {options.batch}")
    if options.rank < 1:
        raise UserError(f"--rank must be at least 1, got {options.rank}")
    pipeline = pipelines.training(options.strategy, rank=options.rank, alpha=options.alpha,
                                  lr=options.lr, momentum=options.momentum, seed=options.seed,
                                  conv_form=options.conv_form)
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
    return Compiled(module, report, pipeline)


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
    return {
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
            cwriter.write(cwriter.generate(lowered), build)
        (build / "report.json").write_text(json.dumps(compiled.report, indent=2) + "\n")
    except OSError as e:
        raise UserError(f"cannot write into '{build}': {e.strerror}") from None
