"""Adjoint rules by op family, dispatched on the op name.

Each rule reads the adjoints of the op's results from the sweep and
accumulates adjoints into its active operands. Structured ops with a scalar
body go through `structured`; named GEMMs get named GEMMs back (so the
backward is as offloadable as the forward); data-movement ops get their
inverse data movement.
"""

from __future__ import annotations

from collections.abc import Callable

from torch_mlir import ir
from torch_mlir.dialects import tensor

from edgeft.ir import builders as b
from edgeft.ir import queries
from edgeft.passes.autodiff import structured
from edgeft.passes.autodiff.structured import AdjointSweep, NoAdjointRule


def _generic(sweep: AdjointSweep, op: ir.Operation) -> None:
    structured.adjoint(sweep, structured.from_generic(op))


def _windowed(sweep: AdjointSweep, op: ir.Operation) -> None:
    structured.adjoint(sweep, structured.from_named(op))


def _elementwise(sweep: AdjointSweep, op: ir.Operation) -> None:
    structured.adjoint(sweep, structured.from_elementwise(op))


# The operand dims of the plain GEMMs, by op: X(M, K), W(K, N) -> Z(M, N) over
# (M, N, K), with a leading batch dim for batch_matmul.
_DEFAULT_DIMS = {"linalg.matmul": (3, [[0, 2], [2, 1], [0, 1]]),
                 "linalg.batch_matmul": (4, [[0, 1, 3], [0, 3, 2], [0, 1, 2]])}


def _default_maps(name: str) -> list[ir.AffineMap]:
    rank, operands = _DEFAULT_DIMS[name]
    return [ir.AffineMap.get(rank, 0, [ir.AffineDimExpr.get(d) for d in dims])
            for dims in operands]


def _require_default_maps(op: ir.Operation) -> None:
    """Transposed or broadcast GEMM variants are not handled (torch-mlir emits none)."""
    maps = op.attributes["indexing_maps"] if "indexing_maps" in op.attributes else None
    if maps is not None:
        maps = [ir.AffineMapAttr(m).value for m in ir.ArrayAttr(maps)]
    if (maps is not None and maps != _default_maps(op.name)) or "cast" in op.attributes:
        raise NoAdjointRule(op, f"'{op.name}' with non-default indexing maps or casts")


def _matmul(sweep: AdjointSweep, op: ir.Operation) -> None:
    """C = A B + C0:  dA += dC B^T,  dB += A^T dC,  dC0 += dC.

    A linear layer multiplies by W^T (B = transpose(W), used only here); its
    weight gradient is then formed directly as dW += dC^T A, transposing the
    small dC (batch x out) instead of the weight-sized dB.
    """
    _require_default_maps(op)
    a, bb, c0 = op.operands
    d_c = sweep.adjoint(op.results[0])
    if sweep.active(a):
        sweep.set_adjoint(a, b.matmul(d_c, b.transpose(bb, [1, 0]), sweep.accumulator(a)))
    weight = _transposed_weight(sweep, bb)
    if weight is not None:
        sweep.set_adjoint(weight, b.matmul(b.transpose(d_c, [1, 0]), a,
                                           sweep.accumulator(weight)))
    elif sweep.active(bb):
        sweep.set_adjoint(bb, b.matmul(b.transpose(a, [1, 0]), d_c, sweep.accumulator(bb)))
    if sweep.active(c0):
        sweep.accumulate(c0, d_c)


def _transposed_weight(sweep: AdjointSweep, value: ir.Value) -> ir.Value | None:
    """W when `value` = transpose(W, [1, 0]) is read by one op only and W is active."""
    transpose = queries.producer(value)
    if transpose is None or transpose.name != "linalg.transpose":
        return None
    if list(ir.DenseI64ArrayAttr(transpose.attributes["permutation"])) != [1, 0]:
        return None
    if sum(1 for _ in value.uses) != 1 or not sweep.active(transpose.operands[0]):
        return None
    return transpose.operands[0]


def _batch_matmul(sweep: AdjointSweep, op: ir.Operation) -> None:
    """C[i] = A[i] B[i] + C0[i], per batch i."""
    _require_default_maps(op)
    a, bb, c0 = op.operands
    d_c = sweep.adjoint(op.results[0])
    if sweep.active(a):
        sweep.set_adjoint(a, b.batch_matmul(d_c, b.transpose(bb, [0, 2, 1]),
                                            sweep.accumulator(a)))
    if sweep.active(bb):
        sweep.set_adjoint(bb, b.batch_matmul(b.transpose(a, [0, 2, 1]), d_c,
                                             sweep.accumulator(bb)))
    if sweep.active(c0):
        sweep.accumulate(c0, d_c)


def _transpose(sweep: AdjointSweep, op: ir.Operation) -> None:
    """Adjoint of out = transpose(in, p):  d_in += transpose(d_out, p^-1)."""
    source = op.operands[0]
    if not sweep.active(source):
        return
    permutation = list(ir.DenseI64ArrayAttr(op.attributes["permutation"]))
    inverse = [permutation.index(i) for i in range(len(permutation))]
    sweep.accumulate(source, b.transpose(sweep.adjoint(op.results[0]), inverse))


def _broadcast(sweep: AdjointSweep, op: ir.Operation) -> None:
    """Adjoint of out = broadcast(in, dims):  d_in += sum of d_out over the added dims."""
    source = op.operands[0]
    if not sweep.active(source):
        return
    added = set(ir.DenseI64ArrayAttr(op.attributes["dimensions"]))
    d_out = sweep.adjoint(op.results[0])
    rank = len(b.shape_of(d_out))
    kept = [d for d in range(rank) if d not in added]
    source_map = ir.AffineMap.get(rank, 0, [ir.AffineExpr.get_dim(d) for d in kept])
    iterators = [b.REDUCTION if d in added else b.PARALLEL for d in range(rank)]
    result = b.generic([d_out], [sweep.accumulator(source)], [b.identity(rank), source_map],
                       iterators, lambda args: [b.arith("arith.addf", args[1], args[0])])[0]
    sweep.set_adjoint(source, result)


def _collapse(sweep: AdjointSweep, op: ir.Operation) -> None:
    """Reshapes are their own adjoint's inverse."""
    source = op.operands[0]
    if not sweep.active(source):
        return
    d_out = sweep.adjoint(op.results[0])
    reassociation = op.attributes["reassociation"]
    expanded = tensor.ExpandShapeOp(source.type, d_out, reassociation, [],
                                    b.shape_of(source)).result
    sweep.accumulate(source, expanded)


def _expand(sweep: AdjointSweep, op: ir.Operation) -> None:
    source = op.operands[0]
    if not sweep.active(source):
        return
    d_out = sweep.adjoint(op.results[0])
    collapsed = tensor.CollapseShapeOp(source.type, d_out, op.attributes["reassociation"]).result
    sweep.accumulate(source, collapsed)


def _static(op: ir.Operation, name: str) -> list[int]:
    return list(ir.DenseI64ArrayAttr(op.attributes[name]))


def _check_static_slice(op: ir.Operation) -> None:
    if len(list(op.operands)) != 1 + (1 if op.name == "tensor.insert_slice" else 0):
        raise NoAdjointRule(op, f"'{op.name}' with dynamic offsets, sizes or strides")


def _extract_slice(sweep: AdjointSweep, op: ir.Operation) -> None:
    """Adjoint of out = src[offsets:sizes:strides]:  d_src[slice] += d_out."""
    source = op.operands[0]
    if not sweep.active(source):
        return
    _check_static_slice(op)
    d_out = sweep.adjoint(op.results[0])
    offsets, sizes, strides = (_static(op, n) for n in
                               ("static_offsets", "static_sizes", "static_strides"))
    base = sweep.adjoint(source)
    if base is None:
        base = b.zeros_like(source)
        update = d_out
    else:
        current = tensor.ExtractSliceOp(d_out.type, base, [], [], [], offsets, sizes,
                                         strides).result
        update = b.add(current, d_out)
    inserted = tensor.InsertSliceOp(update, base, [], [], [], offsets, sizes, strides).result
    sweep.set_adjoint(source, inserted)


def _pad(sweep: AdjointSweep, op: ir.Operation) -> None:
    """Adjoint of out = pad(src, low, high, constant):  d_src += d_out[low : low + shape(src)]."""
    source = op.operands[0]
    if not sweep.active(source):
        return
    if len(list(op.operands)) != 1:
        raise NoAdjointRule(op, "'tensor.pad' with dynamic padding")
    low = _static(op, "static_low")
    d_out = sweep.adjoint(op.results[0])
    shape = b.shape_of(source)
    inner = tensor.ExtractSliceOp(source.type, d_out, [], [], [], low, shape,
                                  [1] * len(shape)).result
    sweep.accumulate(source, inner)


def _concat(sweep: AdjointSweep, op: ir.Operation) -> None:
    """Adjoint of out = concat(x_1, ..., x_n) along dim:  d_x_i += the slice of d_out x_i filled."""
    dim = ir.IntegerAttr(op.attributes["dim"]).value
    d_out = sweep.adjoint(op.results[0])
    offset = 0
    for part in op.operands:
        shape = b.shape_of(part)
        if sweep.active(part):
            offsets = [0] * len(shape)
            offsets[dim] = offset
            piece = tensor.ExtractSliceOp(part.type, d_out, [], [], [], offsets, shape,
                                          [1] * len(shape)).result
            sweep.accumulate(part, piece)
        offset += shape[dim]


Rule = Callable[[AdjointSweep, ir.Operation], None]

RULES: dict[str, Rule] = {
    "linalg.generic": _generic,
    **{name: _windowed for name in structured.WINDOWED},
    "linalg.matmul": _matmul,
    "linalg.batch_matmul": _batch_matmul,
    "linalg.transpose": _transpose,
    "linalg.broadcast": _broadcast,
    "tensor.collapse_shape": _collapse,
    "tensor.expand_shape": _expand,
    "tensor.extract_slice": _extract_slice,
    "tensor.pad": _pad,
    "tensor.concat": _concat,
    **{name: _elementwise for name in structured.ELEMENTWISE},
}

# Ops whose results never carry a gradient to their operands.
CONSTANT_OPS = {"arith.constant", "tensor.empty", "linalg.fill", "ml_program.global_load"}
