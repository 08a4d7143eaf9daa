"""edgeft-plan-memory: a level and a static offset for every buffer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from torch_mlir import ir

from edgeft.analysis.counts import far_root, far_side, module_globals
from edgeft.analysis.footprint import Footprint, program_footprint
from edgeft.analysis.liveness import alloc_lifetimes, top_level_ops
from edgeft.analysis.memory import (
    CACHE,
    PERSISTENT,
    SCRATCH,
    Interval,
    LevelPlan,
    Placed,
    PlanError,
    align,
    assign_levels,
    lower_bound,
    overflow_message,
    pack,
)
from edgeft.ir import attrs
from edgeft.ir.errors import UserError
from edgeft.ir.graph import layer_of
from edgeft.ir.queries import memory_level, nested, symbol_name
from edgeft.ir.types import shaped_bytes
from edgeft.passes.base import EdgeftPass, budget_option
from edgeft.target import get

LEVEL_ATTR = attrs.LEVEL
OFFSET_ATTR = attrs.OFFSET
PLAN_ATTR = attrs.MEMORY
STAGING_ATTR = attrs.STAGING
BUDGET_ATTR = attrs.L2_BUDGET
FLAT_ATTR = attrs.ARENA      # the flat target's one arena, in bytes
FLAT = "flat"                   # the flat target's one level
WRITTEN_ATTRS = (attrs.TRAINABLE, attrs.STATE_OF)


@dataclass(frozen=True)
class PlanMemory(EdgeftPass):
    """Place every buffer of a bufferized module in a memory level at a static offset.

    Runs on the lowered module (memref globals and allocs). Buffers live over
    program points: functions run one after another, so each function's
    scratch buffers live from their first read or write to their last, and
    globals (parameters, adapters, optimizer state, the forward cache) for
    the whole program. The forward cache goes to the largest level
    (L3); persistent state fills L2 first (what a step writes before what
    it only reads) and spills to L3 when L2 is full; scratch buffers then
    fill L2, the largest alive at L2's peak spilling to L3 until it fits.
    Each level is packed by lifetime (largest first, lowest free offset).
    L1 holds the promoted tile buffers (`#pulp.level<"L1">`) and nothing
    spills from it. When a DMA transfer's far buffer lands in L3, the plan
    reserves an L2 staging buffer as large as the largest transfer
    (`edgeft.dma_staging`) and plans again: L1 <-> L3 copies pass through it.
    A plan that does not fit is an error naming the largest buffers alive
    at the peak and the shortfall.

    Without `l2`, a level that shares its memory with the program's image
    (siracusa's L2: code, initial values, I/O buffers, the linked input)
    gets what the image leaves (edgeft.analysis.footprint), and the module
    gets `edgeft.l2_budget = {bytes = ..., physical = ..., <part> = ...}`.

    For a flat target (`host`: one memory, static arrays up to 2 GiB) the plan is one arena:
    the forward cache's parts at its start, then each function's buffers
    packed by lifetime after them (functions run one at a time, so they
    share those bytes); the module gets `edgeft.arena = <bytes>`.

        %0 = memref.alloc() : memref<20x120xf32>
      becomes
        %0 = memref.alloc() {edgeft.level = "L2", edgeft.offset = 4096 : i64} : ...
      and the module gets edgeft.memory = {L2 = <bytes>, L2_lower_bound = <bytes>, ...}
    """

    argument: ClassVar[str] = "edgeft-plan-memory"

    target: str = field(default="siracusa", metadata={"help": "target description"})
    l2: int = budget_option("L2 budget in bytes")
    l3: int = budget_option("L3 budget in bytes")
    l1: int = budget_option("L1 budget in bytes")

    def __post_init__(self) -> None:
        super().__post_init__()
        try:
            get(self.target, l1=self.l1 or None, l2=self.l2 or None, l3=self.l3 or None)
        except UserError as e:
            raise ValueError(str(e)) from None

    def budgets(self, module: ir.Operation | None = None
                ) -> tuple[list[tuple[str, int]], Footprint | None]:
        """The levels of the target, fastest first, with their budgets in bytes
        (options override), and the program's footprint in the level that
        shares its memory with it (None when no level does or no `module`)."""
        target = get(self.target, l1=self.l1 or None, l2=self.l2 or None, l3=self.l3 or None)
        budgets, footprint = [], None
        for name, level in target.levels.items():
            if level.image is None or module is None:
                budgets.append((name, level.bytes))
                continue
            footprint = program_footprint(module, level.bytes, level.image)
            budgets.append((name, footprint.budget))
        return budgets, footprint

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Place every buffer (flat: in one arena; else in the levels)."""
        buffers, owners = _buffers(op)
        if buffers is None:
            pass_.signal_pass_failure()
            return
        budgets, footprint = self.budgets(op)
        if len(budgets) == 1:
            arena, largest = plan_flat(op)
            if arena > budgets[0][1]:
                op.location.emit_error(
                    f"edgeft-plan-memory: the arena needs {arena:,} bytes, more than the "
                    f"{budgets[0][1]:,} bytes target '{self.target}' can hold in static "
                    f"arrays; the largest buffer is {largest[0]} ({largest[1]:,} bytes)")
                pass_.signal_pass_failure()
            return
        tiles = [b for b in buffers if b.level == "L1"]
        placed = [b for b in buffers if b.level != "L1"]
        levels = [b for b in budgets if b[0] != "L1"]
        staging = None
        try:
            if footprint is not None and footprint.budget < 1024:
                raise PlanError(f"the program's image ({footprint.image:,} bytes: code, initial "
                                f"values, I/O buffers, input) leaves no room in the "
                                f"{footprint.physical:,} bytes of L2 for the L2 arena")
            plans = assign_levels(placed, levels)
            size = _staging_bytes(op, placed, owners)
            if size:
                # Transfers between L1 and L3 go through L2: reserve room for
                # the largest, then plan again with it.
                staging = Placed("dma staging", size, 0, max(b.end for b in buffers),
                                 kind=PERSISTENT, label="DMA staging buffer (L3 <-> L1)")
                plans = assign_levels([staging, *placed], levels)
                if staging.level != levels[0][0]:
                    raise PlanError(f"no room in {levels[0][0]} for the {size:,}-byte staging "
                                    "buffer of the transfers between L1 and L3")
            if tiles:
                plans = {"L1": plan_l1(tiles, dict(budgets).get("L1", 0)), **plans}
        except PlanError as e:
            op.location.emit_error(f"edgeft-plan-memory: {e}")
            pass_.signal_pass_failure()
            return
        with op.context:
            i64 = ir.IntegerType.get_signless(64)
            for buf in buffers:
                owner = owners[buf.name]
                owner.attributes[LEVEL_ATTR] = ir.StringAttr.get(buf.level)
                owner.attributes[OFFSET_ATTR] = ir.IntegerAttr.get(i64, buf.offset)
            summary = {}
            for name, plan in plans.items():
                summary[name] = ir.IntegerAttr.get(i64, plan.size)
                summary[f"{name}_lower_bound"] = ir.IntegerAttr.get(i64, plan.lower_bound)
            op.attributes[PLAN_ATTR] = ir.DictAttr.get(summary)
            if footprint is not None:
                op.attributes[BUDGET_ATTR] = ir.DictAttr.get({
                    name: ir.IntegerAttr.get(i64, value) for name, value in (
                        ("bytes", footprint.budget), ("physical", footprint.physical),
                        *footprint.parts().items(), ("input_steps", footprint.input_steps),
                        ("lowered_ops", footprint.lowered_ops))})
            if staging is not None:
                op.attributes[STAGING_ATTR] = ir.DictAttr.get({
                    "level": ir.StringAttr.get(staging.level),
                    "offset": ir.IntegerAttr.get(i64, staging.offset),
                    "bytes": ir.IntegerAttr.get(i64, staging.bytes)})


def _buffers(module: ir.Operation) -> tuple[list[Placed] | None, dict[str, ir.Operation]]:
    """The module's buffers on one timeline (None after an error at a nested alloc)."""
    body = module.regions[0].blocks[0]
    functions = [op for op in body.operations
                 if op.operation.name == "func.func" and op.regions[0].blocks]
    total = sum(top_level_ops(f) for f in functions)
    buffers: list[Placed] = []
    owners: dict[str, ir.Operation] = {}
    persistent = []
    for op in body.operations:
        op = op.operation
        if op.name != "memref.global" or "constant" in op.attributes:
            continue  # read-only constants stay in the program image
        name = symbol_name(op)
        kind = CACHE if attrs.CACHE in op.attributes else PERSISTENT
        written = any(a in op.attributes for a in WRITTEN_ATTRS) or kind == CACHE
        size = shaped_bytes(ir.MemRefType(ir.TypeAttr(op.attributes["type"]).value))
        persistent.append((not written, len(persistent), Placed(
            f"@{name}", size, 0, max(total - 1, 0), kind=kind, label=f"@{name}")))
        owners[f"@{name}"] = op
    buffers += [p for _, _, p in sorted(persistent, key=lambda t: (t[0], t[1]))]
    base = 0
    for func in functions:
        fname = symbol_name(func)
        for life in alloc_lifetimes(func):
            t = ir.MemRefType(life.op.results[0].type)
            key = f"{fname}#{len(owners)}"
            shape = "x".join(map(str, t.shape)) or "scalar"
            tile = "L1" if memory_level(t) == "L1" else ""
            buffers.append(Placed(key, shaped_bytes(t), base + life.start, base + life.end,
                                  kind=SCRATCH, label=f"{shape}x{t.element_type} in @{fname} "
                                                      f"('{layer_of(life.op)}')", level=tile))
            owners[key] = life.op
        nested = _nested_alloc(func)
        if nested is not None:
            nested.location.emit_error("edgeft-plan-memory: an allocation inside a loop has no "
                                       "static place; bufferize so that buffers are allocated "
                                       "at function level")
            return None, owners
        base += top_level_ops(func)
    return buffers, owners


def _staging_bytes(module: ir.Operation, placed: list[Placed],
                   owners: dict[str, ir.Operation]) -> int:
    """The largest DMA transfer, if any transfer's far buffer went to L3 (0 if none)."""
    in_l3 = {owners[b.name] for b in placed if b.level == "L3"}
    globals_ = module_globals(module)
    largest, staged = 0, False
    for dma in nested(module):
        if dma.name not in ("pulp.dma_start_1d", "pulp.dma_start_2d"):
            continue
        largest = max(largest, shaped_bytes(dma.operands[0].type))
        staged = staged or far_root(far_side(dma), globals_) in in_l3
    return largest if staged else 0


def plan_l1(tiles: list[Placed], budget: int) -> LevelPlan:
    """Pack the L1 tile buffers (promoted operands) by lifetime; they cannot spill."""
    plan = LevelPlan("L1", budget, pack(tiles), lower_bound(tiles), tiles)
    if plan.size > budget:
        raise PlanError(overflow_message(plan))
    return plan


def _nested_alloc(func: ir.OpView) -> ir.Operation | None:
    """The first allocation inside a loop or branch of `func`, or None."""
    top = {op.operation for op in func.regions[0].blocks[0].operations}
    return next((op for op in nested(func.operation)
                 if op.name in ("memref.alloc", "memref.alloca") and op not in top), None)


def plan_flat(module: ir.Operation) -> tuple[int, tuple[str, int]]:
    """The flat target's arena: the cache's parts first, then every function's
    buffers packed by lifetime, functions sharing the bytes after the cache.
    Returns the arena's bytes and the largest buffer (its name, bytes)."""
    body = module.regions[0].blocks[0]
    i64 = ir.IntegerType.get_signless(64, module.context)
    offset = 0
    largest = ("none", 0)
    for glob in body.operations:
        if glob.operation.name != "memref.global" or attrs.CACHE not in glob.attributes:
            continue
        _place(glob.operation, FLAT, offset, i64)
        size = shaped_bytes(ir.MemRefType(ir.TypeAttr(glob.attributes["type"]).value))
        largest = max(largest, (f"the forward cache's "
                                f"'{ir.StringAttr(glob.attributes['sym_name']).value}'", size),
                      key=lambda named: named[1])
        offset = align(offset + size)
    scratch, arena = offset, offset
    for func in body.operations:
        if func.operation.name != "func.func" or not func.regions[0].blocks:
            continue
        lifetimes = alloc_lifetimes(func)
        intervals = [Interval(str(i), shaped_bytes(ir.MemRefType(life.op.results[0].type)),
                              life.start, life.end) for i, life in enumerate(lifetimes)]
        arena = max(arena, scratch + pack(intervals))
        for life, interval in zip(lifetimes, intervals, strict=True):
            _place(life.op, FLAT, scratch + interval.offset, i64)
            if interval.bytes > largest[1]:
                largest = (f"a buffer of @{ir.StringAttr(func.attributes['sym_name']).value} "
                           f"at {life.op.location}", interval.bytes)
    module.attributes[FLAT_ATTR] = ir.IntegerAttr.get(i64, arena)
    return arena, largest


def _place(op: ir.Operation, level: str, offset: int, i64: ir.Type) -> None:
    op.attributes[LEVEL_ATTR] = ir.StringAttr.get(level)
    op.attributes[OFFSET_ATTR] = ir.IntegerAttr.get(i64, offset)


def placed_buffers(module: ir.Operation) -> list[Placed]:
    """The buffers of a planned module with their levels and offsets (for charts)."""
    buffers, owners = _buffers(module)
    out = []
    for buf in buffers or []:
        owner = owners[buf.name]
        if LEVEL_ATTR not in owner.attributes:
            continue
        buf.level = ir.StringAttr(owner.attributes[LEVEL_ATTR]).value
        buf.offset = ir.IntegerAttr(owner.attributes[OFFSET_ATTR]).value
        out.append(buf)
    return out
