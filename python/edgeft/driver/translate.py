"""edgeft-translate: lowered MLIR to C, like mlir-translate.

    edgeft-translate INPUT --to-c [-o OUT.c] [--split-input-file]
    edgeft-translate INPUT --to-c --build DIR

INPUT is lowered, planned IR (BUILD/lowered.mlir, or the output of
`edgeft-opt -p "$(edgeft pipeline --lowering ...)"`). `--to-c` prints
network.c: the module's globals, arenas and functions, and the training
API when the module has @train_step and @predict. `--build DIR` writes the
whole C program of a training module (network.c/.h, weights.c,
CMakeLists.txt, program.json) as `edgeft compile` does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edgeft.driver.common import run_main
from edgeft.driver.opt import read_source, split_chunks, write_output
from edgeft.ir.errors import UserError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="edgeft-translate",
                                description="Translate lowered edgeft MLIR into C.")
    p.add_argument("input", nargs="?", default="-", help="input file, '-' for stdin")
    p.add_argument("--to-c", action="store_true",
                   help="translate to C11 (the only translation; required)")
    p.add_argument("-o", dest="output", default="-", help="output file for network.c")
    p.add_argument("--build", default=None, metavar="DIR",
                   help="write the whole C program of a training module into DIR")
    p.add_argument("--split-input-file", action="store_true",
                   help="translate each '// -----' chunk on its own")
    return p


def translate_chunk(text: str, source_name: str, build: Path | None) -> str:
    """network.c of one module's text (and, with `build`, the build files)."""
    from torch_mlir import ir

    from edgeft.codegen import cwriter
    from edgeft.ir import diagnostics
    from edgeft.ir.context import make_context

    with make_context():
        try:
            module = ir.Module.parse(text)
        except ir.MLIRError as e:
            first = diagnostics.from_error(e)[0]
            if first.file in (None, "-"):
                first = first.with_file(source_name)
            raise UserError(f"cannot parse the input: {first.format()}") from None
        if build is None:
            return cwriter.network_c(module)
        sources = cwriter.translate(module)
        try:
            cwriter.write(sources, build)
        except OSError as e:
            raise UserError(f"cannot write into '{build}': {e.strerror}") from None
        return sources.files["network.c"]


def body(argv: list[str]) -> int:
    """Translate the input (each chunk with --split-input-file) and write the C."""
    opts = _parser().parse_args(argv)
    if not opts.to_c:
        raise UserError("say which translation: --to-c (the only one)")
    if opts.build and opts.split_input_file:
        raise UserError("--build writes one program: it does not take --split-input-file")
    text, source_name = read_source(opts.input)
    build = Path(opts.build) if opts.build else None
    outputs = []
    for chunk in split_chunks(text, opts.split_input_file):
        padded = "\n" * (chunk.first_line - 1) + chunk.text
        outputs.append(translate_chunk(padded, source_name, build))
    write_output("// -----\n".join(outputs), opts.output)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the edgeft-translate console script."""
    return run_main("edgeft-translate", body, argv)


if __name__ == "__main__":
    sys.exit(main())
