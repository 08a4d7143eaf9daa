"""Finding things in an imported module: functions, globals, layers, activations.

The passes that rewrite layers (LoRA, Skip-LoRA) locate a PyTorch layer's
computation through the parameter global it loads and through op locations,
which name the PyTorch module that produced each op
(`loc("blocks.1.attn.qkv"(...))`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch_mlir import ir
from torch_mlir.dialects import ml_program

from edgeft.ir import builders as b
from edgeft.ir import queries
from edgeft.ir.diagnostics import PHASE_TAG, from_location
from edgeft.ir.queries import symbol_name


def function(module: ir.Operation, name: str) -> ir.OpView | None:
    """The func.func named `name` in `module`, or None."""
    for op in module.regions[0].blocks[0].operations:
        if op.operation.name == "func.func" and \
                symbol_name(op) == name:
            return op
    return None


def clone_module(module: ir.Module) -> ir.Module:
    """A copy of `module` in its context (its attributes and every top-level op)."""
    with module.context, module.operation.location:
        copy = ir.Module.create()
        attributes = module.operation.attributes
        for i in range(len(attributes)):
            copy.operation.attributes[attributes[i].name] = attributes[i].attr
        for op in module.body.operations:
            op.operation.clone(ip=ir.InsertionPoint(copy.body))
    return copy


def globals_of(module: ir.Operation) -> dict[str, ir.OpView]:
    """The module's ml_program.global ops by name, in order."""
    return {symbol_name(op): op
            for op in module.regions[0].blocks[0].operations
            if op.operation.name == "ml_program.global"}


def layer_of(op: ir.Operation) -> str:
    """The PyTorch layer an op came from (its location's name), or '?'."""
    return from_location("error", op.location, "").layer or "?"


def phase_location(location: ir.Location, phase: str) -> ir.Location:
    """`location` tagged with a training phase (backward, update): the
    autodiff and optimizer passes build their ops there, so that reports can
    split a layer's cost by phase; layer_of sees through the tag."""
    return ir.Location.fused([location], metadata=ir.StringAttr.get(f"edgeft.{phase}"),
                             context=location.context)


def phase_of(op: ir.Operation) -> str:
    """The training phase an op belongs to: forward unless its location
    carries a backward or update tag."""
    tag = PHASE_TAG.search(str(op.location))  # the outermost tag comes first
    return tag.group(1) if tag else "forward"


def symbol(op: ir.Operation) -> str:
    """The global a global_load/global_store refers to."""
    return ir.FlatSymbolRefAttr(op.attributes["global"]).value


def load_of(block: ir.Block, name: str) -> ir.Value | None:
    """The first value loaded from global `name` in `block`."""
    for op in block.operations:
        op = op.operation
        if op.name == "ml_program.global_load" and symbol(op) == name:
            return op.results[0]
    return None


def users(value: ir.Value) -> list[ir.Operation]:
    """The ops that use `value` (once per use)."""
    return [use.owner.operation for use in value.uses]


def add_global(module: ir.Operation, after: ir.OpView, name: str, value: ir.Attribute,
               attributes: dict[str, ir.Attribute], location: ir.Location) -> ir.OpView:
    """A private mutable global placed right after `after`."""
    t = ir.DenseElementsAttr(value).type
    with ir.InsertionPoint(module.regions[0].blocks[0]), location:
        glob = ml_program.GlobalOp(sym_name=name, type_=t, value=value, is_mutable=True,
                                   sym_visibility="private")
    for key, attr in attributes.items():
        glob.attributes[key] = attr
    glob.operation.move_after(after.operation)
    return glob


def add_zero_global(module: ir.Operation, after: ir.OpView, name: str, t: ir.Type,
                    attributes: dict[str, ir.Attribute], location: ir.Location) -> ir.OpView:
    """A private mutable global of type `t` filled with zeros (gradients, state)."""
    with location:  # FloatAttr.get reports through a location
        zero = ir.DenseElementsAttr.get_splat(t, ir.FloatAttr.get(b.element_of(t), 0.0))
    return add_global(module, after, name, zero, attributes, location)


def erase_unused(block: ir.Block) -> None:
    """Erase ops (the terminator aside) whose results nobody reads, repeatedly.

    Side effects inside them do not keep them: callers use it on re-emitted
    scalar bodies and on a forward whose loss (with its assertions) is gone.
    """
    changed = True
    while changed:
        changed = False
        for op in reversed(list(block.operations)[:-1]):
            op = op.operation
            if len(op.results) and all(not any(True for _ in r.uses) for r in op.results):
                op.erase()
                changed = True


@dataclass
class LayerOp:
    """Where a linear or convolution layer computes `W x`."""

    kind: str                 # "linear", "batched_linear" or "conv"
    op: ir.Operation          # the matmul, batch_matmul or convolution applying W
    data: ir.Value            # x as the op reads it (flattened / padded; NCHW for a conv)
    activation: ir.Value      # x as the layer receives it (before padding)
    output: ir.Value          # W x as the layer's next op reads it (NCHW for a conv)
    groups: int = 1           # convolution groups (the channel count for a depthwise conv)


# A 4-D convolution weight reaches the op that applies it through a reshape.
_DEPTHWISE = "linalg.depthwise_conv_2d_nchw_chw"   # weight (C, 1, kh, kw) collapsed to (C, kh, kw)
_GROUPED = "linalg.conv_2d_ngchw_gfchw"           # weight (g*F, C/g, kh, kw) expanded to 5-D


def _unpadded(data: ir.Value) -> ir.Value:
    source = queries.producer(data)
    return source.operands[0] if source is not None and source.name == "tensor.pad" else data


def _only_user(value: ir.Value, name: str) -> ir.Operation | None:
    found = users(value)
    return found[0] if len(found) == 1 and found[0].name == name else None


def _conv_layer(loaded: ir.Value, user: ir.Operation) -> LayerOp | None:
    """A 2-D convolution applying weight `loaded` (directly, or reshaped for a
    depthwise or grouped convolution), or None."""
    if user.name == "linalg.conv_2d_nchw_fchw" and user.operands[1] == loaded:
        return LayerOp("conv", user, user.operands[0], _unpadded(user.operands[0]),
                       user.results[0])
    if user.name == "tensor.collapse_shape":
        conv = _only_user(user.results[0], _DEPTHWISE)
        if conv is None or conv.operands[1] != user.results[0]:
            return None
        return LayerOp("conv", conv, conv.operands[0], _unpadded(conv.operands[0]),
                       conv.results[0], groups=b.shape_of(conv.operands[0])[1])
    if user.name == "tensor.expand_shape":
        conv = _only_user(user.results[0], _GROUPED)
        if conv is None or conv.operands[1] != user.results[0]:
            return None
        image = queries.producer(conv.operands[0])
        collapse = _only_user(conv.results[0], "tensor.collapse_shape")
        if image is None or image.name != "tensor.expand_shape" or collapse is None:
            return None
        data = image.operands[0]
        return LayerOp("conv", conv, data, _unpadded(data), collapse.results[0],
                       groups=b.shape_of(conv.operands[1])[0])
    return None


def _is_broadcast(op: ir.Operation) -> bool:
    """A linalg.broadcast, or a linalg.generic that only copies its input into
    a larger tensor (what torch-mlir makes of `expand`)."""
    if op.name == "linalg.broadcast":
        return True
    if op.name != "linalg.generic" or len(op.operands) != 2:
        return False
    body = op.regions[0].blocks[0]
    ops = list(body.operations)
    return len(ops) == 1 and ops[0].operands[0] == body.arguments[0]


def _linear_layer(loaded: ir.Value, user: ir.Operation) -> LayerOp | None:
    """A linear layer applying weight `loaded` as `x W^T`: a matmul, or for an
    N-D input a batch_matmul with W^T broadcast over the batch, or None."""
    if user.name != "linalg.transpose" or len(b.shape_of(loaded)) != 2:
        return None
    wt = user.results[0]
    for mm in users(wt):
        if mm.name == "linalg.matmul" and mm.operands[1] == wt:
            return LayerOp("linear", mm, mm.operands[0], mm.operands[0], mm.results[0])
        if not _is_broadcast(mm):
            continue
        for bmm in users(mm.results[0]):
            if bmm.name == "linalg.batch_matmul" and bmm.operands[1] == mm.results[0]:
                return LayerOp("batched_linear", bmm, bmm.operands[0], bmm.operands[0],
                               bmm.results[0])
    return None


def find_layer_op(block: ir.Block, weight: str) -> LayerOp | str:
    """The matmul or convolution that applies parameter `weight`, or why there is none."""
    loaded = load_of(block, weight)
    if loaded is None:
        return "its weight is never loaded"
    for user in users(loaded):
        found = _conv_layer(loaded, user) or _linear_layer(loaded, user)
        if found is not None:
            return found
    names = sorted({u.name for u in users(loaded)})
    return f"its weight feeds {', '.join(names)}, not a linear or 2-D convolution"


def redirect(users_before: list[ir.Operation], old: ir.Value, new: ir.Value) -> None:
    """Make the given users of `old` read `new` instead (new IR keeps reading `old`)."""
    for user in users_before:
        for i, operand in enumerate(user.operands):
            if operand == old:
                user.operands[i] = new


_EXCLUDED_PRODUCERS = {"tensor.empty", "linalg.fill", "arith.constant",
                       "ml_program.global_load"}


def in_unit(layer: str, prefixes: list[str]) -> bool:
    """Whether an op located at `layer` belongs to a unit with these layer names:
    it is located at one of them or below. An op of an enclosing module (the
    ReLU a block's forward applies between two of its layers) belongs to no
    unit under it, so the activation entering a layer is what that layer reads."""
    return any(layer == p or layer.startswith(p + ".") for p in prefixes)


def unit_inputs(block: ir.Block, units: list[list[str]], batch: int) -> list[ir.Value | None]:
    """The activation entering each unit (given by its layer names): the first
    batch-shaped float tensor that an op of the unit reads and an op outside it
    (or the function) produced; None for a unit with no such tensor.

    A unit whose layers have no such op (nn.MultiheadAttention applies its
    `out_proj` weight functionally: no op is located at `attn.out_proj`) takes
    the activation entering the innermost module enclosing its first layer
    that has one (`attn`), as a PyTorch hook on the modules actually called sees it.
    """
    found = _first_entering(block, units, batch)
    enclosing = {i: units[i][0] for i, value in enumerate(found) if value is None and units[i]}
    while enclosing:
        enclosing = {i: name.rpartition(".")[0] for i, name in enclosing.items() if "." in name}
        again = _first_entering(block, [[name] for name in enclosing.values()], batch)
        for i, value in zip(list(enclosing), again, strict=True):
            if value is not None:
                found[i] = value
                del enclosing[i]
    return found


def _first_entering(block: ir.Block, units: list[list[str]],
                    batch: int) -> list[ir.Value | None]:
    """unit_inputs without the fallback to enclosing modules. One walk over the
    block: each op's layer is read once, and which units a layer belongs to once
    per layer name, so deep networks cost O(ops + layers x units), not O(ops x units)."""
    member = _unit_index(units)
    inside: list[set[ir.Operation]] = [set() for _ in units]
    found: list[ir.Value | None] = [None] * len(units)
    for op in block.operations:
        op = op.operation
        for i in member(layer_of(op)):
            inside[i].add(op)
            if found[i] is None:
                found[i] = _entering(op, inside[i], batch)
    return found


def _ancestors(layer: str) -> list[str]:
    """`layer` and the modules above it: `a.b.c`, `a.b`, `a`."""
    parts = layer.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


def _unit_index(units: list[list[str]]) -> Callable[[str], list[int]]:
    """The units a layer belongs to (in_unit for every unit), found by looking up
    its ancestors instead of testing every unit; memoised per layer name."""
    exact: dict[str, set[int]] = {}   # a unit's layer name -> units
    for i, prefixes in enumerate(units):
        for prefix in prefixes:
            exact.setdefault(prefix, set()).add(i)
    memo: dict[str, list[int]] = {}

    def member(layer: str) -> list[int]:
        if layer not in memo:
            found: set[int] = set()
            for ancestor in _ancestors(layer):
                found |= exact.get(ancestor, set())
            memo[layer] = sorted(found)
        return memo[layer]

    return member


def _entering(op: ir.Operation, inside: set[ir.Operation], batch: int) -> ir.Value | None:
    """The first operand of `op` that enters a unit from outside it."""
    for value in op.operands:
        producer = queries.producer(value)
        if producer is not None and (producer in inside or producer.name in _EXCLUDED_PRODUCERS):
            continue
        if not isinstance(value.type, ir.RankedTensorType) or not b.is_float(value.type):
            continue
        shape = b.shape_of(value)
        if shape and shape[0] == batch:
            return value
    return None


# The frontend locates the loss's ops at this name (frontend.importer.LOSS_LAYER).
_LOSS = "loss"


def logits_of(block: ir.Block) -> ir.Value | None:
    """The model's output as the loss reads it: a (batch, classes) float tensor
    made outside the loss (whatever the head: a linear, or a conv then pooling)."""
    for op in block.operations:
        op = op.operation
        if layer_of(op) != _LOSS:
            continue
        for value in op.operands:
            producer = queries.producer(value)
            if producer is None or layer_of(producer) == _LOSS:
                continue
            t = value.type
            if isinstance(t, ir.RankedTensorType) and len(t.shape) == 2 and \
                    isinstance(t.element_type, ir.FloatType):
                return value
    return None


def ancestor_in(op: ir.Operation, block: ir.Block) -> ir.Operation:
    """The ancestor of `op` (or `op` itself) that sits directly in `block`."""
    parent = block.owner.operation
    while op.parent is not None and op.parent.operation != parent:
        op = op.parent.operation
    return op
