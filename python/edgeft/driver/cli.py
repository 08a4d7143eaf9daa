"""edgeft: the user-facing command.

edgeft import MODEL [--batch N] [--in-channels C] [--loss L] [--batchnorm frozen|batch] [-o OUT]
edgeft compile MODEL --strategy S [--rank R] [--alpha A] [--lr LR] [--batch B] -o BUILD
edgeft run BUILD --data SPEC [--samples N] [--epochs E] [--backend host|rv32|gvsoc] [--steps N]
edgeft finetune MODEL --strategy S --data SPEC -o BUILD
edgeft pretrain MODEL --data SPEC [--epochs E]
edgeft pipeline --strategy S [training options] | --lowering [--target T ...]
edgeft report BUILD [BUILD ...] [--plots DIR]
edgeft demo
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from edgeft.driver.common import run_main
from edgeft.ir.errors import UserError
from edgeft.options import BATCHNORM_MODES, LOSSES, TRAINING_BATCH, CompileOptions
from edgeft.options import DEFAULTS as D

# The names of frontend.models.BUILTIN, written out so that --help does not import torch
# (tests/test_cli.py checks that the two agree).
BUILTIN_MODELS = ("mlp", "lenet5", "cct2", "dscnn", "resnet8", "autoencoder", "mobilenet_v1",
                  "mobilenet_v2")
MODEL_HELP = f"built-in model ({', '.join(BUILTIN_MODELS)}) or path/to/file.py:factory"


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are user errors (one line, exit 1), not exit 2."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="edgeft",
        description="Compile fine-tuning of PyTorch models for extreme-edge RISC-V SoCs.",
    )
    from edgeft import __version__

    p.add_argument("--version", action="version", version=f"edgeft {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    imp = sub.add_parser(
        "import", help="import a PyTorch model and its loss into MLIR",
        description="Import a model's forward pass and loss into linalg-on-tensors MLIR, "
                    "with one ml_program.global per parameter.")
    imp.add_argument("model", help=MODEL_HELP)
    imp.add_argument("--batch", type=int, default=None, help="batch size (default 2, or the "
                     "factory's example batch)")
    imp.add_argument("--in-channels", type=int, default=1, help="input channels of built-in "
                     "models (default 1)")
    _model_options(imp)
    imp.add_argument("--seed", type=int, default=0, help="seed of the initial weights and "
                     "example batch (default 0)")
    imp.add_argument("-o", dest="output", default="-", help="output file, '-' for stdout")
    imp.set_defaults(run=cmd_import)

    comp = sub.add_parser(
        "compile", help="build the training step of a model for a fine-tuning strategy",
        description="Import MODEL, select what trains, add adapters, generate the backward "
                    "pass and the SGD update, lower for the target and write BUILD/train.mlir, "
                    "BUILD/lowered.mlir, the C program and BUILD/report.json.")
    comp.add_argument("model", help=MODEL_HELP)
    _training_options(comp)
    comp.add_argument("--batch", type=int, default=D.batch, help=f"batch size (default "
                      f"{TRAINING_BATCH}, or the factory's example batch)")
    comp.add_argument("--in-channels", type=int, default=D.in_channels,
                      help=f"input channels (default {D.in_channels})")
    _model_options(comp)
    _cache_options(comp)
    _target_options(comp)
    comp.add_argument("-o", dest="output", required=True, help="build directory")
    _force_option(comp)
    comp.set_defaults(run=cmd_compile)

    run = sub.add_parser("run", help="fine-tune a compiled training step on real data",
                         description="Build BUILD's C program (if needed) and fine-tune it on "
                                     "N samples of a (rotated) test split; writes "
                                     "BUILD/metrics.json.")
    run.add_argument("build", help="a directory made by edgeft compile")
    _run_options(run)
    run.set_defaults(run=cmd_run)

    fin = sub.add_parser("finetune", help="compile + run",
                         description="edgeft compile, then edgeft run, with both options.")
    fin.add_argument("model", help="built-in model or path/to/file.py:factory")
    _training_options(fin, seed=False)
    fin.add_argument("--batch", type=int, default=D.batch, help=f"batch size (default "
                     f"{TRAINING_BATCH}, or the factory's example batch)")
    fin.add_argument("--in-channels", type=int, default=D.in_channels,
                     help=f"input channels (default {D.in_channels})")
    _batchnorm_option(fin)
    _cache_options(fin)
    _target_options(fin)
    fin.add_argument("-o", dest="output", required=True, help="build directory")
    _force_option(fin)
    _run_options(fin)
    fin.set_defaults(run=cmd_finetune)

    pipe = sub.add_parser(
        "pipeline", help="print the pass pipelines edgeft compile runs",
        description="Print the training pipeline of a strategy (imported module -> "
                    "BUILD/train.mlir) or, with --lowering, the backend of a target "
                    "(BUILD/train.mlir -> BUILD/lowered.mlir), for edgeft-opt -p.")
    pipe.add_argument("--lowering", action="store_true",
                      help="the lowering pipeline of --target instead of the training one")
    _training_options(pipe, strategy_required=False)
    _cache_options(pipe)
    _target_options(pipe, estimate=False)
    pipe.set_defaults(run=cmd_pipeline)

    pre = sub.add_parser("pretrain", help="train a built-in model's base weights in PyTorch",
                         description="Train on the upright train split and save the weights "
                                     "(default $EDGEFT_CACHE_DIR/weights/MODEL-DATA.npz; "
                                     "never into the installed package).")
    pre.add_argument("model", help=f"built-in model ({', '.join(BUILTIN_MODELS)})")
    pre.add_argument("--data", default="fmnist", help="data spec (default fmnist)")
    pre.add_argument("--epochs", type=int, default=3)
    pre.add_argument("--seed", type=int, default=0)
    pre.add_argument("-o", dest="output", default=None, help="weights file (.npz)")
    pre.set_defaults(run=cmd_pretrain)

    rep = sub.add_parser("report", help="print the performance figures of compiled builds",
                         description="Per build a table of cycles per layer (phase, engine, "
                                     "DMA bytes); with several builds a comparison of "
                                     "parameters, peak memory, traffic and latency; then the "
                                     "target's assumptions. Reads BUILD/report.json.")
    rep.add_argument("builds", nargs="+", metavar="BUILD",
                     help="directories made by edgeft compile")
    rep.add_argument("--plots", metavar="DIR", default=None,
                     help="also write latency_by_layer.png and memory_by_level.png into DIR")
    rep.set_defaults(run=cmd_report)

    demo = sub.add_parser("demo", help="fine-tune pretrained LeNet-5 on rotated Fashion-MNIST",
                          description="lenet5, 1024 Fashion-MNIST test samples rotated 75 "
                                      "degrees, several strategies, host backend.")
    demo.add_argument("--epochs", type=int, default=10)
    demo.add_argument("-o", dest="output", default="build/demo", help="where the builds go")
    demo.set_defaults(run=cmd_demo)
    return p


def _training_options(p: argparse.ArgumentParser, strategy_required: bool = True,
                      seed: bool = True) -> None:
    p.add_argument("--strategy", required=strategy_required, help="ft-all, ft-last, ft-bias, "
                   "lp, ft-N, lora-all, lora-last, lora-N, skip-lora")
    p.add_argument("--rank", type=int, default=D.rank,
                   help=f"adapter rank (default {D.rank})")
    p.add_argument("--alpha", type=float, default=D.alpha, help="LoRA alpha (default: the rank)")
    p.add_argument("--lr", type=float, default=D.lr,
                   help=f"SGD learning rate (default {D.lr:g})")
    p.add_argument("--momentum", type=float, default=D.momentum,
                   help=f"SGD momentum (default {D.momentum:g})")
    p.add_argument("--conv-form", default=D.conv_form, choices=["dense", "kernel"],
                   help=f"LoRA form on convolutions (default {D.conv_form})")
    if seed:  # edgeft finetune has one --seed for the compile and the run
        p.add_argument("--seed", type=int, default=D.seed,
                       help=f"seed of weights and adapters (default {D.seed})")


def _force_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true",
                   help="replace the -o folder even if it holds files edgeft did not write")


def _model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--loss", default=D.loss, help=f"{', '.join(LOSSES)} (default: the "
                   "model's own loss, else cross-entropy)")
    _batchnorm_option(p)


def _batchnorm_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--batchnorm", default=D.batchnorm,
                   help=f"BatchNorm statistics, {' or '.join(BATCHNORM_MODES)}: frozen (default) "
                        "normalises by the running statistics; batch by the batch's, updating "
                        "the running statistics each step (train mode)")


def _target_options(p: argparse.ArgumentParser, estimate: bool = True) -> None:
    p.add_argument("--target", default=D.target, help="host (flat memory, default) or siracusa")
    p.add_argument("--l1", type=int, default=None, help="siracusa: L1 budget in bytes")
    p.add_argument("--l2", type=int, default=None, help="siracusa: L2 budget in bytes")
    p.add_argument("--l3", type=int, default=None, help="siracusa: L3 budget in bytes")
    p.add_argument("--cores", type=int, default=None, help="siracusa: cluster cores (8)")
    p.add_argument("--redmule-format", default=None, help="siracusa: fp32 (default) or fp16")
    if estimate:
        p.add_argument("--no-estimate", dest="estimate", action="store_false",
                       help="siracusa: skip the performance estimate (it measures each new "
                            "kernel, on GVSoC or under QEMU)")
        p.add_argument("--kernel-cycles", default=D.kernel_cycles,
                       choices=["auto", "gvsoc", "qemu"],
                       help="siracusa: where the estimate measures each kernel: gvsoc (cycles "
                            "on the simulated cluster; needs GVSoC, EDGEFT_GVSOC or PATH), qemu "
                            "(instructions under QEMU through the core model), auto (default: "
                            "$EDGEFT_KERNEL_CYCLES if set, else gvsoc when found)")


def _cache_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cache", default=D.cache, choices=["none", "fp32", "nf4"],
                   help=f"forward cache of the frozen prefix's activations (default {D.cache})")
    p.add_argument("--cache-samples", type=int, default=D.cache_samples,
                   help=f"samples the cache holds (default {D.cache_samples})")
    p.add_argument("--cache-block", type=int, default=D.cache_block,
                   help=f"NF4 block size (default {D.cache_block})")


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", required=True, help="fmnist, fmnist-rot:DEG, mnist, "
                   "mnist-rot:DEG or idx:DIR")
    p.add_argument("--samples", type=int, default=1024, help="fine-tuning samples (1024)")
    p.add_argument("--epochs", type=int, default=10, help="epochs (10)")
    p.add_argument("--backend", default="host",
                   help="host (default), rv32 (QEMU) or gvsoc (the Siracusa simulator)")
    p.add_argument("--steps", type=int, default=None,
                   help="run only the first N training steps (for simulators)")
    p.add_argument("--gvsoc", default=None,
                   help="the gvsoc launcher (default: $EDGEFT_GVSOC, then gvsoc on PATH)")
    p.add_argument("--seed", type=int, default=0, help="seed of sample choice and order")
    p.add_argument("--threads", type=int, default=None,
                   help="host: threads that run each kernel's slices (default: the "
                        "machine's cores); the results do not depend on it")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def cmd_import(opts: argparse.Namespace) -> int:
    """`edgeft import`: write the imported module, summarise it on stderr."""
    from edgeft.frontend.importer import import_model_full
    from edgeft.passes.param_summary import collect_params

    imported = import_model_full(opts.model, batch=opts.batch, in_channels=opts.in_channels,
                                 loss=opts.loss, seed=opts.seed, batchnorm=opts.batchnorm)
    module = imported.module
    text = module.operation.get_asm(enable_debug_info=True, assume_verified=True)
    if opts.output == "-":
        sys.stdout.write(text)
    else:
        try:
            Path(opts.output).parent.mkdir(parents=True, exist_ok=True)
            Path(opts.output).write_text(text)
        except OSError as e:
            raise UserError(f"cannot write '{opts.output}': {e.strerror}") from None
    names = set(imported.parameter_names)
    params = [p for p in collect_params(module.operation) or [] if p.name in names]
    count = sum(p.count for p in params)
    where = "" if opts.output == "-" else f" -> {opts.output}"
    print(f"edgeft: imported {imported.name} ({imported.loss} loss, batch "
          f"{imported.example_x.shape[0]}): {len(params)} parameter globals, {count} "
          f"parameters{where}", file=sys.stderr)
    return 0


def cmd_compile(opts: argparse.Namespace) -> int:
    """`edgeft compile`: write BUILD/train.mlir and BUILD/report.json."""
    from edgeft.codegen.builddir import check_target

    check_target(Path(opts.output), opts.force)   # before the slow imports and the compile
    from edgeft.driver.compiler import compile_model, write_build

    compiled = compile_model(opts.model, CompileOptions.from_namespace(opts))
    write_build(compiled, Path(opts.output), force=opts.force)
    report = compiled.report
    f = report["flops"]
    print(f"edgeft: {report['model']} {report['strategy']}: {report['trainable_params']} of "
          f"{report['total_params']} parameters train; FLOPs per sample: forward "
          f"{f['forward']:.0f}, backward {f['backward']:.0f}, optimizer {f['optimizer']:.0f} "
          f"-> {opts.output}/train.mlir", file=sys.stderr)
    memory = report.get("memory")
    if memory:
        levels = ", ".join(f"{name} {size:,} B" for name, size in memory["peak_bytes"].items())
        budget = memory.get("l2_budget", {})
        if budget.get("source") == "footprint":
            levels += (f" (L2 budget {budget['bytes']:,} B: the {budget['physical_bytes']:,} B "
                       f"of shared L2 less the program's image, {budget['footprint_bytes']:,} B)")
        print(f"edgeft: memory plan for {report['target']['name']}: {levels}", file=sys.stderr)
    cycles = report.get("cycles")
    if cycles:
        e = report["estimate"]
        print(f"edgeft: estimate: {cycles['estimate']:,} cycles per step = "
              f"{report['latency_ms']['estimate']:.2f} ms at "
              f"{report['target']['frequency_mhz']:g} MHz, {report['updates_per_second']:.1f} "
              f"steps/s, {report['flops_per_cycle']:.2f} FLOPs/cycle ({e['kernels']} core "
              f"kernels, {compiled.kernels_measured_now} measured "
              f"{'on GVSoC' if e.get('kernel_cycles') == 'gvsoc' else 'under QEMU'} now)",
              file=sys.stderr)
    cache = report.get("cache")
    if cache:
        print(f"edgeft: {cache['quant']} forward cache of {cache['samples']} samples: "
              f"{cache['bytes_per_sample']} bytes per sample, {cache['bytes']} in all; a cached "
              f"step costs {cache['flops']['cached_step']:.0f} FLOPs per sample",
              file=sys.stderr)
    return 0


def cmd_pipeline(opts: argparse.Namespace) -> int:
    """`edgeft pipeline`: the training or the lowering pipeline on stdout."""
    from edgeft import pipelines

    if opts.lowering:
        options = CompileOptions.from_namespace(opts, strategy=opts.strategy or "")
        print(pipelines.lowering(options.target_description()))
        return 0
    if not opts.strategy:
        raise UserError("edgeft pipeline needs --strategy (or --lowering for the backend)")
    options = CompileOptions.from_namespace(opts)
    print(pipelines.training(options.strategy, **options.training_options()))
    return 0


def cmd_run(opts: argparse.Namespace) -> int:
    """`edgeft run`: fine-tune BUILD on the data and print its accuracy before and after."""
    from edgeft.driver.run import run

    metrics = run(Path(opts.build), opts.data, opts.samples, opts.epochs, opts.seed,
                  opts.backend, progress=not opts.no_progress, steps=opts.steps,
                  gvsoc=opts.gvsoc, threads=opts.threads)
    instructions = ""
    if metrics.instructions_per_step:
        per_step = sum(metrics.instructions_per_step) / len(metrics.instructions_per_step)
        instructions = f", {per_step:,.0f} RV32 instructions per step"
    if metrics.cycles_per_step:
        per_step = sum(metrics.cycles_per_step) / len(metrics.cycles_per_step)
        instructions = f", {per_step:,.0f} cluster cycles per step"
    ran = len(metrics.loss_per_step)
    if ran < metrics.steps_planned:
        print(f"edgeft: {ran} of the {metrics.steps_planned} steps of {opts.epochs} epochs "
              f"ran (--steps); accuracy after them, measured on {metrics.accuracy_on}",
              file=sys.stderr)
    print(f"edgeft: {metrics.data} ({metrics.backend}): accuracy {metrics.accuracy_before:.1%} "
          f"-> {metrics.accuracy_after:.1%} on {metrics.eval_samples} held-out samples; "
          f"{len(metrics.loss_per_step)} steps in {sum(metrics.epoch_seconds):.1f} s"
          f"{instructions} -> {opts.build}/metrics.json", file=sys.stderr)
    return 0


def cmd_finetune(opts: argparse.Namespace) -> int:
    """`edgeft finetune`: `edgeft compile`, then `edgeft run` on the build."""
    opts.loss = "cross-entropy"
    cmd_compile(opts)
    opts.build = opts.output
    return cmd_run(opts)


def cmd_pretrain(opts: argparse.Namespace) -> int:
    """`edgeft pretrain`: train a built-in model's base weights and write them (.npz)."""
    from edgeft.frontend.pretrain import pretrain

    result = pretrain(opts.model, opts.data, opts.epochs, seed=opts.seed,
                      output=Path(opts.output) if opts.output else None)
    print(f"edgeft: {opts.model} on {opts.data}: test accuracy {result.test_accuracy:.1%} "
          f"after {opts.epochs} epochs ({result.seconds:.0f} s) -> {result.path} (edgeft "
          "import keeps the packaged weights; load these in a factory, or write them into "
          "python/edgeft/frontend/weights/ with -o to change the default)", file=sys.stderr)
    return 0


def cmd_report(opts: argparse.Namespace) -> int:
    """`edgeft report`: the tables on stdout, the plots' paths on stderr."""
    from edgeft.codegen.builddir import verify
    from edgeft.report import tables as report

    for build in opts.builds:
        verify(Path(build))
    reports = [report.load(Path(build)) for build in opts.builds]
    # plots first, so that --plots with nothing to draw fails before any output
    written = report.plots(reports, Path(opts.plots)) if opts.plots else []
    sections = [report.layer_table(r) for r in reports]
    if len(reports) > 1:
        sections.append(report.comparison_table(reports))
    described = [r for r in reports if r.get("target", {}).get("parameters")]
    if described:
        sections.append(report.assumptions(described[0]))
    print("\n\n".join(sections))
    if written:
        print(f"edgeft: plots -> {', '.join(str(p) for p in written)}", file=sys.stderr)
    return 0


def cmd_demo(opts: argparse.Namespace) -> int:
    """`edgeft demo`: the strategies on rotated Fashion-MNIST, as a table on stdout."""
    from edgeft.driver.demo import demo

    print(demo(Path(opts.output), epochs=opts.epochs))
    return 0


def body(argv: list[str]) -> int:
    """The edgeft command on its arguments; returns the exit code."""
    opts = _parser().parse_args(argv)
    return opts.run(opts)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the edgeft console script."""
    return run_main("edgeft", body, argv)


if __name__ == "__main__":
    sys.exit(main())
