"""Sizes of types: element bytes, buffer bytes and the alignment of planned buffers."""

from __future__ import annotations

import math

from torch_mlir import ir

ALIGN = 64  # bytes: every planned buffer starts on a cache-line / DMA-friendly boundary


def element_bytes(t: ir.Type) -> int:
    """Bytes of one element: i1 takes a byte, index eight (as C's long on the hosts)."""
    if isinstance(t, ir.IndexType):
        return 8
    if isinstance(t, ir.FloatType):
        return max(1, ir.FloatType(t).width // 8)
    return max(1, ir.IntegerType(t).width // 8)


def shaped_bytes(t: ir.Type) -> int:
    """Bytes of a statically shaped memref or tensor."""
    shaped = ir.ShapedType(t)
    return math.prod(shaped.shape) * element_bytes(shaped.element_type)


def align(n: int, alignment: int = ALIGN) -> int:
    """`n` rounded up to a multiple of `alignment`."""
    return (n + alignment - 1) // alignment * alignment
