"""edgeft: the user-facing command.

    edgeft import MODEL [--batch N] [--in-channels C] [--loss cross-entropy|mse]
                        [--seed S] [-o OUT.mlir]

Later stages (compile, run, finetune, report, demo) are added here as they
land; see docs/architecture.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edgeft.driver.common import run_main
from edgeft.errors import UserError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
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
    imp.add_argument("model", help="built-in model (mlp, lenet5, cct2) or path/to/file.py:factory")
    imp.add_argument("--batch", type=int, default=None, help="batch size (default 2, or the "
                     "factory's example batch)")
    imp.add_argument("--in-channels", type=int, default=1, help="input channels of built-in "
                     "models (default 1)")
    imp.add_argument("--loss", default="cross-entropy", help="cross-entropy (default) or mse")
    imp.add_argument("--seed", type=int, default=0, help="seed of the initial weights and "
                     "example batch (default 0)")
    imp.add_argument("-o", dest="output", default="-", help="output file, '-' for stdout")
    imp.set_defaults(run=cmd_import)
    return p


def cmd_import(opts: argparse.Namespace) -> int:
    """`edgeft import`: write the imported module, summarise it on stderr."""
    from edgeft.frontend.importer import import_model_full
    from edgeft.passes.param_summary import collect_params

    imported = import_model_full(opts.model, batch=opts.batch, in_channels=opts.in_channels,
                                 loss=opts.loss, seed=opts.seed)
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
    params = collect_params(module.operation) or []
    count = sum(p.count for p in params)
    where = "" if opts.output == "-" else f" -> {opts.output}"
    print(f"edgeft: imported {imported.name} ({opts.loss} loss, batch "
          f"{imported.example_x.shape[0]}): {len(params)} parameter globals, {count} "
          f"parameters{where}", file=sys.stderr)
    return 0


def body(argv: list[str]) -> int:
    opts = _parser().parse_args(argv)
    return opts.run(opts)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the edgeft console script."""
    return run_main("edgeft", body, argv)


if __name__ == "__main__":
    sys.exit(main())
