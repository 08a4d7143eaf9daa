"""edgeft-opt: an mlir-opt for edgeft's passes and dialects.

    edgeft-opt [INPUT|-] [-p PIPELINE] [-o OUT] [--split-input-file]
               [--verify-diagnostics] [--mlir-print-ir-after-all] [--list-passes]

PIPELINE mixes upstream and edgeft passes in MLIR's textual syntax; see
`edgeft.passes.registry`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from edgeft.driver.common import run_main
from edgeft.ir.errors import UserError
from edgeft.ir.files import replace_text

if TYPE_CHECKING:
    from torch_mlir import ir

SPLIT_MARKER = re.compile(r"^// -----.*$", re.MULTILINE)
# MLIR's parser recurses once per region, brace, bracket, parenthesis or angle
# bracket and overflows the 8 MiB stack near 4,000 levels (nested `module {`
# crash from about 4,100, generic-form region ops from about 2,200 ops or
# 4,400 brackets); real IR nests a few dozen.
MAX_NESTING = 1000
# What the nesting count looks at: strings and comments (skipped whole), the
# arrows and comparisons whose `>` or `<` close nothing, and the brackets.
_NESTING_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|//[^\n]*|->|[<>]=|[{}()\[\]<>]')
_OPENERS, _CLOSERS = "{([", "})]"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="edgeft-opt",
        description="Run edgeft and upstream MLIR passes over a module, like mlir-opt.",
    )
    p.add_argument("input", nargs="?", default="-", help="input file, '-' for stdin")
    p.add_argument("-p", "--pass-pipeline", default="", metavar="PIPELINE",
                   help="pipeline in MLIR's textual syntax, e.g. "
                        "'builtin.module(edgeft-param-summary,canonicalize)'")
    p.add_argument("-o", dest="output", default="-", help="output file, '-' for stdout")
    p.add_argument("--split-input-file", action="store_true",
                   help="process each '// -----' chunk on its own")
    p.add_argument("--verify-diagnostics", action="store_true",
                   help="check diagnostics against expected-error@+N {{...}} comments")
    p.add_argument("--mlir-print-ir-after-all", action="store_true",
                   help="print the IR after every pass, to stderr")
    p.add_argument("--mlir-print-op-generic", action="store_true",
                   help="print operations in the generic form")
    p.add_argument("--mlir-print-debuginfo", action="store_true",
                   help="print locations")
    p.add_argument("--mlir-elide-elementsattrs-if-larger", type=int, default=None, metavar="N",
                   help="elide constants with more than N elements")
    p.add_argument("--list-passes", action="store_true",
                   help="list edgeft's passes with their options and exit")
    return p


def list_passes() -> str:
    """Every edgeft pass with its summary and options, for --list-passes."""
    from edgeft.passes import registry

    lines = ["edgeft passes:"]
    for argument in sorted(registry.PASSES):
        cls = registry.pass_class(argument)
        lines.append(f"  {argument}  -  {registry.summary(cls)}")
        for name, type_name, default, help_text in registry.option_docs(cls):
            default_text = f" (default: {default})" if default != "" else ""
            lines.append(f"      {name}=<{type_name}>  {help_text}{default_text}")
    lines.append("Upstream MLIR passes are accepted by their mlir-opt names.")
    return "\n".join(lines) + "\n"


@dataclass
class Chunk:
    """A piece of the input with the line number it starts on."""

    text: str
    first_line: int


def split_chunks(text: str, split: bool) -> list[Chunk]:
    """The input, or its `// -----` separated chunks when splitting."""
    if not split:
        return [Chunk(text, 1)]
    chunks, start, line = [], 0, 1
    for m in SPLIT_MARKER.finditer(text):
        chunks.append(Chunk(text[start:m.start()], line))
        line += text.count("\n", start, m.end())
        start = m.end()
    chunks.append(Chunk(text[start:], line))
    return chunks


def parse_module(text: str, source_name: str) -> ir.Operation | ir.OpView:
    """Parse a chunk, wrapping top-level ops in a module like mlir-opt does.

    A chunk that is one `module` is parsed under its file name; anything else
    goes through `Module.parse`, whose locations name the source "-" (the
    driver prints those as the file name).
    """
    from torch_mlir import ir

    try:
        op = ir.Operation.parse(text, source_name=source_name)
        if op.operation.name == "builtin.module":
            return op
        op.operation.erase()
    except ir.MLIRError as e:
        if "single top-level operation" not in str(e):
            raise
    return ir.Module.parse(text).operation


def process_chunk(chunk: Chunk, opts: argparse.Namespace, source_name: str,
                  out: list[str]) -> tuple[list[str], bool]:
    """Run the pipeline over one chunk, appending its printed IR to `out`.

    Returns the lines for stderr and whether the chunk failed. Under
    --verify-diagnostics the lines are the mismatches with the expectations.
    """
    from torch_mlir import ir

    from edgeft.ir import diagnostics
    from edgeft.ir.context import make_context
    from edgeft.passes.registry import build_pass_manager

    ctx = make_context()
    produced: list[diagnostics.Diag] = []

    def handler(d: ir.Diagnostic) -> bool:
        produced.extend(diagnostics.convert(d))
        return True

    ctx.attach_diagnostic_handler(handler)
    text = "\n" * (chunk.first_line - 1) + chunk.text
    with ctx:
        pm = build_pass_manager(opts.pass_pipeline, ctx)
        if opts.mlir_print_ir_after_all:
            ctx.enable_multithreading(False)
            pm.enable_ir_printing(print_after_all=True)
        try:
            module = parse_module(text, source_name)
            pm.run(module.operation)
        except ir.MLIRError as e:
            produced.extend(diagnostics.from_error(e))
            module = None
        failed = module is None or any(d.severity == "error" for d in produced)
        if not failed:
            out.append(module.operation.get_asm(
                print_generic_op_form=opts.mlir_print_op_generic,
                enable_debug_info=opts.mlir_print_debuginfo,
                large_elements_limit=opts.mlir_elide_elementsattrs_if_larger,
                assume_verified=True,
            ))
    produced = [d.with_file(source_name) if d.file == "-" else d for d in produced]
    if opts.verify_diagnostics:
        problems = diagnostics.verify(text, produced, source_name)
        return problems, bool(problems)
    return [d.format() for d in produced], failed


def read_source(path: str) -> tuple[str, str]:
    """The text of an input file ('-': stdin) and the name diagnostics give it; a
    UserError for a file that cannot be read, is not UTF-8 or nests too deep."""
    if path == "-":
        stream = getattr(sys.stdin, "buffer", None)
        data, name = (stream.read() if stream is not None else sys.stdin.read()), "<stdin>"
    else:
        try:
            data, name = Path(path).read_bytes(), path
        except OSError as e:
            raise UserError(f"cannot read '{path}': {e.strerror}") from None
    text = data if isinstance(data, str) else decode_utf8(data, name)
    check_nesting(text, name)
    return text, name


def decode_utf8(data: bytes, name: str) -> str:
    """`data` as UTF-8 text, or a UserError naming the first byte that is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - data.rfind(b"\n", 0, e.start)
        raise UserError(f"'{name}' is not UTF-8: byte 0x{data[e.start]:02x} at offset "
                        f"{e.start} (line {line}, column {column})") from None


def nesting(text: str) -> tuple[int, int]:
    """The deepest nesting of brackets in MLIR text (outside strings and comments)
    and the offset where it first goes past MAX_NESTING (-1 if it never does)."""
    brackets = angles = deepest = 0
    past = -1
    for m in _NESTING_TOKEN.finditer(text):
        token = m.group()
        if len(token) > 1:
            continue
        if token in _OPENERS:
            brackets += 1
        elif token in _CLOSERS:
            brackets = max(brackets - 1, 0)
        elif token == "<":
            angles += 1
        else:
            angles = max(angles - 1, 0)
        deepest = max(deepest, brackets + angles)
        if past < 0 and deepest > MAX_NESTING:
            past = m.start()
    return deepest, past


def check_nesting(text: str, name: str) -> None:
    """Refuse text nested deeper than MLIR's parser survives, before it crashes on it."""
    deepest, past = nesting(text)
    if past < 0:
        return
    line = text.count("\n", 0, past) + 1
    raise UserError(f"'{name}' nests {deepest} levels deep (past {MAX_NESTING} at line "
                    f"{line}); at most {MAX_NESTING} levels of regions and brackets are "
                    "accepted")


def write_output(text: str, path: str) -> None:
    """Write `text` to stdout ('-') or to `path`: a regular file is written beside
    itself and renamed over the old one, so a failed write leaves the old file."""
    if path == "-":
        sys.stdout.write(text)
        return
    target = Path(os.path.realpath(path))
    try:
        if target.exists() and not target.is_file():
            target.write_text(text)  # a device or a pipe (/dev/null) is written in place
            return
        replace_text(target, text)
    except OSError as e:
        raise UserError(f"cannot write '{path}': {e.strerror}") from None


def body(argv: list[str]) -> int:
    """edgeft-opt on its arguments: every chunk of the input through the pipeline; the exit code."""
    opts = _parser().parse_args(argv)
    if opts.list_passes:
        sys.stdout.write(list_passes())
        return 0
    text, source_name = read_source(opts.input)
    outputs: list[str] = []
    any_failed = False
    for chunk in split_chunks(text, opts.split_input_file):
        messages, failed = process_chunk(chunk, opts, source_name, outputs)
        if messages:
            sys.stderr.write("\n".join(messages) + "\n")
        any_failed = any_failed or failed
    if any_failed and opts.output != "-":
        return 1  # the old output file stays as it was
    write_output("// -----\n".join(outputs), opts.output)
    return 1 if any_failed else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the edgeft-opt console script."""
    return run_main("edgeft-opt", body, argv)


if __name__ == "__main__":
    sys.exit(main())
