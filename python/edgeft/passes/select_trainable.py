"""edgeft-select-trainable: mark the globals a fine-tuning strategy trains."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from torch_mlir import ir

from edgeft.ir.queries import symbol_name
from edgeft.passes.base import COUNT_MAX, EdgeftPass, Range, option
from edgeft.passes.param_summary import TRAINABLE_ATTR
from edgeft.training import strategies
from edgeft.training.structure import Structure, module_structure


def parse_strategy(strategy: str, k: int) -> tuple[str, int]:
    """`ft-2` -> ("ft-k", 2); other ft strategies pass through. Raises ValueError."""
    try:
        parsed = strategies.parse(strategy)
    except ValueError:
        parsed = None
    if parsed is None or parsed.family != "ft":
        raise ValueError(f"unknown strategy '{strategy}' (known: ft-all, ft-last, ft-bias, lp, "
                         "ft-k with k=N, or ft-N)")
    if parsed.kind == "ft-k" and parsed.k:
        return "ft-k", parsed.k
    if parsed.kind == "ft-k" and k < 1:
        raise ValueError("strategy ft-k needs k=N with N >= 1")
    return parsed.kind, k


def select(structure: Structure, strategy: str, k: int = 0) -> list[str]:
    """The parameter names a strategy trains (METHODS.md, Fine-tuning strategies)."""
    strategy, k = parse_strategy(strategy, k)
    if strategy == "ft-all":
        return [p for layer in structure.layers for p in layer.params]
    if strategy in ("ft-last", "lp"):
        return list(structure.head.params)
    if strategy == "ft-bias":
        return [p for layer in structure.layers for p in layer.params if p.endswith(".bias")]
    if k > structure.countable:
        what = "blocks" if structure.is_transformer else "layers before the head"
        raise SelectionError(f"ft-{k} asks for the last {k} {what}, the model has "
                             f"{structure.countable}")
    units = structure.last_units(k) + [structure.head_section]
    return [p for unit in units for p in unit.params]


class SelectionError(Exception):
    """A strategy that does not fit the model."""


@dataclass(frozen=True)
class SelectTrainable(EdgeftPass):
    """Mark the parameter globals that a strategy trains with `edgeft.trainable`.

    Strategies (METHODS.md): `ft-all` every parameter; `ft-last` and `lp` the
    last layer (the classifier head); `ft-bias` every bias; `ft-k` (or `ft-N`)
    the last k blocks of a transformer, or the last k layers before the head
    of a CNN, in full, plus the head (for a transformer, with the final norm
    and pooling between the last block and the classifier). The model's
    layers are read from the parameter names (see `edgeft.training.structure`). Every
    other parameter is frozen (the attribute is removed). Buffers (globals
    with `edgeft.buffer`: BatchNorm running statistics) are no parameters
    and never train. A strategy that selects nothing is an error.

        ml_program.global private mutable @"fc3.weight"(...) : tensor<10x84xf32>
      with strategy=ft-last becomes
        ml_program.global private mutable @"fc3.weight"(...) : tensor<10x84xf32> {edgeft.trainable}
    """

    argument: ClassVar[str] = "edgeft-select-trainable"

    strategy: str = field(default="ft-all", metadata={
        "help": "ft-all, ft-last, ft-bias, lp, ft-k (with k), or ft-N"})
    k: int = option(0, "blocks or layers for ft-k", Range(1, COUNT_MAX, zero="none given"))

    def __post_init__(self) -> None:
        super().__post_init__()
        parse_strategy(self.strategy, self.k)

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Mark the parameters the strategy trains, or say why the strategy does not apply."""
        structure = module_structure(op)
        if not structure.layers:
            op.location.emit_error(f"edgeft-select-trainable: the module has no parameter "
                                   f"global, so strategy '{self.strategy}' has no layer to train")
            pass_.signal_pass_failure()
            return
        try:
            chosen = set(select(structure, self.strategy, self.k))
        except SelectionError as e:
            op.location.emit_error(f"edgeft-select-trainable: {e}")
            pass_.signal_pass_failure()
            return
        if not chosen:
            op.location.emit_error(f"edgeft-select-trainable: strategy '{self.strategy}' "
                                   "selects no parameter of this model")
            pass_.signal_pass_failure()
            return
        params = {p for layer in structure.layers for p in layer.params}
        for glob in op.regions[0].blocks[0].operations:
            if glob.operation.name != "ml_program.global":
                continue
            name = symbol_name(glob)
            if name not in params:
                continue
            if name in chosen:
                glob.attributes[TRAINABLE_ATTR] = ir.UnitAttr.get()
            elif TRAINABLE_ATTR in glob.attributes:
                del glob.attributes[TRAINABLE_ATTR]
