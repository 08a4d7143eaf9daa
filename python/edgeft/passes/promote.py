"""edgeft-promote: bring every tile operand into L1 by DMA, double-buffered."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from torch_mlir import ir

from edgeft.ir import attrs, queries
from edgeft.ir.builders import clone_mapped
from edgeft.ir.errors import UserError
from edgeft.ir.graph import ancestor_in
from edgeft.ir.queries import constant_int, level_attr, trip_count
from edgeft.ir.types import shaped_bytes
from edgeft.passes.base import EdgeftPass, budget_option
from edgeft.target import get

PROMOTED_ATTR = attrs.PROMOTED   # on a linalg op whose operands are in L1
BUFFERING_ATTR = attrs.BUFFERING  # 2 on ops whose loop prefetches the next tile


def dynamic() -> int:
    """The dynamic-stride-or-offset marker of strided layouts."""
    return ir.ShapedType.get_dynamic_stride_or_offset()


def strides_of(t: ir.MemRefType) -> tuple[list[int], int]:
    """The strides and offset of a memref type's layout."""
    strides, offset = t.get_strides_and_offset()
    return list(strides), offset


def strided_type(shape: list[int], element: ir.Type, strides: list[int], offset: int,
                 space: ir.Attribute | None) -> ir.MemRefType:
    """A memref type with an explicit strided layout (identity when it is one)."""
    contiguous = _contiguous_strides(shape)
    if strides == contiguous and offset == 0:
        return ir.MemRefType.get(shape, element, memory_space=space)
    layout = ir.StridedLayoutAttr.get(offset, strides)
    return ir.MemRefType.get(shape, element, layout=layout, memory_space=space)


def _contiguous_strides(shape: list[int]) -> list[int]:
    out, running = [], 1
    for d in reversed(shape):
        out.insert(0, running)
        running *= d
    return out


def index_constant(value: int) -> ir.Value:
    """An arith.constant of index type."""
    t = ir.IndexType.get()
    return ir.Operation.create("arith.constant", results=[t],
                               attributes={"value": ir.IntegerAttr.get(t, value)}).result


def index_op(name: str, a: ir.Value, b: ir.Value) -> ir.Value:
    """A binary arith op on two index values (`name` is arith.addi, arith.muli, ...)."""
    return ir.Operation.create(name, results=[ir.IndexType.get()], operands=[a, b]).result


def cast_to_level(view: ir.Value, level: str) -> ir.Value:
    """memref.memory_space_cast of a view into a pulp level."""
    t = ir.MemRefType(view.type)
    target = ir.MemRefType.get(list(t.shape), t.element_type, layout=t.layout,
                               memory_space=level_attr(level))
    return ir.Operation.create("memref.memory_space_cast", results=[target],
                               operands=[view]).result


def slot_view(buffer: ir.Value, slot: ir.Value) -> ir.Value:
    """Slot `slot` (0 or 1) of a double buffer memref<2 x S>: a view of shape S."""
    t = ir.MemRefType(buffer.type)
    shape = list(t.shape)[1:]
    strides = _contiguous_strides(shape)
    result = strided_type(shape, t.element_type, strides, dynamic(), t.memory_space)
    return subview(buffer, [slot] + [0] * len(shape), [1] + shape, result)


def subview(source: ir.Value, offsets: list[int | ir.Value], sizes: list[int],
            result: ir.MemRefType) -> ir.Value:
    """memref.subview of `source` at offsets (static or SSA index values), unit strides."""
    dyn = [o for o in offsets if isinstance(o, ir.Value)]
    static = [dynamic() if isinstance(o, ir.Value) else o for o in offsets]
    return ir.Operation.create(
        "memref.subview", results=[result], operands=[source, *dyn],
        attributes={
            "static_offsets": ir.DenseI64ArrayAttr.get(static),
            "static_sizes": ir.DenseI64ArrayAttr.get(sizes),
            "static_strides": ir.DenseI64ArrayAttr.get([1] * len(sizes)),
            "operandSegmentSizes": ir.DenseI32ArrayAttr.get([1, len(dyn), 0, 0]),
        }).result


def groups(t: ir.MemRefType) -> list[list[int]]:
    """Dims of a view that merge into one contiguous run, outermost group first:
    a dim joins the group before it when the stride of that group's innermost
    dim larger than 1 spans it exactly. Dims of size 1 have no stride that
    matters and join the group before them."""
    strides, _ = strides_of(t)
    shape = list(t.shape)
    out: list[list[int]] = []
    for d in range(len(shape)):
        sized = [e for e in out[-1] if shape[e] != 1] if out else []
        # A last dim of size 1 after a strided one ([19, 1] picking one value
        # per row) stays apart: it is the row of a 2-D transfer.
        unit = shape[d] == 1 and (d < len(shape) - 1 or not sized or strides[sized[-1]] == 1)
        if out and (unit or not sized
                    or shape[d] != 1 and strides[sized[-1]] == strides[d] * shape[d]):
            out[-1].append(d)
        else:
            out.append([d])
    return out or [[]]


def collapse(view: ir.Value, reassociation: list[list[int]]) -> ir.Value:
    """memref.collapse_shape of a view whose groups are contiguous runs."""
    t = ir.MemRefType(view.type)
    if len(reassociation) == t.rank:
        return view
    strides, offset = strides_of(t)
    shape = [math.prod(t.shape[d] for d in g) for g in reassociation]
    new_strides = [_group_stride(g, list(t.shape), strides) for g in reassociation]
    if _is_identity(t):
        result = ir.MemRefType.get(shape, t.element_type, memory_space=t.memory_space)
    else:
        layout = ir.StridedLayoutAttr.get(offset, new_strides)
        result = ir.MemRefType.get(shape, t.element_type, layout=layout,
                                   memory_space=t.memory_space)
    i64 = ir.IntegerType.get_signless(64)
    attr = ir.ArrayAttr.get([ir.ArrayAttr.get([ir.IntegerAttr.get(i64, d) for d in g])
                             for g in reassociation])
    return ir.Operation.create("memref.collapse_shape", results=[result], operands=[view],
                               attributes={"reassociation": attr}).result


def _group_stride(group: list[int], shape: list[int], strides: list[int]) -> int:
    """The stride memref.collapse_shape gives a group: that of its innermost
    dim larger than 1, or of its first dim when all are 1."""
    sized = [d for d in group if shape[d] != 1]
    return strides[sized[-1]] if sized else strides[group[0]]


def _is_identity(t: ir.MemRefType) -> bool:
    return "strided" not in str(t)


def start_transfer(src: ir.Value, dst: ir.Value) -> list[ir.Value]:
    """A pulp DMA of a view into another of the same shape: one 1-D or 2-D
    transfer when the strided side has at most two contiguity groups; a loop
    of 2-D transfers, each waited at once, otherwise (returns no tokens)."""
    src_groups = groups(ir.MemRefType(src.type))
    dst_groups = groups(ir.MemRefType(dst.type))
    strided = src_groups if len(src_groups) >= len(dst_groups) else dst_groups
    rank = ir.MemRefType(src.type).rank
    if rank == 0:
        strided = []
    token = ir.Type.parse("!pulp.token")
    if len(strided) <= 1:
        whole = [list(range(rank))] if rank else []
        a, b = collapse(src, whole), collapse(dst, whole)
        return [ir.Operation.create("pulp.dma_start_1d", results=[token],
                                    operands=[a, b]).result]
    if len(strided) == 2:
        a, b = collapse(src, strided), collapse(dst, strided)
        return [ir.Operation.create("pulp.dma_start_2d", results=[token],
                                    operands=[a, b]).result]
    _transfer_loop(src, dst, strided)
    return []


def _transfer_loop(src: ir.Value, dst: ir.Value, strided: list[list[int]]) -> None:
    """Outer groups as loops, the last two groups as one 2-D transfer each."""
    outer = [d for g in strided[:-2] for d in g]
    shape = list(ir.MemRefType(src.type).shape)
    with contextlib.ExitStack() as nest:
        ivs = loop_nest([shape[d] for d in outer], nest)
        inner_dims = [d for g in strided[-2:] for d in g]
        inner_groups = [[inner_dims.index(d) for d in g] for g in strided[-2:]]
        views = []
        for side in (src, dst):
            t = ir.MemRefType(side.type)
            strides, _ = strides_of(t)
            offsets: list[int | ir.Value] = [0] * t.rank
            for d, iv in zip(outer, ivs, strict=True):
                offsets[d] = iv
            sizes = [1 if d in outer else shape[d] for d in range(t.rank)]
            inner_shape = [shape[d] for d in inner_dims]
            result = strided_type(inner_shape, t.element_type,
                                  [strides[d] for d in inner_dims], dynamic(), t.memory_space)
            views.append(collapse(subview(side, offsets, sizes, result), inner_groups))
        token = ir.Type.parse("!pulp.token")
        t = ir.Operation.create("pulp.dma_start_2d", results=[token], operands=views).result
        ir.Operation.create("pulp.dma_wait", operands=[t])


def loop_nest(sizes: list[int], nest: contextlib.ExitStack) -> list[ir.Value]:
    """scf.for loops over [0, size) for each size, nested, at the current
    insertion point; `nest` keeps the insertion point inside the innermost
    body (before its yield) until it closes. Returns the induction variables."""
    from torch_mlir.dialects import scf

    ivs = []
    for size in sizes:
        loop = scf.ForOp(index_constant(0), index_constant(size), index_constant(1))
        ivs.append(loop.induction_variable)
        with ir.InsertionPoint(loop.body):
            scf.YieldOp([])
        nest.enter_context(ir.InsertionPoint(loop.body.operations[0]))
    return ivs


def wait(tokens: list[ir.Value]) -> None:
    """Wait on every DMA token."""
    for t in tokens:
        ir.Operation.create("pulp.dma_wait", operands=[t])


@dataclass
class Slot:
    """One promoted operand of a linalg op."""

    position: int          # operand index of the op
    far: ir.Value          # the view it reads (in L2 or L3)
    buffer: ir.Value       # its L1 buffer (memref<2 x S> when double-buffered)
    double: bool
    fetch: bool            # copied in before the compute
    write: bool            # copied back after it
    local: bool = False    # a fused group's intermediate: in L1 only, never moved


@dataclass(frozen=True)
class Promote(EdgeftPass):
    """Bring every tile operand of every linalg op into L1 through pulp DMA.

    Runs after edgeft-tile. Each operand of a linalg.generic (tiled or whole)
    gets an L1 buffer (`memref.alloc` in `#pulp.level<"L1">`, allocated at
    function level in front of the loop nest); inputs, and outputs the body
    reads, are copied in by `pulp.dma_start_1d/2d` from their buffer, which
    is marked as living in L2 (`memref.memory_space_cast`; the planner may
    move it to L3, whose transfers are staged through L2), and outputs are
    copied back. In the innermost tile loop, operands that change with the
    loop are double-buffered: the loop runs one iteration short and copies
    tile i+1 into the other half while tile i computes; a prologue fetches
    the first tile and an epilogue computes the last. Operands that do not
    change with the loop (an accumulator over a reduction loop) are fetched
    before it and written back after it.

    A copy (a generic marked `edgeft.copy` by edgeft-copies-to-kernels, its
    input and output tiles of one shape and element type) needs no core: its
    two operands share one L1 buffer, which the input's transfer fills and
    the output's empties, and the generic goes. Its tile loop holds transfers
    only (tile i+1 in while tile i goes out, both waited before the next
    iteration refills the half just emptied), and no kernel is forked for it.

    The linalg ops of one tile loop (a
    group edgeft-tile fused) share their L1 buffers: a view is fetched when
    the first op to use it reads it and written back when any op writes it;
    a view of a buffer only that loop's ops use, first written there (the
    accumulator between a convolution and its ReLU), gets one L1 buffer and
    no transfers at all. The group's ops carry `edgeft.group`.

        scf.for %i = 0 to 64 step 16 {
          %a = memref.subview %A[%i, 0] [16, 32] [1, 1]
          linalg.generic ins(%a ...)
        }
      becomes
        %buf = memref.alloc() : memref<2x16x32xf32, #pulp.level<"L1">>
        <fetch tile 0 into slot 0, wait>
        scf.for %i = 0 to 48 step 16 {
          %t = pulp.dma_start_1d <tile i+1>, <slot (i/16+1) mod 2>
          linalg.generic ins(<slot (i/16) mod 2> ...)
          pulp.dma_wait %t
        }
        linalg.generic ins(<slot 1> ...)          // the last tile
    """

    argument: ClassVar[str] = "edgeft-promote"

    target: str = field(default="siracusa", metadata={"help": "target description"})
    l1: int = budget_option("L1 budget in bytes")

    def __post_init__(self) -> None:
        super().__post_init__()
        try:
            target = get(self.target, l1=self.l1 or None)
        except UserError as e:
            raise ValueError(str(e)) from None
        if "L1" not in target.levels:
            raise ValueError(f"target '{self.target}' has no L1 to promote into")

    def budget(self) -> int:
        """The L1 budget in bytes: the option, or the target's L1 size."""
        return get(self.target, l1=self.l1 or None).levels["L1"].bytes

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Promote the operands of every promotable linalg.generic into L1 tiles."""
        budget = self.budget()
        for func in op.regions[0].blocks[0].operations:
            if func.operation.name != "func.func" or not func.regions[0].blocks:
                continue
            for target in _promotable(func.operation):
                if PROMOTED_ATTR in target.attributes:  # promoted with its fused group
                    continue
                problem = _check(target, budget)
                if problem:
                    target.location.emit_error(f"edgeft-promote: {problem}")
                    pass_.signal_pass_failure()
                    return
                with target.context, target.location:
                    promote_op(target, func.regions[0].blocks[0])


def _promotable(func: ir.Operation) -> list[ir.Operation]:
    """linalg.generic ops at function level or made by tiling (edgeft.tile)."""
    return [op for op in queries.nested(func, "linalg.generic")
            if (op.parent == func or attrs.TILE in op.attributes)
            and PROMOTED_ATTR not in op.attributes]


def _check(op: ir.Operation, budget: int) -> str | None:
    total = 0
    for value in op.operands:
        t = value.type
        if isinstance(t, ir.RankedTensorType | ir.UnrankedTensorType):
            return ("this op works on tensors; promotion moves tiles of buffers: "
                    "run edgeft-bufferize and edgeft-tile first")
        if not isinstance(t, ir.MemRefType):
            continue
        t = ir.MemRefType(t)
        if not t.has_static_shape:
            return "operands must have static shapes"
        if t.memory_space is not None:
            return f"operand already in {t.memory_space}"
        total += shaped_bytes(t)
    if 2 * total > budget:
        return (f"this op's operands take {total:,} bytes, {2 * total:,} double-buffered, "
                f"more than the {budget:,}-byte L1 budget: run edgeft-tile first")
    return None


# --- the rewrite ----------------------------------------------------------------------


def promote_op(op: ir.Operation, func_block: ir.Block) -> None:
    """Give `op` L1 operands with the transfers around it (see Promote): with
    the other linalg ops of its tile loop, or of its untiled fused group
    (`edgeft.group`), when there are some."""
    loop = op.parent
    if loop.name == "scf.for":
        ops = [o.operation for o in loop.regions[0].blocks[0].operations
               if o.operation.name == "linalg.generic"]
        if _only_slices(loop, ops) and not list(loop.operands)[3:] \
                and (trip_count(loop) or 0) >= 2:
            _promote_in_loop(ops, loop, func_block)
            return
    mark = queries.fused_group(op)
    ops = [o.operation for o in op.block.operations if mark is not None
           and o.operation.name == "linalg.generic" and queries.fused_group(o.operation) == mark
           ] or [op]
    _promote_alone(ops, func_block)


def _operand_kinds(op: ir.Operation) -> list[tuple[int, bool, bool]]:
    """(position, fetch, write) per memref operand."""
    n_in = queries.input_count(op)
    body = op.regions[0].blocks[0]
    out = []
    for i, value in enumerate(op.operands):
        if not isinstance(value.type, ir.MemRefType):
            continue
        output = i >= n_in
        read = not output or any(True for _ in body.arguments[i].uses)
        out.append((i, read, output))
    return out


def alloc_l1(shape: list[int], element: ir.Type, anchor: ir.Operation) -> ir.Value:
    """A new buffer in L1 (`#pulp.level<"L1">`), allocated before `anchor`."""
    t = ir.MemRefType.get(shape, element, memory_space=level_attr("L1"))
    with ir.InsertionPoint(anchor), anchor.location:
        return ir.Operation.create("memref.alloc", results=[t],
                                   attributes={"operandSegmentSizes":
                                               ir.DenseI32ArrayAttr.get([0, 0])}).result


def _mark(op: ir.Operation, double: bool) -> None:
    op.attributes[PROMOTED_ATTR] = ir.UnitAttr.get()
    if double:
        i64 = ir.IntegerType.get_signless(64)
        op.attributes[BUFFERING_ATTR] = ir.IntegerAttr.get(i64, 2)


def _promote_alone(ops: list[ir.Operation], func_block: ir.Block) -> None:
    """Single buffers: fetch, wait, compute (every op of the group), write back, wait."""
    anchor = ancestor_in(ops[0], func_block)
    slots, uses = _group_slots(ops, anchor, lambda far: False,
                               lambda far: _private_alone(far, ops))
    with ir.InsertionPoint(ops[0]), ops[0].location:
        tokens = []
        for s in slots:
            if s.fetch:
                tokens += start_transfer(cast_to_level(s.far, "L2"), s.buffer)
        wait(tokens)
    for op, position, s in uses:
        op.operands[position] = s.buffer
    with ir.InsertionPoint.after(ops[-1]), ops[-1].location:
        _transfers_out([(s.far, s.buffer) for s in slots if s.write])
    if _moved_by_dma(slots):
        ops[0].erase()
        return
    for op in ops:
        _mark(op, False)


def _private_alone(far: ir.Value, ops: list[ir.Operation]) -> bool:
    """`far` is a function-level buffer only the ops of `ops` use."""
    owner = queries.producer(far)
    return owner is not None and owner.name == "memref.alloc" and \
        all(u in ops for u in queries.users(far))


def _only_slices(loop: ir.Operation, ops: list[ir.Operation]) -> bool:
    """The loop body is view arithmetic for `ops`, `ops` and the yield."""
    allowed = ("memref.subview", "affine.apply", "arith.constant", "arith.addi",
               "arith.muli", "scf.yield")
    for inner in loop.regions[0].blocks[0].operations:
        inner = inner.operation
        if inner not in ops and inner.name not in allowed:
            return False
    return True


def _depends_on(value: ir.Value, iv: ir.Value, body: ir.Block) -> bool:
    if value == iv:
        return True
    owner = queries.producer(value)
    if owner is None or owner.parent is None or owner.parent.operation != body.owner.operation:
        return False
    return any(_depends_on(v, iv, body) for v in owner.operands)


def _slice_ops(values: list[ir.Value], body: ir.Block) -> list[ir.Operation]:
    """Ops of `body` that compute `values`, in body order."""
    needed: set[ir.Operation] = set()

    def add(v: ir.Value) -> None:
        owner = queries.producer(v)
        if owner is None or owner.parent is None or \
                owner.parent.operation != body.owner.operation or owner in needed:
            return
        needed.add(owner)
        for operand in owner.operands:
            add(operand)

    for v in values:
        add(v)
    return [o.operation for o in body.operations if o.operation in needed]


def _clone_slice(values: list[ir.Value], body: ir.Block, iv: ir.Value,
                 replacement: ir.Value | None) -> list[ir.Value]:
    """Clone what computes `values` at the current insertion point with the
    loop's induction variable replaced (None: the values do not use it)."""
    mapping: dict[ir.Value, ir.Value] = {}
    if replacement is not None:
        mapping[iv] = replacement
    for original in _slice_ops(values, body):
        clone_mapped(original, mapping)
    return [mapping.get(v, v) for v in values]


def _remap_nested(op: ir.Operation, old: ir.Value, new: ir.Value) -> None:
    """Replace `old` by `new` in every op nested in `op`."""
    for inner in queries.nested(op):
        for i, operand in enumerate(inner.operands):
            if operand == old:
                inner.operands[i] = new


def _private_to(far: ir.Value, loop: ir.Operation, ops: list[ir.Operation]) -> bool:
    """`far` is a view of a function-level buffer that only views in `loop`'s
    body read, and only the ops of `ops` use those views."""
    view = queries.producer(far)
    if view is None or view.name != "memref.subview":
        return False
    root = queries.producer(view.operands[0])
    if root is None or root.name != "memref.alloc":
        return False
    for user in queries.users(root.results[0]):
        if user.name != "memref.subview" or user.parent.operation != loop.operation:
            return False
        if any(u not in ops for u in queries.users(user.results[0])):
            return False
    return True


def _group_slots(ops: list[ir.Operation], anchor: ir.Operation,
                 moves: Callable[[ir.Value], bool], private: Callable[[ir.Value], bool]
                 ) -> tuple[list[Slot], list[tuple[ir.Operation, int, Slot]]]:
    """One slot per view the ops use, with every (op, operand, slot) use. A view
    is fetched if the first op to use it reads it, written back if any op
    writes it, double-buffered if it `moves` with the loop; a `private` view
    (of a buffer only these ops touch) that is first written stays in one L1
    buffer and never moves (a fused group's intermediate)."""
    slots: list[Slot] = []
    by_far: dict[ir.Value, Slot] = {}
    uses = []
    for op in ops:
        for position, fetch, write in _operand_kinds(op):
            far = op.operands[position]
            s = by_far.get(far)
            if s is None:
                s = Slot(position, far, far, moves(far), fetch, write)
                by_far[far] = s
                slots.append(s)
            else:
                s.write |= write
            uses.append((op, position, s))
    shared = len(ops) == 1 and _dma_copy(ops[0], moves)
    for s in slots:
        if len(ops) > 1 and not s.fetch and private(s.far):
            s.local, s.double, s.write = True, False, False
        t = ir.MemRefType(s.far.type)
        if shared and s is not slots[0]:
            s.buffer = slots[0].buffer
            continue
        s.buffer = alloc_l1(([2] if s.double else []) + list(t.shape), t.element_type, anchor)
    return slots, uses


def _dma_copy(op: ir.Operation, moves: Callable[[ir.Value], bool]) -> bool:
    """Whether `op` is a copy (edgeft.copy, from edgeft-copies-to-kernels) the
    DMA can do alone: input and output tiles of one shape and element type that
    move with the same loop, so one L1 buffer takes the input's transfer in and
    gives the output's out."""
    if attrs.COPY not in op.attributes or len(op.operands) != 2:
        return False
    source, target = (ir.MemRefType(v.type) for v in op.operands)
    return (list(source.shape) == list(target.shape)
            and source.element_type == target.element_type
            and moves(op.operands[0]) == moves(op.operands[1]))


def _moved_by_dma(slots: list[Slot]) -> bool:
    """Whether a copy's two slots share one buffer: the transfers are the copy
    and its generic goes."""
    return len(slots) == 2 and slots[0].buffer == slots[1].buffer


def _halves(moving: list[Slot], half: ir.Value) -> dict[int, ir.Value]:
    """The view of half `half` of each double buffer, by slot (one view for the
    slots of a copy that share a buffer)."""
    views: dict[ir.Value, ir.Value] = {}
    for s in moving:
        if s.buffer not in views:
            views[s.buffer] = slot_view(s.buffer, half)
    return {id(s): views[s.buffer] for s in moving}


def _promote_in_loop(ops: list[ir.Operation], loop: ir.Operation, func_block: ir.Block) -> None:
    """Double-buffer the operands that move with `loop` (see Promote); `ops`
    are the loop's linalg ops, one or a fused group."""
    body = loop.regions[0].blocks[0]
    iv = body.arguments[0]
    lb, ub, step = (constant_int(v) for v in list(loop.operands)[:3])
    count = (ub - lb) // step
    anchor = ancestor_in(ops[0], func_block)
    slots, uses = _group_slots(ops, anchor, lambda far: _depends_on(far, iv, body),
                               lambda far: _depends_on(far, iv, body)
                               and _private_to(far, loop, ops))
    moving = [s for s in slots if s.double]
    still = [s for s in slots if not s.double and not s.local]
    loc = ops[0].location

    def bind(op: ir.Operation, clone: ir.Operation, views: dict[int, ir.Value]) -> None:
        for user, position, s in uses:
            if user == op:
                clone.operands[position] = views.get(id(s), s.buffer)

    # Before the loop: operands that stay put, and the first tile of the others.
    with ir.InsertionPoint(loop), loc:
        tokens = []
        fars = _clone_slice([s.far for s in still if s.fetch], body, iv, None)
        for s, far in zip([s for s in still if s.fetch], fars, strict=True):
            tokens += start_transfer(cast_to_level(far, "L2"), s.buffer)
        first = _clone_slice([s.far for s in moving if s.fetch], body, iv,
                             index_constant(lb))
        zero = index_constant(0)
        for s, far in zip([s for s in moving if s.fetch], first, strict=True):
            tokens += start_transfer(cast_to_level(far, "L2"), slot_view(s.buffer, zero))
        wait(tokens)

    # After the loop: the last tile's compute and write-back, then the
    # write-back of the operands that stay put.
    with ir.InsertionPoint.after(loop), loc:
        last = index_constant(ub - step)
        fars = _clone_slice([s.far for s in moving], body, iv, last)
        parity = index_constant((count - 1) % 2)
        views = _halves(moving, parity)
        epilogues = []
        for op in ops:
            epilogue = op.clone()
            _remap_nested(epilogue, iv, last)  # a tiled body may read the tile's position
            bind(op, epilogue, views)
            _mark(epilogue, True)
            epilogues.append(epilogue)
        _transfers_out([(far, views[id(s)]) for s, far in zip(moving, fars, strict=True)
                        if s.write])
        fars = _clone_slice([s.far for s in still if s.write], body, iv, None)
        _transfers_out([(far, s.buffer) for s, far in
                        zip([s for s in still if s.write], fars, strict=True)])

    # The loop: one iteration short; prefetch tile i+1, compute tile i.
    with ir.InsertionPoint(loop), loc:
        new_ub = index_constant(ub - step)
    loop.operands[1] = new_ub
    with ir.InsertionPoint(ops[0]), loc:
        k = index_op("arith.divui", index_op("arith.subi", iv, index_constant(lb)),
                     index_constant(step))
        current = index_op("arith.remui", k, index_constant(2))
        following = index_op("arith.subi", index_constant(1), current)
        nxt = index_op("arith.addi", iv, index_constant(step))
        fars = _clone_slice([s.far for s in moving if s.fetch], body, iv, nxt)
        tokens = []
        for s, far in zip([s for s in moving if s.fetch], fars, strict=True):
            tokens += start_transfer(cast_to_level(far, "L2"), slot_view(s.buffer, following))
        views = _halves(moving, current)
    for op in ops:
        bind(op, op, views)
        _mark(op, True)
    with ir.InsertionPoint.after(ops[-1]), loc:
        _transfers_out([(s.far, views[id(s)]) for s in moving if s.write])
    terminator = list(body.operations)[-1]
    with ir.InsertionPoint(terminator), loc:
        wait(tokens)
    if _moved_by_dma(slots):
        for op in epilogues + ops:
            op.erase()


def _transfers_out(pairs: list[tuple[ir.Value, ir.Value]]) -> None:
    """Copy each L1 view back to its far view and wait (at the current insertion point)."""
    tokens = []
    for far, source in pairs:
        tokens += start_transfer(source, cast_to_level(far, "L2"))
    wait(tokens)
