"""edgeft-write-globals-in-place: no private copy of a global that a function updates in part."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torch_mlir import ir

from edgeft.ir.graph import ancestor_in
from edgeft.ir.queries import producer, referenced_symbol, users
from edgeft.passes.base import EdgeftPass


@dataclass(frozen=True)
class WriteGlobalsInPlace(EdgeftPass):
    """Drop the private copy bufferization makes of a global that a function
    updates in part (the forward cache's rows), when nothing else touches
    that global between the two copies. Without this, every cache fill
    would copy the whole cache twice.

        %a = memref.alloc; memref.copy %g, %a; <writes into %a>; memref.copy %a, %g
      becomes
        <writes into %g>
    """

    argument: ClassVar[str] = "edgeft-write-globals-in-place"

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Rewrite every function body until no copy pair is left."""
        for func in op.regions[0].blocks[0].operations:
            if func.operation.name == "func.func" and func.regions[0].blocks:
                block = func.regions[0].blocks[0]
                while _write_one_in_place(block):
                    pass


def _write_one_in_place(block: ir.Block) -> bool:
    ops = [o.operation for o in block.operations]
    position = {op: i for i, op in enumerate(ops)}
    for i, first in enumerate(ops):
        if first.name != "memref.copy":
            continue
        source, copy = first.operands
        name = _global_name(source)
        alloc = producer(copy)
        if name is None or alloc is None or alloc.name != "memref.alloc":
            continue
        back = [u for u in users(copy) if u.name == "memref.copy" and u.operands[0] == copy
                and _global_name(u.operands[1]) == name and u in position]
        if len(back) != 1 or position[back[0]] < i:
            continue
        end = position[back[0]]
        inside = all(i <= position.get(ancestor_in(u, block), -1) <= end for u in users(copy))
        touched = any(i < position.get(ancestor_in(u, block), -1) < end
                      for g in ops if g.name == "memref.get_global" and _global_name(g.results[0])
                      == name for u in users(g.results[0]))
        if not inside or touched:
            continue
        copy.replace_all_uses_with(source)
        back[0].erase()
        first.erase()
        alloc.erase()
        return True
    return False


def _global_name(value: ir.Value) -> str | None:
    """The global a memref.get_global result names, or None for any other value."""
    owner = producer(value)
    if owner is None or owner.name != "memref.get_global":
        return None
    return referenced_symbol(owner)
