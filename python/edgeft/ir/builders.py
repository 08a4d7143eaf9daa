"""Small builders for the IR our passes create (tensors, linalg, arith).

Every builder inserts at the current insertion point and location (use
`with ir.InsertionPoint(...), op.location:`), so new IR points back at the
PyTorch layer it serves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from torch_mlir import ir
from torch_mlir.dialects import linalg, tensor

PARALLEL = "parallel"
REDUCTION = "reduction"


def ranked(value: ir.Value) -> ir.RankedTensorType:
    """The ranked tensor type of `value`."""
    return ir.RankedTensorType(value.type)


def shape_of(value: ir.Value) -> list[int]:
    """The static shape of a ranked tensor value."""
    return list(ranked(value).shape)


def element_of(value_or_type: ir.Value | ir.Type) -> ir.Type:
    """The element type of a tensor value or type; a scalar type is its own element."""
    t = value_or_type.type if isinstance(value_or_type, ir.Value) else value_or_type
    return ir.RankedTensorType(t).element_type if isinstance(t, ir.RankedTensorType) else t


def tensor_type(shape: Sequence[int], element: ir.Type) -> ir.RankedTensorType:
    """The ranked tensor type of that shape and element type."""
    return ir.RankedTensorType.get(list(shape), element)


def is_float(t: ir.Type) -> bool:
    """Whether the element type of `t` is a float type."""
    element = element_of(t)
    return isinstance(element, ir.FloatType)


def empty(shape: Sequence[int], element: ir.Type) -> ir.Value:
    """tensor.empty of the given shape."""
    return tensor.EmptyOp(list(shape), element).result


def scalar(value: float, element: ir.Type) -> ir.Value:
    """An arith.constant scalar of a float or integer type."""
    if isinstance(element, ir.FloatType):
        attr = ir.FloatAttr.get(element, value)
    else:
        attr = ir.IntegerAttr.get(element, int(value))
    return ir.Operation.create("arith.constant", results=[element],
                               attributes={"value": attr}).result


def filled(shape: Sequence[int], element: ir.Type, value: float = 0.0) -> ir.Value:
    """A tensor filled with `value` (linalg.fill of tensor.empty)."""
    init = empty(shape, element)
    return linalg.fill(scalar(value, element), outs=[init])


def zeros_like(value: ir.Value) -> ir.Value:
    """A tensor of zeros with the shape and element type of `value`."""
    return filled(shape_of(value), element_of(value), 0.0)


def iterator_attr(kinds: Sequence[str]) -> ir.ArrayAttr:
    """The `iterator_types` attribute of a linalg op (parallel, reduction)."""
    return ir.ArrayAttr.get([ir.Attribute.parse(f"#linalg.iterator_type<{k}>") for k in kinds])


def maps_attr(maps: Sequence[ir.AffineMap]) -> ir.ArrayAttr:
    """The `indexing_maps` attribute of a linalg op."""
    return ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in maps])


def generic(inputs: Sequence[ir.Value], outputs: Sequence[ir.Value],
            maps: Sequence[ir.AffineMap], iterators: Sequence[str],
            body: Callable[[list[ir.Value]], Sequence[ir.Value]]) -> list[ir.Value]:
    """A linalg.generic; `body(block_args)` builds the scalar body, returns yields."""
    op = linalg.GenericOp(
        result_tensors=[o.type for o in outputs], inputs=list(inputs), outputs=list(outputs),
        indexing_maps=maps_attr(maps), iterator_types=iterator_attr(iterators))
    types = [element_of(v) for v in [*inputs, *outputs]]
    block = op.regions[0].blocks.append(*types)
    with ir.InsertionPoint(block):
        linalg.YieldOp(list(body(list(block.arguments))))
    return list(op.results)


def loop_index(dim: int) -> ir.Value:
    """linalg.index: the current iteration's index along loop `dim` (inside a body)."""
    return ir.Operation.create("linalg.index", results=[ir.IndexType.get()],
                               attributes={"dim": ir.IntegerAttr.get(
                                   ir.IntegerType.get_signless(64), dim)}).result


def identity(rank: int) -> ir.AffineMap:
    """The identity affine map of `rank` dims."""
    return ir.AffineMap.get_identity(rank)


def arith(name: str, *operands: ir.Value, result: ir.Type | None = None,
          attributes: dict[str, ir.Attribute] | None = None) -> ir.Value:
    """A scalar arith/math op by name; the result type defaults to the first operand's."""
    return ir.Operation.create(name, results=[result or operands[0].type],
                               operands=list(operands), attributes=attributes or {}).result


def cmpf(predicate: str, a: ir.Value, b: ir.Value) -> ir.Value:
    """arith.cmpf with a predicate name (oeq, ogt, oge, olt, ole, une, ...)."""
    codes = {"false": 0, "oeq": 1, "ogt": 2, "oge": 3, "olt": 4, "ole": 5, "one": 6, "ord": 7,
             "ueq": 8, "ugt": 9, "uge": 10, "ult": 11, "ule": 12, "une": 13, "uno": 14,
             "true": 15}
    attr = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), codes[predicate])
    return ir.Operation.create("arith.cmpf", results=[ir.IntegerType.get_signless(1)],
                               operands=[a, b], attributes={"predicate": attr}).result


def cmpi(predicate: str, a: ir.Value, b: ir.Value) -> ir.Value:
    """arith.cmpi with a predicate name (eq, ne, slt, sle, sgt, sge, ...)."""
    codes = {"eq": 0, "ne": 1, "slt": 2, "sle": 3, "sgt": 4, "sge": 5, "ult": 6, "ule": 7,
             "ugt": 8, "uge": 9}
    attr = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), codes[predicate])
    return ir.Operation.create("arith.cmpi", results=[ir.IntegerType.get_signless(1)],
                               operands=[a, b], attributes={"predicate": attr}).result


def select(cond: ir.Value, a: ir.Value, b: ir.Value) -> ir.Value:
    """arith.select: `a` where `cond` holds, else `b`."""
    return ir.Operation.create("arith.select", results=[a.type], operands=[cond, a, b]).result


def elementwise(op_name: str, *tensors: ir.Value) -> ir.Value:
    """Elementwise `op_name` over same-shaped tensors (a parallel linalg.generic)."""
    rank = len(shape_of(tensors[0]))
    out = empty(shape_of(tensors[0]), element_of(tensors[0]))
    return generic(list(tensors), [out], [identity(rank)] * (len(tensors) + 1),
                   [PARALLEL] * rank,
                   lambda args: [arith(op_name, *args[:len(tensors)])])[0]


def add(a: ir.Value, b: ir.Value) -> ir.Value:
    """The elementwise sum a + b."""
    return elementwise("arith.addf", a, b)


def transpose(value: ir.Value, permutation: Sequence[int]) -> ir.Value:
    """linalg.transpose: result dim i is input dim permutation[i]."""
    src = shape_of(value)
    init = empty([src[p] for p in permutation], element_of(value))
    # TransposeOp's `result` is a variadic list (empty on memrefs).
    return linalg.transpose(value, outs=[init], permutation=list(permutation)).results[0]


def matmul(a: ir.Value, b: ir.Value, acc: ir.Value) -> ir.Value:
    """The product a @ b accumulated into acc (linalg.matmul)."""
    return linalg.matmul(a, b, outs=[acc])


def batch_matmul(a: ir.Value, b: ir.Value, acc: ir.Value) -> ir.Value:
    """The product a @ b per batch, accumulated into acc (linalg.batch_matmul)."""
    return linalg.batch_matmul(a, b, outs=[acc])


def reshape_to(value: ir.Value, shape: Sequence[int]) -> ir.Value:
    """Reshape through a full collapse to 1-D and an expand (static shapes only)."""
    src = shape_of(value)
    if list(src) == list(shape):
        return value
    element = element_of(value)
    total = 1
    for d in src:
        total *= d
    flat = value
    if len(src) != 1:
        flat = tensor.CollapseShapeOp(tensor_type([total], element), value,
                                      _all_dims(len(src))).result
    if len(shape) == 1:
        return flat
    return tensor.ExpandShapeOp(tensor_type(shape, element), flat, _all_dims(len(shape)),
                                [], list(shape)).result


def _all_dims(rank: int) -> ir.ArrayAttr:
    i64 = ir.IntegerType.get_signless(64)
    return ir.ArrayAttr.get([ir.ArrayAttr.get([ir.IntegerAttr.get(i64, d)
                                               for d in range(rank)])])


def clone_mapped(op: ir.Operation, mapping: dict[ir.Value, ir.Value]) -> ir.Operation:
    """Clone `op` at the current insertion point with its operands looked up in
    `mapping` (those not in it stay); its results are added to `mapping`."""
    clone = op.clone()
    for i, operand in enumerate(op.operands):
        if operand in mapping:
            clone.operands[i] = mapping[operand]
    for old, new in zip(op.results, clone.results, strict=True):
        mapping[old] = new
    return clone
