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


@dataclass(frozen=True)
class Parallelize(EdgeftPass):
    """Run every L1 core kernel on the cluster's cores, one slice each.

    Runs after edgeft-promote (and edgeft-offload-redmule, whose jobs stay on
    the accelerator). For each promoted linalg.generic (`ops=promoted`), or
    every linalg.generic (`ops=all`, the flat host target, whose slices the
    runtime gives to threads) it picks the parallel loop that splits over the
    most cores (the outermost on ties): a loop every operand indexes plainly
    or not at all and every output indexes, not read by `linalg.index`, whose
    size a core count up to `cores` divides. The op becomes a `pulp.parallel`
    region over that many cores; core c computes the slice
    [c * size / w, (c + 1) * size / w) of the loop, on views of the operands,
    and the region ends in a barrier, its only one (the host runtime relies on
    that: its join is the barrier). Ops without such a loop (a full reduction
    to a scalar) stay on one core. Slices split only parallel loops, so every
    element is computed by the same statements in the same order as unsplit.

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
        for candidate in candidates:
            if candidate.parent.name == "pulp.parallel":
                continue
            choice = split_loop(candidate, self.cores)
            if choice is None:
                continue
            with candidate.context, candidate.location:
                _split(candidate, *choice)


def split_loop(op: ir.Operation, cores: int) -> tuple[int, int] | None:
    """(loop dim, workers) for the best loop to split, or None."""
    nest = nest_of(op)
    if nest is None:
        return None
    kinds = [str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])]
    indexed = _indexed_dims(op)
    best = None
    for d, size in enumerate(nest.sizes):
        if "parallel" not in kinds[d] or d in indexed or not _plain_everywhere(nest, d):
            continue
        if not _in_every_output(nest, d):
            continue
        workers = max(w for w in range(1, cores + 1) if size % w == 0)
        if workers > 1 and (best is None or workers > best[1]):
            best = (d, workers)
    return best


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


def _split(op: ir.Operation, d: int, workers: int) -> None:
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
        maps = iter(nest.operands)  # one per memref operand; scalars stay
        for value in op.operands:
            if isinstance(value.type, ir.MemRefType):
                views.append(_slice(value, next(maps).map, d, start, chunk))
            else:
                views.append(value)
        clone = op.clone()
        for i, view in enumerate(views):
            clone.operands[i] = view
        clone.attributes[CORES_ATTR] = ir.IntegerAttr.get(i64, workers)
        ir.Operation.create("pulp.barrier")
        ir.Operation.create("pulp.yield")
    op.erase()


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
