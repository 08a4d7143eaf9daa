"""edgeft-param-summary: the table of a module's parameter globals."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from torch_mlir import ir

from edgeft.ir import attrs
from edgeft.ir.queries import symbol_name
from edgeft.passes.base import EdgeftPass

TRAINABLE_ATTR = attrs.TRAINABLE


@dataclass(frozen=True)
class ParamInfo:
    """One parameter global as the reports see it."""

    name: str
    layer: str
    role: str
    shape: tuple[int, ...]
    bytes: int
    trainable: bool

    @property
    def count(self) -> int:
        """The number of elements of the parameter."""
        n = 1
        for d in self.shape:
            n *= d
        return n


def collect_params(module: ir.Operation) -> list[ParamInfo] | None:
    """Every `ml_program.global` of `module`, in module order.

    Returns None after emitting an error at a global whose type is not a
    statically shaped tensor (its size cannot be planned).
    """
    params = []
    for op in module.regions[0].blocks[0].operations:
        if op.operation.name != "ml_program.global":
            continue
        name = symbol_name(op)
        t = ir.TypeAttr(op.attributes["type"]).value
        if not isinstance(t, ir.RankedTensorType) or not ir.RankedTensorType(t).has_static_shape:
            op.location.emit_error(f"parameter global '{name}' has type {t}; "
                                   "a statically shaped tensor is needed to size it")
            return None
        tensor = ir.RankedTensorType(t)
        layer, _, leaf = name.rpartition(".")
        element_bits = tensor.element_type.width
        count = 1
        for d in tensor.shape:
            count *= d
        params.append(ParamInfo(
            name=name,
            layer=layer or name,
            role="bias" if leaf == "bias" else "weight",
            shape=tuple(tensor.shape),
            bytes=count * element_bits // 8,
            trainable=TRAINABLE_ATTR in op.attributes,
        ))
    return params


def summary_json(params: list[ParamInfo]) -> dict[str, Any]:
    """The summary as a JSON-ready dict (report.json's parameter counts)."""
    return {
        "globals": [
            {"name": p.name, "layer": p.layer, "role": p.role, "shape": list(p.shape),
             "params": p.count, "bytes": p.bytes, "trainable": p.trainable}
            for p in params
        ],
        "total_params": sum(p.count for p in params),
        "total_bytes": sum(p.bytes for p in params),
        "trainable_params": sum(p.count for p in params if p.trainable),
        "trainable_bytes": sum(p.bytes for p in params if p.trainable),
    }


def summary_table(params: list[ParamInfo]) -> str:
    """The summary as an aligned text table with a totals line."""
    header = ("name", "layer", "role", "shape", "params", "bytes", "trainable")
    rows = [header] + [
        (p.name, p.layer, p.role, "x".join(map(str, p.shape)) or "scalar", str(p.count),
         str(p.bytes), "yes" if p.trainable else "no")
        for p in params
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    totals = summary_json(params)
    lines.append(
        f"total: {len(params)} globals, {totals['total_params']} params, "
        f"{totals['total_bytes']} bytes; trainable: {totals['trainable_params']} params, "
        f"{totals['trainable_bytes']} bytes"
    )
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ParamSummary(EdgeftPass):
    """Print the table of parameter globals: name, layer, role, shape, bytes, trainable.

    An analysis: the IR is left unchanged. The layer is the global's name
    without its last component, the role is `bias` for `*.bias` and `weight`
    otherwise, and a global is trainable when it carries `edgeft.trainable`.

        ml_program.global private mutable @"fc1.weight"(dense<...> : tensor<16x8xf32>)
            : tensor<16x8xf32> {edgeft.trainable}

    prints

        name        layer  role    shape  params  bytes  trainable
        fc1.weight  fc1    weight  16x8   128     512    yes
        total: 1 globals, 128 params, 512 bytes; trainable: 128 params, 512 bytes
    """

    argument: ClassVar[str] = "edgeft-param-summary"

    output: str = field(default="-", metadata={"help": "file to write to; '-' is stdout"})
    format: Literal["table", "json"] = field(default="table",
                                             metadata={"help": "text table or JSON"})

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Print the table (or JSON) of the module's parameter globals."""
        params = collect_params(op)
        if params is None:
            pass_.signal_pass_failure()
            return
        if self.format == "json":
            text = json.dumps(summary_json(params), indent=2) + "\n"
        else:
            text = summary_table(params)
        if self.output == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
            return
        try:
            with open(self.output, "w") as f:
                f.write(text)
        except OSError as e:
            op.location.emit_error(f"edgeft-param-summary cannot write '{self.output}': "
                                   f"{e.strerror}")
            pass_.signal_pass_failure()
