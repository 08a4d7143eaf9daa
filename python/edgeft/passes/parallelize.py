"""edgeft-parallelize: split core kernels over the cluster's cores."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from torch_mlir import ir

from edgeft.ir import attrs, queries
from edgeft.passes.base import CLUSTER_CORES, EdgeftPass, Range, option
from edgeft.passes.offload_redmule import promoted_ops
from edgeft.passes.promote import index_constant, index_op, strided_type, strides_of, subview
from edgeft.passes.tile import Nest, nest_of

CORES_ATTR = attrs.CORES

# Ops that may sit between two regions merged into one (edgeft-promote's views).
_PURE = ("memref.subview", "memref.collapse_shape", "memref.expand_shape", "memref.cast",
         "memref.memory_space_cast", "arith.constant", "affine.apply")


@dataclass(frozen=True)
class Parallelize(EdgeftPass):
    """Run every L1 core kernel on the cluster's cores, one slice each.

    Runs after edgeft-promote (and edgeft-offload-redmule, whose jobs stay on
    the accelerator). For each promoted linalg.generic (`ops=promoted`), or
    every linalg.generic (`ops=all`, the flat host target, whose slices the
    runtime gives to threads) it picks the parallel loop that splits over the
    most cores (the outermost on ties): a loop every operand indexes plainly
    or not at all and every output indexes, not read by `linalg.index`, whose
    size a core count up to `cores` divides. With `ops=all` the outermost
    such loop that an even count of at least 4 divides goes first (the
    batch: each host thread then keeps its own samples from kernel to kernel,
    in its own cache; lenet5 ft-all 1.22 -> 1.00 ms a step on 2 threads).
    The op becomes a `pulp.parallel`
    region over that many cores; core c computes the slice
    [c * size / w, (c + 1) * size / w) of the loop, on views of the operands,
    and the region ends in a barrier, its only one (the host runtime relies on
    that: its join is the barrier). Ops without such a loop (a full reduction
    to a scalar) stay on one core. Slices split only parallel loops, so every
    element is computed by the same statements in the same order as unsplit.

    The members of a fused tile group (`edgeft.group`, edgeft-tile) share one
    region where their cuts agree: the member with reductions is split
    first, the others take the loop that cuts the buffers they share with it
    the same way (same dimension, same rows per core) when they can, and
    consecutive regions whose written buffers are cut alike become one. Core
    c then runs its slice of each member in turn and reads only what it
    wrote itself: one fork and one barrier per tile.

        linalg.generic {iterator_types = ["parallel", ...]} ins(%a : memref<16x8xf32, L1>) ...
      becomes
        pulp.parallel {cores = 8} {
        ^bb0(%core: index):
          %o = arith.muli %core, 2
          %s = memref.subview %a[%o, 0] [2, 8] [1, 1]
          linalg.generic ins(%s ...) ...
          pulp.barrier
          pulp.yield
        }
    """

    argument: ClassVar[str] = "edgeft-parallelize"

    cores: int = option(CLUSTER_CORES, "cluster cores to split over", Range(1, CLUSTER_CORES))
    ops: Literal["promoted", "all"] = field(default="promoted", metadata={
        "help": "which linalg.generic ops to split: promoted (L1 operands) or all"})

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Split every chosen kernel not yet in a pulp.parallel across the cores."""
        if self.cores == 1:
            return
        candidates = promoted_ops(op) if self.ops == "promoted" else \
            queries.nested(op, "linalg.generic")
        slices: dict[ir.Operation, dict[ir.Value, tuple[int, int] | None]] = {}
        written: dict[ir.Operation, set[ir.Value]] = {}
        for run in _runs(candidates):
            leader = None  # the region of the run's first split: the others cut like it
            for candidate in run:
                if candidate.parent.name == "pulp.parallel":
                    continue
                choice = None
                if leader is not None:
                    choice = split_like(candidate, slices[leader],
                                        ir.IntegerAttr(leader.attributes["cores"]).value)
                choice = choice or split_loop(candidate, self.cores, outer=self.ops == "all")
                if choice is None:
                    continue
                outputs = set(list(candidate.operands)[queries.input_count(candidate):])
                group = queries.fused_group(candidate)
                with candidate.context, candidate.location:
                    region, cut = _split(candidate, *choice)  # erases the candidate
                if group is not None:
                    slices[region] = cut
                    written[region] = outputs
                    leader = leader or region
        _merge_group_regions(slices, written)


def split_loop(op: ir.Operation, cores: int, outer: bool = False) -> tuple[int, int] | None:
    """(loop dim, workers) for the best loop to split, or None. With `outer`
    the outermost loop that an even count of at least 4 workers divides
    (the batch of a host kernel), before the loop with the most workers."""
    nest = nest_of(op)
    if nest is None:
        return None
    best = None
    for d, size in enumerate(nest.sizes):
        if not _splittable(op, nest, d):
            continue
        if outer:
            even = [w for w in range(4, cores + 1, 2) if size % w == 0]
            if even:
                return d, max(even)
        workers = max(w for w in range(1, cores + 1) if size % w == 0)
        if workers > 1 and (best is None or workers > best[1]):
            best = (d, workers)
    return best


def _splittable(op: ir.Operation, nest: Nest, d: int) -> bool:
    """Loop d may be split: parallel, not read by linalg.index, indexed
    plainly by every operand and indexed by every output."""
    kinds = [str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])]
    return "parallel" in kinds[d] and d not in _indexed_dims(op) \
        and _plain_everywhere(nest, d) and _in_every_output(nest, d)


def split_like(op: ir.Operation, cut: dict[ir.Value, tuple[int, int] | None],
               workers: int) -> tuple[int, int] | None:
    """The split of `op` that cuts the buffers it shares with a split already
    made (`cut`: buffer -> (dim, rows per core)) the same way, or None."""
    nest = nest_of(op)
    if nest is None:
        return None
    maps = iter(nest.operands)
    for value in op.operands:
        if not isinstance(value.type, ir.MemRefType):
            continue
        m = next(maps).map
        if cut.get(value) is None:
            continue
        dim, rows = cut[value]
        e = m.results[dim]
        if not isinstance(e, ir.AffineDimExpr):
            continue
        d = ir.AffineDimExpr(e).position
        if _splittable(op, nest, d) and nest.sizes[d] == rows * workers:
            return d, workers
    return None


def _indexed_dims(op: ir.Operation) -> set[int]:
    out = set()
    for inner in op.regions[0].blocks[0].operations:
        if inner.operation.name == "linalg.index":
            out.add(ir.IntegerAttr(inner.operation.attributes["dim"]).value)
    return out


def _plain_everywhere(nest: Nest, d: int) -> bool:
    """Every operand indexes loop d as a whole result (once) or not at all."""
    for operand in nest.operands:
        plain = 0
        for expr in operand.map.results:
            if isinstance(expr, ir.AffineDimExpr) and ir.AffineDimExpr(expr).position == d:
                plain += 1
            elif re.search(rf"\bd{d}\b", str(expr)):
                return False
        if plain > 1:
            return False
    return True


def _in_every_output(nest: Nest, d: int) -> bool:
    """Every output indexes loop d, so no two slices write the same element."""
    return all(any(isinstance(e, ir.AffineDimExpr) and ir.AffineDimExpr(e).position == d
                   for e in operand.map.results)
               for operand in nest.operands if operand.output)


def _split(op: ir.Operation, d: int, workers: int
           ) -> tuple[ir.Operation, dict[ir.Value, tuple[int, int] | None]]:
    """Replace `op` by a pulp.parallel of its slices along loop d. Returns the
    region and, per memref operand, how it is cut: (dim, rows per core), or
    None when every core sees it whole."""
    nest = nest_of(op)
    chunk = nest.sizes[d] // workers
    i64 = ir.IntegerType.get_signless(64)
    with ir.InsertionPoint(op):
        region = ir.Operation.create("pulp.parallel", regions=1,
                                     attributes={"cores": ir.IntegerAttr.get(i64, workers)})
    block = region.regions[0].blocks.append(ir.IndexType.get())
    core = block.arguments[0]
    with ir.InsertionPoint(block):
        start = index_op("arith.muli", core, index_constant(chunk))
        views = []
        cut: dict[ir.Value, tuple[int, int] | None] = {}
        maps = iter(nest.operands)  # one per memref operand; scalars stay
        for value in op.operands:
            if isinstance(value.type, ir.MemRefType):
                m = next(maps).map
                views.append(_slice(value, m, d, start, chunk))
                cut[value] = next(((p, chunk) for p, e in enumerate(m.results)
                                   if isinstance(e, ir.AffineDimExpr)
                                   and ir.AffineDimExpr(e).position == d), None)
            else:
                views.append(value)
        clone = op.clone()
        for i, view in enumerate(views):
            clone.operands[i] = view
        clone.attributes[CORES_ATTR] = ir.IntegerAttr.get(i64, workers)
        ir.Operation.create("pulp.barrier")
        ir.Operation.create("pulp.yield")
    op.erase()
    return region, cut


def _runs(ops: list[ir.Operation]) -> list[list[ir.Operation]]:
    """`ops` in program order, cut into runs: the consecutive members of one
    fused group in one block form a run, with its member with reductions
    (the main op) first; any other op is a run alone."""
    runs: list[list[ir.Operation]] = []
    for op in ops:
        group = queries.fused_group(op)
        last = runs[-1][-1] if runs else None
        if group is not None and last is not None and queries.fused_group(last) == group \
                and last.block == op.block:
            runs[-1].append(op)
        else:
            runs.append([op])
    return [sorted(run, key=lambda o: not _reduces(o)) for run in runs]


def _reduces(op: ir.Operation) -> bool:
    return any("reduction" in str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"]))


def _merge_group_regions(slices: dict[ir.Operation, dict[ir.Value, tuple[int, int] | None]],
                         written: dict[ir.Operation, set[ir.Value]]) -> None:
    """One region for consecutive members of a fused tile group (edgeft-tile)
    whose slices agree: every buffer one of them writes that both touch is
    cut along the same dimension into the same rows per core. Core c then
    runs its slice of each member in turn and reads only what it wrote
    itself, so no barrier is needed between them: one fork, one barrier."""
    chains = []
    taken: set[ir.Operation] = set()
    blocks: list[list[ir.Operation]] = []
    for region in slices:
        ops = [o.operation for o in region.block.operations]
        if ops[0] not in [b[0] for b in blocks]:
            blocks.append(ops)
    starts = [(ops, i) for ops in blocks for i, o in enumerate(ops) if o in slices]
    for ops, i in starts:  # in program order; plan first, erase after
        region = ops[i]
        if region in taken:
            continue
        i += 1
        chain, between = [region], []
        while True:
            j = i
            while j < len(ops) and ops[j].name in _PURE:
                j += 1
            if j >= len(ops) or ops[j] not in slices or \
                    not _agree(region, ops[j], slices, written):
                break
            slices[region] = {**slices[ops[j]], **slices[region]}
            written[region] = written[region] | written[ops[j]]
            between += ops[i:j]
            chain.append(ops[j])
            taken.add(ops[j])
            i = j + 1
        chains.append((chain, between))
    for (region, *followers), between in chains:
        for o in between:  # views and constants: nothing in a region makes them
            o.move_before(region)
        for follower in followers:
            _append_region(region, follower)
            follower.erase()


def _agree(a: ir.Operation, b: ir.Operation,
           slices: dict[ir.Operation, dict[ir.Value, tuple[int, int] | None]],
           written: dict[ir.Operation, set[ir.Value]]) -> bool:
    if ir.IntegerAttr(a.attributes["cores"]).value != ir.IntegerAttr(b.attributes["cores"]).value:
        return False
    if _group_of(a) != _group_of(b):
        return False
    for value in written[a] | written[b]:
        if value in slices[a] and value in slices[b]:
            if slices[a][value] is None or slices[a][value] != slices[b][value]:
                return False
    return True


def _group_of(region: ir.Operation) -> int | None:
    inner = [o.operation for o in region.regions[0].blocks[0].operations
             if o.operation.name == "linalg.generic"]
    return queries.fused_group(inner[0]) if inner else None


def _append_region(region: ir.Operation, follower: ir.Operation) -> None:
    """Move the follower's body (its slices, not its barrier) in front of the
    region's barrier, on the region's core index."""
    body = region.regions[0].blocks[0]
    barrier = [o.operation for o in body.operations][-2]
    source = follower.regions[0].blocks[0]
    source.arguments[0].replace_all_uses_with(body.arguments[0])
    for o in [o.operation for o in source.operations][:-2]:
        o.move_before(barrier)


def _slice(value: ir.Value, map_: ir.AffineMap, d: int, start: ir.Value,
           chunk: int) -> ir.Value:
    """`value` restricted to [start, start + chunk) along loop d (itself if it
    does not use d)."""
    positions = [p for p, e in enumerate(map_.results)
                 if isinstance(e, ir.AffineDimExpr) and ir.AffineDimExpr(e).position == d]
    if not positions:
        return value
    t = ir.MemRefType(value.type)
    shape = list(t.shape)
    p = positions[0]
    offsets: list[int | ir.Value] = [0] * len(shape)
    offsets[p] = start
    sizes = list(shape)
    sizes[p] = chunk
    strides, _ = strides_of(t)
    result = strided_type(sizes, t.element_type, strides,
                          ir.ShapedType.get_dynamic_stride_or_offset(), t.memory_space)
    return subview(value, offsets, sizes, result)
