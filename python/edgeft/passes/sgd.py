"""edgeft-sgd: fuse the SGD update into the training step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from torch_mlir import ir
from torch_mlir.dialects import ml_program

from edgeft.ir import attrs, queries
from edgeft.ir import builders as b
from edgeft.ir.graph import add_zero_global, globals_of, phase_location, symbol
from edgeft.passes.autodiff.driver import GRADIENT_OF_ATTR
from edgeft.passes.base import EdgeftPass, Range, defined_function, option
from edgeft.training.structure import layer_name

STATE_OF_ATTR = attrs.STATE_OF
MOMENTUM_SUFFIX = ".momentum"
# Ops whose result shares its operand's buffer after bufferization.
VIEW_OPS = {"tensor.collapse_shape", "tensor.expand_shape", "tensor.extract_slice"}


@dataclass(frozen=True)
class Sgd(EdgeftPass):
    """Replace each gradient store by an in-place SGD update of its parameter.

    For every `ml_program.global_store @"<p>.grad" = %g` that edgeft-autodiff
    left in the training step, writes `p - lr * g` (with momentum:
    `v = momentum * v + g; p - lr * v`, torch.optim.SGD without dampening)
    back to `@p`, and drops the gradient global, so no gradient buffer
    outlives its update. Momentum adds a state global `@"<p>.momentum"`.

    The update goes right after the gradient is final, except that it waits
    for the last reader of the parameter's old value (or of a view of it):
    after bufferization the loaded tensor and the global share one buffer.

        ml_program.global_store @"fc3.weight.grad" = %g
      becomes
        %new = linalg.generic ... (%w, %g) { %w - 0.1 * %g }
        ml_program.global_store @"fc3.weight" = %new
    """

    argument: ClassVar[str] = "edgeft-sgd"

    lr: float = option(0.1, "learning rate", Range(0, low_open=True, float32=True))
    momentum: float = option(0.0, "momentum (0 = plain SGD)",
                             Range(0, 1, high_open=True, float32=True))
    function: str = field(default="train_step", metadata={"help": "the training function"})

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Turn the training step's gradient stores into SGD updates, or say why not."""
        step = defined_function(op, self.function)
        if step is None:
            op.location.emit_error(f"edgeft-sgd: no function @{self.function} (run "
                                   "edgeft-autodiff first)")
            pass_.signal_pass_failure()
            return
        params = globals_of(op)
        gradients = {name: ir.StringAttr(g.attributes[GRADIENT_OF_ATTR]).value
                     for name, g in params.items() if GRADIENT_OF_ATTR in g.attributes}
        block = step.regions[0].blocks[0]
        stores = [o.operation for o in block.operations
                  if o.operation.name == "ml_program.global_store"
                  and symbol(o.operation) in gradients]
        if not stores:
            op.location.emit_error(f"edgeft-sgd: @{self.function} stores no gradient")
            pass_.signal_pass_failure()
            return
        with op.context:
            for store in stores:
                param = gradients[symbol(store)]
                self._update(op, block, store, param, params[param])
            for name in gradients:
                params[name].operation.erase()

    def _update(self, module: ir.Operation, block: ir.Block, store: ir.Operation, name: str,
                param: ir.OpView) -> None:
        grad = store.operands[0]
        t = ir.TypeAttr(param.attributes["type"]).value
        old = _load_of(block, name, t, param.location)
        anchor = _insertion_point(block, grad, old, store)
        with anchor, phase_location(_layer_location(name, store.location), "update"):
            step = grad
            if self.momentum:
                state = self._state_global(module, name, param, t)
                ref = ir.FlatSymbolRefAttr.get(state)
                velocity = ml_program.GlobalLoadOp(t, ref).result
                step = _axpby(velocity, self.momentum, grad, 1.0)
                ml_program.GlobalStoreOp(ref, step)
            updated = _axpby(old, 1.0, step, -self.lr)
            ml_program.GlobalStoreOp(ir.FlatSymbolRefAttr.get(name), updated)
        store.erase()

    def _state_global(self, module: ir.Operation, name: str, param: ir.OpView,
                      t: ir.Type) -> str:
        state = name + MOMENTUM_SUFFIX
        add_zero_global(module, param, state, t, {STATE_OF_ATTR: ir.StringAttr.get(name)},
                        param.location)
        return state


def _layer_location(param: str, location: ir.Location) -> ir.Location:
    """The location of a parameter's update: named after its layer, so reports
    charge the update to the layer (a global's own location names no layer)."""
    return ir.Location.name(layer_name(param), childLoc=location, context=location.context)


def _axpby(x: ir.Value, a: float, y: ir.Value, c: float) -> ir.Value:
    """The elementwise a * x + c * y (a == 1 skips the multiply)."""
    rank = len(b.shape_of(x))
    element = b.element_of(x)

    def body(args: list[ir.Value]) -> list[ir.Value]:
        scaled_x = args[0] if a == 1.0 else b.arith("arith.mulf", args[0], b.scalar(a, element))
        scaled_y = b.arith("arith.mulf", args[1], b.scalar(c, element))
        return [b.arith("arith.addf", scaled_x, scaled_y)]

    out = b.empty(b.shape_of(x), element)
    return b.generic([x, y], [out], [b.identity(rank)] * 3, [b.PARALLEL] * rank, body)[0]


def _load_of(block: ir.Block, name: str, t: ir.Type, location: ir.Location) -> ir.Value:
    """The value of global `name` as the function first loads it (added if absent)."""
    for op in block.operations:
        op = op.operation
        if op.name == "ml_program.global_load" and symbol(op) == name:
            return op.results[0]
    with ir.InsertionPoint.at_block_begin(block), location:
        return ml_program.GlobalLoadOp(t, ir.FlatSymbolRefAttr.get(name)).result


def _top_level(op: ir.Operation, block: ir.Block) -> ir.Operation:
    op = op.operation
    while op.parent is not None and op.block != block:
        op = op.parent.operation
    return op


def _insertion_point(block: ir.Block, grad: ir.Value, old: ir.Value,
                     store: ir.Operation) -> ir.InsertionPoint:
    """After the gradient's producer and after the last reader of the old value."""
    ops = [o.operation for o in block.operations]
    index = {o: i for i, o in enumerate(ops)}
    owner = queries.producer(grad)
    latest = -1 if owner is None else index[owner]
    aliases, frontier = {old}, [old]
    while frontier:
        value = frontier.pop()
        for use in value.uses:
            user = _top_level(use.owner, block)
            if user == store:
                continue
            latest = max(latest, index[user])
            if user.name in VIEW_OPS:
                for result in user.results:
                    if result not in aliases:
                        aliases.add(result)
                        frontier.append(result)
    return ir.InsertionPoint(ops[latest + 1])
