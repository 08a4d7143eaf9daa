"""edgeft-inject-skip-lora: adapters from every layer's input to the logits."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from torch_mlir import ir
from torch_mlir.dialects import ml_program

from edgeft.ir import builders as b
from edgeft.ir.graph import (
    add_global,
    globals_of,
    layer_of,
    logits_of,
    redirect,
    unit_inputs,
    users,
)
from edgeft.passes.base import MAX_RANK, EdgeftPass, Range, defined_function, option, seed_option
from edgeft.passes.inject_lora import ADAPTER_OF_ATTR
from edgeft.passes.param_summary import TRAINABLE_ATTR
from edgeft.training.structure import Structure, module_structure

SKIP_PREFIX = "skip_lora"


@dataclass(frozen=True)
class Tap:
    """An activation x^i that feeds an adapter, and how it is vectorised."""

    unit: str
    value: ir.Value
    pooled: bool  # mean over tokens (transformer activations) instead of flattening


def taps(block: ir.Block, structure: Structure, batch: int) -> list[Tap] | str:
    """x^0 .. x^{L-1}: the activation entering each unit (or why one is missing)."""
    prefixes = [[unit.name] if unit in structure.blocks else [layer.name for layer in unit.layers]
                for unit in structure.units]
    entering = unit_inputs(block, prefixes[1:], batch)
    # x^0 is the network's input, even when the first layer reads a view of it
    found = [Tap(structure.units[0].name, block.arguments[0], False)]
    for unit, value in zip(structure.units[1:], entering, strict=True):
        if value is None:
            return f"no activation enters unit '{unit.name}'"
        pooled = structure.is_transformer and len(b.shape_of(value)) == 3
        found.append(Tap(unit.name, value, pooled))
    return found


def model_output(block: ir.Block, structure: Structure, batch: int) -> ir.Value | str:
    """x^L: the (batch, classes) output the loss reads, whatever the head (a
    linear, or a convolution followed by pooling); without a loss located by
    the import, the result of the head layer's last op, if it has that shape."""
    logits = logits_of(block)
    if logits is not None:
        return logits
    head = structure.head.name
    last = None
    for op in block.operations:
        op = op.operation
        if layer_of(op) == head and op.results:
            last = op
    if last is None:
        return f"no op of the head layer '{head}' was found"
    shape = b.shape_of(last.results[0]) if isinstance(last.results[0].type,
                                                      ir.RankedTensorType) else []
    if len(shape) != 2 or shape[0] != batch:
        return (f"the head layer '{head}' ends in {last.name} of shape {shape}, not "
                f"(batch, classes) logits, and no op located at the loss reads the logits")
    return last.results[0]


def _unfit_forward(forward: ir.OpView, name: str, structure: Structure) -> str | None:
    """Why the adapters cannot go into `forward`: no parameters, no input batch."""
    if not structure.layers:
        return "the module has no parameter global, so there is no network to adapt"
    arguments = forward.regions[0].blocks[0].arguments
    if not arguments or not isinstance(arguments[0].type, ir.RankedTensorType) \
            or ir.RankedTensorType(arguments[0].type).rank < 1 \
            or not ir.RankedTensorType(arguments[0].type).has_static_shape:
        return (f"@{name}'s first argument must be the input batch, "
                "a statically shaped tensor (batch, ...)")
    return None


@dataclass(frozen=True)
class InjectSkipLora(EdgeftPass):
    """Add Skip-LoRA adapters `x^L += sum_i B_i A_i vec(x^i)` and freeze the network.

    x^0 is the network's input; x^1 .. x^{L-1} are the activations entering
    the later units: the input of every layer of a CNN or MLP (conv
    activations flattened), and for a transformer the tokenizer output and
    each block's output (the input of the next block or of the head
    section), averaged over tokens so that every tap is `width` wide. x^L is
    the (batch, classes) output the loss reads, whatever the head (a linear,
    or a 1x1 conv followed by pooling as in SqueezeNet). A_i (r x |x^i|) is
    Gaussian with std 1/sqrt(|x^i|) from `seed`, B_i (classes x r) is zero;
    both are trainable globals `skip_lora.<i>.lora_A/B`. Every parameter of
    the base network is frozen, so no activation gradient crosses it.

        %logits = <head>
      becomes
        %a0 = linalg.matmul ins(%x0, %A0T) ...
        %l1 = linalg.matmul ins(%a0, %B0T) outs(%logits)
        ...
    """

    argument: ClassVar[str] = "edgeft-inject-skip-lora"

    rank: int = option(4, "adapter rank r", Range(1, MAX_RANK))
    seed: int = seed_option("seed of the Gaussian A matrices")
    function: str = field(default="forward", metadata={"help": "function to rewrite"})

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Add the skip adapters to the forward and freeze its parameters, or say why not."""
        forward = defined_function(op, self.function)
        if forward is None:
            op.location.emit_error(f"edgeft-inject-skip-lora: no function @{self.function}")
            pass_.signal_pass_failure()
            return
        structure = module_structure(op)
        problem = _unfit_forward(forward, self.function, structure)
        if problem:
            forward.location.emit_error(f"edgeft-inject-skip-lora: {problem}")
            pass_.signal_pass_failure()
            return
        block = forward.regions[0].blocks[0]
        batch = b.shape_of(block.arguments[0])[0]
        logits = model_output(block, structure, batch)
        found = taps(block, structure, batch)
        for problem in (logits, found):
            if isinstance(problem, str):
                forward.location.emit_error(f"edgeft-inject-skip-lora: {problem}")
                pass_.signal_pass_failure()
                return
        with op.context:
            self._inject(op, block, structure, logits, found)

    def _inject(self, module: ir.Operation, block: ir.Block, structure: Structure,
                logits: ir.Value, found: list[Tap]) -> None:
        params = globals_of(module)
        for glob in params.values():
            if TRAINABLE_ATTR in glob.attributes:
                del glob.attributes[TRAINABLE_ATTR]
        classes = b.shape_of(logits)[1]
        element = b.element_of(logits)
        old_users = users(logits)
        anchor = params[structure.head.params[-1]]
        producer = logits.owner.operation
        total = logits
        for i, tap in enumerate(found):
            width = b.shape_of(tap.value)[2] if tap.pooled else \
                math.prod(b.shape_of(tap.value)[1:])
            rng = np.random.default_rng([self.seed, i])
            a_value = rng.standard_normal((self.rank, width)) / math.sqrt(width)
            a_value = a_value.astype(np.float32)
            tag = {TRAINABLE_ATTR: ir.UnitAttr.get(),
                   ADAPTER_OF_ATTR: ir.StringAttr.get(f"input of {tap.unit}")}
            a_name, b_name = f"{SKIP_PREFIX}.{i}.lora_A", f"{SKIP_PREFIX}.{i}.lora_B"
            anchor = add_global(module, anchor, a_name, ir.DenseElementsAttr.get(a_value), tag,
                                anchor.location)
            anchor = add_global(module, anchor, b_name,
                                ir.DenseElementsAttr.get(np.zeros((classes, self.rank),
                                                                  np.float32)),
                                tag, anchor.location)
            with ir.InsertionPoint.after(total.owner.operation if total != logits else producer), \
                    ir.Location.name(f"{SKIP_PREFIX}.{i}"):
                x = _vectorise(tap)
                a = _load(a_name, [self.rank, width], element)
                bb = _load(b_name, [classes, self.rank], element)
                ax = b.matmul(x, b.transpose(a, [1, 0]),
                              b.filled([b.shape_of(x)[0], self.rank], element))
                total = b.matmul(ax, b.transpose(bb, [1, 0]), total)
        redirect(old_users, logits, total)


def _load(name: str, shape: list[int], element: ir.Type) -> ir.Value:
    t = b.tensor_type(shape, element)
    return ml_program.GlobalLoadOp(t, ir.FlatSymbolRefAttr.get(name)).result


def _vectorise(tap: Tap) -> ir.Value:
    """vec(x^i): flattened, or for token activations the mean over tokens."""
    shape = b.shape_of(tap.value)
    if not tap.pooled:
        return b.reshape_to(tap.value, [shape[0], math.prod(shape[1:])])
    batch, tokens, width = shape
    element = b.element_of(tap.value)
    d = ir.AffineExpr.get_dim
    source = ir.AffineMap.get(3, 0, [d(0), d(1), d(2)])
    target = ir.AffineMap.get(3, 0, [d(0), d(2)])
    inv = 1.0 / tokens

    def body(args: list[ir.Value]) -> list[ir.Value]:
        scaled = b.arith("arith.mulf", args[0], b.scalar(inv, element))
        return [b.arith("arith.addf", args[1], scaled)]

    return b.generic([tap.value], [b.filled([batch, width], element)], [source, target],
                     [b.PARALLEL, b.REDUCTION, b.PARALLEL], body)[0]
