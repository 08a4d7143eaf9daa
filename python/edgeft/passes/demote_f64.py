"""edgeft-demote-f64: f64 arithmetic that starts and ends in f32 computed in f32."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from torch_mlir import ir

from edgeft.ir.elements import is_resource, is_splat, splat_value, values
from edgeft.ir.errors import UserError
from edgeft.ir.queries import functions, nested, producer
from edgeft.passes.base import EdgeftPass

# Ops whose f64 operands and results are one value in two widths: demoting one
# demotes all of them, and the op computes the same thing in f32.
SAME_TYPE_OPS = frozenset({
    "arith.addf", "arith.subf", "arith.mulf", "arith.divf", "arith.remf", "arith.negf",
    "arith.maximumf", "arith.minimumf", "arith.maxnumf", "arith.minnumf", "arith.cmpf",
    "arith.select", "math.sqrt", "math.rsqrt", "math.absf", "math.exp", "math.log",
    "math.tanh", "math.erf", "math.fma", "math.powf",
    "tensor.expand_shape", "tensor.collapse_shape", "tensor.extract_slice",
    "tensor.insert_slice", "tensor.cast", "tensor.extract", "tensor.empty",
})
# Linalg ops on tensors whose region's block arguments are their operands' elements.
STRUCTURED_OPS = frozenset({"linalg.generic", "linalg.fill", "linalg.copy"})


@dataclass(frozen=True)
class DemoteF64(EdgeftPass):
    """Compute in f32 the f64 arithmetic that starts from f32 values or f64
    constants and ends in f32: torch's LayerNorm decomposition widens its
    input to f64 for the variance, and the cluster has no double FPU (every
    f64 add, multiply and divide would be a soft-float call).

    The f64 values of each function are grouped by the ops that tie them
    together (an elementwise op ties its operands and result, a linalg op its
    operands, block arguments and results, linalg.yield its operands and the
    op's results). A group is demoted when it enters only through
    `arith.extf` from f32, f64 `arith.constant`s (scalars and dense tensors)
    and `tensor.empty`, and every op it touches is one of the float
    arithmetic, tensor reshaping and linalg ops above; then f64 becomes f32
    in every type of the group (tensor element types included, so the
    tensor.empty and linalg.fill of a reduction's accumulator change too),
    the extf and the `arith.truncf` to f32 at its edges disappear, a generic
    that did nothing but widen is dropped (its readers read its input) and the
    constants are rounded to f32. Run on tensors, before bufferization.

        %w = linalg.generic ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf64>)
               { ^bb0(%in: f32, %o: f64): %0 = arith.extf %in : f32 to f64 ... }
        %s = linalg.generic ins(%w) outs(%acc : tensor<4x1xf64>)
               { ^bb0(%in: f64, %o: f64): %0 = arith.addf %in, %o : f64 ... }
        ... arith.truncf %v : f64 to f32
      becomes
        %s = linalg.generic ins(%x : tensor<4x8xf32>) outs(%acc : tensor<4x1xf32>)
               { ^bb0(%in: f32, %o: f32): %0 = arith.addf %in, %o : f32 ... }

    Left in f64 (and so still soft-float on the cluster), on purpose: a group
    that reaches a function argument or result, a global, a call, a buffer,
    a loop, a vector, an integer conversion or any op not listed, a widening
    from a type other than f32 or beyond f64, a narrowing to a type other
    than f32, and constants that are neither a float nor dense elements (or
    a resource without its data). Such f64 computes what the program says,
    only slower; the pass leaves it without a diagnostic (a pytest checks that
    cct2's lowered program has none left).
    """

    argument: ClassVar[str] = "edgeft-demote-f64"

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Demote every demotable group of f64 values in every function."""
        for func in functions(op):
            with func.location:  # the type and attribute builders report through one
                _demote_function(func)


def _demote_function(func: ir.OpView) -> None:
    """Group the f64 values of `func` and demote the groups nothing keeps in f64."""
    groups = _Groups()
    for inner in nested(func.operation):
        _tie(inner, groups)
    for entry in func.regions[0].blocks[0].arguments:
        if _is_wide(entry.type):
            groups.refuse(entry)
    for members in groups.demotable():
        _demote(members)


def _is_wide(t: ir.Type) -> bool:
    """Whether `t` is f64 or a shaped type of f64 elements."""
    if isinstance(t, ir.ShapedType):
        return isinstance(t.element_type, ir.F64Type)
    return isinstance(t, ir.F64Type)


def _retypable(t: ir.Type) -> bool:
    """Whether the pass knows how to write `t` with f32 elements: scalars and
    tensors (buffers and vectors keep their f64)."""
    return isinstance(t, ir.F64Type | ir.RankedTensorType | ir.UnrankedTensorType)


def _narrow(t: ir.Type) -> ir.Type:
    """`t` with f32 for f64 (tensors keep their shape and encoding)."""
    f32 = ir.F32Type.get(t.context)
    if isinstance(t, ir.RankedTensorType):
        return ir.RankedTensorType.get(t.shape, f32, t.encoding)
    if isinstance(t, ir.UnrankedTensorType):
        return ir.UnrankedTensorType.get(f32)
    return f32


class _Groups:
    """Union-find over the f64 values of one function, each group with a flag
    saying whether something keeps it in f64."""

    def __init__(self) -> None:
        self.parent: dict[ir.Value, ir.Value] = {}
        self.refused: set[ir.Value] = set()

    def find(self, value: ir.Value) -> ir.Value:
        """The representative of `value`'s group (the value joins if it is new)."""
        self.parent.setdefault(value, value)
        root = value
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[value] != root:
            self.parent[value], value = root, self.parent[value]
        return root

    def tie(self, values: list[ir.Value]) -> None:
        """Put the f64 values among `values` into one group."""
        wide = [v for v in values if _is_wide(v.type)]
        for value in wide[1:]:
            a, b = self.find(wide[0]), self.find(value)
            if a != b:
                self.parent[b] = a
                if b in self.refused:
                    self.refused.add(a)
        if wide:
            self.find(wide[0])

    def refuse(self, value: ir.Value) -> None:
        """Keep `value`'s group in f64."""
        self.refused.add(self.find(value))

    def demotable(self) -> list[list[ir.Value]]:
        """The members of each group nothing keeps in f64."""
        members: dict[ir.Value, list[ir.Value]] = {}
        for value in list(self.parent):
            members.setdefault(self.find(value), []).append(value)
        return [values for root, values in members.items()
                if root not in self.refused]


def _tie(op: ir.Operation, groups: _Groups) -> None:
    """Record what `op` says about the f64 values it touches."""
    operands, results = list(op.operands), list(op.results)
    arguments = [a for region in op.regions for block in region.blocks for a in block.arguments]
    touched = [v for v in operands + results + arguments if _is_wide(v.type)]
    if not touched:
        return
    name = op.name
    if not all(_retypable(v.type) for v in touched):
        for value in touched:
            groups.refuse(value)
    elif name == "arith.extf":
        # f32 -> f64 starts a group; any other widening into or out of f64 keeps it
        groups.tie(touched)
        if not isinstance(operands[0].type, ir.F32Type) or not _is_wide(results[0].type):
            groups.refuse(touched[0])
    elif name == "arith.truncf":
        # f64 -> f32 ends a group; f64 -> f16 or f128 -> f64 keeps it
        groups.tie(touched)
        if not isinstance(results[0].type, ir.F32Type) or not _is_wide(operands[0].type):
            groups.refuse(touched[0])
    elif name == "arith.constant":
        groups.tie(results)
        if _narrow_constant(op.attributes["value"], results[0].type) is None:
            groups.refuse(results[0])
    elif name in SAME_TYPE_OPS:
        groups.tie(operands + results)
    elif name in STRUCTURED_OPS:
        _tie_structured(op, groups)
    elif name == "linalg.yield" and op.parent.name in STRUCTURED_OPS:
        for operand, result in zip(operands, op.parent.results, strict=True):
            groups.tie([operand, result])
    else:
        for value in touched:
            groups.refuse(value)


def _tie_structured(op: ir.Operation, groups: _Groups) -> None:
    """A linalg op: operand i with block argument i, init j with result j."""
    operands, results = list(op.operands), list(op.results)
    block = op.regions[0].blocks[0]
    for operand, argument in zip(operands, block.arguments, strict=True):
        groups.tie([operand, argument])
    for init, result in zip(operands[len(operands) - len(results):], results, strict=True):
        groups.tie([init, result])


def _narrow_constant(value: ir.Attribute, t: ir.Type) -> ir.Attribute | None:
    """The f32 attribute of an f64 constant's value (a float, or dense elements
    inline or as a resource), or None if it is of a kind the pass does not read."""
    if isinstance(value, ir.FloatAttr):
        return ir.FloatAttr.get(ir.F32Type.get(t.context), value.value)
    if not isinstance(t, ir.RankedTensorType):
        return None
    narrow = _narrow(t)
    if is_resource(value):
        try:
            array = values(value)
        except UserError:  # a blob without data: nothing to round
            return None
        return ir.DenseElementsAttr.get(np.ascontiguousarray(array, dtype=np.float32),
                                        type=narrow)
    if not isinstance(value, ir.DenseFPElementsAttr):
        return None
    if is_splat(value):
        return ir.DenseElementsAttr.get_splat(narrow, ir.FloatAttr.get(
            narrow.element_type, float(splat_value(value)[0])))
    return ir.DenseElementsAttr.get(np.ascontiguousarray(values(value), dtype=np.float32),
                                    type=narrow)


def _demote(members: list[ir.Value]) -> None:
    """Make every value of a demotable group f32 and drop the casts at its edges."""
    widened, constants, narrowings = [], [], []
    for value in members:
        owner = producer(value)
        if owner is not None and owner.name == "arith.extf":
            widened.append(owner)
        elif owner is not None and owner.name == "arith.constant":
            constants.append(owner)
        else:
            value.set_type(_narrow(value.type))
        narrowings += [use.owner.operation for use in value.uses
                       if use.owner.operation.name == "arith.truncf"]
    bodies = []
    for extf in widened:
        bodies.append(extf.parent)
        extf.results[0].replace_all_uses_with(extf.operands[0])
        extf.erase()
    for constant in constants:
        _replace_constant(constant)
    for truncf in dict.fromkeys(narrowings):
        truncf.results[0].replace_all_uses_with(truncf.operands[0])
        truncf.erase()
    for generic in bodies:
        if _is_copy(generic):
            _forward_copy(generic)


def _is_copy(op: ir.OpView) -> bool:
    """Whether `op` is a linalg.generic that copies its one input unchanged
    (what a widening generic becomes once its extf is gone)."""
    if op.name != "linalg.generic" or len(op.operands) != 2 or len(op.results) != 1:
        return False
    block = op.regions[0].blocks[0]
    body = [inner.operation for inner in block.operations]
    if len(body) != 1 or body[0].operands[0] != block.arguments[0]:
        return False
    source = op.operands[0]
    if source.type != op.results[0].type:
        return False
    rank = ir.RankedTensorType(source.type).rank
    identity = ir.AffineMap.get_identity(rank)
    return all(ir.AffineMapAttr(m).value == identity
               for m in ir.ArrayAttr(op.attributes["indexing_maps"]))


def _forward_copy(generic: ir.OpView) -> None:
    """Readers of a copy read its source; the copy (and its unused init) go."""
    init = producer(generic.operands[1])
    generic.results[0].replace_all_uses_with(generic.operands[0])
    generic.operation.erase()
    if init is not None and init.name == "tensor.empty" and not list(init.results[0].uses):
        init.erase()


def _replace_constant(constant: ir.Operation) -> None:
    """An f64 arith.constant replaced by its value rounded to f32."""
    old = constant.results[0]
    with ir.InsertionPoint(constant), constant.location:
        value = _narrow_constant(constant.attributes["value"], old.type)
        new = ir.Operation.create("arith.constant", results=[_narrow(old.type)],
                                  attributes={"value": value})
    old.replace_all_uses_with(new.results[0])
    constant.erase()
