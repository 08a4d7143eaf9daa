"""What a lowered, planned function moves and offloads, counted statically.

Every loop of the lowered program has constant bounds, so each pulp DMA and
RedMulE job runs a known number of times: the product of the trip counts of
the loops around it (and the core count of an enclosing pulp.parallel). A
transfer counts its bytes once per run; its far side (the non-L1 buffer)
is found by following views back to the alloc, global or argument, whose
planned level says whether it crosses L3 <-> L2 as well (a transfer from or
to L3 is staged through L2, so it counts on both links).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch_mlir import ir

from edgeft.ir import attrs, queries
from edgeft.ir.queries import memory_level, root_buffer, symbol_name
from edgeft.ir.types import shaped_bytes


@dataclass
class Counts:
    """One function's transfers (bytes per link) and RedMulE work."""

    bytes: dict[str, int] = field(default_factory=lambda: {"L3_L2": 0, "L2_L1": 0})
    transfers: int = 0
    jobs: int = 0
    flops: int = 0


def count_function(func: ir.OpView, globals_: dict[str, ir.OpView]) -> Counts:
    """Transfers and RedMulE jobs of one run of `func`."""
    counts = Counts()
    for op in queries.nested(func.operation):
        if op.name in ("pulp.dma_start_1d", "pulp.dma_start_2d"):
            _transfer(op, repeats(op, func.operation, cores=True), counts, globals_)
        elif op.name == "redmule.gemm":
            times = repeats(op, func.operation, cores=True)
            m, n, k = (ir.IntegerAttr(op.attributes[a]).value for a in ("m", "n", "k"))
            counts.jobs += times
            counts.flops += times * 2 * m * n * k
    return counts


def repeats(op: ir.Operation, root: ir.Operation, cores: bool) -> int:
    """How often `op` runs per run of `root`, an op around it: the product of the
    trip counts of the loops between them, and with `cores` the core counts of
    the pulp.parallel regions between them."""
    times = 1
    parent = op.parent
    while parent is not None and parent != root:
        if parent.name == "scf.for":
            times *= trip_count(parent)
        elif cores and parent.name == "pulp.parallel":
            times *= ir.IntegerAttr(parent.attributes["cores"]).value
        parent = parent.parent
    return times


def trip_count(loop: ir.Operation) -> int:
    """How often a loop of a lowered program runs; its bounds must be static
    (the counts are per step, so a run-time bound is a bug upstream)."""
    trips = queries.trip_count(loop)
    if trips is None:
        raise ValueError("a loop with a bound known only at run time")
    return trips


def _transfer(op: ir.Operation, times: int, counts: Counts,
              globals_: dict[str, ir.OpView]) -> None:
    size = shaped_bytes(op.operands[0].type)
    far = far_side(op)
    counts.transfers += times
    counts.bytes["L2_L1"] += times * size
    if home_level(far, globals_) == "L3":
        counts.bytes["L3_L2"] += times * size


def far_root(value: ir.Value, globals_: dict[str, ir.OpView]) -> ir.Operation | None:
    """The op that owns the buffer a view reads: its memref.alloc or
    memref.global (None for a function argument)."""
    owner = queries.producer(root_buffer(value))
    if owner is not None and owner.name == "memref.get_global":
        owner = globals_[ir.FlatSymbolRefAttr(owner.attributes["name"]).value].operation
    return owner


def home_level(value: ir.Value, globals_: dict[str, ir.OpView]) -> str:
    """The planned level of the buffer a view reads (L2 for arguments and
    unplanned buffers)."""
    owner = far_root(value, globals_)
    if owner is not None and attrs.LEVEL in owner.attributes:
        return ir.StringAttr(owner.attributes[attrs.LEVEL]).value
    return "L2"


def far_side(op: ir.Operation) -> ir.Value:
    """The non-L1 operand of a pulp DMA op."""
    src, dst = op.operands
    return dst if memory_level(src.type) == "L1" else src


def module_globals(module: ir.Operation) -> dict[str, ir.OpView]:
    """The memref.global ops of a module by symbol name."""
    return {symbol_name(op): op
            for op in module.regions[0].blocks[0].operations
            if op.operation.name == "memref.global"}


def count_module(module: ir.Module) -> dict[str, Counts]:
    """Counts of every function with a body, by name."""
    globals_ = {}
    functions = []
    for op in module.body.operations:
        if op.operation.name == "memref.global":
            globals_[symbol_name(op)] = op
        if op.operation.name == "func.func" and op.regions[0].blocks:
            functions.append(op)
    return {symbol_name(f): count_function(f, globals_)
            for f in functions}
