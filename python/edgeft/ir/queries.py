"""Small questions about IR that every layer asks: who made a value, who reads
it, what a symbol is called, which buffer a view reads, how often a loop
runs, which memory level a memref lives in."""

from __future__ import annotations

from torch_mlir import ir

from edgeft.ir import attrs

# The ops that make a view of a buffer without touching its data.
VIEW_OPS = frozenset({"memref.reinterpret_cast", "memref.subview", "memref.collapse_shape",
                      "memref.expand_shape", "memref.cast", "memref.extract_strided_metadata",
                      "memref.memory_space_cast"})
LEVELS = ("L1", "L2", "L3")


def producer(value: ir.Value) -> ir.Operation | None:
    """The op that defines `value`, or None for a block argument."""
    return value.owner.operation if isinstance(value, ir.OpResult) else None


def indexing_maps(op: ir.Operation) -> list[ir.AffineMap]:
    """A linalg op's indexing maps, one per operand."""
    return [ir.AffineMapAttr(a).value for a in ir.ArrayAttr(op.attributes["indexing_maps"])]


def input_count(op: ir.Operation) -> int:
    """How many of an op's operands are inputs (its first operand segment)."""
    return list(ir.DenseI32ArrayAttr(op.attributes["operandSegmentSizes"]))[0]


def fused_group(op: ir.Operation) -> int | None:
    """The fused tile group an op belongs to (`edgeft.group`), or None."""
    if attrs.GROUP not in op.attributes:
        return None
    return ir.IntegerAttr(op.attributes[attrs.GROUP]).value


def users(value: ir.Value) -> list[ir.Operation]:
    """The ops that read `value`, in use-list order."""
    return [use.owner.operation for use in value.uses]


def symbol_name(op: ir.Operation | ir.OpView) -> str:
    """The name a symbol op (func.func, a global) defines."""
    return ir.StringAttr(op.attributes["sym_name"]).value


def referenced_symbol(op: ir.Operation | ir.OpView, attribute: str = "name") -> str:
    """The symbol an op refers to (memref.get_global's `name`, ml_program's
    `global`, func.call's `callee`)."""
    return ir.FlatSymbolRefAttr(op.attributes[attribute]).value


def constant_op(value: ir.Value) -> ir.Operation | None:
    """The `arith.constant` that defines `value`, or None."""
    owner = producer(value)
    return owner if owner is not None and owner.name == "arith.constant" else None


def constant_int(value: ir.Value) -> int | None:
    """The value of an integer or index `arith.constant`, or None."""
    owner = constant_op(value)
    return None if owner is None else ir.IntegerAttr(owner.attributes["value"]).value


def root_buffer(value: ir.Value) -> ir.Value:
    """The buffer a view reads: `value` with every view op (VIEW_OPS) peeled off."""
    owner = producer(value)
    while owner is not None and owner.name in VIEW_OPS:
        value = owner.operands[0]
        owner = producer(value)
    return value


def trip_count(loop: ir.Operation) -> int | None:
    """How many times an scf.for runs: ceil((ub - lb) / step), at least 0; None
    when a bound or the step is known only at run time (callers decide what
    that means for them)."""
    bounds = [constant_int(v) for v in list(loop.operands)[:3]]
    if None in bounds:
        return None
    lb, ub, step = bounds
    return max(0, -(-(ub - lb) // step))


def level_attr(level: str, context: ir.Context | None = None) -> ir.Attribute:
    """The memory space attribute of a pulp level (`#pulp.level<"L1">`)."""
    return ir.Attribute.parse(f'#pulp.level<"{level}">', context)


def memory_level(t: ir.Type) -> str | None:
    """The pulp level of a memref type ("L1", "L2", "L3"), or None if it has none;
    compared as attributes."""
    space = ir.MemRefType(t).memory_space
    if space is None:
        return None
    return next((level for level in LEVELS if space == level_attr(level, space.context)),
                None)


def nested(op: ir.Operation, name: str | None = None) -> list[ir.Operation]:
    """Every op nested in `op` (not `op` itself) in pre-order, optionally only
    those named `name` (the bindings' Operation.walk)."""
    found: list[ir.Operation] = []

    def visit(inner: ir.Operation) -> ir.WalkResult:
        if inner != op and (name is None or inner.name == name):
            found.append(inner)
        return ir.WalkResult.ADVANCE

    op.walk(visit, ir.WalkOrder.PRE_ORDER)
    return found


def captured(op: ir.Operation) -> list[ir.Value]:
    """The values read inside `op`'s regions but defined outside `op`, each once,
    in the order a pre-order walk first reads them."""
    root = op.operation
    inside: set[ir.Value] = set()
    found: list[ir.Value] = []

    def visit(inner: ir.Operation) -> ir.WalkResult:
        if inner != root:
            found.extend(v for v in inner.operands if v not in inside and v not in found)
            inside.update(inner.results)
        for region in inner.regions:
            for block in region.blocks:
                inside.update(block.arguments)
        return ir.WalkResult.ADVANCE

    root.walk(visit, ir.WalkOrder.PRE_ORDER)
    return found


def functions(module: ir.Operation) -> list[ir.OpView]:
    """The func.func ops of a module that have a body, in order."""
    return [op for op in module.regions[0].blocks[0].operations
            if op.operation.name == "func.func" and op.regions[0].blocks]
