"""edgeft-tile: tile every linalg op so that its working set fits L1."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from torch_mlir import ir

from edgeft.ir import attrs, queries
from edgeft.ir.errors import UserError
from edgeft.ir.types import element_bytes
from edgeft.passes import tile_fusion
from edgeft.passes.base import EdgeftPass, budget_option
from edgeft.target import Target, get, perf

TILE_ID_ATTR = attrs.TILE_ID
TILE_ATTR = attrs.TILE
SUMMARY_ATTR = attrs.TILING


@dataclass
class Operand:
    """What tiling needs to know of one operand: its map, shape and element size."""

    map: ir.AffineMap
    shape: list[int]
    element_bytes: int
    output: bool
    read: bool            # outputs: whether the body reads the old value
    moves: bool = True    # False: a fused group's buffer that lives only in L1


@dataclass
class Nest:
    """A linalg op as a loop nest: loop sizes, iterator kinds, operands."""

    op: ir.Operation
    sizes: list[int]
    reductions: list[int]      # loop dims that reduce, in loop order
    operands: list[Operand]
    gemm: tuple[int, int, int] | None   # (m, n, k) loop dims if a matmul-like contraction
    steps: dict[int, set[int]] = field(default_factory=dict)
    # loop dim -> divisors c of `d floordiv c` / `d mod c` in the maps: a tile
    # size must divide c or be a multiple of it (upstream tiling's rule)


@dataclass
class Choice:
    """The tiling chosen for one op: tile sizes, working set and the cost it minimised."""

    tiles: list[int]
    working_set: int      # bytes of one tile's operands (not double-buffered)
    cycles: float         # the cost the choice minimised


@dataclass(frozen=True)
class Tile(EdgeftPass):
    """Tile every linalg op so that one tile's working set, double-buffered, fits L1.

    Runs on bufferized IR with generalized linalg ops (`linalg.generic` on
    memrefs). For each op it chooses a tile size per loop, each a divisor of
    the loop's size (so every tile has the same static shape), by the
    cycles of the target's performance model (edgeft.target.perf, on the
    target built from the pass's options): every tile's DMA transfers
    between L2 and L1 in their direction (outputs written back and, when
    read, fetched) plus, for matmul-like contractions, one RedMulE job per
    tile. Starting from the whole op, it shrinks the loop
    whose next smaller divisor costs least until `2 x working set <= L1`.
    Reduction loops shrink only in loop order (all earlier reductions at 1,
    later ones whole), which keeps every sum in its original order: tiled
    and untiled programs give identical numbers. Ops that fit whole stay as
    they are. The tiling itself is upstream's
    `transform.structured.tile_using_for`, run from Python.

    Tile-level fusion (edgeft.passes.tile_fusion): an op's initialisation
    (the all-parallel op just before it that writes all of its output: a
    bias broadcast, a fill, a copy) and its elementwise readers (the
    all-parallel ops just after it reading the output, or the reader before
    them, element for element: ReLU, a bias add, a copy out) are tiled with
    it over the output's dimensions, with the op's reductions whole, and
    their tile loops merged into one: each output tile is initialised,
    accumulated and read while it is in L1. The group is costed as one nest
    (each buffer once; a buffer only the group touches never moves) and
    fused when that beats its members tiled apart. Each op keeps its loops
    and sums; only the interleaving of the ops' tiles changes.

        linalg.generic ... ins(%a : memref<512x400xf32>) ...
      becomes
        scf.for %i = 0 to 512 step 64 {
          %t = memref.subview %a[%i, 0] [64, 400] [1, 1]
          linalg.generic {edgeft.tile = [64, 400]} ins(%t ...)
        }

        fused:  scf.for %n = 0 to 20 {
          linalg.generic <bias>  outs(%acc[%n])
          linalg.generic <conv>  ins(%x[%n], %w) outs(%acc[%n])
          linalg.generic <relu>  ins(%acc[%n]) outs(%y[%n])
        }
    """

    argument: ClassVar[str] = "edgeft-tile"

    target: str = field(default="siracusa", metadata={"help": "target description"})
    l1: int = budget_option("L1 budget in bytes")
    redmule_format: str = field(default="", metadata={
        "help": "RedMulE job format the tiles are costed in (empty: the target's)"})

    def __post_init__(self) -> None:
        super().__post_init__()
        self.target_description()

    def target_description(self) -> Target:
        """The target the pass tiles for, built from its options."""
        try:
            target = get(self.target, l1=self.l1 or None,
                         redmule_format=self.redmule_format or None)
        except UserError as e:
            raise ValueError(str(e)) from None
        if "L1" not in target.levels:
            raise ValueError(f"target '{self.target}' has no L1 to tile for")
        return target

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Tile every linalg op of the module that does not fit L1 whole."""
        target = self.target_description()
        budget = target.levels["L1"].bytes
        nests = []
        for candidate in _linalg_ops(op):
            nest = nest_of(candidate)
            if nest is None:
                candidate.location.emit_error(
                    f"edgeft-tile: cannot tile '{candidate.name}': run linalg-generalize-named-ops "
                    "first (only linalg.generic on statically shaped memrefs is tiled)")
                pass_.signal_pass_failure()
                return
            nests.append(nest)
        i64 = ir.IntegerType.get_signless(64)
        groups = _fusion_plans(nests, budget, target)
        fused = {m for group, _ in groups for m in group.members()}
        plans: list[tuple[Nest, Choice]] = []
        largest = 0
        for nest in nests:
            if nest.op in fused:
                continue
            choice = choose_tiles(nest, budget, target)
            if choice is None:
                nest.op.location.emit_error(
                    f"edgeft-tile: no tiling of this op fits {budget:,} bytes of L1 "
                    "double-buffered")
                pass_.signal_pass_failure()
                return
            largest = max(largest, choice.working_set)
            if choice.tiles == nest.sizes:
                continue
            plans.append((nest, choice))
        with op.context:
            for index, (group, choice) in enumerate(groups):
                largest = max(largest, choice.working_set)
                whole = choice.tiles == nest_of(group.main).sizes
                if whole:
                    tile_fusion.gather(group)
                for role, member in _roles(group):
                    member.attributes[attrs.GROUP] = ir.IntegerAttr.get(i64, index)
                    if whole:  # promoted together as they are
                        continue
                    tiles = choice.tiles if member == group.main else \
                        tile_fusion.member_tiles(choice.tiles, group.dims)
                    member.attributes[attrs.FUSION] = \
                        ir.DenseI64ArrayAttr.get([index, role])
                    plans.append((nest_of(member), Choice(tiles, choice.working_set, 0.0)))
            for i, (nest, choice) in enumerate(plans):
                nest.op.attributes[TILE_ID_ATTR] = ir.IntegerAttr.get(i64, i)
                nest.op.attributes[TILE_ATTR] = ir.DenseI64ArrayAttr.get(choice.tiles)
        if plans:
            try:
                _apply(op, plans)
            except ValueError as e:  # the transform interpreter's diagnostic
                detail = next((line for line in str(e).splitlines() if "op " in line), str(e))
                op.location.emit_error(f"edgeft-tile: tiling failed: {detail.strip()}")
                pass_.signal_pass_failure()
                return
            _fuse_loops(op)
        with op.context:
            op.attributes[SUMMARY_ATTR] = ir.DictAttr.get({
                "ops": ir.IntegerAttr.get(i64, len(nests)),
                "tiled": ir.IntegerAttr.get(i64, len(plans)),
                "fused": ir.IntegerAttr.get(i64, len(groups)),
                "largest_working_set": ir.IntegerAttr.get(i64, largest)})


def _linalg_ops(module: ir.Operation) -> list[ir.Operation]:
    """Top-level linalg ops of every function (those not already inside loops)."""
    out = []
    for func in module.regions[0].blocks[0].operations:
        if func.operation.name != "func.func" or not func.regions[0].blocks:
            continue
        for inner in func.regions[0].blocks[0].operations:
            inner = inner.operation
            if inner.name.startswith("linalg.") and inner.name != "linalg.yield":
                out.append(inner)
    return out


def nest_of(op: ir.Operation) -> Nest | None:
    """The loop nest of a linalg.generic on static memrefs, or None."""
    if op.name != "linalg.generic":
        return None
    maps = queries.indexing_maps(op)
    kinds = [str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])]
    n_in = queries.input_count(op)
    body = op.regions[0].blocks[0]
    operands, sizes = [], {}
    for i, (value, m) in enumerate(zip(op.operands, maps, strict=True)):
        if not isinstance(value.type, ir.MemRefType):
            if isinstance(value.type, ir.ShapedType):
                return None
            operands.append(None)
            continue
        t = ir.MemRefType(value.type)
        if not t.has_static_shape:
            return None
        shape = list(t.shape)
        for position, expr in enumerate(m.results):
            if isinstance(expr, ir.AffineDimExpr):
                sizes.setdefault(ir.AffineDimExpr(expr).position, shape[position])
        output = i >= n_in
        read = output and any(True for _ in body.arguments[i].uses)
        operands.append(Operand(m, shape, element_bytes(t.element_type), output, read))
    n_dims = maps[0].n_dims
    if any(d not in sizes for d in range(n_dims)):
        return None
    reductions = [d for d, k in enumerate(kinds) if "reduction" in k]
    nest = Nest(op, [sizes[d] for d in range(n_dims)], reductions,
                [o for o in operands if o is not None], None, _steps(maps))
    nest.gemm = _gemm_dims(nest, body)
    return nest


def _steps(maps: list[ir.AffineMap]) -> dict[int, set[int]]:
    steps: dict[int, set[int]] = {}
    for m in maps:
        for d, c in re.findall(r"d(\d+) (?:floordiv|mod) (\d+)", str(m)):
            steps.setdefault(int(d), set()).add(int(c))
    return steps


def _gemm_dims(nest: Nest, body: ir.Block) -> tuple[int, int, int] | None:
    """(m, n, k) loops of C[m, n] += A[m, k] * B[k, n] (batch loops allowed), else None."""
    names = [o.operation.name for o in body.operations]
    if len(nest.reductions) != 1 or "arith.mulf" not in names or "arith.addf" not in names:
        return None
    inputs = [o for o in nest.operands if not o.output]
    outputs = [o for o in nest.operands if o.output]
    if len(inputs) != 2 or len(outputs) != 1:
        return None
    dims = [_plain_dims(o.map) for o in nest.operands]
    if any(d is None for d in dims):
        return None
    a, b_, c = (set(d) for d in dims)
    k = nest.reductions[0]
    if k not in a or k not in b_ or k in c:
        return None
    m_dims = sorted((a & c) - b_)
    n_dims = sorted((b_ & c) - a)
    if len(m_dims) != 1 or len(n_dims) != 1:
        return None
    return m_dims[0], n_dims[0], k


def _plain_dims(m: ir.AffineMap) -> list[int] | None:
    out = []
    for expr in m.results:
        if not isinstance(expr, ir.AffineDimExpr):
            return None
        out.append(ir.AffineDimExpr(expr).position)
    return out


# --- choosing tile sizes -----------------------------------------------------------


def footprint(operand: Operand, tiles: list[int]) -> int:
    """Bytes of an operand that one tile touches."""
    count = 1
    for position, expr in enumerate(operand.map.results):
        count *= min(operand.shape[position], _extent(expr, operand.map.n_dims, tiles))
    return count * operand.element_bytes


def _extent(expr: ir.AffineExpr, n_dims: int, tiles: list[int]) -> int:
    """How many values an index expression takes over a tile (exact for the
    monotone expressions of linalg maps: evaluated at the tile's corners)."""
    used = [d for d in range(n_dims) if _uses_dim(expr, d)]
    if not used:
        return 1
    values = []
    for corner in range(1 << len(used)):
        point = [0] * n_dims
        for bit, d in enumerate(used):
            point[d] = tiles[d] - 1 if corner >> bit & 1 else 0
        constants = [ir.AffineConstantExpr.get(v, context=expr.context) for v in point]
        folded = expr.compose(ir.AffineMap.get(0, 0, constants, context=expr.context))
        values.append(ir.AffineConstantExpr(folded).value)
    return max(values) - min(values) + 1


def _uses_dim(expr: ir.AffineExpr, d: int) -> bool:
    return f"d{d}" in _dims_text(expr)


def _dims_text(expr: ir.AffineExpr) -> set[str]:
    return set(re.findall(r"d\d+", str(expr)))


def working_set(nest: Nest, tiles: list[int]) -> int:
    """Bytes of one tile's operands. An untiled op's operands are whole
    buffers (edgeft-promote copies them whole), even where the maps touch
    only part of one (the NF4 packer reads even and odd columns as two
    operands)."""
    if tiles == nest.sizes:
        return sum(math.prod(o.shape) * o.element_bytes for o in nest.operands)
    return sum(footprint(o, tiles) for o in nest.operands)


def cost(nest: Nest, tiles: list[int], target: Target) -> float:
    """Cycles of one tiling on `target` (edgeft.target.perf): every tile's
    DMA transfers, L2 -> L1 for the inputs and the outputs the body reads,
    L1 -> L2 for the outputs; plus, for matmul-like contractions, one RedMulE
    job (programming and job) per tile and batch point."""
    count = math.prod(s // t for s, t in zip(nest.sizes, tiles, strict=True))
    per_tile = 0.0
    for operand in nest.operands:
        if not operand.moves:
            continue
        size = footprint(operand, tiles)
        if not operand.output or operand.read:
            per_tile += perf.dma_cycles(target, "L2", "L1", size)
        if operand.output:
            per_tile += perf.dma_cycles(target, "L1", "L2", size)
    cycles = count * per_tile
    if nest.gemm is not None and target.redmule is not None:
        m, n, k = (tiles[d] for d in nest.gemm)
        batch = math.prod(t for d, t in enumerate(tiles) if d not in nest.gemm)
        # RedMulE's N is the reduction: Z[m x n] = X[m x k] W[k x n]
        cycles += count * batch * perf.redmule_cycles(target, m, k, n)
    return cycles


def choose_tiles(nest: Nest, budget: int, target: Target,
                 whole_reductions: bool = False) -> Choice | None:
    """Greedy: from the whole op, shrink the cheapest loop until it fits
    (`whole_reductions`: never a reduction loop)."""
    tiles = list(nest.sizes)
    while 2 * working_set(nest, tiles) > budget:
        best = None
        for d in _shrinkable(nest, tiles):
            if whole_reductions and d in nest.reductions:
                continue
            smaller = _next_divisor(nest.sizes[d], tiles[d], nest.steps.get(d, set()))
            if smaller is None:
                continue
            trial = list(tiles)
            trial[d] = smaller
            if working_set(nest, trial) >= working_set(nest, tiles):
                continue
            key = (cost(nest, trial, target), d)
            if best is None or key < best[0]:
                best = (key, trial)
        if best is None:
            return None
        tiles = best[1]
    return Choice(tiles, working_set(nest, tiles), cost(nest, tiles, target))


def _shrinkable(nest: Nest, tiles: list[int]) -> list[int]:
    """Loops that may shrink now: any parallel loop above 1; of the reductions,
    only the first (in loop order) not yet at 1, and only if all later ones are
    whole (so sums keep their order)."""
    out = [d for d in range(len(tiles)) if d not in nest.reductions and tiles[d] > 1]
    for i, d in enumerate(nest.reductions):
        if tiles[d] == 1:
            continue
        if all(tiles[r] == nest.sizes[r] for r in nest.reductions[i + 1:]):
            out.append(d)
        break
    return sorted(out)


def _next_divisor(size: int, current: int, steps: set[int]) -> int | None:
    """The next smaller tile size for a loop: a divisor of its size that divides
    or is a multiple of every floordiv/mod step on it."""
    fits = [d for d in range(1, current) if size % d == 0
            and all(c % d == 0 or d % c == 0 for c in steps)]
    return max(fits, default=None)


# --- applying ------------------------------------------------------------------------


def _apply(module: ir.Operation, plans: list[tuple[Nest, Choice]]) -> None:
    """Tile the marked ops with the transform dialect's interpreter."""
    from torch_mlir.dialects.transform import interpreter

    lines = ["module attributes {transform.with_named_sequence} {",
             "  transform.named_sequence @__transform_main(%root: !transform.any_op "
             "{transform.readonly}) {"]
    for i, (nest, choice) in enumerate(plans):
        loops = sum(1 for t, s in zip(choice.tiles, nest.sizes, strict=True) if t != s)
        sizes = ", ".join(str(t if t != s else 0)
                          for t, s in zip(choice.tiles, nest.sizes, strict=True))
        handles = ", ".join(["!transform.any_op"] * (loops + 1))
        lines.append(f"    %op{i} = transform.structured.match attributes{{{TILE_ID_ATTR} = {i} : "
                     f"i64}} in %root : (!transform.any_op) -> !transform.any_op")
        lines.append(f"    %tiled{i}, %loops{i}:{loops} = transform.structured.tile_using_for "
                     f"%op{i} tile_sizes [{sizes}] : (!transform.any_op) -> ({handles})")
    lines += ["    transform.yield", "  }", "}"]
    text = "\n".join(lines).replace(":1 =", " =")
    with module.context:
        script = ir.Module.parse(text)
        interpreter.apply_named_sequence(module, script.body.operations[0], script)
        for op in queries.nested(module):
            if TILE_ID_ATTR in op.attributes:
                del op.attributes[TILE_ID_ATTR]



# --- fusion groups (edgeft.passes.tile_fusion) ------------------------------------------


def _fusion_plans(nests: list[Nest], budget: int,
                  target: Target) -> list[tuple[tile_fusion.Group, Choice]]:
    """The groups worth fusing, each with the tiling of its main op: one whose
    reductions stay whole, that fits L1 and costs fewer cycles than the
    members tiled apart. Contractions and reductions claim their neighbours
    first."""
    by_op = {n.op: n for n in nests}
    taken: set[ir.Operation] = set()
    out = []
    for nest in [n for n in nests if n.reductions] + [n for n in nests if not n.reductions]:
        if nest.op in taken:
            continue
        group = tile_fusion.find_group(nest.op, taken)
        if group is None or any(m not in by_op for m in group.members()):
            continue
        choice = choose_tiles(_fused_nest(group, nest), budget, target, whole_reductions=True)
        if choice is None:
            continue
        apart = [choose_tiles(by_op[m], budget, target) for m in group.members()]
        if any(a is None for a in apart) or choice.cycles >= sum(a.cycles for a in apart):
            continue
        taken.update(group.members())
        out.append((group, choice))
    return out


def _fused_nest(group: tile_fusion.Group, main: Nest) -> Nest:
    """The group as one nest over the main op's loops: each buffer once, the
    chain buffers nothing else reads kept in L1 (no transfers), a buffer
    fetched only if the first member to touch it reads it."""
    n_dims = len(main.sizes)
    local = tile_fusion.local_values(group)
    entries: dict[ir.Value, Operand] = {}
    for member in group.members():
        maps = queries.indexing_maps(member)
        n_in = queries.input_count(member)
        body = member.regions[0].blocks[0]
        for i, (value, m) in enumerate(zip(member.operands, maps, strict=True)):
            if not isinstance(value.type, ir.MemRefType):
                continue
            output = i >= n_in
            if value in entries:
                entries[value].output |= output
                continue
            if member != group.main:
                m = tile_fusion.composed(m, group.dims, n_dims)
            t = ir.MemRefType(value.type)
            read = output and any(True for _ in body.arguments[i].uses)
            entries[value] = Operand(m, list(t.shape), element_bytes(t.element_type), output,
                                     read, moves=value not in local)
    operands = list(entries.values())
    return Nest(main.op, main.sizes, main.reductions, operands, main.gemm,
                _steps([o.map for o in operands]))


def _roles(group: tile_fusion.Group) -> list[tuple[int, ir.Operation]]:
    """(role, member): -1 the prologue, 0 the main op, k the k-th epilogue."""
    out = [(-1, group.prologue)] if group.prologue is not None else []
    return out + [(0, group.main)] + [(k + 1, e) for k, e in enumerate(group.epilogues)]


def _fuse_loops(module: ir.Operation) -> None:
    """Merge each group's tile loop nests into its main op's (see tile_fusion)."""
    members: dict[int, dict[int, ir.Operation]] = {}
    for inner in queries.nested(module, "linalg.generic"):
        if attrs.FUSION in inner.attributes:
            index, role = ir.DenseI64ArrayAttr(inner.attributes[attrs.FUSION])
            members.setdefault(index, {})[role] = inner
            del inner.attributes[attrs.FUSION]
    for roles in members.values():
        main = roles[0]
        for role in sorted(roles):
            if role != 0 and tile_fusion.same_nest(roles[role], main):
                tile_fusion.merge_into(roles[role], main, before=role < 0)
        tile_fusion.dedupe_views(main.block)
