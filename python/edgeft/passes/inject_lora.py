"""edgeft-inject-lora: LoRA adapters on linear and convolution layers."""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from torch_mlir import ir
from torch_mlir.dialects import linalg, ml_program, tensor

from edgeft.ir import attrs
from edgeft.ir import builders as b
from edgeft.ir.graph import (
    LayerOp,
    add_global,
    find_layer_op,
    globals_of,
    load_of,
    redirect,
    users,
)
from edgeft.passes.base import MAX_RANK, EdgeftPass, Range, defined_function, option, seed_option
from edgeft.passes.param_summary import TRAINABLE_ATTR
from edgeft.training import strategies
from edgeft.training.structure import Structure, module_structure

ADAPTER_OF_ATTR = attrs.ADAPTER_OF


def _lora_count(target: str) -> int:
    """N of a `lora-N` target (0 for any other target: a strategy or a glob)."""
    try:
        parsed = strategies.parse(target)
    except ValueError:
        return 0
    return parsed.k if parsed.kind == "lora-k" else 0


class TargetError(Exception):
    """Targets that do not name adaptable layers of this model."""


# The weight of a layer: `weight`, or the packed q/k/v projection of
# nn.MultiheadAttention (its out_proj is a Linear of its own).
WEIGHT_NAMES = ("weight", "in_proj_weight")


def weight_name(layer: str, params: dict[str, ir.OpView]) -> str:
    """The global holding `layer`'s weight (`<layer>.weight` unless the layer
    has only an attention's `in_proj_weight`)."""
    return next((f"{layer}.{n}" for n in WEIGHT_NAMES if f"{layer}.{n}" in params),
                f"{layer}.weight")


def adaptable_layers(structure: Structure, params: dict[str, ir.OpView]) -> list[str]:
    """Layers with a 2-D (linear) or 4-D (conv) weight, in order."""
    out = []
    for layer in structure.layers:
        weight = params.get(weight_name(layer.name, params))
        if weight is None:
            continue
        rank = len(ir.RankedTensorType(ir.TypeAttr(weight.attributes["type"]).value).shape)
        if rank in (2, 4):
            out.append(layer.name)
    return out


def resolve_targets(structure: Structure, targets: tuple[str, ...],
                    candidates: list[str]) -> list[str]:
    """Strategy names (lora-all, lora-last, lora-N) and globs -> layer names, in order."""
    chosen: set[str] = set()
    for target in targets:
        k = _lora_count(target)
        if target == "lora-all":
            chosen.update(candidates)
        elif target == "lora-last":
            chosen.add(structure.head.name)
        elif k:
            count = k
            if count > structure.countable:
                what = "blocks" if structure.is_transformer else "layers before the head"
                raise TargetError(f"lora-{count} asks for the last {count} {what}, the model "
                                  f"has {structure.countable}")
            units = structure.last_units(count)
            chosen.update(layer.name for unit in units for layer in unit.layers
                          if layer.name in candidates)
        else:
            matched = [c for c in candidates if fnmatch.fnmatchcase(c, target)]
            if not matched:
                raise TargetError(f"target '{target}' matches no layer; layers with a weight: "
                                  f"{', '.join(candidates)}")
            chosen.update(matched)
    return [c for c in candidates if c in chosen]


@dataclass(frozen=True)
class InjectLora(EdgeftPass):
    """Add LoRA adapters `W x + b + (alpha / r) B (A x)` to the target layers.

    For each target layer, adds trainable globals `<layer>.lora_A` (Gaussian,
    std 1/sqrt(fan-in), drawn from `seed`) and `<layer>.lora_B` (zeros),
    freezes the layer's weight and computes `B (A x)` as two thin products
    (B A is never formed), accumulated onto the layer's `W x`. Targets are
    `lora-all` (every linear and conv layer), `lora-last` (the classifier
    head), `lora-N` (every linear/conv of the last N blocks, or of the last N
    layers before the head of a CNN) and glob patterns over layer names.
    Linears are matmuls, or batch_matmuls with W^T broadcast for an N-D
    input; convolutions are ordinary (pointwise included), depthwise or
    grouped. They take the `dense` form (A over the flattened input
    activation, B over the flattened output) or the `kernel` form, per
    group (A_g a k x k conv from the group's channels to r, B_g a 1x1 conv
    from those r to the group's outputs; one group for an ordinary conv).

        %y = linalg.matmul ins(%x, %wT) outs(%zero)
      becomes
        %ax = linalg.matmul ins(%x, %aT) outs(%zero_r)
        %y  = linalg.matmul ins(%ax, %bT) outs(<the old %y>)
    """

    argument: ClassVar[str] = "edgeft-inject-lora"

    rank: int = option(4, "adapter rank r", Range(1, MAX_RANK))
    alpha: float = option(0.0, "scale numerator; 0 means alpha = r",
                          Range(0, low_open=True, zero="alpha = r", float32=True))
    targets: tuple[str, ...] = field(default=("lora-all",), metadata={
        "help": "lora-all, lora-last, lora-N or glob patterns over layer names"})
    conv_form: Literal["dense", "kernel"] = field(default="dense", metadata={
        "help": "adapter form on convolutions"})
    seed: int = seed_option("seed of the Gaussian A matrices")
    function: str = field(default="forward", metadata={"help": "function to rewrite"})

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.targets:
            raise ValueError("targets must name at least one layer or strategy")

    @property
    def scale(self) -> float:
        """The adapter's scale alpha / r (alpha defaults to the rank: scale 1)."""
        return (self.alpha or self.rank) / self.rank

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Adapt the target layers of the forward, or say why not."""
        forward = defined_function(op, self.function)
        if forward is None:
            op.location.emit_error(f"edgeft-inject-lora: no function @{self.function}")
            pass_.signal_pass_failure()
            return
        structure = module_structure(op)
        if not structure.layers:
            forward.location.emit_error("edgeft-inject-lora: the module has no parameter "
                                        "global, so there is no layer to adapt")
            pass_.signal_pass_failure()
            return
        block = forward.regions[0].blocks[0]
        params = globals_of(op)
        try:
            layers = resolve_targets(structure, self.targets, adaptable_layers(structure, params))
        except TargetError as e:
            op.location.emit_error(f"edgeft-inject-lora: {e}")
            pass_.signal_pass_failure()
            return
        with op.context:
            for index, layer in enumerate(layers):
                found = find_layer_op(block, weight_name(layer, params))
                if isinstance(found, str):
                    _where(block, params, layer).emit_error(
                        f"edgeft-inject-lora: cannot adapt layer '{layer}': {found}")
                    pass_.signal_pass_failure()
                    return
                self._adapt(op, params, layer, found, np.random.default_rng([self.seed, index]))

    def _adapt(self, module: ir.Operation, params: dict[str, ir.OpView], layer: str,
               found: LayerOp, rng: np.random.Generator) -> None:
        weight = params[weight_name(layer, params)]
        if TRAINABLE_ATTR in weight.attributes:
            del weight.attributes[TRAINABLE_ATTR]
        result = found.output
        a_shape, b_shape = self._shapes(found)
        fan_in = math.prod(a_shape[1:])
        a_value = (rng.standard_normal(a_shape) / math.sqrt(fan_in)).astype(np.float32)
        anchor = params[f"{layer}.bias"] if f"{layer}.bias" in params else weight
        tag = {TRAINABLE_ATTR: ir.UnitAttr.get(), ADAPTER_OF_ATTR: ir.StringAttr.get(layer)}
        a_glob = add_global(module, anchor, f"{layer}.lora_A",
                            ir.DenseElementsAttr.get(a_value), tag, weight.location)
        zero = np.zeros(b_shape, np.float32)
        add_global(module, a_glob, f"{layer}.lora_B", ir.DenseElementsAttr.get(zero), tag,
                   weight.location)
        old_users = users(result)
        with ir.InsertionPoint.after(result.owner.operation), found.op.location:
            a = _load(f"{layer}.lora_A", a_shape)
            bb = _load(f"{layer}.lora_B", b_shape)
            if found.kind == "linear":
                adapted = self._linear(found, a, bb, result)
            elif found.kind == "batched_linear":
                adapted = self._batched_linear(found, a, bb, result)
            elif self.conv_form == "dense":
                adapted = self._conv_dense(found, a, bb, result)
            elif found.groups == 1:
                adapted = self._conv_kernel(found, a, bb, result)
            else:
                adapted = self._grouped_kernel(found, a, bb, result)
        redirect(old_users, result, adapted)

    def _shapes(self, found: LayerOp) -> tuple[list[int], list[int]]:
        r = self.rank
        out_shape = b.shape_of(found.output)
        if found.kind != "conv":
            return [r, b.shape_of(found.data)[-1]], [out_shape[-1], r]
        if self.conv_form == "dense":
            return [r, math.prod(b.shape_of(found.activation)[1:])], [math.prod(out_shape[1:]), r]
        # kernel form: per group, A_g (r x c_in/g*kh*kw) and B_g (c_out/g x r), in
        # PyTorch's grouped-conv weight layout (groups = 1 for an ordinary conv)
        kh, kw = _window(found)
        groups = found.groups
        c_in = b.shape_of(found.data)[1]
        return [groups * r, c_in // groups, kh, kw], [out_shape[1], r, 1, 1]

    def _scaled(self, value: ir.Value) -> ir.Value:
        if self.scale == 1.0:
            return value
        rank = len(b.shape_of(value))
        element = b.element_of(value)
        out = b.empty(b.shape_of(value), element)
        return b.generic([value], [out], [b.identity(rank)] * 2, [b.PARALLEL] * rank,
                         lambda args: [b.arith("arith.mulf", args[0],
                                               b.scalar(self.scale, element))])[0]

    def _linear(self, found: LayerOp, a: ir.Value, bb: ir.Value, result: ir.Value) -> ir.Value:
        x = found.data
        rows = b.shape_of(x)[0]
        ax = b.matmul(x, b.transpose(a, [1, 0]), b.filled([rows, self.rank], b.element_of(x)))
        return b.matmul(self._scaled(ax), b.transpose(bb, [1, 0]), result)

    def _batched_linear(self, found: LayerOp, a: ir.Value, bb: ir.Value,
                        result: ir.Value) -> ir.Value:
        """A linear on an N-D input, as the import lowers it: x (n, m, k) times
        W^T broadcast to (n, k, d_out) by a batch_matmul; the adapter does the
        same with A^T and B^T."""
        x = found.data
        batch, rows, _ = b.shape_of(x)
        element = b.element_of(x)
        ax = b.batch_matmul(x, _over_batch(b.transpose(a, [1, 0]), batch),
                            b.filled([batch, rows, self.rank], element))
        return b.batch_matmul(self._scaled(ax), _over_batch(b.transpose(bb, [1, 0]), batch),
                              result)

    def _conv_dense(self, found: LayerOp, a: ir.Value, bb: ir.Value,
                    result: ir.Value) -> ir.Value:
        x = found.activation
        batch = b.shape_of(x)[0]
        element = b.element_of(x)
        flat = b.reshape_to(x, [batch, math.prod(b.shape_of(x)[1:])])
        ax = b.matmul(flat, b.transpose(a, [1, 0]), b.filled([batch, self.rank], element))
        out_shape = b.shape_of(result)
        bax = b.matmul(self._scaled(ax), b.transpose(bb, [1, 0]),
                       b.filled([batch, math.prod(out_shape[1:])], element))
        return b.add(result, b.reshape_to(bax, out_shape))

    def _conv_kernel(self, found: LayerOp, a: ir.Value, bb: ir.Value,
                     result: ir.Value) -> ir.Value:
        conv = found.op
        out_shape = b.shape_of(result)
        element = b.element_of(result)
        attrs = {n: conv.attributes[n] for n in ("strides", "dilations") if n in conv.attributes}
        reduced = b.filled([out_shape[0], self.rank, out_shape[2], out_shape[3]], element)
        ax = _conv(found.data, a, reduced, attrs)
        return _conv(self._scaled(ax), bb, result, {})

    def _grouped_kernel(self, found: LayerOp, a: ir.Value, bb: ir.Value,
                        result: ir.Value) -> ir.Value:
        """Kernel form on a grouped or depthwise conv: per group, A_g is a
        k x k conv from the group's c_in/g channels to r channels (the layer's
        stride and dilation) and B_g a 1x1 conv from those r to the group's
        c_out/g, so that B_g A_g has the layer's group structure."""
        groups = found.groups
        n, c_out, oh, ow = b.shape_of(result)
        element = b.element_of(result)
        strides, dilations = _ints(found.op, "strides"), _ints(found.op, "dilations")
        reduced = b.filled([n, groups, self.rank, oh, ow], element)
        ax = _grouped_conv(_split(found.data, 1, groups), _split(a, 0, groups), reduced,
                           strides, dilations)
        bax = _grouped_conv(self._scaled(ax), _split(bb, 0, groups),
                            b.filled([n, groups, c_out // groups, oh, ow], element),
                            [1, 1], [1, 1])
        return b.add(result, _merge(bax, 1))


def _where(block: ir.Block, params: dict[str, ir.OpView], layer: str) -> ir.Location:
    """Where a refusal to adapt `layer` points: the first op that reads its
    weight (in the layer's PyTorch module), else the weight's global."""
    weight = weight_name(layer, params)
    loaded = load_of(block, weight)
    readers = users(loaded) if loaded is not None else []
    first = next((op.operation for op in block.operations if op.operation in readers), None)
    return first.location if first is not None else params[weight].location


def _load(name: str, shape: list[int]) -> ir.Value:
    t = b.tensor_type(shape, ir.F32Type.get())
    return ml_program.GlobalLoadOp(t, ir.FlatSymbolRefAttr.get(name)).result


def _conv(x: ir.Value, w: ir.Value, init: ir.Value, attrs: dict[str, ir.Attribute]) -> ir.Value:
    op = linalg.conv_2d_nchw_fchw(x, w, outs=[init])
    owner = op.owner.operation if isinstance(op, ir.OpResult) else op.operation
    for name, attr in attrs.items():
        owner.attributes[name] = attr
    return op if isinstance(op, ir.Value) else owner.results[0]


def _ints(op: ir.Operation, name: str) -> list[int]:
    if name not in op.attributes:
        return [1, 1]
    return [int(x) for x in ir.DenseIntElementsAttr(op.attributes[name])]


def _window(found: LayerOp) -> tuple[int, int]:
    """The kernel size (kh, kw) of a convolution layer."""
    filt = b.shape_of(found.op.operands[1])
    return filt[-2], filt[-1]


def _split(value: ir.Value, dim: int, groups: int) -> ir.Value:
    """`value` with dim `dim` split into (groups, dim / groups)."""
    shape = b.shape_of(value)
    new = [*shape[:dim], groups, shape[dim] // groups, *shape[dim + 1:]]
    groups_of = [[i] for i in range(dim)] + [[dim, dim + 1]] + \
        [[i + 1] for i in range(dim + 1, len(shape))]
    return tensor.ExpandShapeOp(b.tensor_type(new, b.element_of(value)), value,
                                _reassociation(groups_of), [], new).result


def _merge(value: ir.Value, dim: int) -> ir.Value:
    """`value` with dims `dim` and `dim + 1` merged (the inverse of _split)."""
    shape = b.shape_of(value)
    new = [*shape[:dim], shape[dim] * shape[dim + 1], *shape[dim + 2:]]
    groups_of = [[i] for i in range(dim)] + [[dim, dim + 1]] + \
        [[i] for i in range(dim + 2, len(shape))]
    return tensor.CollapseShapeOp(b.tensor_type(new, b.element_of(value)), value,
                                  _reassociation(groups_of)).result


def _reassociation(groups_of: list[list[int]]) -> ir.ArrayAttr:
    i64 = ir.IntegerType.get_signless(64)
    return ir.ArrayAttr.get([ir.ArrayAttr.get([ir.IntegerAttr.get(i64, d) for d in group])
                             for group in groups_of])


def _over_batch(value: ir.Value, batch: int) -> ir.Value:
    """A 2-D `value` repeated over a new leading batch dim (linalg.broadcast)."""
    init = b.empty([batch, *b.shape_of(value)], b.element_of(value))
    op = linalg.broadcast(value, outs=[init], dimensions=[0])
    return op if isinstance(op, ir.Value) else op.results[0]


def _grouped_conv(x: ir.Value, w: ir.Value, init: ir.Value, strides: list[int],
                  dilations: list[int]) -> ir.Value:
    """The grouped conv of x (n, g, c, h, w) with w (g, f, c, kh, kw) into init (n, g, f, oh, ow),
    as the linalg.generic of conv_2d_ngchw_gfchw (whose adjoint the generic rule gives)."""
    d = ir.AffineExpr.get_dim
    n, g, f, oh, ow, c, kh, kw = range(8)

    def window(o: int, k: int, s: int, dil: int) -> ir.AffineExpr:
        return ir.AffineExpr.get_add(ir.AffineExpr.get_mul(d(o), ir.AffineExpr.get_constant(s)),
                                     ir.AffineExpr.get_mul(d(k), ir.AffineExpr.get_constant(dil)))

    maps = [ir.AffineMap.get(8, 0, [d(n), d(g), d(c), window(oh, kh, strides[0], dilations[0]),
                                    window(ow, kw, strides[1], dilations[1])]),
            ir.AffineMap.get(8, 0, [d(g), d(f), d(c), d(kh), d(kw)]),
            ir.AffineMap.get(8, 0, [d(n), d(g), d(f), d(oh), d(ow)])]

    def body(args: list[ir.Value]) -> list[ir.Value]:
        return [b.arith("arith.addf", args[2], b.arith("arith.mulf", args[0], args[1]))]

    return b.generic([x, w], [init], maps, [b.PARALLEL] * 5 + [b.REDUCTION] * 3, body)[0]
