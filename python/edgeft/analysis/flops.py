"""FLOPs counted from the IR.

Conventions (documented in docs/report.md):
- a multiply-accumulate is 2 FLOPs: matmul 2MNK, batch_matmul 2BMNK,
  convolution 2 N F OH OW C KH KW;
- any other structured op (linalg.generic, pooling) costs, per point of its
  iteration space, one FLOP per floating-point arithmetic or math op in its
  body (add, sub, mul, div, neg, max, min, compare, exp, log, erf, tanh,
  rsqrt, ...); selects, casts, integer and index ops are free;
- data movement (fill, copy, transpose, broadcast, reshapes, slices, pads,
  global loads and stores) is free.
"""

from __future__ import annotations

import math

from torch_mlir import ir

from edgeft.ir import builders as b
from edgeft.ir import queries

FREE_BODY_OPS = {"arith.select", "arith.extf", "arith.truncf", "arith.sitofp", "arith.uitofp",
                 "arith.fptosi", "arith.fptoui", "arith.bitcast", "arith.constant",
                 "linalg.yield", "linalg.index", "tensor.extract", "cf.assert"}


def _body_flops(block: ir.Block) -> int:
    count = 0
    for op in block.operations:
        name = op.operation.name
        if name in FREE_BODY_OPS:
            continue
        if name.startswith("math.") or (name.startswith("arith.") and name.endswith("f")):
            count += 1
    return count


def _iteration_points(op: ir.Operation) -> int:
    """Size of a linalg op's iteration space, from its maps and operand shapes."""
    maps = queries.indexing_maps(op)
    sizes: dict[int, int] = {}
    for value, m in zip(op.operands, maps, strict=False):
        if not isinstance(value.type, ir.RankedTensorType):
            continue
        for position, expr in enumerate(m.results):
            if isinstance(expr, ir.AffineDimExpr):
                sizes.setdefault(ir.AffineDimExpr(expr).position, b.shape_of(value)[position])
    return math.prod(sizes.get(d, 1) for d in range(maps[0].n_dims))


def op_flops(op: ir.Operation) -> int:
    """FLOPs of one op (see the module docstring)."""
    name = op.name
    if name == "linalg.matmul":
        m, k = b.shape_of(op.operands[0])
        return 2 * m * k * b.shape_of(op.operands[1])[1]
    if name == "linalg.batch_matmul":
        batch, m, k = b.shape_of(op.operands[0])
        return 2 * batch * m * k * b.shape_of(op.operands[1])[2]
    if name == "linalg.conv_2d_nchw_fchw":
        n, f, oh, ow = b.shape_of(op.results[0])
        _, c, kh, kw = b.shape_of(op.operands[1])
        return 2 * n * f * oh * ow * c * kh * kw
    if name.startswith("linalg.pooling_"):
        n, c, oh, ow = b.shape_of(op.results[0])
        kh, kw = b.shape_of(op.operands[1])
        return n * c * oh * ow * kh * kw
    if name == "linalg.generic":
        return _iteration_points(op) * _body_flops(op.regions[0].blocks[0])
    return 0


def function_flops(func: ir.OpView) -> int:
    """FLOPs of one call of a function (straight-line code)."""
    return sum(op_flops(op.operation) for op in func.regions[0].blocks[0].operations)


def optimizer_flops(func: ir.OpView, parameters: set[str]) -> int:
    """FLOPs of the updates: the ops producing the values stored into parameters
    and their optimizer state."""
    total = 0
    for op in func.regions[0].blocks[0].operations:
        op = op.operation
        if op.name != "ml_program.global_store":
            continue
        name = ir.FlatSymbolRefAttr(op.attributes["global"]).value
        stored = op.operands[0]
        source = queries.producer(stored)
        if source is not None and (name in parameters or name.endswith(".momentum")):
            total += op_flops(source)
    return total
