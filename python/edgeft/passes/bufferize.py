"""edgeft-bufferize: upstream one-shot bufferization that keeps edgeft's global attributes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torch_mlir import ir, passmanager

from edgeft.ir import attrs, diagnostics
from edgeft.ir.queries import symbol_name
from edgeft.passes.base import EdgeftPass

# What the training passes say about a parameter global and later stages read.
CARRIED_ATTRS = (attrs.TRAINABLE, attrs.CACHE, attrs.ADAPTER_OF, attrs.STATE_OF)
UPSTREAM = ("one-shot-bufferize{bufferize-function-boundaries "
            "function-boundary-type-conversion=identity-layout-map},"
            "buffer-results-to-out-params{modify-public-functions}")


@dataclass(frozen=True)
class Bufferize(EdgeftPass):
    """Bufferize the module with upstream passes, keeping what edgeft marked on globals.

    Runs `one-shot-bufferize` (function boundaries too, identity layouts)
    and `buffer-results-to-out-params` as a nested pipeline: tensors become
    memrefs, results become out-parameters, `ml_program.global`s become
    `memref.global`s. Upstream drops the discardable attributes of the
    globals; this pass puts the edgeft ones (trainable, cache, adapter,
    optimizer state) back on the memref globals of the same name.

        ml_program.global private mutable @fc.weight(...) : tensor<10x84xf32> {edgeft.trainable}
        func.func @predict(%x: tensor<4x784xf32>) -> tensor<4x10xf32>
      becomes
        memref.global "private" @fc.weight : memref<10x84xf32> = ... {edgeft.trainable}
        func.func @predict(%x: memref<4x784xf32>, %out: memref<4x10xf32>)
    """

    argument: ClassVar[str] = "edgeft-bufferize"

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Run the upstream bufferization, then restore the carried attributes."""
        carried = {}
        for glob in op.regions[0].blocks[0].operations:
            if glob.operation.name == "ml_program.global":
                name = symbol_name(glob)
                kind = ir.TypeAttr(glob.attributes["type"]).value
                if not isinstance(kind, ir.ShapedType):
                    # upstream's bufferization of ml_program crashes on a scalar global
                    glob.location.emit_error(f"edgeft-bufferize: global '{name}' has type "
                                             f"{kind}; only tensor globals are bufferized")
                    pass_.signal_pass_failure()
                    return
                carried[name] = {a: glob.attributes[a] for a in CARRIED_ATTRS
                                 if a in glob.attributes}
        try:
            passmanager.PassManager.parse(f"builtin.module({UPSTREAM})").run(op)
        except ir.MLIRError as e:
            # Say it where upstream said it: at the op that did not bufferize.
            first = e.error_diagnostics[0] if e.error_diagnostics else None
            where = first.location if first is not None else op.location
            where.emit_error(f"edgeft-bufferize: {diagnostics.from_error(e)[0].message}")
            pass_.signal_pass_failure()
            return
        for glob in op.regions[0].blocks[0].operations:
            if glob.operation.name != "memref.global":
                continue
            for key, value in carried.get(symbol_name(glob),
                                          {}).items():
                glob.attributes[key] = value
