"""edgeft-autodiff: build @train_step from @forward by reverse-mode AD."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from torch_mlir import ir
from torch_mlir.dialects import ml_program

from edgeft.ir import attrs, queries
from edgeft.ir import builders as b
from edgeft.ir.graph import add_zero_global, function, globals_of, layer_of, phase_location
from edgeft.passes.autodiff.rules import CONSTANT_OPS, RULES
from edgeft.passes.autodiff.structured import NoAdjointRule
from edgeft.passes.base import EdgeftPass, defined_function
from edgeft.passes.param_summary import TRAINABLE_ATTR
from edgeft.training.structure import layer_name

GRADIENT_OF_ATTR = attrs.GRADIENT_OF
GRAD_SUFFIX = ".grad"


def data_operands(op: ir.Operation) -> list[ir.Value]:
    """The operands whose values an op's results depend on.

    A linalg op reads an init (outs) operand only when its body reads the
    block argument; values captured by regions count too.
    """
    operands = list(op.operands)
    if op.name.startswith("linalg.") and "operandSegmentSizes" in op.attributes and op.regions:
        n_in = queries.input_count(op)
        body = op.regions[0].blocks[0]
        operands = operands[:n_in] + [v for j, v in enumerate(operands[n_in:])
                                      if any(True for _ in body.arguments[n_in + j].uses)]
    return operands + queries.captured(op)


@dataclass
class Activity:
    """Which values lie on a path from a trainable global to the loss."""

    varied: set[ir.Value] = field(default_factory=set)
    useful: set[ir.Value] = field(default_factory=set)

    def active(self, value: ir.Value) -> bool:
        """Whether the value lies on a path from a trainable global to the loss."""
        return value in self.varied and value in self.useful


def analyse(ops: list[ir.Operation], loss: ir.Value, trainable: set[str]) -> Activity:
    """Forward: what trainable globals influence; backward: what the loss needs."""
    activity = Activity()
    for op in ops:
        if op.name == "ml_program.global_load":
            name = ir.FlatSymbolRefAttr(op.attributes["global"]).value
            if name in trainable:
                activity.varied.add(op.results[0])
            continue
        if op.name in CONSTANT_OPS:
            continue
        if any(v in activity.varied for v in data_operands(op)):
            activity.varied.update(r for r in op.results if b.is_float(r.type))
    activity.useful.add(loss)
    for op in reversed(ops):
        if any(r in activity.useful for r in op.results):
            activity.useful.update(data_operands(op))
    return activity


class Sweep:
    """The reverse sweep's state: the adjoint of every value reached so far."""

    def __init__(self, activity: Activity) -> None:
        self.activity = activity
        self.adjoints: dict[ir.Value, ir.Value] = {}

    def active(self, value: ir.Value) -> bool:
        """Whether the value lies between a trainable global and the loss."""
        return self.activity.active(value)

    def adjoint(self, value: ir.Value) -> ir.Value | None:
        """The adjoint of the value so far, None while nothing reached it."""
        return self.adjoints.get(value)

    def set_adjoint(self, value: ir.Value, adjoint: ir.Value) -> None:
        """Make `adjoint` the value's whole adjoint."""
        assert isinstance(adjoint, ir.Value), type(adjoint)
        self.adjoints[value] = adjoint

    def accumulator(self, value: ir.Value) -> ir.Value:
        """The tensor a new contribution accumulates into: the adjoint so far, or zeros."""
        current = self.adjoints.get(value)
        return current if current is not None else b.zeros_like(value)

    def accumulate(self, value: ir.Value, contribution: ir.Value) -> None:
        """Add a contribution to the value's adjoint."""
        assert isinstance(contribution, ir.Value), type(contribution)
        current = self.adjoints.get(value)
        self.adjoints[value] = contribution if current is None else b.add(current, contribution)


@dataclass(frozen=True)
class Autodiff(EdgeftPass):
    """Build @train_step(x, y) -> loss: the forward, then its reverse-mode backward.

    The gradient of the loss with respect to every trainable global (one with
    `edgeft.trainable`) is stored into a new global `<name>.grad`, summed over
    the batch as the loss is. Activity analysis differentiates only values
    that lie between a trainable global and the loss, so frozen layers in
    front of the trainable ones get no backward at all. Adjoint rules cover
    linalg.generic (by differentiating the scalar body), matmul, batch_matmul,
    transpose, broadcast, the convolutions conv_2d_nchw_fchw,
    depthwise_conv_2d_nchw_chw and conv_2d_ngchw_gfchw (strided, dilated),
    pooling_nchw_max/sum and the tensor reshape, slice, pad and concat ops;
    any other op on the gradient path is an error naming it and its PyTorch
    layer. @forward is kept.

        func.func @forward(%x, %y) -> tensor<f32> { ... }
      gains
        ml_program.global private mutable @"fc3.weight.grad"(dense<0.0> ...)
        func.func @train_step(%x, %y) -> tensor<f32> {
          ...forward...
          ...backward...
          ml_program.global_store @"fc3.weight.grad" = %dw
          return %loss
    """

    argument: ClassVar[str] = "edgeft-autodiff"

    forward: str = field(default="forward", metadata={"help": "function to differentiate"})
    result: str = field(default="train_step", metadata={"help": "name of the new function"})

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Run the pass; a failure is reported at its location and fails the pass."""
        try:
            self.run(op)
        except AutodiffError as e:
            e.location.emit_error(e.message)
            pass_.signal_pass_failure()

    def run(self, module: ir.Operation) -> None:
        """Build the train step in `module`, or raise AutodiffError saying why not."""
        forward = defined_function(module, self.forward)
        if forward is None:
            raise AutodiffError(module.location, f"edgeft-autodiff: no function @{self.forward}")
        if function(module, self.result) is not None:
            raise AutodiffError(forward.location,
                                f"edgeft-autodiff: @{self.result} exists already")
        params = globals_of(module)
        trainable = [n for n, g in params.items() if TRAINABLE_ATTR in g.attributes]
        if not trainable:
            raise AutodiffError(forward.location,
                                "edgeft-autodiff: no global is marked trainable (run "
                                "edgeft-select-trainable or an adapter pass first)")
        with module.context:
            step = _clone_function(forward, self.result)
            block = step.regions[0].blocks[0]
            ret = block.operations[len(block.operations) - 1]
            if ret.operation.name != "func.return" or len(ret.operands) != 1:
                raise AutodiffError(step.location, f"edgeft-autodiff: @{self.forward} must "
                                    "return exactly the loss")
            loss = ret.operands[0]
            if b.shape_of(loss) != [] or not b.is_float(loss.type):
                raise AutodiffError(step.location, "edgeft-autodiff: the loss must be a "
                                    f"scalar float tensor, got {loss.type}")
            ops = [o.operation for o in block.operations][:-1]
            activity = analyse(ops, loss, set(trainable))
            sweep = Sweep(activity)
            with ir.InsertionPoint(ret), ret.location:
                sweep.set_adjoint(loss, b.filled([], b.element_of(loss), 1.0))
            _reverse(ops, sweep, ret)
            _store_gradients(module, step, ops, sweep, trainable, params, ret)


class AutodiffError(Exception):
    """Why edgeft-autodiff cannot differentiate, and where."""

    def __init__(self, location: ir.Location, message: str) -> None:
        super().__init__(message)
        self.location = location
        self.message = message


def _clone_function(forward: ir.OpView, name: str) -> ir.OpView:
    clone = forward.operation.clone(ip=ir.InsertionPoint.after(forward))
    clone.attributes["sym_name"] = ir.StringAttr.get(name)
    return clone.opview if hasattr(clone, "opview") else clone


def _reverse(ops: list[ir.Operation], sweep: Sweep, ret: ir.OpView) -> None:
    for op in reversed(ops):
        if not any(sweep.adjoint(r) is not None for r in op.results):
            continue
        if not any(sweep.active(v) for v in data_operands(op)):
            continue
        rule = RULES.get(op.name)
        if rule is None:
            raise AutodiffError(op.location, f"edgeft-autodiff: no adjoint rule for "
                                f"'{op.name}'{_from_layer(op)}")
        with ir.InsertionPoint(ret), phase_location(op.location, "backward"):
            try:
                rule(sweep, op)
            except NoAdjointRule as e:
                raise AutodiffError(op.location, f"edgeft-autodiff: no adjoint rule for "
                                    f"{e.what}{_from_layer(op)}") from None


def _from_layer(op: ir.Operation) -> str:
    layer = layer_of(op)
    return "" if layer == "?" else f" (PyTorch layer '{layer}')"


def _store_gradients(module: ir.Operation, step: ir.OpView, ops: list[ir.Operation],
                     sweep: Sweep, trainable: list[str], params: dict[str, ir.OpView],
                     ret: ir.OpView) -> None:
    """Sum the adjoints of each trainable global's loads into `<name>.grad`."""
    loads: dict[str, list[ir.Value]] = {}
    for op in ops:
        if op.name == "ml_program.global_load":
            name = ir.FlatSymbolRefAttr(op.attributes["global"]).value
            loads.setdefault(name, []).append(op.results[0])
    for name in trainable:
        param = params[name]
        t = ir.TypeAttr(param.attributes["type"]).value
        grad_name = name + GRAD_SUFFIX
        add_zero_global(module, param, grad_name, t,
                        {GRADIENT_OF_ATTR: ir.StringAttr.get(name)}, param.location)
        with ir.InsertionPoint(ret), phase_location(
                ir.Location.name(layer_name(name), childLoc=param.location), "backward"):
            total = None
            for value in loads.get(name, []):
                adjoint = sweep.adjoint(value)
                if adjoint is not None:
                    total = adjoint if total is None else b.add(total, adjoint)
            if total is None:
                total = b.filled(list(ir.RankedTensorType(t).shape), b.element_of(t), 0.0)
            ml_program.GlobalStoreOp(ir.FlatSymbolRefAttr.get(grad_name), total)
