"""edgeft-offload-redmule: GEMM-shaped L1 tiles become RedMulE jobs."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, ClassVar

from torch_mlir import ir

from edgeft.ir import attrs, queries
from edgeft.ir.builders import iterator_attr, maps_attr
from edgeft.ir.errors import UserError
from edgeft.ir.graph import ancestor_in
from edgeft.ir.queries import memory_level
from edgeft.ir.types import shaped_bytes
from edgeft.passes.base import (
    BUDGET_MAX,
    BUDGET_MIN,
    CLUSTER_CORES,
    EdgeftPass,
    Range,
    option,
)
from edgeft.passes.promote import (
    PROMOTED_ATTR,
    alloc_l1,
    collapse,
    index_constant,
    loop_nest,
    strided_type,
    strides_of,
    subview,
)
from edgeft.passes.tile import nest_of
from edgeft.target import Target, get, perf

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
    keeps adding into the same output tile). A stride-1 NCHW convolution tile
    goes through im2col where it pays (by the target's performance model,
    edgeft.target.perf, on the target built from `target`, `l1`, `cores` and
    `format`: the convolution on the cores against the column copy and the
    jobs) and its column matrix fits L1 beside the tile's buffers (`l1`):
    per image, a core kernel copies the
    patches into col[(c, kh, kw), (oh, ow)], then one job computes
    out[n] += w col. Transposed operands and every other op stay on the cores.

        linalg.generic {matmul maps} ins(%a, %b : memref<16x32xf32, L1>, ...) outs(%c ...)
      becomes
        "redmule.gemm"(%a, %b, %c, %c) {m = 16, n = 32, k = 24, op = "gemm", format = "fp32"}
    """

    argument: ClassVar[str] = "edgeft-offload-redmule"

    format: str = field(default="fp32", metadata={"help": "job operand format: fp32 (fp16 "
                                                          "needs float16 operands)"})
    l1: int = option(131072, "L1 budget in bytes, for im2col buffers of convolutions",
                     Range(BUDGET_MIN, BUDGET_MAX, zero="the target's"))
    target: str = field(default="siracusa", metadata={
        "help": "target description whose cost model decides im2col"})
    cores: int = option(0, "cluster cores a core kernel splits over",
                        Range(1, CLUSTER_CORES, zero="the target's"))

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.format not in FORMATS:
            raise ValueError(f"unknown RedMulE format '{self.format}' (known: fp32, fp16)")
        self.target_description()

    def target_description(self) -> Target:
        """The target whose jobs and cores the pass compares, from its options."""
        try:
            target = get(self.target, l1=self.l1 or None, cores=self.cores or None,
                         redmule_format=self.format)
        except UserError as e:
            raise ValueError(str(e)) from None
        if target.redmule is None or target.core is None:
            raise ValueError(f"target '{self.target}' has no RedMulE to offload to")
        return target

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Offload every qualifying promoted op; fail at the first that cannot be."""
        target = self.target_description()
        element = "f32" if self.format == "fp32" else "f16"
        jobs = 0
        columns: dict = {}  # (loop nest, shape) -> its im2col buffer in L1
        for candidate in promoted_ops(op):
            shape = gemm_shape(candidate, element)
            if shape is None and self.format == "fp16" and gemm_shape(candidate, "f32"):
                candidate.location.emit_error(
                    "edgeft-offload-redmule: RedMulE format fp16 needs float16 operands and "
                    "this GEMM is float32 (edgeft trains in float32; fp16 jobs would need "
                    "conversions that are not generated): use format fp32")
                pass_.signal_pass_failure()
                return
            if shape is None:
                conv = conv_shape(candidate)
                if conv is None or not im2col_pays(conv, candidate, target):
                    continue
                with candidate.context, candidate.location:
                    _offload_conv(candidate, conv, self.format, columns)
                jobs += 1
                continue
            with candidate.context, candidate.location:
                _offload(candidate, shape, self.format)
            jobs += 1
        with op.context:
            i64 = ir.IntegerType.get_signless(64)
            op.attributes[attrs.REDMULE_OPS] = ir.IntegerAttr.get(i64, jobs)


def promoted_ops(module: ir.Operation) -> list[ir.Operation]:
    """The linalg ops edgeft-promote gave L1 operands, in program order."""
    return [op for op in queries.nested(module, "linalg.generic")
            if PROMOTED_ATTR in op.attributes]


@dataclass
class GemmShape:
    """A linalg op read as C[b.., m, n] += A[b.., m, k] B[b.., k, n]."""

    batch: list[int]             # batch loop dims, in loop order
    sizes: list[int]             # every loop's size
    m: int
    k: int                       # the reduction (RedMulE's N)
    n: int                       # output columns (RedMulE's K)
    batched: list[bool]          # per operand (A, B, C): indexed by the batch dims


def gemm_shape(op: ir.Operation, element: str = "f32") -> GemmShape | None:
    """The GEMM an L1 linalg.generic computes, or None if it is not one RedMulE can run."""
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
    return memory_level(t) == "L1"


def _rows_contiguous(t: ir.MemRefType) -> bool:
    """Each matrix of the operand is dense row-major (RedMulE reads rows back to back)."""
    strides, _ = strides_of(t)
    shape = list(t.shape)
    return strides[-1] == 1 and strides[-2] == shape[-1]


def _offload(op: ir.Operation, shape: GemmShape, fmt: str) -> None:
    with contextlib.ExitStack() as nest:
        nest.enter_context(ir.InsertionPoint(op))
        ivs = loop_nest([shape.sizes[d] for d in shape.batch], nest)
        a, b, c = (_matrix(value, ivs if batched else [])
                   for value, batched in zip(op.operands, shape.batched, strict=True))
        i32 = ir.IntegerType.get_signless(32)
        ir.Operation.create("redmule.gemm", operands=[a, b, c, c], attributes={
            "m": ir.IntegerAttr.get(i32, shape.m), "n": ir.IntegerAttr.get(i32, shape.k),
            "k": ir.IntegerAttr.get(i32, shape.n), "op": ir.StringAttr.get("gemm"),
            "format": ir.StringAttr.get(fmt)})
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


# --- convolutions through im2col ------------------------------------------------------

def conv_maps() -> list[ir.AffineMap]:
    """The maps of a stride-1 NCHW convolution over (n, f, oh, ow, c, kh, kw): input,
    weight, output (in the current context)."""
    n, f, oh, ow, c, kh, kw = (ir.AffineDimExpr.get(i) for i in range(7))
    return [ir.AffineMap.get(7, 0, exprs) for exprs in
            ([n, c, oh + kh, ow + kw], [f, c, kh, kw], [n, f, oh, ow])]


@dataclass
class ConvShape:
    """A stride-1 NCHW convolution tile: out[n,f,oh,ow] += in[n,c,oh+kh,ow+kw] w[f,c,kh,kw]."""

    n: int
    f: int
    oh: int
    ow: int
    c: int
    kh: int
    kw: int

    @property
    def rows(self) -> int:
        """The GEMM's reduction: c * kh * kw."""
        return self.c * self.kh * self.kw

    @property
    def columns(self) -> int:
        """The output pixels: oh * ow."""
        return self.oh * self.ow


def conv_shape(op: ir.Operation) -> ConvShape | None:
    """The convolution an L1 linalg.generic computes, or None."""
    nest = nest_of(op)
    if nest is None or len(nest.sizes) != 7 or len(list(op.operands)) != 3:
        return None
    if nest.reductions != [4, 5, 6] or not _multiply_accumulate(op):
        return None
    for value, operand, expected in zip(op.operands, nest.operands, conv_maps(), strict=True):
        t = ir.MemRefType(value.type)
        if t.element_type != ir.F32Type.get() or not _in_l1(t) or not _dense(t):
            return None
        if operand.map != expected:
            return None
    return ConvShape(*nest.sizes)


def _dense(t: ir.MemRefType) -> bool:
    strides, _ = strides_of(t)
    running = 1
    for size, stride in zip(reversed(list(t.shape)), reversed(strides), strict=True):
        if size != 1 and stride != running:
            return False
        running *= size
    return True


def im2col_pays(conv: ConvShape, op: ir.Operation, target: Target) -> bool:
    """Offload when, by the target's cost model, copying the columns of every
    image and running its job beats the convolution on the cores, and the
    column buffer fits in the target's L1 beside the tile buffers of the op
    and of the ops fused with it."""
    column_bytes = conv.rows * conv.columns * 4
    if _l1_in_use(op) + column_bytes > target.levels["L1"].bytes:
        return False
    return im2col_cycles(conv, target) < conv_core_cycles(conv, target)


def conv_core_cycles(conv: ConvShape, target: Target) -> float:
    """The convolution tile on the cores: one FMA per MAC, over the target's cores."""
    macs = conv.n * conv.f * conv.columns * conv.rows
    return perf.core_fma_cycles(target, macs, target.cores)


def im2col_cycles(conv: ConvShape, target: Target) -> float:
    """The tile through im2col: per image, the column copy over the cores,
    then one job out (f x oh*ow) += w (f x c*kh*kw) col."""
    per_image = (perf.core_copy_cycles(target, conv.rows * conv.columns, target.cores)
                 + perf.redmule_cycles(target, conv.f, conv.rows, conv.columns))
    return conv.n * per_image


def _l1_in_use(op: ir.Operation) -> int:
    """Bytes of the L1 buffers behind the operands of the op and of the ops
    fused with it (the linalg ops of its tile loop)."""
    seen, total = set(), 0
    mark = queries.fused_group(op)
    group = [o.operation for o in op.block.operations
             if mark is not None and queries.fused_group(o.operation) == mark] or [op]
    for value in [v for member in group for v in member.operands]:
        value = queries.root_buffer(value)
        owner = queries.producer(value)
        if owner is None or owner in seen or not isinstance(value.type, ir.MemRefType):
            continue
        seen.add(owner)
        total += shaped_bytes(value.type)
    return total


def _offload_conv(op: ir.Operation, conv: ConvShape, fmt: str, columns: dict) -> None:
    """Per image n of the tile: copy the input patches into a column matrix
    col[(c, kh, kw), (oh, ow)] in L1 (a core kernel), then one job
    out[n] (f x oh*ow) += w (f x c*kh*kw) col. The reduction runs over
    (c, kh, kw) in the convolution's loop order, so the sums keep their order."""
    from torch_mlir.dialects import linalg, scf

    source, weight, out = op.operands
    func_block = _function_block(op)
    anchor = ancestor_in(op, func_block)
    key = (anchor, conv.c, conv.kh, conv.kw, conv.oh, conv.ow)
    if key not in columns:
        columns[key] = alloc_l1([conv.c, conv.kh, conv.kw, conv.oh, conv.ow], ir.F32Type.get(),
                                 anchor)
    column = columns[key]
    with ir.InsertionPoint(op):
        loop = scf.ForOp(index_constant(0), index_constant(conv.n), index_constant(1))
        with ir.InsertionPoint(loop.body):
            n = loop.induction_variable
            image = _image(source, n)
            d = [ir.AffineDimExpr.get(i) for i in range(5)]  # c, kh, kw, oh, ow
            patch = ir.AffineMap.get(5, 0, [d[0], d[3] + d[1], d[4] + d[2]])
            ident = ir.AffineMap.get_identity(5)
            gather = linalg.GenericOp([], [image], [column], maps_attr([patch, ident]),
                                      iterator_attr(["parallel"] * 5))
            body = gather.regions[0].blocks.append(ir.F32Type.get(), ir.F32Type.get())
            with ir.InsertionPoint(body):
                linalg.YieldOp([body.arguments[0]])
            gather.operation.attributes[PROMOTED_ATTR] = ir.UnitAttr.get()
            x = collapse(weight, [[0], [1, 2, 3]])
            w = collapse(column, [[0, 1, 2], [3, 4]])
            z = collapse(_image(out, n), [[0], [1, 2]])
            i32 = ir.IntegerType.get_signless(32)
            ir.Operation.create("redmule.gemm", operands=[x, w, z, z], attributes={
                "m": ir.IntegerAttr.get(i32, conv.f), "n": ir.IntegerAttr.get(i32, conv.rows),
                "k": ir.IntegerAttr.get(i32, conv.columns), "op": ir.StringAttr.get("gemm"),
                "format": ir.StringAttr.get(fmt)})
            scf.YieldOp([])
    op.erase()


def _image(value: ir.Value, n: ir.Value) -> ir.Value:
    """value[n] of an NCHW buffer as a rank-3 view."""
    t = ir.MemRefType(value.type)
    strides, _ = strides_of(t)
    shape = list(t.shape)[1:]
    result = strided_type(shape, t.element_type, strides[1:],
                          ir.ShapedType.get_dynamic_stride_or_offset(), t.memory_space)
    return subview(value, [n, 0, 0, 0], [1] + shape, result)


def _function_block(op: ir.Operation) -> ir.Block:
    while op.parent is not None and op.parent.name != "func.func":
        op = op.parent
    return op.parent.regions[0].blocks[0]
