"""edgeft-copies-to-kernels: buffer copies become linalg.generic copies, tiled like any op."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torch_mlir import ir
from torch_mlir.dialects import linalg

from edgeft.ir import attrs
from edgeft.ir import builders as b
from edgeft.ir.queries import functions, nested, producer, root_buffer
from edgeft.passes.base import EdgeftPass


@dataclass(frozen=True)
class CopiesToKernels(EdgeftPass):
    """Turn every `memref.copy` between two buffers that are not globals into
    the linalg.generic that copies element for element (identity maps,
    parallel loops, marked `edgeft.copy`), so that edgeft-tile and
    edgeft-promote treat it as any elementwise op: its tiles are brought into
    L1 by DMA and written back by DMA, and edgeft-promote, seeing the mark,
    gives the input and output tile one L1 buffer and drops the generic, so
    the DMA alone moves the copy and no core works on it. Left as
    memref.copy, the copies bufferization makes (a padded input's interior, an
    inserted slice, a result written to its out-parameter) run on one core
    that loads and stores every word of L2 or L3 itself, 2.5 to 3 cycles a
    byte on the cluster. Copies from or to a global, or from or to a buffer
    that is copied from or to a global, stay: they are the ones
    edgeft-write-globals-in-place removes, whose buffer can become the global
    (in L3, which the cores cannot address); so do copies of views whose
    offset or strides are known only at run time (rows picked in a loop),
    which the tiling does not take.

        memref.copy %a, %v : memref<1x64x32x32xf32> to memref<..., strided<...>>
      becomes
        linalg.generic {identity maps, parallel} ins(%a) outs(%v) { linalg.yield %in }
            {edgeft.copy}

    Runs on buffers, before edgeft-tile; a copy is the same values whether a
    core or a DMA moves them, so the numbers do not change.
    """

    argument: ClassVar[str] = "edgeft-copies-to-kernels"

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Rewrite every copy between non-global buffers, in every function."""
        for func in functions(op):
            copies = nested(func.operation, "memref.copy")
            # buffers that are a private copy of a global (copied from or to one):
            # edgeft-write-globals-in-place may make them the global itself
            private = {root_buffer(v) for c in copies if any(_is_global(v) for v in c.operands)
                       for v in c.operands}
            for copy in copies:
                if any(_is_global(v) or root_buffer(v) in private or not _static(v)
                       for v in copy.operands):
                    continue
                _to_generic(copy)


def _is_global(value: ir.Value) -> bool:
    owner = producer(root_buffer(value))
    return owner is not None and owner.name == "memref.get_global"


def _static(value: ir.Value) -> bool:
    """A static shape, offset and strides: what edgeft-tile and edgeft-promote take."""
    t = ir.MemRefType(value.type)
    if not t.has_static_shape:
        return False
    strides, offset = t.get_strides_and_offset()
    return all(not t.is_dynamic_stride_or_offset(x) for x in [*strides, offset])


def _to_generic(copy: ir.Operation) -> None:
    source, target = copy.operands
    rank = ir.MemRefType(source.type).rank
    maps = [b.identity(rank)] * 2
    with ir.InsertionPoint(copy), copy.location:
        op = linalg.GenericOp(result_tensors=[], inputs=[source], outputs=[target],
                              indexing_maps=b.maps_attr(maps),
                              iterator_types=b.iterator_attr(["parallel"] * rank))
        block = op.regions[0].blocks.append(ir.MemRefType(source.type).element_type,
                                            ir.MemRefType(target.type).element_type)
        with ir.InsertionPoint(block):
            linalg.YieldOp([block.arguments[0]])
        op.operation.attributes[attrs.COPY] = ir.UnitAttr.get()
    copy.erase()
