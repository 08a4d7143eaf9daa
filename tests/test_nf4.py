"""NF4 quantization as IR (edgeft.training.nf4) against a numpy reference, bit for bit.

The reference follows METHODS.md literally: blocks of `block` values, fp32
absmax per block, the index of the nearest code to x / absmax (an exact
argmin in float64 over the float32 codes, ties to the lower index), two
indices per byte with the first in the high nibble. Codes and scales must be
identical, not close: every backend computes x / absmax in IEEE float32.
"""

from __future__ import annotations

import numpy as np
import pytest
from torch_mlir import ir
from torch_mlir.dialects import func

from edgeft.backends.executor import Executable
from edgeft.ir import builders as b
from edgeft.ir.context import make_context
from edgeft.training import nf4

# The codebook as METHODS.md writes it (checked against edgeft.training.nf4.CODES).
METHODS_CODES = [
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
    -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
    0.07958029955625534, 0.16093020141124725, 0.24611230194568634,
    0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
    0.7229568362236023, 1.0,
]
CODES = np.array(METHODS_CODES, dtype=np.float32)


def reference(rows: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """(codes as int8, scales as float32) of each row."""
    batch, n = rows.shape
    blocks = -(-n // block)
    padded = np.zeros((batch, blocks * block), np.float32)
    padded[:, :n] = rows
    scales = np.abs(padded.reshape(batch, blocks, block)).max(axis=2).astype(np.float32)
    per_value = np.repeat(scales, block, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(per_value > 0, padded / per_value, np.float32(0)).astype(np.float32)
    distance = np.abs(scaled.astype(np.float64)[..., None] - CODES.astype(np.float64))
    index = distance.argmin(axis=-1)  # the first of equal distances: ties go low
    nbytes = (n + 1) // 2
    # An odd row's last low nibble encodes the zero it was padded with (code 7).
    high, low = index[:, 0:2 * nbytes:2], index[:, 1:2 * nbytes:2]
    packed = ((high << 4) | low).astype(np.uint8).view(np.int8)
    return packed, scales


def dequantize_reference(codes: np.ndarray, scales: np.ndarray, n: int,
                         block: int) -> np.ndarray:
    raw = codes.view(np.uint8).astype(np.int64)
    index = np.stack([raw >> 4, raw & 15], axis=-1).reshape(len(raw), -1)[:, :n]
    return CODES[index] * np.repeat(scales, block, axis=1)[:, :n]


_EXECUTABLES: dict[tuple[int, int, int], Executable] = {}


def roundtrip(rows: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes, scales and dequantized values computed by the IR (reference executor)."""
    key = (*rows.shape, block)
    if key not in _EXECUTABLES:
        _EXECUTABLES[key] = Executable(_module(rows.shape[0], rows.shape[1], block))
    return tuple(_EXECUTABLES[key].call("roundtrip", rows.astype(np.float32)))


def _module(batch: int, n: int, block: int) -> ir.Module:
    context = make_context()
    with context, ir.Location.unknown():
        module = ir.Module.create()
        f32 = ir.F32Type.get()
        with ir.InsertionPoint(module.body):
            @func.FuncOp.from_py_func(b.tensor_type([batch, n], f32), name="roundtrip")
            def roundtrip_ir(rows):
                codes, scales = nf4.quantize(rows, block)
                table = nf4.code_table(f32)
                return codes, scales, nf4.dequantize(codes, scales, n, block, table)
        module.operation.verify()
    return module


def test_codebook_is_the_one_of_methods() -> None:
    assert nf4.codes_f32().tolist() == CODES.tolist()
    # Each threshold separates its two codes and is the float32 just below or
    # at their midpoint.
    for i, t in enumerate(nf4.thresholds()):
        middle = (float(CODES[i]) + float(CODES[i + 1])) / 2
        assert float(t) <= middle < float(np.nextafter(t, np.float32(np.inf)))


@pytest.mark.parametrize("batch, n, block", [(3, 130, 64), (2, 7, 4), (4, 64, 64), (1, 1, 2)])
def test_random_rows_are_bit_exact(batch: int, n: int, block: int) -> None:
    rows = np.random.default_rng(n).normal(0, 3, (batch, n)).astype(np.float32)
    codes, scales, values = roundtrip(rows, block)
    expected_codes, expected_scales = reference(rows, block)
    np.testing.assert_array_equal(codes, expected_codes)
    np.testing.assert_array_equal(scales, expected_scales)
    np.testing.assert_array_equal(values, dequantize_reference(codes, scales, n, block))


def test_zero_negative_and_partial_blocks() -> None:
    # Row 0: a block of zeros, then a partial block of 2 values.
    # Row 1: a block of negative values only (its absmax maps to code -1.0).
    # Row 2: mixed signs with an exact zero and a single positive maximum.
    rng = np.random.default_rng(1)
    rows = np.zeros((3, 66), np.float32)
    rows[0, 64:] = [0.5, -0.25]
    rows[1] = -np.abs(rng.normal(size=66)).astype(np.float32) - 0.01
    rows[2] = rng.normal(size=66).astype(np.float32)
    rows[2, 3] = 0.0
    rows[2, 10] = 7.0
    codes, scales, values = roundtrip(rows, 64)
    expected_codes, expected_scales = reference(rows, 64)
    np.testing.assert_array_equal(codes, expected_codes)
    np.testing.assert_array_equal(scales, expected_scales)
    assert scales[0, 0] == 0 and np.all(values[0, :64] == 0)
    raw = codes.view(np.uint8)
    assert np.all(raw[0, :32] == 0x77)  # code 7 is 0.0, in both nibbles
    assert raw[0, 32] == (15 << 4) | 2   # 0.5 / 0.5 -> 1.0 (15); -0.5 -> -0.525 (2)
    assert np.all(values[1] <= 0) and values[1].min() == rows[1].min()  # -absmax exact
    assert values[2, 10] == 7.0 and values[2, 3] == 0.0


def test_ties_and_codes_land_on_the_lower_or_exact_code() -> None:
    # x / absmax lands exactly on a code (absmax 1) or on float32 values
    # around a midpoint: ties go to the lower code, as the argmin does.
    middles = (CODES[:-1].astype(np.float64) + CODES[1:]) / 2
    near = [np.float32(m) for m in middles] + \
        [np.nextafter(np.float32(m), np.float32(-2)) for m in middles] + \
        [np.nextafter(np.float32(m), np.float32(2)) for m in middles]
    values = np.array(list(CODES) + near, np.float32)
    rows = np.zeros((1, 64 * 2), np.float32)
    rows[0, :len(values)] = values
    rows[0, -1] = 1.0  # second block: absmax 1
    rows[0, 63] = 1.0  # first block: absmax 1
    codes, scales, _ = roundtrip(rows, 64)
    expected_codes, expected_scales = reference(rows, 64)
    np.testing.assert_array_equal(codes, expected_codes)
    np.testing.assert_array_equal(scales, expected_scales)
    index = np.stack([codes.view(np.uint8) >> 4, codes.view(np.uint8) & 15], -1).ravel()
    assert index[:16].tolist() == list(range(16))  # each code maps to itself
