"""edgeft-offload-redmule: GEMM-shaped L1 tiles become RedMulE jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from torch_mlir import ir

from edgeft.passes.base import EdgeftPass
from edgeft.passes.promote import PROMOTED_ATTR, index_constant, strided_type, strides_of, subview

FORMATS = ("fp32", "fp16")


@dataclass(frozen=True)
class OffloadRedmule(EdgeftPass):
    """Turn every GEMM-shaped linalg op on L1 operands into `redmule.gemm` jobs.

    Runs after edgeft-promote. An op qualifies when it computes
    `C[b.., m, n] += A[b.., m, k] * B[b.., k, n]` over float32 operands in
    L1 (`#pulp.level<"L1">`) with rows contiguous: its body is one multiply
    and one add into the accumulator, and the maps index A, B and C in this
    order (batch dims first; an operand without them is shared by every
    batch). Each batch point becomes one job, Z = X W + Y with X = A,
    W = B and Y = Z = C (op "gemm": it accumulates, so a tiled reduction
    keeps adding into the same output tile). Transposed operands,
    convolutions and every other op stay on the cores.

        linalg.generic {matmul maps} ins(%a, %b : memref<16x32xf32, L1>, ...) outs(%c ...)
      becomes
        "redmule.gemm"(%a, %b, %c, %c) {m = 16, n = 32, k = 24, op = "gemm", format = "fp32"}
    """

    argument: ClassVar[str] = "edgeft-offload-redmule"

    format: str = field(default="fp32", metadata={"help": "job operand format: fp32 (fp16 "
                                                          "needs float16 operands)"})

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"unknown RedMulE format '{self.format}' (known: fp32, fp16)")

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        element = "f32" if self.format == "fp32" else "f16"
        jobs = 0
        for candidate in _promoted(op):
            shape = gemm_shape(candidate, element)
            if shape is None and self.format == "fp16" and gemm_shape(candidate, "f32"):
                candidate.location.emit_error(
                    "edgeft-offload-redmule: RedMulE format fp16 needs float16 operands and "
                    "this GEMM is float32 (edgeft trains in float32; fp16 jobs would need "
                    "conversions that are not generated): use format fp32")
                pass_.signal_pass_failure()
                return
            if shape is None:
                continue
            with candidate.context, candidate.location:
                _offload(candidate, shape, self.format)
            jobs += 1
        with op.context:
            i64 = ir.IntegerType.get_signless(64)
            op.attributes["edgeft.redmule_ops"] = ir.IntegerAttr.get(i64, jobs)


def _promoted(module: ir.Operation) -> list[ir.Operation]:
    out = []

    def visit(op: ir.Operation) -> None:
        for region in op.regions:
            for block in region.blocks:
                for inner in block.operations:
                    inner = inner.operation
                    if inner.name == "linalg.generic" and PROMOTED_ATTR in inner.attributes:
                        out.append(inner)
                    else:
                        visit(inner)

    visit(module)
    return out


@dataclass
class GemmShape:
    batch: list[int]             # batch loop dims, in loop order
    sizes: list[int]             # every loop's size
    m: int
    k: int                       # the reduction (RedMulE's N)
    n: int                       # output columns (RedMulE's K)
    batched: list[bool]          # per operand (A, B, C): indexed by the batch dims


def gemm_shape(op: ir.Operation, element: str = "f32") -> GemmShape | None:
    """The GEMM an L1 linalg.generic computes, or None if it is not one RedMulE can run."""
    from edgeft.passes.tile import nest_of

    nest = nest_of(op)
    if nest is None or nest.gemm is None or len(list(op.operands)) != 3:
        return None
    if not _multiply_accumulate(op):
        return None
    m, n, k = nest.gemm
    batch = [d for d in range(len(nest.sizes)) if d not in (m, n, k)]
    wanted = [(m, k), (k, n), (m, n)]
    batched = []
    for value, operand, (row, col) in zip(op.operands, nest.operands, wanted, strict=True):
        t = ir.MemRefType(value.type)
        if str(t.element_type) != element or not _in_l1(t) or not _rows_contiguous(t):
            return None
        dims = [ir.AffineDimExpr(e).position for e in operand.map.results]
        if dims[-2:] != [row, col]:
            return None
        if dims[:-2] not in (batch, []):
            return None
        batched.append(bool(dims[:-2]))
    if batch and not batched[2]:
        return None
    return GemmShape(batch, nest.sizes, nest.sizes[m], nest.sizes[k], nest.sizes[n], batched)


def _multiply_accumulate(op: ir.Operation) -> bool:
    """Body: %p = mulf %a, %b; %s = addf %acc, %p (either order); yield %s."""
    body = op.regions[0].blocks[0]
    ops = [o.operation for o in body.operations]
    if [o.name for o in ops] != ["arith.mulf", "arith.addf", "linalg.yield"]:
        return False
    a, b, acc = body.arguments
    mul, add, done = ops
    if set(mul.operands) != {a, b} or a == b:
        return False
    if set(add.operands) != {acc, mul.results[0]}:
        return False
    return done.operands[0] == add.results[0]


def _in_l1(t: ir.MemRefType) -> bool:
    return str(t.memory_space) == '#pulp.level<"L1">'


def _rows_contiguous(t: ir.MemRefType) -> bool:
    """Each matrix of the operand is dense row-major (RedMulE reads rows back to back)."""
    strides, _ = strides_of(t)
    shape = list(t.shape)
    return strides[-1] == 1 and strides[-2] == shape[-1]


def _offload(op: ir.Operation, shape: GemmShape, fmt: str) -> None:
    from torch_mlir.dialects import scf

    ip = ir.InsertionPoint(op)
    ip.__enter__()
    ivs = []
    for d in shape.batch:
        loop = scf.ForOp(index_constant(0), index_constant(shape.sizes[d]), index_constant(1))
        ivs.append(loop.induction_variable)
        ir.InsertionPoint(loop.body).__enter__()
        scf.YieldOp([])
        ir.InsertionPoint.current.__exit__(None, None, None)
        ir.InsertionPoint(loop.body.operations[0]).__enter__()
    matrices = []
    for value, batched in zip(op.operands, shape.batched, strict=True):
        matrices.append(_matrix(value, ivs if batched else []))
    a, b, c = matrices
    i32 = ir.IntegerType.get_signless(32)
    ir.Operation.create("redmule.gemm", operands=[a, b, c, c], attributes={
        "m": ir.IntegerAttr.get(i32, shape.m), "n": ir.IntegerAttr.get(i32, shape.k),
        "k": ir.IntegerAttr.get(i32, shape.n), "op": ir.StringAttr.get("gemm"),
        "format": ir.StringAttr.get(fmt)})
    for _ in range(len(shape.batch) + 1):
        ir.InsertionPoint.current.__exit__(None, None, None)
    op.erase()


def _matrix(value: ir.Value, ivs: list[ir.Value]) -> ir.Value:
    """The 2-D matrix of an operand at one batch point (the operand itself
    when it has no batch dims)."""
    t = ir.MemRefType(value.type)
    if not ivs:
        return value
    strides, _ = strides_of(t)
    shape = list(t.shape)
    rows, cols = shape[-2:]
    result = strided_type([rows, cols], t.element_type, strides[-2:],
                          ir.ShapedType.get_dynamic_stride_or_offset(), t.memory_space)
    return subview(value, list(ivs) + [0, 0], [1] * len(ivs) + [rows, cols], result)
