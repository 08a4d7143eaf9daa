"""edgeft-derive-predict: @predict(x) -> logits, @forward without its loss."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from torch_mlir import ir

from edgeft.ir.graph import erase_unused, function, logits_of
from edgeft.passes.base import EdgeftPass, defined_function


@dataclass(frozen=True)
class DerivePredict(EdgeftPass):
    """Derive the evaluation function @predict from @forward: its body up to
    the logits the loss reads, without the loss and the labels argument.

    The logits are the (batch, classes) float tensor that an op of the loss
    (located at `loss` by edgeft import) reads from outside the loss. With
    `drop-forward` (the default, as the C program has @predict instead),
    @forward is erased afterwards. A prediction changes no state: the
    stores of @forward (BatchNorm running statistics under `--batchnorm
    batch`) are not copied; such a @predict still normalises by the batch's
    statistics, as @forward does.

        func.func @forward(%x, %y) -> tensor<f32> { ... %logits ... loss ... }
      becomes
        func.func @predict(%x) -> tensor<4x10xf32> { ... return %logits }
    """

    argument: ClassVar[str] = "edgeft-derive-predict"

    drop_forward: bool = field(default=True, metadata={"help": "erase @forward afterwards"})

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Add @predict after @forward (and erase @forward with drop-forward)."""
        forward = defined_function(op, "forward")
        if forward is None:
            op.location.emit_error("edgeft-derive-predict: the module has no @forward")
            pass_.signal_pass_failure()
            return
        if function(op, "predict") is not None:
            op.location.emit_error("edgeft-derive-predict: the module has a @predict already")
            pass_.signal_pass_failure()
            return
        message = _derive(forward)
        if message is not None:
            forward.location.emit_error(f"edgeft-derive-predict: {message}")
            pass_.signal_pass_failure()
            return
        if self.drop_forward:
            forward.operation.erase()


def _derive(forward: ir.OpView) -> str | None:
    """Clone @forward into @predict and cut the loss off; the reason on failure."""
    block = forward.regions[0].blocks[0]
    if len(block.arguments) != 2:
        return f"@forward takes {len(block.arguments)} arguments; (x, y) expected"
    if logits_of(block) is None:
        return ("cannot find the logits in @forward (ops of the loss are located at 'loss' "
                "by edgeft import)")
    clone = forward.operation.clone(ip=ir.InsertionPoint.after(forward))
    clone.attributes["sym_name"] = ir.StringAttr.get("predict")
    block = clone.regions[0].blocks[0]
    logits = logits_of(block)
    for op in [o.operation for o in block.operations]:
        if op.name == "ml_program.global_store":
            op.erase()
    ret = block.operations[len(block.operations) - 1]
    with ir.InsertionPoint(ret), ret.location:
        ir.Operation.create("func.return", operands=[logits])
    ret.operation.erase()
    x_type = block.arguments[0].type
    # Remove the dead loss (its label gather asserts, so DCE keeps it), then
    # the labels argument nobody reads any more.
    erase_unused(block)
    if any(True for _ in block.arguments[1].uses):
        clone.erase()
        return "@predict still reads the labels after removing the loss"
    block.erase_argument(1)
    clone.attributes["function_type"] = ir.TypeAttr.get(
        ir.FunctionType.get([x_type], [logits.type]))
    return None
