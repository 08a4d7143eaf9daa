"""The program's image in the memory its L2 arena shares, from the lowered module.

    image = program_footprint(module, physical=0x1F0000, figures=ProgramImage())
    image.budget             # the bytes left for the L2 arena
    image.parts()            # each part of the image, in bytes

On Siracusa the L2 arena, the code and the data of the program are linked
into the same shared L2 banks (runtime/pulp/link.ld): what the arena may use
is the physical size minus

- the initial values: every mutable global whose elements are not all equal
  has its values in weights.c (.rodata; edgeft_init copies them into the
  arenas, so such a parameter sits in L2 twice); counted exactly, as
  codegen.cwriter writes them;
- the constants network.c keeps as static arrays (every read-only global:
  an upper bound, the C drops those no code reads);
- the parameter table (edgeft_params[]: 16 bytes and the name per float
  global);
- the I/O buffers of one batch: runtime/pulp/main.c's x, y, logits (and idx
  with a forward cache), network.c's int64 labels of the step (and of the
  cached step);
- the linked input of one GVSoC run: `figures.input_steps` training steps
  in the format of runtime/rv32/main.c (the backends' write_input);
- the code: the runtime's measured bytes plus `figures.code_bytes_per_op`
  per op of the lowered functions (the C is not written yet), and a slack
  for section alignment and the estimate's error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch_mlir import ir

from edgeft.ir import attrs, elements
from edgeft.ir.queries import functions, nested, symbol_name
from edgeft.ir.types import ALIGN, shaped_bytes
from edgeft.target import ProgramImage

# network.h's edgeft_tensor_t: name, data, count, trainable (4 bytes each on RV32)
TABLE_ENTRY_BYTES = 16
# runtime/rv32/main.c's input: an int32 step count, an int32 kind per step
INPUT_WORD_BYTES = 4
FILL_STEP = "cache_fill"    # passes.forward_cache.FILL: the build has a forward cache


@dataclass(frozen=True)
class Footprint:
    """The bytes of the program's image, part by part, and what it leaves."""

    physical: int
    initial_values: int
    constants: int
    parameter_table: int
    io_buffers: int
    input: int
    input_steps: int
    runtime: int
    kernels: int
    lowered_ops: int
    slack: int

    @property
    def image(self) -> int:
        """Every byte of the image that is not the L2 arena."""
        return (self.initial_values + self.constants + self.parameter_table + self.io_buffers
                + self.input + self.runtime + self.kernels + self.slack)

    @property
    def budget(self) -> int:
        """The bytes left for the L2 arena, aligned down to a buffer boundary (0 if none)."""
        return max(self.physical - self.image, 0) // ALIGN * ALIGN

    def parts(self) -> dict[str, int]:
        """The image part by part (report.json memory.l2_budget)."""
        return {"initial_values": self.initial_values, "constants": self.constants,
                "parameter_table": self.parameter_table, "io_buffers": self.io_buffers,
                "input": self.input, "runtime_code": self.runtime,
                "kernel_code": self.kernels, "slack": self.slack}


def program_footprint(module: ir.Operation, physical: int, figures: ProgramImage) -> Footprint:
    """The image of the lowered `module` in `physical` bytes (see the module docstring)."""
    initial, constants, table = _globals(module)
    step = _function_inputs(module, "train_step")
    predict = _function_inputs(module, "predict")
    cached = _function_inputs(module, FILL_STEP) is not None
    io, per_step = 0, 0
    if step is not None and predict is not None:
        x, y = step[0], step[1]
        batch = x.shape[0] if x.shape else 1
        labels = max(1, math.prod(y.shape))
        # main.c: float x[], int32 y[], float logits[], int32 idx[]; network.c: int64 labels[]
        io = shaped_bytes(x) + 4 * labels + shaped_bytes(predict[1]) + 8 * labels
        if cached:
            io += 4 * batch + 8 * labels
        # the largest step of the input: a plain one, or a fill with its cache rows
        per_step = INPUT_WORD_BYTES + shaped_bytes(x) + 4 * labels + (4 * batch if cached else 0)
    ops = sum(len(nested(f.operation)) for f in functions(module))
    return Footprint(
        physical=physical, initial_values=initial, constants=constants, parameter_table=table,
        io_buffers=io, input=INPUT_WORD_BYTES + figures.input_steps * per_step,
        input_steps=figures.input_steps, runtime=figures.runtime_bytes,
        kernels=math.ceil(figures.code_bytes_per_op * ops), lowered_ops=ops,
        slack=figures.slack_bytes)


def initial_value_bytes(module: ir.Operation) -> int:
    """The bytes of the initial values weights.c holds (every mutable global
    whose elements are not all equal)."""
    return _globals(module)[0]


def _globals(module: ir.Operation) -> tuple[int, int, int]:
    """(initial values in weights.c, constants in network.c, the parameter table)."""
    initial = constants = table = 0
    for op in module.regions[0].blocks[0].operations:
        op = op.operation
        if op.name != "memref.global":
            continue
        t = ir.MemRefType(ir.TypeAttr(op.attributes["type"]).value)
        value = op.attributes["initial_value"] if "initial_value" in op.attributes else None
        if "constant" in op.attributes:
            constants += shaped_bytes(t)
            continue
        if value is not None and elements.splat_value(value) is None:
            initial += shaped_bytes(t)
        if str(t.element_type) == "f32" and attrs.CACHE not in op.attributes:
            table += TABLE_ENTRY_BYTES + len(symbol_name(op).encode()) + 1
    return initial, constants, table


def _function_inputs(module: ir.Operation, name: str) -> list[ir.MemRefType] | None:
    """The memref arguments of @name, or None if the module has no such function."""
    for func in functions(module):
        if symbol_name(func) != name:
            continue
        inputs = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value).inputs
        return [ir.MemRefType(t) for t in inputs if isinstance(t, ir.MemRefType)]
    return None
