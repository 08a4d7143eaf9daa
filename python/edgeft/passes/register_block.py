"""edgeft-register-block: reductions with their accumulators in registers, blocked outputs;
scatters with a sliding window of accumulators."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from torch_mlir import ir
from torch_mlir.dialects import scf, vector

from edgeft.ir import attrs, queries
from edgeft.ir.builders import clone_mapped
from edgeft.passes.base import EdgeftPass, Range, option
from edgeft.passes.promote import index_constant


@dataclass(frozen=True)
class RegisterBlock(EdgeftPass):
    """Lower every reduction (a linalg.generic on memrefs with a reduction
    loop: matmul, convolution, pooling, the sums of a norm or a softmax)
    into loops whose reduction runs innermost on scalar accumulators, over
    a block of `rows` x `cols` output elements unrolled, so that each
    loaded operand feeds several operations and no partial sum goes back to
    memory. Runs after tiling and the core split, before
    convert-linalg-to-loops (which lowers what this pass leaves: ops without
    a reduction, scatters of other forms, such as pooling's strided ones).

    The columns are the output's innermost dimension; the rows the parallel
    loop that saves the most loads (an operand that does not depend on it is
    loaded once per block row instead of once per element); no row blocking
    where no operand is shared. Every output element keeps its sum order:
    the reduction loops run in their original order, one element's
    accumulator at a time, so the result is bit for bit the one of the
    plain loops. Extents the block does not divide get remainder loops.

        linalg.generic {iterator_types = ["parallel", "parallel", "reduction"]}
            ins(%a, %b : memref<8x16xf32>, memref<16x8xf32>) outs(%c : memref<8x8xf32>)
      becomes (rows = cols = 4)
        scf.for %i = 0 to 8 step 4 { scf.for %j = 0 to 8 step 4 {
          %c00 = memref.load %c[%i, %j] ... (16 accumulators)
          %r:16 = scf.for %k = 0 to 16 iter_args(%s00 = %c00, ...) {
            %a0 = memref.load %a[%i, %k] ... %b0 = memref.load %b[%k, %j] ...
            scf.yield (%s00 + %a0 * %b0), ...
          }
          memref.store %r#0, %c[%i, %j] ...
        } }

    A scatter (a convolution's input gradient, dx[n, c, oh + kh, ow + kw] +=
    dy[n, f, oh, ow] * w[f, c, kh, kw], kw the innermost loop) slides instead:
    the ow loop moves inside, just outside kw, and carries the kw window of
    outputs ow + 0 .. ow + 4 in registers; each step adds dy[.., ow] times the
    window's w values (loaded before the loop), stores the output it completes
    and loads the next. Every output still takes its products in the order
    (f, oh, ow) of the plain loops.

        scf.for %n, %f, %oh, %c, %kh {
          %w0 = memref.load %w[%f, %c, %kh, 0] ... %w4
          %x0 = memref.load %dx[%n, %c, %oh + %kh, 0] ... %x4
          %r:5 = scf.for %ow = 0 to 9 iter_args(%a0 = %x0, ... %a4 = %x4) {
            %g = memref.load %dy[%n, %f, %oh, %ow]
            memref.store (%a0 + %g * %w0), %dx[.., %ow]
            %next = memref.load %dx[.., %ow + 5]
            scf.yield (%a1 + %g * %w1), ..., (%a4 + %g * %w4), %next
          } {edgeft.unroll = 5}
          (ow = 9: the last step, storing the whole window)
        }

    With `vector` lanes (a host with SIMD registers), a block's columns are
    vectors where the body is float arithmetic (with maximumf and minimumf)
    and every operand that depends on the column loop moves a constant
    number of elements per column: each block row carries `vectors`
    vector<lanes x f32> accumulators (fewer where the columns are fewer); an
    operand with unit stride is one vector load, one with another stride
    (x W^T's W, pooling's 2 * ow + kw) gathered lane by lane, one without the
    column loop broadcast. Lanes are the widest of `vector`, `vector`/2, ..
    (at least 4) the column extent holds. Columns the blocks do not divide
    take no scalar remainder: the last columns are one block of vectors, the
    last ending at the last column (10 columns: lanes 0-7 and 2-9; the shared
    lanes are computed twice alike). Each lane
    still sums one output element in its order, so the result is again bit
    for bit the plain loops'.

        %acc = vector.load %c[%i, %j] : memref<8x16xf32>, vector<8xf32>
        %r = scf.for %k = 0 to 16 iter_args(%s = %acc) -> vector<8xf32> {
          %a = memref.load %a[%i, %k]  %av = vector.broadcast %a
          %b = vector.load %b[%k, %j]
          scf.yield (%s + %av * %b)
        }
        vector.store %r, %c[%i, %j]

    A scatter with vectors holds a row of its outputs (dx[.., r, 0 .. OW+KW-2])
    in vectors and adds, for kw from KW-1 down to 0, dy's row shifted by kw
    times w[.., kw] broadcast; the shifted rows (lanes outside dy's row take
    +0) are built once per dy row. kw descending is ow ascending, so every
    output keeps its order (f, oh, ow); the +0 terms change no sum but the
    sign of an output that was -0 and took nothing else.
    """

    argument: ClassVar[str] = "edgeft-register-block"

    rows: int = option(4, "output rows per block", Range(1, 16))
    cols: int = option(4, "output columns per block (the output's innermost dimension)",
                       Range(1, 64))
    vector: int = option(0, "lanes of the widest f32 vector (0: scalar blocks only)",
                         Range(0, 16))
    vectors: int = option(1, "column vectors per block row (with vector)", Range(1, 8))

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Lower every blockable reduction of the module."""
        for generic in queries.nested(op, "linalg.generic"):
            shape = reduction_shape(generic)
            if shape is not None:
                lower(generic, shape, self.rows, self.cols, self.vector, self.vectors)
                continue
            scatter = scatter_shape(generic)
            if scatter is None:
                continue
            lanes = scatter_lanes(generic, scatter, self.vector)
            if lanes:
                lower_vector_scatter(generic, scatter, lanes)
            else:
                lower_scatter(generic, scatter)


@dataclass
class Reduction:
    """What the lowering needs of a linalg.generic with a reduction loop."""

    extents: list[int]
    reductions: list[int]       # loop positions of the reduction loops, in order
    maps: list[ir.AffineMap]    # one per operand
    dims_of: list[set[int]]     # the loops each operand's indices depend on
    inputs: int


_DIM = re.compile(r"\bd(\d+)\b")


def reduction_shape(op: ir.Operation) -> Reduction | None:
    """The loops and maps of a generic this pass can lower, or None: memref operands
    of static shape, at least one reduction loop, outputs indexed by parallel
    loops only, a body without regions."""
    kinds = [str(k) for k in ir.ArrayAttr(op.attributes["iterator_types"])]
    reductions = [i for i, k in enumerate(kinds) if "reduction" in k]
    if not reductions:
        return None
    common = _common_shape(op)
    if common is None:
        return None
    extents, maps, dims_of, inputs = common
    if any(dims_of[k] & set(reductions) for k in range(inputs, len(maps))):
        return None
    return Reduction(extents, reductions, maps, dims_of, inputs)


def _common_shape(op: ir.Operation) -> tuple[list[int], list[ir.AffineMap], list[set[int]],
                                              int] | None:
    """(loop extents, maps, the loops each operand depends on, inputs) of a generic
    with memref operands of static shape and a body without regions, each loop
    the bare index of some operand; None for any other."""
    operands = list(op.operands)
    if not all(isinstance(v.type, ir.MemRefType) and ir.MemRefType(v.type).has_static_shape
               for v in operands):
        return None
    maps = queries.indexing_maps(op)
    if len(maps) != len(operands) or maps[0].n_symbols:
        return None
    body = op.regions[0].blocks[0]
    if any(len(o.operation.regions) for o in body.operations):
        return None
    inputs = len(op.opview.inputs)
    dims_of = [{int(m) for e in amap.results for m in _DIM.findall(str(e))} for amap in maps]
    extents: list[int | None] = [None] * maps[0].n_dims
    for amap, value in zip(maps, operands, strict=True):
        shape = ir.MemRefType(value.type).shape
        for r, expr in enumerate(amap.results):
            if isinstance(expr, ir.AffineDimExpr):
                extents[ir.AffineDimExpr(expr).position] = shape[r]
    if any(e is None for e in extents):
        return None
    return [int(e) for e in extents], maps, dims_of, inputs


def column_loop(shape: Reduction) -> int | None:
    """The output's innermost loop of extent > 1, if any."""
    for expr in reversed(shape.maps[shape.inputs].results):
        if isinstance(expr, ir.AffineDimExpr) and \
                shape.extents[ir.AffineDimExpr(expr).position] > 1:
            return ir.AffineDimExpr(expr).position
    return None


# float arithmetic the C of a host vector spells lane by lane (edgeft_vector.h)
VECTOR_OPS = frozenset({"arith.addf", "arith.subf", "arith.mulf", "arith.divf", "arith.negf",
                        "arith.maximumf", "arith.minimumf", "linalg.yield"})


def vector_body(op: ir.Operation) -> bool:
    """Whether the body of `op` is VECTOR_OPS on its own arguments and results
    (no value from outside the body)."""
    body = op.regions[0].blocks[0]
    inside = set(body.arguments)
    for inner in body.operations:
        inner = inner.operation
        if inner.name not in VECTOR_OPS or any(v not in inside for v in inner.operands):
            return False
        inside.update(inner.results)
    return True


def vector_lanes(op: ir.Operation, shape: Reduction, widest: int) -> int:
    """The lanes of the column vector of `op`'s blocks (0: scalar blocks): f32
    operands, a body of VECTOR_OPS, an element stride along the column loop
    for every input that depends on it (column_stride) and unit stride for
    the outputs (the column can be an outer loop where the innermost has
    extent 1)."""
    column = column_loop(shape)
    if not widest or column is None:
        return 0
    if not vector_body(op):
        return 0
    for k, value in enumerate(op.operands):
        memref = ir.MemRefType(value.type)
        if str(memref.element_type) != "f32":
            return 0
        stride = column_stride(shape.maps[k], column, memref)
        if column in shape.dims_of[k] and (stride is None or k >= shape.inputs and stride != 1):
            return 0    # an input the lanes cannot gather, an output not a row
    return fitting_lanes(widest, shape.extents[column])


def fitting_lanes(widest: int, extent: int) -> int:
    """The widest of `widest`, `widest`/2, .. (at least 4) that `extent` columns
    hold, or 0."""
    lanes = widest
    while lanes >= 4 and lanes > extent:
        lanes //= 2
    return lanes if lanes >= 4 else 0


def column_stride(amap: ir.AffineMap, column: int, memref: ir.MemRefType) -> int | None:
    """The elements the operand `amap` indexes move by per step of loop `column`:
    the column in one index only, there with a positive coefficient in a sum
    of loops times constants (`d_col`, `d_col + d_kw`, `2 * d_col + d_kw`);
    None otherwise. 1: a column of lanes is one load; other strides gather."""
    strides, _ = memref.get_strides_and_offset()
    found = None
    for r, expr in enumerate(amap.results):
        coefficients = _linear(expr)
        if coefficients is None:
            if column in {int(m) for m in _DIM.findall(str(expr))}:
                return None
            continue
        if coefficients.get(column, 0) == 0:
            continue
        if found is not None or coefficients[column] < 0:
            return None
        found = coefficients[column] * strides[r]
    return found if found and found > 0 else None


def _linear(expr: ir.AffineExpr) -> dict[int, int] | None:
    """The loop coefficients of a sum of loops times constants (constants
    dropped), or None for another expression (mod, floordiv, a product of loops)."""
    if isinstance(expr, ir.AffineDimExpr):
        return {expr.position: 1}
    if isinstance(expr, ir.AffineConstantExpr):
        return {}
    if isinstance(expr, ir.AffineAddExpr):
        lhs, rhs = _linear(expr.lhs), _linear(expr.rhs)
        if lhs is None or rhs is None:
            return None
        return {d: lhs.get(d, 0) + rhs.get(d, 0) for d in lhs.keys() | rhs.keys()}
    if isinstance(expr, ir.AffineMulExpr) and isinstance(expr.rhs, ir.AffineConstantExpr):
        lhs = _linear(expr.lhs)
        factor = expr.rhs.value
        return None if lhs is None else {d: c * factor for d, c in lhs.items()}
    return None


def choose_block(shape: Reduction, rows: int, cols: int) -> tuple[int | None, int, int | None,
                                                                   int]:
    """(row loop, rows, column loop, columns): the column loop is the output's
    innermost loop of extent > 1; the row loop the parallel loop that saves
    the most operand loads per block, none if no loop saves any."""
    parallel = [d for d in range(len(shape.extents)) if d not in shape.reductions]
    column = column_loop(shape)
    if column is None:
        return None, 1, None, 1
    cols = min(cols, shape.extents[column])

    def loads(row: int | None, block: int) -> float:
        """Operand loads per output element of a block."""
        total = 0
        for dims in shape.dims_of[:shape.inputs]:
            total += (block if row in dims else 1) * (cols if column in dims else 1)
        return total / (block * cols)

    best, best_rows, best_loads = None, 1, loads(None, 1)
    for d in parallel:
        if d == column or shape.extents[d] < 2:
            continue
        block = min(rows, shape.extents[d])
        if loads(d, block) < best_loads - 1e-12:
            best, best_rows, best_loads = d, block, loads(d, block)
    return best, best_rows, column, cols


def _kernel_region(op: ir.Operation) -> ir.Operation:
    """An `scf.execute_region` before `op` for its blocked loops, kept (no_inline)
    so that the op stays one kernel even where canonicalize folds every loop
    around its accumulators; returns the region's terminator."""
    with op.context, op.location, ir.InsertionPoint(op):
        region = ir.Operation.create("scf.execute_region", regions=1,
                                     attributes={"no_inline": ir.UnitAttr.get()})
        block = region.regions[0].blocks.append()
        with ir.InsertionPoint(block):
            return scf.YieldOp([]).operation


def lower(op: ir.Operation, shape: Reduction, rows: int, cols: int, vector: int = 0,
          vectors: int = 1) -> None:
    """Replace `op` by its register-blocked loops (`vectors` column vectors of up
    to `vector` lanes per block row where vector_lanes allows)."""
    lanes = vector_lanes(op, shape, vector)
    if lanes:
        cols = lanes * max(1, min(vectors, shape.extents[column_loop(shape)] // lanes))
    row, rows, column, cols = choose_block(shape, rows, cols)
    blocked = {d: b for d, b in ((row, rows), (column, cols)) if d is not None}
    outer = [d for d in range(len(shape.extents))
             if d not in shape.reductions and d not in blocked]
    end = _kernel_region(op)
    with op.context, op.location, ir.InsertionPoint(end), contextlib.ExitStack() as nest:
        ivs: dict[int, ir.Value] = {}
        for d in outer:
            ivs[d] = _loop(0, shape.extents[d], 1, nest)
        vector_column = (column, lanes) if lanes else None
        for ranges in _block_ranges(blocked, shape.extents, vector_column):
            with contextlib.ExitStack() as block_nest:
                here = dict(ivs)
                sizes = {}
                starts: tuple[int, ...] = (0,)
                for d, (lo, hi, step, vector_starts) in ranges.items():
                    here[d] = _loop(lo, hi, step, block_nest)
                    sizes[d] = step
                    if d == column:
                        starts = vector_starts
                _block(op, shape, here, sizes, column, lanes, starts)
    op.erase()


def _block_ranges(blocked: dict[int, int], extents: list[int],
                  vector_column: tuple[int, int] | None = None
                  ) -> list[dict[int, tuple[int, int, int, tuple[int, ...]]]]:
    """The (low, high, step, vector starts) of each blocked loop for every region:
    the part the block divides, and a remainder of step 1. The column loop of
    vector blocks (`vector_column`: the loop and its lanes) has no scalar
    remainder: its last columns are one block of vectors, the last one ending
    at the last column (the lanes it shares with the one before are computed
    twice alike and stored twice)."""
    regions: list[dict[int, tuple[int, int, int, tuple[int, ...]]]] = [{}]
    for d, b in blocked.items():
        extent = extents[d]
        if vector_column is not None and d == vector_column[0]:
            parts = _vector_parts(extent, b, vector_column[1])
        else:
            main = extent - extent % b
            parts = [(0, main, b, (0,))] if main else []
            if main < extent:
                parts.append((main, extent, 1, (0,)))
        regions = [{**r, d: p} for r in regions for p in parts]
    return regions


def _vector_parts(extent: int, block: int, lanes: int) -> list[tuple[int, int, int,
                                                                    tuple[int, ...]]]:
    """The column parts of vector blocks of `block` columns: a loop over whole
    blocks, then one block for the rest (with the last whole block where the
    rest is less than a vector), its vectors every `lanes` columns and the
    last ending at the extent."""
    whole = tuple(range(0, block, lanes))
    main = extent - extent % block
    if main == extent:
        return [(0, extent, block, whole)]
    if extent - main < lanes and main >= block:
        main -= block
    parts = [(0, main, block, whole)] if main else []
    return [*parts, (main, main + 1, 1, vector_starts(extent - main, lanes))]


def vector_starts(columns: int, lanes: int) -> tuple[int, ...]:
    """The starts of the vectors that cover `columns` (>= lanes) columns: every
    `lanes` columns, the last ending at the last column."""
    return tuple(sorted({*range(0, columns - lanes + 1, lanes), columns - lanes}))


def _loop(lo: int, hi: int, step: int, nest: contextlib.ExitStack) -> ir.Value:
    """An scf.for at the insertion point; `nest` keeps the insertion point in its
    body, before its yield. Returns the induction variable."""
    loop = scf.ForOp(index_constant(lo), index_constant(hi), index_constant(step))
    with ir.InsertionPoint(loop.body):
        scf.YieldOp([])
    nest.enter_context(ir.InsertionPoint(loop.body.operations[0]))
    return loop.induction_variable


def _carrying_loop(extent: int, carried: list[ir.Value], nest: contextlib.ExitStack) -> Any:
    """An scf.for over [0, extent) carrying `carried`; `nest` keeps the insertion
    point at the end of its body, which the caller ends with its yield."""
    loop = scf.ForOp(index_constant(0), index_constant(extent), index_constant(1), carried)
    nest.enter_context(ir.InsertionPoint(loop.body))
    return loop


def _block(op: ir.Operation, shape: Reduction, ivs: dict[int, ir.Value],
           sizes: dict[int, int], column: int | None = None, lanes: int = 0,
           vectors: tuple[int, ...] = (0,)) -> None:
    """One block at the insertion point: load the accumulators, run the reduction
    loops carrying them, store them. With `lanes`, the block's `column` loop is
    a vector<lanes x f32> per block row and start in `vectors`."""
    elements: list[dict[int, int]] = [{}]
    for d in sorted(sizes):
        if lanes and d == column:
            continue
        elements = [{**e, d: k} for e in elements for k in range(sizes[d])]
    if lanes:
        elements = [{**e, column: start} for e in elements for start in vectors]
    operands = list(op.operands)
    outputs = list(range(shape.inputs, len(operands)))
    lane_type = ir.VectorType.get([lanes], ir.F32Type.get()) if lanes else None
    zero = index_constant(0)
    shifted: dict[tuple[int, int], ir.Value] = {}

    def dims(element: dict[int, int], reduction: dict[int, ir.Value]) -> list[ir.Value]:
        values = []
        for d in range(len(shape.extents)):
            if d in reduction:
                values.append(reduction[d])
            elif element.get(d):
                if (d, element[d]) not in shifted:
                    shifted[(d, element[d])] = _add(ivs[d], element[d])
                values.append(shifted[(d, element[d])])
            else:
                values.append(ivs.get(d, zero))
        return values

    # elements each operand moves by along the column (0: it does not depend on it)
    strides = [column_stride(shape.maps[k], column, ir.MemRefType(v.type))
               if lanes and column in shape.dims_of[k] else 0 for k, v in enumerate(operands)]

    def operand(k: int, at: list[ir.Value]) -> ir.Value:
        if lane_type is None:
            return _load(operands[k], shape.maps[k], at)
        if strides[k] == 0:
            return vector.BroadcastOp(lane_type, _load(operands[k], shape.maps[k], at)).result
        if strides[k] == 1:
            return vector.LoadOp(lane_type, operands[k], _indices(shape.maps[k], at)).result
        # a strided column: its lanes loaded one by one
        lanes_at = [at if j == 0 else [_add(v, j) if d == column else v
                                       for d, v in enumerate(at)] for j in range(lanes)]
        return vector.FromElementsOp(lane_type, [_load(operands[k], shape.maps[k], where)
                                                 for where in lanes_at]).result

    init = [operand(k, dims(element, {})) for element in elements for k in outputs]
    with contextlib.ExitStack() as nest:
        loops = []
        carried = init
        for d in shape.reductions:
            loop = _carrying_loop(shape.extents[d], carried, nest)
            loops.append(loop)
            carried = list(loop.inner_iter_args)
        reduction = {d: loop.induction_variable for d, loop in zip(shape.reductions, loops,
                                                                    strict=True)}
        results = []
        for e, element in enumerate(elements):
            at = dims(element, reduction)
            accumulators = carried[e * len(outputs):(e + 1) * len(outputs)]
            if lane_type is None:
                results += _body(op, shape, operands, at, accumulators)
            else:
                inputs = [operand(k, at) for k in range(shape.inputs)]
                results += _lane_body(op, inputs, accumulators, lane_type)
        scf.YieldOp(results)
    for inner, outer_loop in zip(reversed(loops[1:]), reversed(loops[:-1]), strict=True):
        with ir.InsertionPoint(outer_loop.body):
            scf.YieldOp(list(inner.results))
    final = list(loops[0].results)
    for e, element in enumerate(elements):
        at = dims(element, {})
        for n, k in enumerate(outputs):
            value = final[e * len(outputs) + n]
            if lane_type is None:
                _store(value, operands[k], shape.maps[k], at)
            else:
                vector.StoreOp(value, operands[k], _indices(shape.maps[k], at))


def _lane_body(op: ir.Operation, inputs: list[ir.Value], accumulators: list[ir.Value],
               lane_type: ir.Type) -> list[ir.Value]:
    """The generic's body (VECTOR_OPS) on vectors at the insertion point; returns
    what it yields."""
    body = op.regions[0].blocks[0]
    arguments = list(body.arguments)
    mapping = dict(zip(arguments, inputs + accumulators, strict=True))
    for inner in body.operations:
        inner = inner.operation
        if inner.name == "linalg.yield":
            return [mapping[v] for v in inner.operands]
        attributes = {name: inner.attributes[name] for name in inner.attributes}
        new = ir.Operation.create(inner.name, results=[lane_type],
                                  operands=[mapping[v] for v in inner.operands],
                                  attributes=attributes)
        mapping[inner.results[0]] = new.result
    raise ValueError("linalg.generic body without linalg.yield")


def _body(op: ir.Operation, shape: Reduction | Scatter, operands: list[ir.Value],
          at: list[ir.Value], accumulators: list[ir.Value],
          inputs: list[ir.Value] | None = None) -> list[ir.Value]:
    """The generic's body for one output element at the insertion point: its inputs
    `inputs` (by default loaded at `at`), its outputs the accumulators; returns
    what it yields."""
    body = op.regions[0].blocks[0]
    mapping: dict[ir.Value, ir.Value] = {}
    for k, arg in enumerate(body.arguments):
        if k < shape.inputs:
            mapping[arg] = inputs[k] if inputs is not None else \
                _load(operands[k], shape.maps[k], at)
        else:
            mapping[arg] = accumulators[k - shape.inputs]
    for inner in body.operations:
        inner = inner.operation
        if inner.name == "linalg.yield":
            return [mapping.get(v, v) for v in inner.operands]
        if inner.name == "linalg.index":
            mapping[inner.results[0]] = at[ir.IntegerAttr(inner.attributes["dim"]).value]
            continue
        clone_mapped(inner, mapping)
    raise ValueError("linalg.generic body without linalg.yield")


def _add(value: ir.Value, offset: int) -> ir.Value:
    return ir.Operation.create("arith.addi", results=[value.type],
                               operands=[value, index_constant(offset)]).result


def _indices(amap: ir.AffineMap, dims: list[ir.Value]) -> list[ir.Value]:
    """The operand indices of `amap` at the loop values `dims` (affine.apply each)."""
    values = []
    for expr in amap.results:
        if isinstance(expr, ir.AffineDimExpr):
            values.append(dims[ir.AffineDimExpr(expr).position])
            continue
        single = ir.AffineMap.get(amap.n_dims, 0, [expr])
        values.append(ir.Operation.create(
            "affine.apply", results=[ir.IndexType.get()], operands=dims,
            attributes={"map": ir.AffineMapAttr.get(single)}).result)
    return values


def _load(memref: ir.Value, amap: ir.AffineMap, dims: list[ir.Value]) -> ir.Value:
    element = ir.MemRefType(memref.type).element_type
    return ir.Operation.create("memref.load", results=[element],
                               operands=[memref, *_indices(amap, dims)]).result


def _store(value: ir.Value, memref: ir.Value, amap: ir.AffineMap, dims: list[ir.Value]) -> None:
    ir.Operation.create("memref.store", operands=[value, memref, *_indices(amap, dims)])


@dataclass
class Scatter:
    """What the sliding-window lowering needs of a generic whose output slides
    along a loop: out[..., s + w] over loops `slide` (s) and `window` (w)."""

    extents: list[int]
    maps: list[ir.AffineMap]
    dims_of: list[set[int]]
    inputs: int
    slide: int
    window: int


MAX_WINDOW = 8  # accumulators held in the window (and as many hoisted operands)


def scatter_shape(op: ir.Operation) -> Scatter | None:
    """The sliding form of a scatter (a convolution's input gradient, dx[.., oh + kh,
    ow + kw] += ..), or None. Needs: one output; its innermost composite result
    `d_s + d_w` of two loops, w the domain's innermost loop, s before it, neither
    in another result; every loop between s and w a bare result of the output or
    the other term of a result `d_e + d` with e before s. Then each output
    element's contributions arrive in the same order when s moves to just
    before w: the loops it passes over are fixed for that element by the loops
    before s."""
    common = _common_shape(op)
    if common is None:
        return None
    extents, maps, dims_of, inputs = common
    if len(maps) != inputs + 1 or len(extents) < 2:
        return None
    out = list(maps[inputs].results)
    sums = [_dim_sum(e) for e in out]
    if not any(sums):
        return None
    r = max(i for i, pair in enumerate(sums) if pair)
    slide, window = sorted(sums[r])
    if window != len(extents) - 1 or slide == window:
        return None
    elsewhere = {int(m) for i, e in enumerate(out) if i != r for m in _DIM.findall(str(e))}
    if {slide, window} & elsewhere:
        return None
    bare = {ir.AffineDimExpr(e).position for e in out if isinstance(e, ir.AffineDimExpr)}
    fixed = set(bare)
    for pair in sums:
        if pair and min(pair) < slide:
            fixed |= set(pair)
    if any(d not in fixed for d in range(slide + 1, window)):
        return None
    if not 2 <= extents[window] <= MAX_WINDOW or extents[slide] < 2:
        return None
    return Scatter(extents, maps, dims_of, inputs, slide, window)


def _dim_sum(expr: ir.AffineExpr) -> tuple[int, int] | None:
    """(i, j) of an expression `d_i + d_j`, else None."""
    if not isinstance(expr, ir.AffineAddExpr):
        return None
    add = ir.AffineAddExpr(expr)
    if not (isinstance(add.lhs, ir.AffineDimExpr) and isinstance(add.rhs, ir.AffineDimExpr)):
        return None
    return ir.AffineDimExpr(add.lhs).position, ir.AffineDimExpr(add.rhs).position


def lower_scatter(op: ir.Operation, shape: Scatter) -> None:
    """Replace `op` by loops whose slide loop carries a window of accumulators:
    at step s the window holds the outputs s + 0 .. s + W-1; each takes its
    contribution, the first (complete: no later s reaches it) is stored and the
    next output loaded. Operands that do not depend on s are loaded before the
    slide loop, those that do not depend on w once per step."""
    s, w = shape.slide, shape.window
    size, steps = shape.extents[w], shape.extents[s]
    operands = list(op.operands)
    dx = operands[shape.inputs]
    out_map = shape.maps[shape.inputs]
    end = _kernel_region(op)
    with op.context, op.location, ir.InsertionPoint(end), contextlib.ExitStack() as nest:
        ivs = {d: _loop(0, shape.extents[d], 1, nest)
               for d in range(len(shape.extents)) if d not in (s, w)}
        offsets = [index_constant(k) for k in range(size)]

        def at(step: ir.Value, k: int) -> list[ir.Value]:
            return [step if d == s else offsets[k] if d == w else ivs[d]
                    for d in range(len(shape.extents))]

        def load(i: int, step: ir.Value, k: int, cache: dict[tuple[int, int], ir.Value]
                 ) -> ir.Value:
            """Input i at step `step`, window element k: loaded once per (i, k), once
            per i if it does not depend on w."""
            key = (i, k if w in shape.dims_of[i] else -1)
            if key not in cache:
                cache[key] = _load(operands[i], shape.maps[i], at(step, k))
            return cache[key]

        def inputs(step: ir.Value, k: int, cache: dict[tuple[int, int], ir.Value]
                   ) -> list[ir.Value]:
            return [load(i, step, k, cache) for i in range(shape.inputs)]

        first = offsets[0]
        hoisted: dict[tuple[int, int], ir.Value] = {}
        for k in range(size):
            for i in range(shape.inputs):
                if s not in shape.dims_of[i]:
                    load(i, first, k, hoisted)
        window = [_load(dx, out_map, at(first, k)) for k in range(size)]
        loop = scf.ForOp(index_constant(0), index_constant(steps - 1), index_constant(1),
                         window)
        # Unrolled W times, the window's rotation is a renaming of registers; left
        # to itself clang unrolls the whole slide loop, and under Zfinx (floats
        # in the integer registers) that spills (lenet5's conv2 input gradient
        # on GVSoC: 0.68 M cycles unrolled whole, 0.70 M rolled, 0.57 M W times).
        attrs.set_int(loop, attrs.UNROLL, size)
        with ir.InsertionPoint(loop.body):
            step = loop.induction_variable
            cache = dict(hoisted)
            new = [_body(op, shape, operands, at(step, k), [acc],
                         inputs(step, k, cache))[0]
                   for k, acc in enumerate(loop.inner_iter_args)]
            _store(new[0], dx, out_map, at(step, 0))
            following = _load(dx, out_map, at(_add(step, 1), size - 1))
            scf.YieldOp([*new[1:], following])
        last = index_constant(steps - 1)
        cache = dict(hoisted)
        for k, acc in enumerate(loop.results):
            done = _body(op, shape, operands, at(last, k), [acc], inputs(last, k, cache))[0]
            _store(done, dx, out_map, at(last, k))
    op.erase()


MAX_ROW_VECTORS = 4  # vectors of an output row a vector scatter holds (and W times as many inputs)


def scatter_lanes(op: ir.Operation, shape: Scatter, widest: int) -> int:
    """The lanes of a vector scatter of `op` (0: the scalar window): f32 operands,
    a body of VECTOR_OPS, one output whose innermost index d_s + d_w moves by
    one element, inputs that depend on the slide loop s with it alone in a
    unit-stride index and not on w, and an output row (s + w extents - 1) of
    at least `lanes` and at most MAX_ROW_VECTORS vectors."""
    if not widest or any(str(ir.MemRefType(v.type).element_type) != "f32"
                         for v in op.operands):
        return 0
    if not vector_body(op):
        return 0
    s, w = shape.slide, shape.window
    operands = list(op.operands)
    for k in range(shape.inputs + 1):
        if s not in shape.dims_of[k]:
            continue
        if k < shape.inputs and w in shape.dims_of[k]:
            return 0
        if column_stride(shape.maps[k], s, ir.MemRefType(operands[k].type)) != 1:
            return 0
    row = shape.extents[s] + shape.extents[w] - 1
    lanes = fitting_lanes(widest, row)
    if not lanes or -(-row // lanes) > MAX_ROW_VECTORS:
        return 0
    return lanes


def lower_vector_scatter(op: ir.Operation, shape: Scatter, lanes: int) -> None:
    """Replace the scatter `op` (out[.., s + w] += in[.., s] * k[.., w]) by loops
    that hold a row of outputs (s + w = 0 .. S + W - 2) in vectors, the last
    ending at the row's end, and add to it, for w = W-1 down to 0, the inputs
    shifted by w: lanes whose s = s + w - w falls outside 0 .. S-1 take +0.
    The shifted inputs are built once for every value of the loops they
    depend on. Each output still takes its contributions in the order of s
    (w descending is s ascending), so its sum is the plain loops' but for
    the extra +0 terms, which change no sum except the sign of an output
    that was -0 and took no other term."""
    s, w = shape.slide, shape.window
    size, steps = shape.extents[w], shape.extents[s]
    row = steps + size - 1
    starts = vector_starts(row, lanes)
    operands = list(op.operands)
    out = shape.inputs
    others = [d for d in range(len(shape.extents)) if d not in (s, w)]
    sliding = {d for k in range(shape.inputs) if s in shape.dims_of[k]
               for d in shape.dims_of[k]} - {s}
    # the shifted inputs after the last loop they depend on
    build_after = max((i for i, d in enumerate(others) if d in sliding), default=-1)
    end = _kernel_region(op)
    with op.context, op.location, ir.InsertionPoint(end), contextlib.ExitStack() as nest:
        f32 = ir.F32Type.get()
        lane_type = ir.VectorType.get([lanes], f32)
        ivs: dict[int, ir.Value] = {}
        shifted: dict[tuple[int, int, int], ir.Value] = {}
        zero = ir.Operation.create("arith.constant", results=[f32],
                                   attributes={"value": ir.FloatAttr.get(f32, 0.0)}).result

        def at(step: int, k: int) -> list[ir.Value]:
            """Loop values at slide step `step`, window `k` (0 for loops not made yet:
            the shifted inputs do not depend on them)."""
            return [index_constant(step) if d == s else index_constant(k) if d == w
                    else ivs[d] if d in ivs else index_constant(0)
                    for d in range(len(shape.extents))]

        def build_shifted() -> None:
            for i in range(shape.inputs):
                if s not in shape.dims_of[i]:
                    continue
                for k in range(size):
                    for start in starts:
                        shifted[(i, k, start)] = _shifted(operands[i], shape.maps[i], at,
                                                          start - k, steps, lanes, lane_type,
                                                          zero)

        if build_after < 0:
            build_shifted()
        for i, d in enumerate(others):
            ivs[d] = _loop(0, shape.extents[d], 1, nest)
            if i == build_after:
                build_shifted()
        rows = [vector.LoadOp(lane_type, operands[out], _indices(shape.maps[out], at(start, 0)))
                .result for start in starts]
        for k in reversed(range(size)):
            inputs_at: dict[int, ir.Value] = {}
            for i in range(shape.inputs):
                if s not in shape.dims_of[i]:
                    inputs_at[i] = vector.BroadcastOp(
                        lane_type, _load(operands[i], shape.maps[i], at(0, k))).result
            rows = [_lane_body(op, [shifted[(i, k, start)] if i not in inputs_at
                                    else inputs_at[i] for i in range(shape.inputs)],
                               [acc], lane_type)[0]
                    for start, acc in zip(starts, rows, strict=True)]
        for start, acc in zip(starts, rows, strict=True):
            vector.StoreOp(acc, operands[out], _indices(shape.maps[out], at(start, 0)))
    op.erase()


def _shifted(memref: ir.Value, amap: ir.AffineMap, at: Any, first: int, steps: int,
             lanes: int, lane_type: ir.Type, zero: ir.Value) -> ir.Value:
    """The input at slide steps first .. first + lanes - 1 as one vector: a load
    where all are steps of the input, else lane by lane with +0 outside."""
    if 0 <= first and first + lanes <= steps:
        return vector.LoadOp(lane_type, memref, _indices(amap, at(first, 0))).result
    elements = [_load(memref, amap, at(t, 0)) if 0 <= t < steps else zero
                for t in range(first, first + lanes)]
    return vector.FromElementsOp(lane_type, elements).result
