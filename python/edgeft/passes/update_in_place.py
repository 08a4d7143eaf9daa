"""edgeft-update-in-place: an elementwise update of a global writes the global."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torch_mlir import ir

from edgeft.ir.graph import ancestor_in
from edgeft.ir.queries import producer, referenced_symbol, root_buffer, users
from edgeft.passes.base import EdgeftPass


@dataclass(frozen=True)
class UpdateInPlace(EdgeftPass):
    """Write the result of an elementwise linalg.generic straight into the
    global it is copied to (the SGD update of a parameter, a momentum
    buffer), instead of into a buffer that is then copied over the global.

    Runs on buffers, before tiling. The op must be all-parallel with identity
    indexing maps, its one output the alloc that only the op writes and the
    copy reads (deallocations aside), and nothing may touch the global between
    the op and the copy. The op may read the global itself: with identity
    maps element i is read before element i is written and nowhere else, so
    the old values it reads are the ones it would have read. An input that is
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
            for copy in [o.operation for o in block.operations]:
                if copy.name == "memref.copy":
                    _update_in_place(copy, block)


def _update_in_place(copy: ir.Operation, block: ir.Block) -> None:
    result, target = copy.operands
    name = _global_name(target)
    alloc = producer(result)
    if name is None or alloc is None or alloc.name != "memref.alloc" or \
            result.type != target.type:
        return
    writers = [u for u in users(result) if u.name not in ("memref.copy", "memref.dealloc")]
    if len(writers) != 1 or any(u.name == "memref.copy" and u != copy for u in users(result)):
        return
    update = writers[0]
    if not _elementwise(update) or list(_outputs(update)) != [result]:
        return
    if not all(_reads_apart(v, name) for v in _inputs(update)):
        return
    ops = [o.operation for o in block.operations]
    if update not in ops or ops.index(update) > ops.index(copy):
        return
    between = set(ops[ops.index(update) + 1:ops.index(copy)])
    for g in ops:
        if g.name == "memref.get_global" and _global_name(g.results[0]) == name and \
                any(ancestor_in(u, block) in between for u in users(g.results[0])):
            return
    getter = producer(target)
    getter.move_before(update)
    position = len(list(update.operands)) - 1
    update.operands[position] = target
    copy.erase()
    for dealloc in [u for u in users(result) if u.name == "memref.dealloc"]:
        dealloc.erase()
    alloc.erase()


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
    maps = [ir.AffineMapAttr(a).value for a in ir.ArrayAttr(op.attributes["indexing_maps"])]
    return all("parallel" in k for k in kinds) and \
        all(m == ir.AffineMap.get_identity(len(kinds)) for m in maps)


def _split(op: ir.Operation) -> int:
    return list(ir.DenseI32ArrayAttr(op.attributes["operandSegmentSizes"]))[0]


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
