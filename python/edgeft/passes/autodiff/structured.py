"""Adjoints of structured ops (linalg.generic and named ops given as one).

A structured op computes, over an iteration space d,

    out_j[o_j(d)] = body(in_1[m_1(d)], ..., in_n[m_n(d)], out_j[o_j(d)])

The adjoint of an operand x with map m_x is again structured, over the
same space:

    dx[m_x(d)] += sum_j dout_j[o_j(d)] * d body_j / d x   (at the point d)

so it is built as a linalg.generic that re-emits the forward body, takes
its tangent with respect to x (`scalar.tangents`), and accumulates into the
existing adjoint of x. Dims that are bare results of m_x stay parallel, the
others become reductions; when m_x has composite results (convolution and
pooling inputs, `oh + kh`) the generic scatters, which linalg allows.

Reductions: a sum (`acc + g(...)`) passes `dout` straight to its init and
differentiates `g`; a max/min substitutes the final result for the running
accumulator, so the derivative becomes the mask `in == max`. Other
combiners have no rule.

A `tensor.extract` in the body from a tensor defined outside (the label
gather of the cross-entropy loss) is differentiated by a scatter: a generic
over the forward dims plus one new dim for each data-dependent index, which
adds the contribution where those indices equal the new dims. An index that
is a forward loop dim (`linalg.index`) maps that tensor dim to the loop dim
itself, so the label gather's adjoint costs batch x classes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from torch_mlir import ir

from edgeft.ir import builders as b
from edgeft.ir import queries
from edgeft.ir.graph import erase_unused
from edgeft.passes.autodiff import scalar


class AdjointSweep(Protocol):
    """What adjoint rules need of the reverse sweep (`driver.Sweep` is one)."""

    def active(self, value: ir.Value) -> bool:
        """Whether the value lies between a trainable global and the loss."""

    def adjoint(self, value: ir.Value) -> ir.Value | None:
        """The adjoint of the value so far, None while nothing reached it."""

    def set_adjoint(self, value: ir.Value, adjoint: ir.Value) -> None:
        """Make `adjoint` the value's whole adjoint."""

    def accumulator(self, value: ir.Value) -> ir.Value:
        """The tensor a new contribution accumulates into: the adjoint so far, or zeros."""

    def accumulate(self, value: ir.Value, contribution: ir.Value) -> None:
        """Add a contribution to the value's adjoint."""


class NoAdjointRule(Exception):
    """The op (or a part of its body) has no adjoint rule; the message says what."""

    def __init__(self, op: ir.Operation, what: str) -> None:
        super().__init__(what)
        self.op = op
        self.what = what


@dataclass
class Structured:
    """A structured op seen as a generic: operands, maps, iterators, body."""

    op: ir.Operation
    inputs: list[ir.Value]
    outputs: list[ir.Value]
    results: list[ir.Value]
    maps: list[ir.AffineMap]
    iterators: list[str]
    body: ir.Block

    @property
    def n_dims(self) -> int:
        """The number of dims of the iteration space."""
        return self.maps[0].n_dims

    def input_arg(self, k: int) -> ir.Value:
        """The body's block argument of input `k`."""
        return self.body.arguments[k]

    def output_arg(self, j: int) -> ir.Value:
        """The body's block argument of output `j` (its init)."""
        return self.body.arguments[len(self.inputs) + j]

    def output_map(self, j: int) -> ir.AffineMap:
        """The indexing map of output `j`."""
        return self.maps[len(self.inputs) + j]

    @property
    def has_reduction(self) -> bool:
        """Whether any dim of the iteration space is a reduction."""
        return b.REDUCTION in self.iterators


def from_generic(op: ir.Operation) -> Structured:
    """A linalg.generic as it is."""
    n_in = _operand_segment(op, 0)
    operands = list(op.operands)
    maps = queries.indexing_maps(op)
    iterators = [str(a).split("<")[1].rstrip(">")
                 for a in ir.ArrayAttr(op.attributes["iterator_types"])]
    return Structured(op, operands[:n_in], operands[n_in:], list(op.results), maps, iterators,
                      op.regions[0].blocks[0])


def _operand_segment(op: ir.Operation, index: int) -> int:
    sizes = ir.DenseI32ArrayAttr(op.attributes["operandSegmentSizes"])
    return list(sizes)[index]


def _ints(op: ir.Operation, name: str, default: int) -> list[int]:
    if name not in op.attributes:
        return [default, default]
    return [int(x) for x in ir.DenseIntElementsAttr(op.attributes[name])]


def _window_maps(op: ir.Operation, kind: str) -> list[ir.AffineMap]:
    """Maps of a windowed op, with the dims in the order of its linalg definition.

    Kinds: "conv" (conv_2d_nchw_fchw), "grouped" (conv_2d_ngchw_gfchw),
    "depthwise" (depthwise_conv_2d_nchw_chw) and "pool" (pooling_nchw_*).
    Strides and dilations enter the image map as `o * stride + k * dilation`.
    """
    sh, sw = _ints(op, "strides", 1)
    dh, dw = _ints(op, "dilations", 1)
    d = ir.AffineExpr.get_dim

    def window(o: int, k: int, s: int, dil: int) -> ir.AffineExpr:
        return ir.AffineExpr.get_add(ir.AffineExpr.get_mul(d(o), ir.AffineExpr.get_constant(s)),
                                     ir.AffineExpr.get_mul(d(k), ir.AffineExpr.get_constant(dil)))

    def maps(n_dims: int, *results: list[ir.AffineExpr]) -> list[ir.AffineMap]:
        return [ir.AffineMap.get(n_dims, 0, r) for r in results]

    if kind == "conv":  # dims (n, f, oh, ow, c, kh, kw)
        n, f, oh, ow, c, kh, kw = range(7)
        return maps(7, [d(n), d(c), window(oh, kh, sh, dh), window(ow, kw, sw, dw)],
                    [d(f), d(c), d(kh), d(kw)], [d(n), d(f), d(oh), d(ow)])
    if kind == "grouped":  # dims (n, g, fg, oh, ow, c, kh, kw)
        n, g, fg, oh, ow, c, kh, kw = range(8)
        return maps(8, [d(n), d(g), d(c), window(oh, kh, sh, dh), window(ow, kw, sw, dw)],
                    [d(g), d(fg), d(c), d(kh), d(kw)], [d(n), d(g), d(fg), d(oh), d(ow)])
    if kind == "depthwise":  # dims (n, oh, ow, c, kh, kw)
        n, oh, ow, c, kh, kw = range(6)
        return maps(6, [d(n), d(c), window(oh, kh, sh, dh), window(ow, kw, sw, dw)],
                    [d(c), d(kh), d(kw)], [d(n), d(c), d(oh), d(ow)])
    n, c, oh, ow, kh, kw = range(6)  # pooling dims
    return maps(6, [d(n), d(c), window(oh, kh, sh, dh), window(ow, kw, sw, dw)],
                [d(kh), d(kw)], [d(n), d(c), d(oh), d(ow)])


WINDOWED = {
    "linalg.conv_2d_nchw_fchw": ("conv", [b.PARALLEL] * 4 + [b.REDUCTION] * 3),
    "linalg.conv_2d_ngchw_gfchw": ("grouped", [b.PARALLEL] * 5 + [b.REDUCTION] * 3),
    "linalg.depthwise_conv_2d_nchw_chw": ("depthwise", [b.PARALLEL] * 4 + [b.REDUCTION] * 2),
    "linalg.pooling_nchw_max": ("pool", [b.PARALLEL] * 4 + [b.REDUCTION] * 2),
    "linalg.pooling_nchw_sum": ("pool", [b.PARALLEL] * 4 + [b.REDUCTION] * 2),
}


ELEMENTWISE = {"linalg.add", "linalg.sub", "linalg.mul", "linalg.div", "linalg.max",
               "linalg.min", "linalg.exp", "linalg.log", "linalg.abs", "linalg.negf",
               "linalg.sqrt", "linalg.rsqrt", "linalg.tanh", "linalg.erf", "linalg.square",
               "linalg.reciprocal", "linalg.copy", "linalg.powf"}


def from_elementwise(op: ir.Operation) -> Structured:
    """A named elementwise op (linalg.add, linalg.exp, ...): identity maps."""
    n_in = _operand_segment(op, 0)
    operands = list(op.operands)
    rank = len(b.shape_of(op.results[0]))
    return Structured(op, operands[:n_in], operands[n_in:], list(op.results),
                      [b.identity(rank)] * len(operands), [b.PARALLEL] * rank,
                      op.regions[0].blocks[0])


def from_named(op: ir.Operation) -> Structured:
    """A convolution or pooling op with the maps its definition implies."""
    kind, iterators = WINDOWED[op.name]
    n_in = _operand_segment(op, 0)
    operands = list(op.operands)
    return Structured(op, operands[:n_in], operands[n_in:], list(op.results),
                      _window_maps(op, kind), iterators, op.regions[0].blocks[0])


# --- the adjoint ----------------------------------------------------------------


def adjoint(sweep: AdjointSweep, s: Structured) -> None:
    """Accumulate the adjoints of every active operand of `s` into `sweep`."""
    d_results = {j: sweep.adjoint(r) for j, r in enumerate(s.results)
                 if b.is_float(r.type) and sweep.adjoint(r) is not None}
    if not d_results:
        return
    combiners = _combiners(s, d_results) if s.has_reduction else {}
    for k, value in enumerate(s.inputs):
        if sweep.active(value):
            _operand_adjoint(sweep, s, d_results, s.input_arg(k), value, s.maps[k], combiners)
    for j, value in enumerate(s.outputs):
        if not sweep.active(value) or not _uses(s.output_arg(j)):
            continue
        if not s.has_reduction:
            _operand_adjoint(sweep, s, d_results, s.output_arg(j), value, s.output_map(j),
                             combiners)
        elif combiners.get(j) == "sum" and j in d_results:
            sweep.accumulate(value, d_results[j])
        else:
            raise NoAdjointRule(s.op, "a max/min reduction whose initial value needs a gradient")
    for extract in _captured_extracts(s, sweep):
        _gather_adjoint(sweep, s, d_results, extract, combiners)


def _uses(value: ir.Value) -> bool:
    return any(True for _ in value.uses)


def _combiners(s: Structured, d_results: dict[int, ir.Value]) -> dict[int, str]:
    """How each differentiated result of a reduction combines: "sum" or "select"."""
    out = {}
    yields = scalar.yielded(s.body)
    for j in d_results:
        acc, value = s.output_arg(j), yields[j]
        owner = queries.producer(value)
        name = owner.name if owner is not None else ""
        operands = list(owner.operands) if owner is not None else []
        if name == "arith.addf" and acc in operands:
            other = operands[1] if operands[0] == acc else operands[0]
            if other != acc and not _depends_on(other, acc):
                out[j] = "sum"
                continue
        if name in ("arith.maximumf", "arith.minimumf", "arith.maxnumf", "arith.minnumf") \
                and acc in operands:
            out[j] = "select"
            continue
        raise NoAdjointRule(s.op, f"a reduction combining with '{name or 'nothing'}'")
    return out


def _depends_on(value: ir.Value, target: ir.Value) -> bool:
    """Whether a body value is computed from `target` (within the body)."""
    stack, seen = [value], set()
    while stack:
        v = stack.pop()
        if v == target:
            return True
        owner = queries.producer(v)
        if v in seen or owner is None:
            continue
        seen.add(v)
        stack.extend(owner.operands)
    return False


def _primal_operands(s: Structured) -> list[tuple[ir.Value, ir.AffineMap, ir.Value]]:
    """(tensor, map, old block arg) that let the adjoint re-emit the forward body.

    The accumulator of a reduction is replaced by the final result (exact for
    max/min, unused by the derivative of a sum); a parallel op's output
    argument is its init value.
    """
    operands = [(v, s.maps[k], s.input_arg(k)) for k, v in enumerate(s.inputs)]
    for j, init in enumerate(s.outputs):
        if _uses(s.output_arg(j)):
            operands.append((s.results[j] if s.has_reduction else init, s.output_map(j),
                             s.output_arg(j)))
    return operands


def _operand_adjoint(sweep: AdjointSweep, s: Structured, d_results: dict[int, ir.Value],
                     seed: ir.Value, target: ir.Value, target_map: ir.AffineMap,
                     combiners: dict[int, str]) -> None:
    """dx[m_x(d)] += sum_j dout_j * d body_j / d x, for x given by its block arg `seed`."""
    if _passes_through(s, d_results, seed, target_map):
        (d_out,) = d_results.values()
        sweep.accumulate(target, d_out)
        return
    primal = _primal_operands(s)
    d_operands = [(d, s.output_map(j), j) for j, d in d_results.items()]
    iterators = [b.PARALLEL if _is_bare(target_map, dim) else b.REDUCTION
                 for dim in range(s.n_dims)]

    def body(args: list[ir.Value]) -> list[ir.Value]:
        contribution, _ = _recompute(s, primal, d_operands, seed, combiners, args)
        acc = args[-1]
        if contribution is None:
            return [acc]
        return [b.arith("arith.addf", acc, _cast(contribution, acc.type))]

    inputs = [(v, m) for v, m, _ in primal] + [(d, m) for d, m, _ in d_operands]
    if not _has_tangent(s, seed, d_results):
        return
    _emit_pruned(sweep, target, inputs, target_map, iterators, body, len(primal))


def _passes_through(s: Structured, d_results: dict[int, ir.Value], seed: ir.Value,
                    target_map: ir.AffineMap) -> bool:
    """Whether dx is exactly dout: one result, same indexing, derivative 1.

    True for `x + y` or `x - y` with respect to x (a bias add, a residual):
    the adjoint is then the result's adjoint itself, with no new op.
    """
    if len(d_results) != 1 or s.has_reduction:
        return False
    (j,) = d_results
    if target_map != s.output_map(j) or d_results[j].type != seed_tensor_type(s, seed):
        return False
    value = scalar.yielded(s.body)[j]
    if value == seed:
        return True
    owner = queries.producer(value)
    if owner is None or owner.name not in ("arith.addf", "arith.subf"):
        return False
    a, c = owner.operands
    if owner.name == "arith.addf" and c == seed:
        a, c = c, a
    return a == seed and not _depends_on(c, seed)


def seed_tensor_type(s: Structured, seed: ir.Value) -> ir.Type | None:
    """The tensor type of the operand whose block argument is `seed`."""
    for k, arg in enumerate(s.body.arguments):
        if arg == seed:
            return [*s.inputs, *s.outputs][k].type
    return None


def _has_tangent(s: Structured, seed: ir.Value, d_results: dict[int, ir.Value]) -> bool:
    """Whether some differentiated result depends on `seed` at all."""
    yields = scalar.yielded(s.body)
    return any(_depends_on(yields[j], seed) for j in d_results)


def _recompute(s: Structured, primal: list[tuple[ir.Value, ir.AffineMap, ir.Value]],
               d_operands: list[tuple[ir.Value, ir.AffineMap, int]], seed: ir.Value,
               combiners: dict[int, str], args: list[ir.Value]
               ) -> tuple[ir.Value | None, dict[ir.Value, ir.Value]]:
    """In an adjoint body: re-emit the forward scalars, then dout * d body / d seed.

    `args` are the adjoint generic's block arguments: the primal operands,
    the result adjoints, then the accumulator.
    """
    mapping = {old: args[i] for i, (_, _, old) in enumerate(primal)}
    scalar.clone_body(s.body, mapping)
    contribution = _contribution(s, mapping, seed, args[len(primal):-1],
                                 [j for _, _, j in d_operands], combiners)
    return contribution, mapping


def _contribution(s: Structured, mapping: dict[ir.Value, ir.Value], seed: ir.Value,
                  d_args: list[ir.Value], result_indices: list[int],
                  combiners: dict[int, str]) -> ir.Value | None:
    try:
        tangent = scalar.tangents(s.body, mapping, seed)
    except scalar.NoTangentRule as e:
        raise NoAdjointRule(s.op, f"'{e.op.name}' in the body of '{s.op.name}'") from None
    yields = scalar.yielded(s.body)
    total = None
    for d_arg, j in zip(d_args, result_indices, strict=True):
        if combiners.get(j) == "select":
            t = _selected_tangent(s, j, mapping, tangent)
        else:
            t = tangent.get(yields[j])
        if t is None:
            continue
        t = _cast(t, d_arg.type)
        term = b.arith("arith.mulf", d_arg, t)
        total = term if total is None else b.arith("arith.addf", total, term)
    return total


def _selected_tangent(s: Structured, j: int, mapping: dict[ir.Value, ir.Value],
                      tangent: dict[ir.Value, ir.Value]) -> ir.Value | None:
    """A max/min reduction passes the gradient to the elements equal to its result.

    The accumulator was replaced by the final result, so `element == result`
    marks the winners (ties: every element that attains the extremum).
    """
    combiner = scalar.yielded(s.body)[j].owner
    acc = s.output_arg(j)
    element = next(v for v in combiner.operands if v != acc)
    t_element = tangent.get(element)
    if t_element is None:
        return None
    wins = b.cmpf("oeq", mapping[element], mapping[acc])
    return b.select(wins, t_element, b.scalar(0.0, t_element.type))


def _cast(value: ir.Value, to: ir.Type) -> ir.Value:
    """Convert between float widths (LayerNorm statistics run in f64)."""
    if value.type == to:
        return value
    wider = ir.FloatType(to).width > ir.FloatType(value.type).width
    return b.arith("arith.extf" if wider else "arith.truncf", value, result=to)


def _is_bare(m: ir.AffineMap, dim: int) -> bool:
    return any(isinstance(r, ir.AffineDimExpr) and ir.AffineDimExpr(r).position == dim
               for r in m.results)


def _emit_pruned(sweep: AdjointSweep, target: ir.Value,
                 inputs: list[tuple[ir.Value, ir.AffineMap]], target_map: ir.AffineMap,
                 iterators: list[str], body: Callable[[list[ir.Value]], list[ir.Value]],
                 n_primal: int) -> None:
    """Build the adjoint generic, then rebuild it without primal inputs it never reads.

    Dropping unread activations is what lets the forward free them; an input
    is kept anyway when it is the only one that gives a loop dim its size.
    """
    acc = sweep.accumulator(target)
    keep = list(range(len(inputs)))
    for attempt in range(2):
        chosen = [inputs[i] for i in keep]

        def pruned_body(args: list[ir.Value],
                        chosen_keep: tuple[int, ...] = tuple(keep)) -> list[ir.Value]:
            full: list[ir.Value | None] = [None] * len(inputs)
            for position, i in enumerate(chosen_keep):
                full[i] = args[position]
            return body([a if a is not None else _placeholder(inputs[i][0])
                         for i, a in enumerate(full)] + [args[-1]])

        result = b.generic([v for v, _ in chosen], [acc], [m for _, m in chosen] + [target_map],
                           iterators, pruned_body)[0]
        generic_op = result.owner
        block = generic_op.regions[0].blocks[0]
        erase_unused(block)
        unused = [keep[p] for p in range(len(chosen))
                  if keep[p] < n_primal and not _uses(block.arguments[p])]
        removable = _removable(unused, keep, inputs, target_map, len(iterators))
        if attempt == 1 or not removable:
            sweep.set_adjoint(target, result)
            return
        generic_op.erase()
        keep = [i for i in keep if i not in removable]


def _placeholder(like: ir.Value) -> ir.Value:
    """A stand-in scalar for a pruned input; only dead re-emitted ops read it."""
    element = b.element_of(like)
    attr = ir.FloatAttr.get(element, 0.0) if isinstance(element, ir.FloatType) \
        else ir.IntegerAttr.get(element, 0)
    return ir.Operation.create("arith.constant", results=[element],
                               attributes={"value": attr}).result


def _removable(unused: list[int], keep: list[int], inputs: list[tuple[ir.Value, ir.AffineMap]],
               target_map: ir.AffineMap, n_dims: int) -> list[int]:
    """Unused inputs that can go while every loop dim keeps a bare source."""
    remaining = list(keep)
    removed = []
    for i in unused:
        trial = [r for r in remaining if r != i]
        maps = [inputs[r][1] for r in trial] + [target_map]
        if all(any(_is_bare(m, dim) for m in maps) for dim in range(n_dims)):
            remaining = trial
            removed.append(i)
    return removed


# --- gathers from captured tensors ---------------------------------------------


def _captured_extracts(s: Structured, sweep: AdjointSweep) -> list[ir.Operation]:
    """tensor.extract ops of the body that read an active tensor from outside."""
    found = []
    for op in s.body.operations:
        op = op.operation
        if op.name == "tensor.extract" and sweep.active(op.operands[0]):
            found.append(op)
    return found


def _gather_adjoint(sweep: AdjointSweep, s: Structured, d_results: dict[int, ir.Value],
                    extract: ir.Operation, combiners: dict[int, str]) -> None:
    """dC[p] += sum_d [index(d) == p] * dout(d) * d body / d C[index(d)].

    An index that is a loop dim of the forward (`linalg.index k`, the batch
    row of the label gather) is that dim in the adjoint too: C's dim maps to
    d_k and needs no mask. Only data-dependent indices (the label) get a new
    dim p_i, so the scatter costs the forward space times those dims of C
    (batch x classes), not times all of C (batch x batch x classes).
    """
    captured = extract.operands[0]
    indices = list(extract.operands)[1:]
    shape = b.shape_of(captured)
    n = s.n_dims
    loop_dims = _index_loop_dims(s, indices, shape)
    masked = [i for i, dim in enumerate(loop_dims) if dim is None]
    total = n + len(masked)

    def widen(m: ir.AffineMap) -> ir.AffineMap:
        return ir.AffineMap.get(total, 0, list(m.results))

    primal = _primal_operands(s)
    d_operands = [(d, widen(s.output_map(j)), j) for j, d in d_results.items()]
    target_dims = [dim if dim is not None else n + masked.index(i)
                   for i, dim in enumerate(loop_dims)]
    target_map = ir.AffineMap.get(total, 0, [ir.AffineExpr.get_dim(d) for d in target_dims])
    iterators = ([b.PARALLEL if dim in target_dims else b.REDUCTION for dim in range(n)]
                 + [b.PARALLEL] * len(masked))
    seed = extract.results[0]

    def body(args: list[ir.Value]) -> list[ir.Value]:
        contribution, mapping = _recompute(s, primal, d_operands, seed, combiners, args)
        acc = args[-1]
        if contribution is None:
            return [acc]
        contribution = _cast(contribution, acc.type)
        hit = None
        for position, i in enumerate(masked):
            same = b.cmpi("eq", mapping.get(indices[i], indices[i]), b.loop_index(n + position))
            hit = same if hit is None else b.arith("arith.andi", hit, same)
        if hit is not None:
            contribution = b.select(hit, contribution, b.scalar(0.0, contribution.type))
        return [b.arith("arith.addf", acc, contribution)]

    if not _has_tangent(s, seed, d_results):
        return
    inputs = [(v, widen(m)) for v, m, _ in primal] + [(d, m) for d, m, _ in d_operands]
    _emit_pruned(sweep, captured, inputs, target_map, iterators, body, len(primal))


def _index_loop_dims(s: Structured, indices: list[ir.Value], shape: list[int]
                     ) -> list[int | None]:
    """For each extract index, the forward loop dim it reads (`linalg.index k`), else None.

    A dim is taken once (`C[d0, d0]` masks its second index) and only when
    its size is the size of C's dim, so the adjoint's maps stay consistent.
    """
    sizes = _loop_sizes(s)
    taken: set[int] = set()
    dims: list[int | None] = []
    for index, extent in zip(indices, shape, strict=True):
        owner = queries.producer(index)
        dim = None
        if owner is not None and owner.name == "linalg.index":
            dim = ir.IntegerAttr(owner.attributes["dim"]).value
        if dim is None or dim in taken or sizes.get(dim) != extent:
            dims.append(None)
            continue
        taken.add(dim)
        dims.append(dim)
    return dims


def _loop_sizes(s: Structured) -> dict[int, int]:
    """The size of each loop dim that some operand indexes by the bare dim."""
    sizes: dict[int, int] = {}
    for value, m in zip([*s.inputs, *s.outputs], s.maps, strict=True):
        for r, expr in zip(b.shape_of(value), m.results, strict=True):
            if isinstance(expr, ir.AffineDimExpr):
                sizes.setdefault(ir.AffineDimExpr(expr).position, r)
    return sizes
