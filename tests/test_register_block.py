"""edgeft-register-block's sliding window for scatters and its host vector blocks: the same
bits as the plain loops."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
from torch_mlir import ir, passmanager
from torch_mlir.execution_engine import ExecutionEngine
from torch_mlir.runtime import np_to_memref

from edgeft.backends.executor import LOWER_TO_LLVM
from edgeft.ir.context import make_context
from edgeft.passes.register_block import RegisterBlock

# A convolution's input gradient as autodiff builds it: loops n, f, oh, ow, c,
# kh, kw; dx[n, c, oh + kh, ow + kw] += dy[n, f, oh, ow] * w[f, c, kh, kw].
CONV_INPUT_GRADIENT = """
#w = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
#dy = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
#dx = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d2 + d5, d3 + d6)>
func.func @grad(%w: memref<{W}xf32>, %dy: memref<{DY}xf32>, %dx: memref<{DX}xf32>)
    attributes {{llvm.emit_c_interface}} {{
  linalg.generic {{indexing_maps = [#w, #dy, #dx], iterator_types = ["parallel", "reduction",
      "reduction", "reduction", "parallel", "reduction", "reduction"]}}
      ins(%w, %dy : memref<{W}xf32>, memref<{DY}xf32>) outs(%dx : memref<{DX}xf32>) {{
  ^bb0(%k: f32, %g: f32, %acc: f32):
    %m = arith.mulf %g, %k : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }}
  return
}}
"""


def _run(source: str, blocked: bool, arrays: list[np.ndarray],
         block: RegisterBlock | None = None, lowering: str = LOWER_TO_LLVM) -> np.ndarray:
    """@grad JIT-compiled, with or without edgeft-register-block (`block`, by
    default its defaults) first; the output it leaves."""
    with make_context():
        module = ir.Module.parse(source)
        if blocked:
            pm = passmanager.PassManager()
            pm.add(block or RegisterBlock())
            pm.run(module.operation)
            assert "linalg.generic" not in str(module)  # the blocks took the op
        passmanager.PassManager.parse(lowering).run(module.operation)
        engine = ExecutionEngine(module, opt_level=0)
        copies = [a.copy() for a in arrays]
        engine.invoke("grad", *[ctypes.pointer(ctypes.pointer(
            np_to_memref.get_ranked_memref_descriptor(a))) for a in copies])
        return copies[-1]


@pytest.mark.parametrize("n, f, c, oh, ow, kh, kw, extra", [
    (2, 3, 2, 6, 6, 5, 5, 0),   # lenet5's conv2 in small
    (1, 2, 3, 4, 5, 2, 3, 0),   # a window narrower than its row
    (1, 2, 1, 3, 2, 3, 4, 2),   # more window than steps; dx wider than the op writes
])
def test_sliding_window_equals_the_plain_loops_bit_for_bit(n: int, f: int, c: int, oh: int,
                                                            ow: int, kh: int, kw: int,
                                                            extra: int) -> None:
    """Each dx element takes its products in the same order (f, oh, ow), so the
    blocked and the plain loops give the same float32 bits; the data spans
    decades so that another order would round differently (checked below)."""
    shapes = {"W": (f, c, kh, kw), "DY": (n, f, oh, ow),
              "DX": (n, c, oh + kh - 1, ow + kw - 1 + extra)}
    source = CONV_INPUT_GRADIENT.format(**{k: "x".join(map(str, s)) for k, s in shapes.items()})
    rng = np.random.default_rng(7)
    arrays = [(rng.standard_normal(shapes[k]) * 10.0 ** rng.integers(-3, 4, shapes[k]))
              .astype(np.float32) for k in ("W", "DY", "DX")]
    plain = _run(source, False, arrays)
    blocked = _run(source, True, arrays)
    np.testing.assert_array_equal(blocked.view(np.uint32), plain.view(np.uint32))
    # the same products summed f last instead of first: other bits somewhere
    reordered = arrays[2].copy()
    for fi in reversed(range(f)):
        for y in range(oh):
            for x in range(ow):
                for i in range(kh):
                    for j in range(kw):
                        reordered[:, :, y + i, x + j] += arrays[1][:, fi, y, x, None] * \
                            arrays[0][fi, :, i, j]
    assert f == 1 or not np.array_equal(reordered, plain)


# A convolution as linalg generalizes it: loops n, f, oh, ow, c, kh, kw.
CONV = """
#x = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d2 + d5, d3 + d6)>
#w = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
#y = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
func.func @grad(%x: memref<{X}xf32>, %w: memref<{W}xf32>, %y: memref<{Y}xf32>)
    attributes {{llvm.emit_c_interface}} {{
  linalg.generic {{indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel",
      "parallel", "parallel", "reduction", "reduction", "reduction"]}}
      ins(%x, %w : memref<{X}xf32>, memref<{W}xf32>) outs(%y : memref<{Y}xf32>) {{
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }}
  return
}}
"""
# the JIT's lowering with the vector dialect's conversion
LOWER_VECTORS = LOWER_TO_LLVM.replace("lower-affine,", "lower-affine,convert-vector-to-llvm,")


@pytest.mark.parametrize("vectors", [1, 2])
@pytest.mark.parametrize("n, f, c, oh, ow, kh, kw", [
    (2, 16, 6, 10, 10, 5, 5),   # lenet5's conv2: vectors at columns 0 and 2
    (1, 3, 2, 4, 28, 5, 5),     # conv1's rows: vectors at 0, 8, 16, 20
    (2, 2, 3, 3, 5, 2, 1),      # 5 columns: vectors of 4 at 0 and 1
    (1, 2, 2, 2, 36, 3, 3),     # 36 columns: whole blocks, then one ending at column 35
])
def test_vector_blocks_equal_the_plain_loops_bit_for_bit(n: int, f: int, c: int, oh: int,
                                                          ow: int, kh: int, kw: int,
                                                          vectors: int) -> None:
    """The host's vector blocks (vector=8) sum each output element in its order,
    lane by lane: the same float32 bits as the plain loops, on data spanning
    decades (another order would round differently)."""
    shapes = {"X": (n, c, oh + kh - 1, ow + kw - 1), "W": (f, c, kh, kw), "Y": (n, f, oh, ow)}
    source = CONV.format(**{k: "x".join(map(str, s)) for k, s in shapes.items()})
    rng = np.random.default_rng(11)
    arrays = [(rng.standard_normal(shapes[k]) * 10.0 ** rng.integers(-3, 4, shapes[k]))
              .astype(np.float32) for k in ("X", "W", "Y")]
    lanes = 8 if ow >= 8 else 4
    with make_context():
        module = ir.Module.parse(source)
        pm = passmanager.PassManager()
        pm.add(RegisterBlock(rows=4, cols=8, vector=8, vectors=vectors))
        pm.run(module.operation)
        assert f"vector<{lanes}xf32>" in str(module)
    plain = _run(source, False, arrays)
    blocked = _run(source, True, arrays, RegisterBlock(rows=4, cols=8, vector=8,
                                                       vectors=vectors), LOWER_VECTORS)
    np.testing.assert_array_equal(blocked.view(np.uint32), plain.view(np.uint32))


# Max pooling 2 x 2, stride 2 (a window operand gives the reduction loops their
# extent), and a linear layer's x W^T.
MAX_POOL = """
#x = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, 2 * d2 + d4, 2 * d3 + d5)>
#k = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
#y = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
func.func @grad(%x: memref<{X}xf32>, %k: memref<2x2xf32>, %y: memref<{Y}xf32>)
    attributes {{llvm.emit_c_interface}} {{
  linalg.generic {{indexing_maps = [#x, #k, #y], iterator_types = ["parallel", "parallel",
      "parallel", "parallel", "reduction", "reduction"]}}
      ins(%x, %k : memref<{X}xf32>, memref<2x2xf32>) outs(%y : memref<{Y}xf32>) {{
  ^bb0(%a: f32, %unused: f32, %acc: f32):
    %m = arith.maximumf %acc, %a : f32
    linalg.yield %m : f32
  }}
  return
}}
"""
LINEAR = """
#x = affine_map<(d0, d1, d2) -> (d0, d2)>
#w = affine_map<(d0, d1, d2) -> (d1, d2)>
#y = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @grad(%x: memref<{X}xf32>, %w: memref<{W}xf32>, %y: memref<{Y}xf32>)
    attributes {{llvm.emit_c_interface}} {{
  linalg.generic {{indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel",
      "reduction"]}} ins(%x, %w : memref<{X}xf32>, memref<{W}xf32>) outs(%y : memref<{Y}xf32>) {{
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }}
  return
}}
"""


@pytest.mark.parametrize("source, shapes", [
    (MAX_POOL, {"X": (2, 3, 8, 20), "Y": (2, 3, 4, 10)}),   # lenet5's pool2 in small
    (LINEAR, {"X": (5, 12), "W": (10, 12), "Y": (5, 10)}),  # fc3: W gathered by rows
])
def test_gathered_vector_blocks_equal_the_plain_loops_bit_for_bit(source: str,
                                                                  shapes: dict) -> None:
    """Strided columns (pooling's 2 * ow + kw, x W^T's W rows) are gathered lane by
    lane; maximumf keeps NaNs and -0 < +0 as the scalar op does: the same bits."""
    rng = np.random.default_rng(5)
    arrays = {k: (rng.standard_normal(s) * 10.0 ** rng.integers(-3, 4, s)).astype(np.float32)
              for k, s in shapes.items()}
    if source is MAX_POOL:
        x = arrays["X"].reshape(-1)
        x[::7], x[1::11], x[2::13] = np.nan, -0.0, 0.0   # NaNs and signed zeros in windows
        arrays["Y"][...] = -np.inf
        arrays = {"X": arrays["X"], "K": np.zeros((2, 2), np.float32), "Y": arrays["Y"]}
    text = source.format(**{k: "x".join(map(str, s)) for k, s in shapes.items()})
    with make_context():
        module = ir.Module.parse(text)
        pm = passmanager.PassManager()
        pm.add(RegisterBlock(rows=4, cols=8, vector=8))
        pm.run(module.operation)
        assert "vector.from_elements" in str(module)
    values = list(arrays.values())
    plain = _run(text, False, values)
    blocked = _run(text, True, values, RegisterBlock(rows=4, cols=8, vector=8), LOWER_VECTORS)
    np.testing.assert_array_equal(blocked.view(np.uint32), plain.view(np.uint32))


@pytest.mark.parametrize("n, f, c, oh, ow, kh, kw, extra", [
    (2, 3, 2, 6, 10, 5, 5, 0),   # lenet5's conv2 input gradient in small: rows of 14
    (1, 2, 3, 4, 5, 2, 3, 0),    # rows of 7: two vectors of 4
    (1, 2, 1, 3, 2, 3, 4, 2),    # more window than steps; dx wider than the op writes
])
def test_vector_scatter_equals_the_plain_loops_bit_for_bit(n: int, f: int, c: int, oh: int,
                                                            ow: int, kh: int, kw: int,
                                                            extra: int) -> None:
    """The host's vector scatter holds a dx row in vectors and adds dy shifted by
    kw, kw descending: each dx element takes its products in the order (f, oh,
    ow) of the plain loops, plus +0 terms at the row's ends that change no
    nonzero sum, so the same float32 bits."""
    shapes = {"W": (f, c, kh, kw), "DY": (n, f, oh, ow),
              "DX": (n, c, oh + kh - 1, ow + kw - 1 + extra)}
    source = CONV_INPUT_GRADIENT.format(**{k: "x".join(map(str, s)) for k, s in shapes.items()})
    rng = np.random.default_rng(9)
    arrays = [(rng.standard_normal(shapes[k]) * 10.0 ** rng.integers(-3, 4, shapes[k]))
              .astype(np.float32) for k in ("W", "DY", "DX")]
    block = RegisterBlock(vector=8)
    with make_context():
        module = ir.Module.parse(source)
        pm = passmanager.PassManager()
        pm.add(block)
        pm.run(module.operation)
        assert "vector.store" in str(module)
    plain = _run(source, False, arrays)
    blocked = _run(source, True, arrays, block, LOWER_VECTORS)
    np.testing.assert_array_equal(blocked.view(np.uint32), plain.view(np.uint32))
