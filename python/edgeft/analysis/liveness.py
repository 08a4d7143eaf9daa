"""Lifetimes of a lowered function's buffers, in top-level program points.

A `memref.alloc` (or alloca) lives from the first to the last top-level op
that reads or writes it or any view of it (reinterpret_cast, subview,
reshapes, casts): an op nested in a loop counts at its outermost loop.
Making a view only computes an address, so neither the alloc nor a view
extends the span (bufferization places some allocs long before their
first write).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch_mlir import ir

from edgeft.ir.queries import VIEW_OPS


@dataclass
class Lifetime:
    """A top-level alloc and the span of top-level ops (first, last) that use it."""

    op: ir.Operation      # the memref.alloc
    start: int
    end: int


def alloc_lifetimes(func: ir.OpView) -> list[Lifetime]:
    """Every top-level alloc of `func` with the span of top-level ops using it."""
    block = func.regions[0].blocks[0]
    ops = [o.operation for o in block.operations]
    position = {op: i for i, op in enumerate(ops)}
    out = []
    for i, op in enumerate(ops):
        if op.name not in ("memref.alloc", "memref.alloca"):
            continue
        touches = []
        aliases, frontier = {op.results[0]}, [op.results[0]]
        while frontier:
            value = frontier.pop()
            for use in value.uses:
                user = use.owner.operation
                if user.name in VIEW_OPS:
                    for r in user.results:
                        if isinstance(r.type, ir.MemRefType) and r not in aliases:
                            aliases.add(r)
                            frontier.append(r)
                    continue
                top = user
                while top.parent is not None and top.parent.operation != func.operation:
                    top = top.parent.operation
                if top in position:
                    touches.append(position[top])
        first, last = (min(touches), max(touches)) if touches else (i, i)
        out.append(Lifetime(op, first, last))
    return out


def top_level_ops(func: ir.OpView) -> int:
    """How many program points a function has."""
    return len(list(func.regions[0].blocks[0].operations))
