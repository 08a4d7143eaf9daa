"""4-bit NormalFloat (NF4) quantization as IR (METHODS.md, Forward cache).

A row of n floats is cut into blocks of `block` values (the last one may be
partial). Each block stores its absmax as an fp32 scale; each value becomes
the index of the code nearest to x / absmax (ties go to the lower index; an
all-zero block maps to the code 0.0). Two indices share a byte, the first
element in the high nibble; an odd row leaves the last low nibble 0.
Dequantized: CODES[index] * absmax.

The nearest code is found without a search: index = the number of
thresholds t_i below v, where t_i is the largest float32 not above the exact
midpoint of codes i and i+1. For a float32 v, `v > t_i` holds exactly when v
lies above that midpoint, so the result equals an exact argmin of |v - code|
(ties low), and every backend computing in IEEE float32 agrees bit for bit.

    codes, scales = quantize(rows, block=64)      # rows: tensor<B x n x f32>
    rows = dequantize(codes, scales, n, block=64, table=code_table(f32))
"""

from __future__ import annotations

import math

import numpy as np
from torch_mlir import ir
from torch_mlir.dialects import tensor

from edgeft.ir import builders as b

CODES = (-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
         -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
         0.07958029955625534, 0.16093020141124725, 0.24611230194568634,
         0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
         0.7229568362236023, 1.0)


def codes_f32() -> np.ndarray:
    """The 16 codes as the float32 values every backend multiplies by."""
    return np.array(CODES, dtype=np.float32)


def thresholds() -> np.ndarray:
    """t_i: the largest float32 not above the midpoint of codes i and i+1."""
    codes = codes_f32().astype(np.float64)
    out = []
    for low, high in zip(codes[:-1], codes[1:], strict=True):
        middle = (low + high) / 2  # exact: both are float32
        t = np.float32(middle)
        if float(t) > middle:
            t = np.nextafter(t, np.float32(-np.inf))
        out.append(t)
    return np.array(out, dtype=np.float32)


def row_layout(n: int, block: int) -> tuple[int, int]:
    """(code bytes, scales) of one row of n values."""
    return (n + 1) // 2, math.ceil(n / block)


def check_block(block: int) -> None:
    """Blocks are even (a byte never straddles two blocks) and at least 2."""
    if block < 2 or block % 2:
        raise ValueError(f"block must be an even number of at least 2, got {block}")


def _index_of(value: ir.Value, scale: ir.Value, limits: list[ir.Value],
              i32: ir.Type) -> ir.Value:
    """The code index of one value: the number of thresholds below value / scale."""
    f32 = value.type
    zero = b.scalar(0.0, f32)
    scaled = b.select(b.cmpf("ogt", scale, zero), b.arith("arith.divf", value, scale), zero)
    count = b.scalar(0, i32)
    for limit in limits:
        above = b.arith("arith.extui", b.cmpf("ogt", scaled, limit), result=i32)
        count = b.arith("arith.addi", count, above)
    return count


def quantize(rows: ir.Value, block: int) -> tuple[ir.Value, ir.Value]:
    """NF4 codes (B x bytes, i8) and absmax scales (B x blocks, f32) of B rows."""
    check_block(block)
    batch, n = b.shape_of(rows)
    f32 = b.element_of(rows)
    i8 = ir.IntegerType.get_signless(8)
    i32 = ir.IntegerType.get_signless(32)
    nbytes, nblocks = row_layout(n, block)
    padded_n = nblocks * block
    padded = rows
    if padded_n != n:
        pad = tensor.PadOp(b.tensor_type([batch, padded_n], f32), rows, [], [], [0, 0],
                           [0, padded_n - n])
        region_block = pad.regions[0].blocks.append(ir.IndexType.get(), ir.IndexType.get())
        with ir.InsertionPoint(region_block):
            tensor.YieldOp(b.scalar(0.0, f32))
        padded = pad.result
    blocks = tensor.ExpandShapeOp(b.tensor_type([batch, nblocks, block], f32), padded,
                                  _groups([[0], [1, 2]]), [], [batch, nblocks, block]).result
    d0, d1, d2 = (ir.AffineDimExpr.get(i) for i in range(3))
    scales = b.generic(
        [blocks], [b.filled([batch, nblocks], f32)],
        [b.identity(3), ir.AffineMap.get(3, 0, [d0, d1])],
        [b.PARALLEL, b.PARALLEL, b.REDUCTION],
        lambda args: [b.arith("arith.maximumf", args[1], b.arith("math.absf", args[0]))])[0]
    two = ir.AffineConstantExpr.get(2)
    e0, e1 = ir.AffineDimExpr.get(0), ir.AffineDimExpr.get(1)
    first = ir.AffineMap.get(2, 0, [e0, e1 * two])
    second = ir.AffineMap.get(2, 0, [e0, e1 * two + ir.AffineConstantExpr.get(1)])
    of_block = ir.AffineMap.get(2, 0, [e0, ir.AffineExpr.get_floor_div(e1, block // 2)])

    def pack(args: list[ir.Value]) -> list[ir.Value]:
        high_value, low_value, scale = args[:3]
        limits = [b.scalar(float(t), f32) for t in thresholds()]
        high = _index_of(high_value, scale, limits, i32)
        low = _index_of(low_value, scale, limits, i32)
        shifted = b.arith("arith.shli", high, b.scalar(4, i32))
        return [b.arith("arith.trunci", b.arith("arith.ori", shifted, low), result=i8)]

    codes = b.generic([padded, padded, scales], [b.empty([batch, nbytes], i8)],
                      [first, second, of_block, b.identity(2)], [b.PARALLEL, b.PARALLEL],
                      pack)[0]
    return codes, scales


def dequantize_element(byte: ir.Value, scale: ir.Value, odd: ir.Value,
                       table: ir.Value) -> ir.Value:
    """CODES[nibble] * scale inside a body: `odd` (i1) picks the low nibble.

    `table` is the tensor<16xf32> of codes (an arith.constant outside the body).
    """
    i32 = ir.IntegerType.get_signless(32)
    word = b.arith("arith.extui", byte, result=i32)
    high = b.arith("arith.shrui", word, b.scalar(4, i32))
    nibble = b.arith("arith.andi", b.select(odd, word, high), b.scalar(15, i32))
    index = b.arith("arith.index_cast", nibble, result=ir.IndexType.get())
    code = tensor.ExtractOp(table, [index]).result
    return b.arith("arith.mulf", code, scale)


def dequantize(codes: ir.Value, scales: ir.Value, n: int, block: int,
               table: ir.Value) -> ir.Value:
    """B rows of n floats from their codes (B x bytes) and scales (B x blocks):
    one generic reading value j's byte at column j / 2 and scale at j / block."""
    check_block(block)
    batch = b.shape_of(codes)[0]
    f32 = b.element_of(scales)
    e0, e1 = ir.AffineDimExpr.get(0), ir.AffineDimExpr.get(1)
    of_byte = ir.AffineMap.get(2, 0, [e0, ir.AffineExpr.get_floor_div(e1, 2)])
    of_block = ir.AffineMap.get(2, 0, [e0, ir.AffineExpr.get_floor_div(e1, block)])

    def body(args: list[ir.Value]) -> list[ir.Value]:
        two = b.scalar(2, ir.IndexType.get())
        odd = b.arith("arith.index_cast", b.arith("arith.remui", b.loop_index(1), two),
                      result=ir.IntegerType.get_signless(1))
        return [dequantize_element(args[0], args[1], odd, table)]

    return b.generic([codes, scales], [b.empty([batch, n], f32)],
                     [of_byte, of_block, b.identity(2)], [b.PARALLEL, b.PARALLEL], body)[0]


def code_table(f32: ir.Type) -> ir.Value:
    """tensor<16xf32> of the codes, as an arith.constant."""
    t = b.tensor_type([16], f32)
    attr = ir.DenseElementsAttr.get(codes_f32(), type=t)
    return ir.Operation.create("arith.constant", results=[t], attributes={"value": attr}).result


def _groups(groups: list[list[int]]) -> ir.ArrayAttr:
    i64 = ir.IntegerType.get_signless(64)
    return ir.ArrayAttr.get([ir.ArrayAttr.get([ir.IntegerAttr.get(i64, d) for d in g])
                             for g in groups])

