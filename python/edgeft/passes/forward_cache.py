"""edgeft-forward-cache: split a training step into a cache fill and a cached step."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from torch_mlir import ir
from torch_mlir.dialects import ml_program, scf, tensor

from edgeft.analysis.flops import op_flops
from edgeft.ir import attrs, queries
from edgeft.ir import builders as b
from edgeft.ir.graph import add_global, erase_unused, function, globals_of, layer_of, symbol
from edgeft.passes.autodiff.driver import data_operands
from edgeft.passes.base import COUNT_MAX, EdgeftPass, Range, defined_function, option
from edgeft.training import nf4

CACHE_ATTR = attrs.CACHE
CACHE_NAME = "forward_cache"
FILL = "cache_fill"
CACHED = "train_step_cached"

# What a value of the training step depends on, in increasing order.
CONSTANT, SAMPLE, VARYING = 0, 1, 2

_ELEMENTWISE_NAMED = {"linalg.add", "linalg.sub", "linalg.mul", "linalg.div", "linalg.max",
                      "linalg.min", "linalg.exp", "linalg.log", "linalg.abs", "linalg.negf",
                      "linalg.copy", "linalg.sqrt", "linalg.rsqrt", "linalg.tanh",
                      "linalg.erf", "linalg.square", "linalg.reciprocal", "linalg.floor"}
_LAYOUT_OPS = {"tensor.collapse_shape", "tensor.expand_shape", "tensor.extract_slice",
               "tensor.pad", "linalg.transpose", "linalg.broadcast", "linalg.fill",
               "linalg.copy"}
_CHEAP_FLOPS_PER_ELEMENT = 16
_INFINITE = 2**30
_FIRST_OPERAND_BATCH = {"linalg.matmul", "linalg.conv_2d_nchw_fchw", "linalg.conv_2d_nhwc_hwcf",
                        "linalg.pooling_nchw_max", "linalg.pooling_nchw_sum",
                        "linalg.depthwise_conv_2d_nchw_chw"}


class CacheError(Exception):
    """The training step cannot be split (the message says why, at `location`)."""

    def __init__(self, message: str, location: ir.Location | None = None) -> None:
        super().__init__(message)
        self.location = location


@dataclass
class Split:
    """Where the frozen prefix ends in a training step (indices into its ops)."""

    block: ir.Block
    ops: list[ir.Operation]
    kind: dict[ir.Operation, int]
    value_kind: dict[ir.Value, int]
    recompute: set[ir.Operation]
    boundary: list[ir.Value]           # values the cached step reads from the cache

    def kept(self, op: ir.Operation) -> bool:
        """Whether the cached step still runs `op`."""
        return self.kind[op] != SAMPLE or op in self.recompute


@dataclass
class Segment:
    """One cached activation in a sample's record."""

    value: ir.Value
    shape: list[int]
    per_sample: int        # floats per sample
    offset: int            # fp32: float offset; nf4: byte offset of the codes
    scale_offset: int = 0  # nf4: offset of the first scale


@dataclass(frozen=True)
class ForwardCache(EdgeftPass):
    """Cache the frozen prefix's activations: `@cache_fill` and `@train_step_cached`.

    A value of the training step is *per-sample frozen* when it depends on the
    input x but on no global the step updates and not on the labels. The
    cached step keeps every other op and reads the per-sample frozen values
    they need from a cache global, one row per sample of the fine-tuning set
    (for skip-lora x^0..x^{L-1} and the base logits; for ft-last the head's
    input); everything in front of them runs only in `@cache_fill`. Which
    values to cache is a minimum cut by bytes per sample: a value may instead
    be recomputed from cached ones if its producer is cheap (data movement,
    elementwise, reductions). A cached value is float32 and keeps the batch
    outermost, so that a sample's part is one contiguous row. Values that
    depend on neither x nor training (transposed frozen weights) are
    recomputed. `quant=nf4` stores 4-bit NormalFloat codes and fp32 block
    scales (`edgeft.training.nf4`), `quant=none` fp32. The cached step first
    gathers rows idx[b] of each cache global into row b of a local tensor
    (whole-row slices in a loop over b, which bufferize to row copies: the
    planner puts the cache in L3, which the cores reach only by DMA), then
    takes each cached value from its columns of the gathered rows,
    dequantizing for nf4. `@train_step` stays as it was.

        func.func @train_step(%x, %y) -> loss
      becomes, besides it,
        ml_program.global private mutable @forward_cache(dense<0.0> : tensor<SxNxf32>)
        func.func @cache_fill(%x, %idx: tensor<Bxi32>)   // frozen prefix, rows idx[b]
        func.func @train_step_cached(%idx, %y) -> loss   // copies rows idx[b], then
                                                         // reads the copy
    """

    argument: ClassVar[str] = "edgeft-forward-cache"

    quant: Literal["none", "nf4"] = field(default="none",
                                          metadata={"help": "none (fp32) or nf4"})
    block: int = option(64, "NF4 block size (values per scale, even)", Range(2, COUNT_MAX))
    samples: int = option(1024, "samples the cache holds", Range(1, COUNT_MAX))
    function: str = field(default="train_step", metadata={"help": "the training function"})

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.quant not in ("none", "nf4"):
            raise ValueError(f"quant must be none or nf4, got '{self.quant}'")
        nf4.check_block(self.block)

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Add @cache_fill and @train_step_cached after the training step, or say why not."""
        step = defined_function(op, self.function)
        if step is None:
            op.location.emit_error(f"edgeft-forward-cache: no function @{self.function} (run "
                                   "edgeft-autodiff and edgeft-sgd first)")
            pass_.signal_pass_failure()
            return
        for name in (FILL, CACHED):
            if function(op, name) is not None:
                step.location.emit_error(f"edgeft-forward-cache: the module already has @{name}")
                pass_.signal_pass_failure()
                return
        try:
            with op.context, step.location:
                split = find_split(step)
                self._rewrite(op, step, split)
        except CacheError as e:
            (e.location or step.location).emit_error(f"edgeft-forward-cache: {e}")
            pass_.signal_pass_failure()

    # --- rewriting ----------------------------------------------------------------

    def _rewrite(self, module: ir.Operation, step: ir.OpView, split: Split) -> None:
        block = step.regions[0].blocks[0]
        batch = b.shape_of(block.arguments[0])[0]
        segments = self._layout(split.boundary, batch)
        caches = self._add_globals(module, step, segments)
        fill = step.operation.clone(ip=ir.InsertionPoint.after(step))
        cached = step.operation.clone(ip=ir.InsertionPoint.after(fill))
        self._make_fill(fill, split, segments, caches, batch)
        self._make_cached(cached, split, segments, caches, batch)

    def _layout(self, boundary: list[ir.Value], batch: int) -> list[Segment]:
        segments, offset, scale_offset = [], 0, 0
        for value in boundary:
            shape = b.shape_of(value)
            n = math.prod(shape) // batch
            segments.append(Segment(value, shape, n, offset, scale_offset))
            if self.quant == "nf4":
                nbytes, nblocks = nf4.row_layout(n, self.block)
                offset += nbytes
                scale_offset += nblocks
            else:
                offset += n
        return segments

    def _add_globals(self, module: ir.Operation, step: ir.OpView,
                     segments: list[Segment]) -> list[tuple[str, ir.RankedTensorType]]:
        """The cache globals (name, type): fp32 rows, or NF4 codes and scales."""
        f32 = ir.F32Type.get()
        anchor = list(globals_of(module).values())[-1]
        i64 = ir.IntegerType.get_signless(64)
        info = {"quant": ir.StringAttr.get(self.quant),
                "samples": ir.IntegerAttr.get(i64, self.samples),
                "segments": ir.ArrayAttr.get([ir.DictAttr.get({
                    "layer": ir.StringAttr.get(_producer_layer(s.value)),
                    "values": ir.IntegerAttr.get(i64, s.per_sample)}) for s in segments])}
        if self.quant == "nf4":
            info["block"] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), self.block)
            last = segments[-1]
            n_bytes, n_blocks = nf4.row_layout(last.per_sample, self.block)
            i8 = ir.IntegerType.get_signless(8)
            kinds = [(f"{CACHE_NAME}.codes", b.tensor_type([self.samples, last.offset + n_bytes],
                                                          i8), "codes"),
                     (f"{CACHE_NAME}.scales",
                      b.tensor_type([self.samples, last.scale_offset + n_blocks], f32), "scales")]
        else:
            last = segments[-1]
            kinds = [(CACHE_NAME, b.tensor_type([self.samples, last.offset + last.per_sample],
                                                f32), "values")]
        out = []
        for name, t, part in kinds:
            zero = ir.FloatAttr.get(f32, 0.0) if part != "codes" else \
                ir.IntegerAttr.get(t.element_type, 0)
            attrs = dict(info, part=ir.StringAttr.get(part))
            anchor = add_global(module, anchor, name, ir.DenseElementsAttr.get_splat(t, zero),
                                {CACHE_ATTR: ir.DictAttr.get(attrs)}, step.location)
            out.append((name, t))
        return out

    def _make_fill(self, fill: ir.Operation, split: Split, segments: list[Segment],
                   caches: list[tuple[str, ir.RankedTensorType]], batch: int) -> None:
        """@cache_fill(x, idx): the frozen prefix, then rows idx[b] of the cache."""
        block, ops, values = _renamed_clone(fill, FILL, split)
        for original, op in reversed(list(zip(split.ops, ops, strict=True))):
            if split.kind[original] == VARYING:
                _erase(op)
        idx_type = b.tensor_type([batch], ir.IntegerType.get_signless(32))
        idx = block.arguments[1]
        idx.set_type(idx_type)
        idx.set_location(ir.Location.name("idx"))
        with ir.InsertionPoint(block), ir.Location.name("forward_cache"):
            rows = [b.reshape_to(values[s.value], [batch, s.per_sample]) for s in segments]
            parts: list[list[ir.Value]]
            if self.quant == "nf4":
                quantized = [nf4.quantize(r, self.block) for r in rows]
                parts = [[c for c, _ in quantized], [s for _, s in quantized]]
                offsets = [[s.offset for s in segments], [s.scale_offset for s in segments]]
            else:
                parts = [rows]
                offsets = [[s.offset for s in segments]]
            loaded = [ml_program.GlobalLoadOp(t, ir.FlatSymbolRefAttr.get(name)).result
                      for name, t in caches]
            written = self._scatter(idx, loaded, parts, offsets, batch)
            for (name, _), value in zip(caches, written, strict=True):
                ml_program.GlobalStoreOp(ir.FlatSymbolRefAttr.get(name), value)
            ir.Operation.create("func.return")
        erase_unused(block)
        fill.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get([a.type for a in block.arguments], []))

    def _scatter(self, idx: ir.Value, caches: list[ir.Value], parts: list[list[ir.Value]],
                 offsets: list[list[int]], batch: int) -> list[ir.Value]:
        """Write row b of every part into row idx[b] of its cache, for each b."""
        loop = scf.ForOp(_index(0), _index(batch), _index(1), caches)
        with ir.InsertionPoint(loop.body):
            sample = loop.induction_variable
            row = _checked_row(idx, sample, self.samples)
            current = list(loop.inner_iter_args)
            for k, (values, starts) in enumerate(zip(parts, offsets, strict=True)):
                for value, start in zip(values, starts, strict=True):
                    current[k] = _copy_row(value, (sample, 0), current[k], (row, start),
                                           b.shape_of(value)[1])
            scf.YieldOp(current)
        return list(loop.results)

    def _make_cached(self, cached: ir.Operation, split: Split, segments: list[Segment],
                     caches: list[tuple[str, ir.RankedTensorType]], batch: int) -> None:
        """@train_step_cached(idx, y): the cache rows idx[b], then the rest of the step."""
        block, ops, values = _renamed_clone(cached, CACHED, split)
        idx_type = b.tensor_type([batch], ir.IntegerType.get_signless(32))
        idx = block.add_argument(idx_type, ir.Location.name("idx"))
        with ir.InsertionPoint.at_block_begin(block), ir.Location.name("forward_cache"):
            loaded = [ml_program.GlobalLoadOp(t, ir.FlatSymbolRefAttr.get(name)).result
                      for name, t in caches]
            rows = self._gather(idx, loaded, batch)
            table = nf4.code_table(ir.F32Type.get()) if self.quant == "nf4" else None
            for s in segments:
                value = self._decode(rows, s, table)
                values[s.value].replace_all_uses_with(b.reshape_to(value, s.shape))
        pairs = list(zip(split.ops, ops, strict=True))
        dropped = {op for original, op in pairs if not split.kept(original)}
        for original, op in pairs:
            if split.kept(original):
                _drop_unread_inits(op, dropped)
        for original, op in reversed(pairs):
            if not split.kept(original):
                _erase(op)
        x = block.arguments[0]
        x.set_type(idx_type)
        x.set_location(ir.Location.name("idx"))
        idx.replace_all_uses_with(x)
        block.erase_argument(len(block.arguments) - 1)
        erase_unused(block)  # frozen weights only the prefix loaded
        old = ir.FunctionType(ir.TypeAttr(cached.attributes["function_type"]).value)
        cached.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get([a.type for a in block.arguments], old.results))

    def _gather(self, idx: ir.Value, caches: list[ir.Value], batch: int) -> list[ir.Value]:
        """Row idx[b] of every cache into row b of a local (batch, width) tensor, for
        each b: whole rows, so that the cached step reads the cache (in L3, where
        only DMA reaches) by row copies alone."""
        local = [b.empty([batch, b.shape_of(c)[1]], b.element_of(c)) for c in caches]
        loop = scf.ForOp(_index(0), _index(batch), _index(1), local)
        with ir.InsertionPoint(loop.body):
            sample = loop.induction_variable
            row = _checked_row(idx, sample, self.samples)
            gathered = [_copy_row(cache, (row, 0), rows, (sample, 0), b.shape_of(cache)[1])
                        for cache, rows in zip(caches, loop.inner_iter_args, strict=True)]
            scf.YieldOp(gathered)
        return list(loop.results)

    def _decode(self, rows: list[ir.Value], s: Segment, table: ir.Value | None) -> ir.Value:
        """(batch, n) floats of segment `s` from the gathered rows, dequantized for nf4."""
        if table is None:
            return _columns(rows[0], s.offset, s.per_sample)
        nbytes, nblocks = nf4.row_layout(s.per_sample, self.block)
        return nf4.dequantize(_columns(rows[0], s.offset, nbytes),
                              _columns(rows[1], s.scale_offset, nblocks),
                              s.per_sample, self.block, table)


# --- analysis --------------------------------------------------------------------


def find_split(step: ir.OpView) -> Split:
    """Classify the step's ops and choose the cached values. Raises CacheError."""
    block = step.regions[0].blocks[0]
    if len(block.arguments) != 2:
        raise CacheError("expects a training step (x, y) -> loss")
    ops = [o.operation for o in block.operations]
    stored = {symbol(op) for op in ops if op.name == "ml_program.global_store"}
    value_kind: dict[ir.Value, int] = {block.arguments[0]: SAMPLE, block.arguments[1]: VARYING}
    kind: dict[ir.Operation, int] = {}
    for op in ops:
        if op.name == "ml_program.global_load":
            k = VARYING if symbol(op) in stored else CONSTANT
        elif op.name in ("ml_program.global_store", "func.return"):
            k = VARYING
        else:
            k = max((value_kind.get(v, CONSTANT) for v in data_operands(op)), default=CONSTANT)
        kind[op] = k
        for r in op.results:
            value_kind[r] = k
    split = Split(block, ops, kind, value_kind, set(), [])
    demand = _demand(split)
    if not demand:
        raise CacheError("the trainable part reads nothing from the input: nothing to cache")
    batch = b.shape_of(block.arguments[0])[0]
    split.boundary = _smallest_cut(split, demand, batch)
    split.recompute = _recomputed(split, demand)
    _check_prefix(split)
    return split


def _demand(split: Split) -> list[ir.Value]:
    """Per-sample frozen values that the varying and constant ops read."""
    seen: set[ir.Value] = set()
    for op in split.ops:
        if split.kind[op] == SAMPLE:
            continue
        seen.update(v for v in data_operands(op) if split.value_kind.get(v) == SAMPLE)
    return _in_program_order(split, seen)


def _in_program_order(split: Split, values: set[ir.Value]) -> list[ir.Value]:
    arguments = [v for v in split.block.arguments if v in values]
    return arguments + [r for op in split.ops for r in op.results if r in values]


def _cheap(op: ir.Operation) -> bool:
    """Ops worth recomputing in every cached step rather than caching their result:
    data movement, and elementwise or reduction work (a few FLOPs per element)."""
    if op.name in _LAYOUT_OPS:
        return True
    if not op.name.startswith("linalg.") or op.name in _FIRST_OPERAND_BATCH or \
            op.name == "linalg.batch_matmul":
        return False
    elements = sum(math.prod(b.shape_of(v)) for v in [*op.operands, *op.results]
                   if isinstance(v.type, ir.RankedTensorType))
    return op_flops(op) <= _CHEAP_FLOPS_PER_ELEMENT * elements


def _smallest_cut(split: Split, demand: list[ir.Value], batch: int) -> list[ir.Value]:
    """The per-sample frozen values to cache: fewest bytes such that every
    demanded value is cached or recomputable from cached values by cheap ops.

    A minimum vertex cut between the values only a cache can provide (x, and
    results of expensive ops) and the demanded values, over the edges of
    cheap ops; each value weighs its bytes per sample, or cannot be cut if it
    is not float32 or does not keep the batch outermost (then its producer is
    recomputed, cheap or not). Of the minimum cuts it takes the one nearest
    the demand, so nothing is recomputed for nothing.
    """
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_flow

    values = [v for v in split.value_kind if split.value_kind[v] == SAMPLE]
    node = {v: i for i, v in enumerate(values)}
    source, sink = 2 * len(values), 2 * len(values) + 1
    major: dict[ir.Value, bool] = {}
    edges: dict[tuple[int, int], int] = {}
    f32 = ir.F32Type.get()
    for v in values:
        # The cache stores float32 (or NF4 of it); other values are recomputed.
        cacheable = b.element_of(v) == f32 and _batch_major(v, batch, split, major)
        per_sample = math.prod(b.shape_of(v)) // batch * _element_bytes(b.element_of(v))
        edges[(2 * node[v], 2 * node[v] + 1)] = per_sample if cacheable else _INFINITE
        producer = queries.producer(v)
        if producer is None or (cacheable and not _cheap(producer)):
            edges[(source, 2 * node[v])] = _INFINITE
            continue
        for operand in data_operands(producer):
            if operand in node:
                edges[(2 * node[operand] + 1, 2 * node[v])] = _INFINITE
    for v in demand:
        edges[(2 * node[v] + 1, sink)] = _INFINITE
    rows, cols = zip(*edges, strict=True)
    capacity = csr_matrix((np.array(list(edges.values()), np.int64), (rows, cols)),
                          shape=(sink + 1, sink + 1)).astype(np.int32)
    result = maximum_flow(capacity, source, sink)
    if result.flow_value >= _INFINITE:
        raise CacheError("no set of frozen values keeps the batch outermost")
    # Nodes that still reach the sink in the residual graph: the sink side of
    # the minimum cut nearest the sink.
    # (The flow is antisymmetric, so capacity - flow is the residual both ways.)
    residual = (capacity - result.flow).tocsc()
    residual.eliminate_zeros()
    near_sink, frontier = {sink}, [sink]
    while frontier:
        w = frontier.pop()
        start, end = residual.indptr[w], residual.indptr[w + 1]
        for u, left in zip(residual.indices[start:end], residual.data[start:end], strict=True):
            if left > 0 and int(u) not in near_sink:
                near_sink.add(int(u))
                frontier.append(int(u))
    cut = {v for v in values if 2 * node[v] not in near_sink and 2 * node[v] + 1 in near_sink}
    return _in_program_order(split, cut)


def _element_bytes(t: ir.Type) -> int:
    if isinstance(t, ir.FloatType):
        return max(1, t.width // 8)
    if isinstance(t, ir.IntegerType):
        return max(1, t.width // 8)
    return 8  # index


def _recomputed(split: Split, demand: list[ir.Value]) -> set[ir.Operation]:
    """The frozen ops the cached step runs: those between the cut and the demand."""
    cut = set(split.boundary)
    ops: set[ir.Operation] = set()
    frontier = [v for v in demand if v not in cut]
    while frontier:
        value = frontier.pop()
        producer = value.owner.operation
        if producer in ops:
            continue
        ops.add(producer)
        frontier.extend(v for v in data_operands(producer)
                        if split.value_kind.get(v) == SAMPLE and v not in cut)
    return ops


def _check_prefix(split: Split) -> None:
    """At least one layer must run entirely in front of the cache."""
    kept_layers = {layer_of(op) for op in split.ops
                   if split.kept(op) and split.kind[op] != CONSTANT}
    front = {layer_of(op) for op in split.ops if not split.kept(op)} - kept_layers - {"?"}
    if front:
        return
    first = next(op for op in split.ops if split.kind[op] == VARYING)
    raise CacheError(f"nothing frozen in front of the trainable part: every layer still runs "
                     f"in the cached step (layer '{layer_of(first)}' trains); cache a strategy "
                     f"with a frozen prefix (skip-lora, lp, ft-last, lora-last, ft-N, lora-N)",
                     first.location)


def _batch_major(value: ir.Value, batch: int, split: Split, memo: dict[ir.Value, bool]) -> bool:
    """Whether dim 0 of `value` runs over the batch outermost (dim 0 = batch * k),
    so each sample owns one contiguous part of the row-major tensor."""
    if value in memo:
        return memo[value]
    shape = b.shape_of(value) if isinstance(value.type, ir.RankedTensorType) else []
    if not shape or shape[0] % batch:
        memo[value] = False
        return False
    if queries.producer(value) is None:  # the input x
        memo[value] = split.value_kind.get(value) == SAMPLE
        return memo[value]
    memo[value] = _major_result(value, batch, split, memo)
    return memo[value]


def _major_result(value: ir.OpResult, batch: int, split: Split,
                  memo: dict[ir.Value, bool]) -> bool:
    op = value.owner.operation
    operands = list(op.operands)

    def major(v: ir.Value) -> bool:
        return split.value_kind.get(v) == SAMPLE and _batch_major(v, batch, split, memo)

    name = op.name
    if name == "tensor.collapse_shape":
        return major(operands[0])
    if name == "tensor.expand_shape":
        return major(operands[0]) and b.shape_of(value)[0] % batch == 0
    if name in ("tensor.extract_slice", "tensor.pad"):
        source = b.shape_of(operands[0])
        if name == "tensor.pad":
            low = list(ir.DenseI64ArrayAttr(op.attributes["static_low"]))
            high = list(ir.DenseI64ArrayAttr(op.attributes["static_high"]))
            keeps = low[0] == 0 and high[0] == 0
        else:
            offsets = list(ir.DenseI64ArrayAttr(op.attributes["static_offsets"]))
            keeps = offsets[0] == 0 and b.shape_of(value)[0] == source[0]
        return keeps and major(operands[0])
    if name == "linalg.transpose":
        permutation = list(ir.DenseI64ArrayAttr(op.attributes["permutation"]))
        return permutation[0] == 0 and major(operands[0])
    if name == "linalg.broadcast":
        dimensions = list(ir.DenseI64ArrayAttr(op.attributes["dimensions"]))
        return 0 not in dimensions and major(operands[0])
    if name.startswith("linalg.") and "indexing_maps" in op.attributes:
        return _generic_major(op, value.result_number, major)
    if name in _FIRST_OPERAND_BATCH:
        return major(operands[0])
    if name == "linalg.batch_matmul":
        return major(operands[0]) or major(operands[1])
    if name in _ELEMENTWISE_NAMED:
        n_in = queries.input_count(op)
        return any(major(v) for v in operands[:n_in])
    return False


def _generic_major(op: ir.Operation, result: int, major: Callable[[ir.Value], bool]) -> bool:
    """The result's dim 0 is a loop that dim 0 of a batch-major input also runs over."""
    maps = queries.indexing_maps(op)
    n_in = queries.input_count(op)
    out_map = maps[n_in + result]
    loop = _first_dim(out_map)
    if loop is None:
        return False
    return any(_first_dim(m) == loop and major(operand)
               for operand, m in zip(list(op.operands)[:n_in], maps[:n_in], strict=True))


def _first_dim(m: ir.AffineMap) -> int | None:
    """The loop dimension a map's first result is, if it is a plain dimension."""
    if not len(m.results):
        return None
    try:
        return ir.AffineDimExpr(m.results[0]).position
    except ValueError:
        return None


# --- small builders ---------------------------------------------------------------


def _producer_layer(value: ir.Value) -> str:
    """The PyTorch layer that computed a cached value ('input' for x itself)."""
    owner = queries.producer(value)
    return "input" if owner is None else layer_of(owner)

_DYNAMIC = -9223372036854775808  # ShapedType::kDynamic for static offset lists


def _index(value: int) -> ir.Value:
    return b.scalar(value, ir.IndexType.get())


def _checked_row(idx: ir.Value, position: ir.Value, samples: int) -> ir.Value:
    """idx[position] as an index, asserted to lie in [0, samples)."""
    raw = tensor.ExtractOp(idx, [position]).result
    row = b.arith("arith.index_cast", raw, result=ir.IndexType.get())
    low = b.cmpi("sge", raw, b.scalar(0, raw.type))
    high = b.cmpi("slt", raw, b.scalar(samples, raw.type))
    inside = b.arith("arith.andi", low, high)
    ir.Operation.create("cf.assert", operands=[inside], attributes={
        "msg": ir.StringAttr.get(f"cache index out of range [0, {samples})")})
    return row


def _copy_row(source: ir.Value, at: tuple[ir.Value, int], dest: ir.Value,
              to: tuple[ir.Value, int], width: int) -> ir.Value:
    """`dest` with the `width` values of source's row from (row, column) `at`
    written into dest's row from `to`."""
    t = b.tensor_type([1, width], b.element_of(source))
    piece = tensor.ExtractSliceOp(t, source, [at[0]], [], [], [_DYNAMIC, at[1]], [1, width],
                                  [1, 1]).result
    return tensor.InsertSliceOp(piece, dest, [to[0]], [], [], [_DYNAMIC, to[1]], [1, width],
                                [1, 1]).result


def _columns(rows: ir.Value, start: int, width: int) -> ir.Value:
    """Columns [start, start + width) of every row (the rows themselves if that is all)."""
    batch, total = b.shape_of(rows)
    if (start, width) == (0, total):
        return rows
    return tensor.ExtractSliceOp(b.tensor_type([batch, width], b.element_of(rows)), rows, [],
                                 [], [], [0, start], [batch, width], [1, 1]).result


def _renamed_clone(clone: ir.Operation, name: str, split: Split
                   ) -> tuple[ir.Block, list[ir.Operation], dict[ir.Value, ir.Value]]:
    """Name a clone of the step; its block, its top-level ops (in the order of
    split.ops) and the map from the step's values to the clone's."""
    clone.attributes["sym_name"] = ir.StringAttr.get(name)
    block = clone.regions[0].blocks[0]
    ops = [o.operation for o in block.operations]
    values = dict(zip(split.block.arguments, block.arguments, strict=True))
    for original, copy in zip(split.ops, ops, strict=True):
        values.update(zip(original.results, copy.results, strict=True))
    return block, ops, values


def _drop_unread_inits(op: ir.Operation, dropped: set[ir.Operation]) -> None:
    """A kept op whose unread init operand comes from the dropped prefix gets a
    tensor.empty of its type instead."""
    read = set(data_operands(op))
    for i, value in enumerate(op.operands):
        producer = queries.producer(value)
        if value in read or producer not in dropped:
            continue
        with ir.InsertionPoint(op), op.location:
            op.operands[i] = b.empty(b.shape_of(value), b.element_of(value))


def _erase(op: ir.Operation) -> None:
    """Erase an op the split says nobody reads any more (checked: erasing a used
    op would leave dangling IR)."""
    for result in op.results:
        for use in result.uses:
            raise CacheError(f"internal: '{op.name}' is still read by "
                             f"'{use.owner.operation.name}' after the split")
    op.erase()
