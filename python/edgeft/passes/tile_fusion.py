"""Tile-level fusion for edgeft-tile: an op's initialisation and its elementwise
readers tiled with it, in one loop nest, so they share the op's output tile in L1.

A fusion group is a linalg.generic (the main op) writing one buffer B, with

- a prologue: the all-parallel op just before it that writes all of B without
  reading it (a bias broadcast, a zero fill, a copy into the accumulator);
- epilogues: the all-parallel ops just after it that read B (or the epilogue
  before them) element for element and write a buffer of B's shape (ReLU, a bias
  add, a copy to the result).

The group is tiled over B's dimensions with the main op's reductions whole, so
each output tile is complete before the epilogues read it: the prologue
initialises the tile in L1, the main op accumulates into it, the epilogues read
it there. Every op keeps its own loops and sum order; only when a tile of one
op runs relative to the tiles of the others changes, which the dependences
allow (each tile of an epilogue reads only the same tile of B).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir

from edgeft.ir import queries
from edgeft.ir.queries import root_buffer

# Ops between the members of a group that touch no buffer's contents.
_INERT = ("memref.alloc", "arith.constant", "memref.subview", "memref.collapse_shape",
          "memref.expand_shape", "memref.cast", "memref.get_global")


@dataclass
class Group:
    """A main op with its prologue and epilogues (see the module docstring)."""

    main: ir.Operation
    prologue: ir.Operation | None
    epilogues: list[ir.Operation]
    dims: list[int]                  # per dim of B: the main op's loop that indexes it
    chain: list[ir.Value]            # B, then each epilogue's output

    def members(self) -> list[ir.Operation]:
        """The ops in program order."""
        return ([self.prologue] if self.prologue is not None else []) + \
            [self.main] + self.epilogues


def _all_parallel(op: ir.Operation) -> bool:
    return all("parallel" in str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"]))


def _is_identity(m: ir.AffineMap) -> bool:
    return m == ir.AffineMap.get_identity(m.n_dims, context=m.context)


def _elementwise_shape(op: ir.Operation, value: ir.Value) -> bool:
    """`op` is an all-parallel generic on static memrefs with one output, read
    from or written to `value` through the identity map."""
    if op.name != "linalg.generic" or not _all_parallel(op):
        return False
    if len(op.operands) - queries.input_count(op) != 1 or len(op.results):
        return False
    maps = queries.indexing_maps(op)
    return any(v == value and _is_identity(m) for v, m in zip(op.operands, maps, strict=True))


def _reads_output(op: ir.Operation) -> bool:
    body = op.regions[0].blocks[0]
    return any(True for _ in body.arguments[len(op.operands) - 1].uses)


def _output_dims(op: ir.Operation) -> list[int] | None:
    """The loops indexing the main op's one output, if each result is a
    distinct loop, in increasing order (so its tile loops and those of an
    elementwise op on the output nest the same way)."""
    if len(op.operands) - queries.input_count(op) != 1:
        return None
    out_map = queries.indexing_maps(op)[-1]
    dims = []
    for e in out_map.results:
        if not isinstance(e, ir.AffineDimExpr):
            return None
        dims.append(ir.AffineDimExpr(e).position)
    if dims != sorted(set(dims)):
        return None
    return dims


def _neighbour(op: ir.Operation, step: int) -> ir.Operation | None:
    """The next (step 1) or previous (-1) op of `op`'s block that is not inert."""
    ops = [o.operation for o in op.block.operations]
    i = ops.index(op) + step
    while 0 <= i < len(ops) and ops[i].name in _INERT:
        i += step
    return ops[i] if 0 <= i < len(ops) else None


def find_group(main: ir.Operation, taken: set[ir.Operation]) -> Group | None:
    """The fusion group around `main`, or None when there is nothing to fuse."""
    dims = _output_dims(main)
    if dims is None:
        return None
    b = main.operands[len(main.operands) - 1]
    prologue = _neighbour(main, -1)
    if prologue is None or prologue in taken or not _elementwise_shape(prologue, b) \
            or prologue.operands[len(prologue.operands) - 1] != b or _reads_output(prologue) \
            or any(root_buffer(v) == root_buffer(b)
                   for v in list(prologue.operands)[:queries.input_count(prologue)]):
        prologue = None
    epilogues: list[ir.Operation] = []
    chain = [b]
    written = {root_buffer(b)}
    after = _neighbour(main, 1)
    while after is not None and after not in taken and _elementwise_shape(after, chain[-1]):
        out = after.operands[len(after.operands) - 1]
        maps = queries.indexing_maps(after)
        ok = _is_identity(maps[-1])
        for v, m in zip(list(after.operands)[:queries.input_count(after)], maps, strict=False):
            if root_buffer(v) in written and not (v in chain and _is_identity(m)):
                ok = False
        if not ok or out in chain[:-1]:
            break
        epilogues.append(after)
        chain.append(out)  # out == chain[-1]: in place, the same tile
        written.add(root_buffer(out))
        after = _neighbour(after, 1)
    if prologue is None and not epilogues:
        return None
    # the main op and the prologue must not read what the group writes
    # (but the main op's accumulator, which it reads through its output map)
    readers = [main] + ([prologue] if prologue is not None else [])
    for op in readers:
        if any(root_buffer(v) in written for v in list(op.operands)[:queries.input_count(op)]):
            return None
    return Group(main, prologue, epilogues, dims, chain)


def composed(m: ir.AffineMap, dims: list[int], n_dims: int) -> ir.AffineMap:
    """A member's map over the main op's loops: its loop j is the main loop dims[j]."""
    ctx = m.context
    inner = ir.AffineMap.get(n_dims, 0, [ir.AffineDimExpr.get(d, context=ctx) for d in dims],
                             context=ctx)
    return ir.AffineMap.get(n_dims, 0, [e.compose(inner) for e in m.results], context=ctx)


def local_values(group: Group) -> set[ir.Value]:
    """Chain buffers that nothing outside the group reads: they live only in L1."""
    members = set(group.members())
    out = set()
    for v in group.chain[:-1]:
        if queries.producer(v) is None or queries.producer(v).name != "memref.alloc":
            continue
        if all(u in members for u in queries.users(v)):
            out.add(v)
    return out


def gather(group: Group) -> None:
    """Move the inert ops between a group's members in front of its first
    member, so that the transfers put there see every buffer the group uses."""
    members = group.members()
    ops = [o.operation for o in members[0].block.operations]
    first, last = ops.index(members[0]), ops.index(members[-1])
    for o in ops[first + 1:last]:
        if o.name in _INERT:
            o.move_before(members[0])


# --- after tiling: one loop nest ------------------------------------------------------


def _loop_chain(op: ir.Operation) -> list[ir.Operation]:
    """The scf.for ops around `op`, outermost first, up to its function."""
    loops = []
    parent = op.parent
    while parent is not None and parent.name == "scf.for":
        loops.insert(0, parent)
        parent = parent.parent
    return loops


def _bounds(loop: ir.Operation) -> tuple[int | None, ...]:
    return tuple(queries.constant_int(v) for v in list(loop.operands)[:3])


def same_nest(a: ir.Operation, b: ir.Operation) -> bool:
    """`a` and `b` sit in loop nests of the same depth and constant bounds."""
    la, lb = _loop_chain(a), _loop_chain(b)
    return bool(la) and len(la) == len(lb) and all(
        None not in _bounds(x) and _bounds(x) == _bounds(y) for x, y in zip(la, lb, strict=True))


def merge_into(member: ir.Operation, main: ir.Operation, before: bool) -> None:
    """Move `member`'s tile loop nest into `main`'s: its body before (prologue)
    or after (epilogue) the main op's, at every level. The inert ops between
    the main nest and an epilogue's (the epilogue's output buffer) go in front
    of the main nest, where the merged body can see them."""
    if not before:
        main_outer, member_outer = _loop_chain(main)[0], _loop_chain(member)[0]
        ops = [o.operation for o in main_outer.block.operations]
        for o in ops[ops.index(main_outer) + 1:ops.index(member_outer)]:
            o.move_before(main_outer)
    member_loops = _loop_chain(member)
    for src, dst in zip(member_loops, _loop_chain(main), strict=True):
        src_body, dst_body = src.regions[0].blocks[0], dst.regions[0].blocks[0]
        src_body.arguments[0].replace_all_uses_with(dst_body.arguments[0])
        dst_ops = [o.operation for o in dst_body.operations]
        anchor = dst_ops[0] if before else dst_ops[-1]
        for o in [o.operation for o in src_body.operations]:
            if o.name == "scf.yield" or o.name == "scf.for":
                continue
            o.move_before(anchor)
    member_loops[0].erase()


def dedupe_views(block: ir.Block) -> None:
    """Replace each view (and index computation) of `block` equal to an earlier
    one by it, so that ops reading the same tile read one value."""
    seen: dict[tuple, ir.Value] = {}
    for o in [o.operation for o in block.operations]:
        if o.name not in ("memref.subview", "affine.apply", "arith.constant"):
            continue
        key = (o.name, tuple(o.operands), tuple((k, str(o.attributes[k])) for k in o.attributes),
               str(o.results[0].type))
        if key in seen:
            o.results[0].replace_all_uses_with(seen[key])
            o.erase()
        else:
            seen[key] = o.results[0]


def member_tiles(main_tiles: list[int], dims: list[int]) -> list[int]:
    """A member's tile sizes: the main op's on the loops that index B."""
    return [main_tiles[d] for d in dims]
