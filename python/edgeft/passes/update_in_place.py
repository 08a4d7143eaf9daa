"""edgeft-update-in-place: an elementwise update of a global writes the global."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torch_mlir import ir

from edgeft.ir.graph import ancestor_in
from edgeft.ir.queries import (
    indexing_maps,
    input_count,
    producer,
    referenced_symbol,
    root_buffer,
    users,
)
from edgeft.passes.base import EdgeftPass


@dataclass(frozen=True)
class UpdateInPlace(EdgeftPass):
    """Write the result of an elementwise linalg.generic straight into the
    global it is copied to (the SGD update of a parameter, a momentum
    buffer), instead of into a buffer that is then copied over the global.

    Runs on buffers, before tiling. The op must be all-parallel with identity
    indexing maps, its one output the alloc that only the op writes (and that
    may reach the copy through one more alloc, `copy %a, %b; copy %b, %g`);
    later readers of the alloc (the weight update of SGD with momentum reads
    the new velocity) read the global instead, and nothing else may touch the
    global from the op to the last of them. The op may
    read the global itself: with identity maps element i is read before
    element i is written and nowhere else, so the old values it reads are the
    ones it would have read. An input that is
    a view of the global (other positions) keeps the copy.

        %a = memref.alloc() : memref<10xf32>
        linalg.generic {identity maps, parallel} ins(%w, %grad) outs(%a)
        %g = memref.get_global @fc.bias
        memref.copy %a, %g
      becomes
        %g = memref.get_global @fc.bias
        linalg.generic {identity maps, parallel} ins(%w, %grad) outs(%g)
    """

    argument: ClassVar[str] = "edgeft-update-in-place"

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Rewrite every copy of an elementwise result over a global, in every function."""
        for func in op.regions[0].blocks[0].operations:
            if func.operation.name != "func.func" or not func.regions[0].blocks:
                continue
            block = func.regions[0].blocks[0]
            while _rewrite_one(block):
                pass


def _rewrite_one(block: ir.Block) -> bool:
    """One rewrite in `block` (the op list is read again after each: a
    rewrite erases ops)."""
    ops = [o.operation for o in block.operations]
    return any(_skip_staging_copy(op, ops) or _update_in_place(op, ops, block)
               for op in ops if op.name == "memref.copy")


def _update_in_place(copy: ir.Operation, ops: list[ir.Operation], block: ir.Block) -> bool:
    result, target = copy.operands
    name = _global_name(target)
    alloc = producer(result)
    if name is None or alloc is None or alloc.name != "memref.alloc" or \
            result.type != target.type:
        return False
    others = [u for u in users(result) if u != copy and u.name != "memref.dealloc"]
    writers = [u for u in others if u.name == "linalg.generic" and result in _outputs(u)]
    if len(writers) != 1:
        return False
    update = writers[0]
    if not _elementwise(update) or list(_outputs(update)) != [result] or update not in ops:
        return False
    if not all(_reads_apart(v, name) for v in _inputs(update)):
        return False
    # the new values may also be read elsewhere (the weight update of SGD with
    # momentum reads the new velocity): from the global, which then holds them
    readers = [u for u in others if u != update]
    if not all(_only_reads(u, result) for u in readers):
        return False
    first = ops.index(update)
    places = [ops.index(copy), *(ops.index(ancestor_in(u, block)) for u in readers)]
    if min(places) <= first:
        return False
    span = set(ops[first + 1:max(places) + 1])
    for g in ops:
        if g.name == "memref.get_global" and _global_name(g.results[0]) == name and \
                any(u != copy and ancestor_in(u, block) in span for u in users(g.results[0])):
            return False
    getter = producer(target)
    getter.move_before(update)
    copy.erase()
    for dealloc in [u for u in users(result) if u.name == "memref.dealloc"]:
        dealloc.erase()
    result.replace_all_uses_with(target)
    alloc.erase()
    return True


def _skip_staging_copy(copy: ir.Operation, ops: list[ir.Operation]) -> bool:
    """`copy %a, %b; ...; copy %b, %global` with %b an alloc only these two
    touch and %a only read between them: copy %a over the global directly."""
    staged = copy.operands[0]
    alloc = producer(staged)
    if alloc is None or alloc.name != "memref.alloc" or _global_name(copy.operands[1]) is None:
        return False
    fills = [u for u in users(staged) if u != copy and u.name != "memref.dealloc"]
    if len(fills) != 1 or fills[0].name != "memref.copy" or fills[0].operands[1] != staged:
        return False
    fill, source = fills[0], fills[0].operands[0]
    if fill not in ops or ops.index(fill) > ops.index(copy) or source.type != staged.type:
        return False
    between = set(ops[ops.index(fill) + 1:ops.index(copy)])
    if any(u in between and not _only_reads(u, source) for u in users(source)):
        return False
    copy.operands[0] = source
    fill.erase()
    for dealloc in [u for u in users(staged) if u.name == "memref.dealloc"]:
        dealloc.erase()
    alloc.erase()
    return True


def _only_reads(op: ir.Operation, value: ir.Value) -> bool:
    """Whether `op` only reads `value`: an input of a linalg.generic, the source
    of a copy, a load."""
    if op.name == "linalg.generic":
        return value not in _outputs(op)
    if op.name == "memref.copy":
        return op.operands[0] == value and op.operands[1] != value
    return op.name == "memref.load"


def _reads_apart(value: ir.Value, name: str) -> bool:
    """Whether an input reads global `name` only at the positions it writes:
    the global itself, or a buffer that is not the global (an argument, an
    alloc, another global, or views of them). A view of the global, or a value
    of any op not known as a view, may read other positions."""
    if not isinstance(value.type, ir.MemRefType):
        return True
    root = root_buffer(value)
    owner = producer(root)
    if owner is None or owner.name == "memref.alloc":
        return True
    if owner.name != "memref.get_global":
        return False
    return referenced_symbol(owner) != name or root == value


def _elementwise(op: ir.Operation) -> bool:
    if op.name != "linalg.generic":
        return False
    kinds = [str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])]
    maps = indexing_maps(op)
    return all("parallel" in k for k in kinds) and \
        all(m == ir.AffineMap.get_identity(len(kinds)) for m in maps)


def _split(op: ir.Operation) -> int:
    return input_count(op)


def _inputs(op: ir.Operation) -> list[ir.Value]:
    return list(op.operands)[:_split(op)]


def _outputs(op: ir.Operation) -> list[ir.Value]:
    return list(op.operands)[_split(op):]


def _global_name(value: ir.Value) -> str | None:
    """The global a memref.get_global result names, or None for any other value."""
    owner = producer(value)
    if owner is None or owner.name != "memref.get_global":
        return None
    return referenced_symbol(owner)
