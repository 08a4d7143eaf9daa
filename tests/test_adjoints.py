"""Each adjoint rule against torch.autograd, on random shapes (hypothesis).

Every case is a tiny module: trainable globals feed the op under test, and
the loss is sum(result * W) for a random constant W, so the gradient that
reaches the op is W and every element of the rule is exercised. edgeft-autodiff
builds the gradients, the reference executor runs them, and PyTorch computes
the same function with autograd.

Tolerance: float32 on both sides; reductions of at most a few hundred terms
differ only in summation order, so 1e-4 relative to the largest gradient
magnitude (plus 1e-6 absolute) separates rounding from a wrong rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.nn import functional as F
from torch_mlir import ir, passmanager

from edgeft.backends.executor import Executable
from edgeft.ir.context import make_context
from edgeft.passes.autodiff import Autodiff

SETTINGS = settings(max_examples=6, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
dims = st.integers(min_value=1, max_value=5)


def _t(shape: tuple[int, ...]) -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + "f32>"


def _dense(array: np.ndarray) -> str:
    return f'dense<"0x{np.ascontiguousarray(array, np.float32).tobytes().hex().upper()}">'


@dataclass
class Case:
    """Globals p0..pn, MLIR lines computing %r from %p0..%pn, and the torch twin."""

    params: list[np.ndarray]
    body: str
    result_shape: tuple[int, ...]
    torch_fn: Callable[..., torch.Tensor]


def _module(case: Case, weight: np.ndarray) -> str:
    rank = len(case.result_shape)
    dims_text = ", ".join(f"d{i}" for i in range(rank))
    lines = [f"ml_program.global private mutable @p{i}({_dense(p)} : {_t(p.shape)}) : "
             f"{_t(p.shape)} {{edgeft.trainable}}" for i, p in enumerate(case.params)]
    lines.append("func.func @forward() -> tensor<f32> {")
    lines += [f"  %p{i} = ml_program.global_load @p{i} : {_t(p.shape)}"
              for i, p in enumerate(case.params)]
    lines.append(case.body)
    r = _t(case.result_shape)
    reductions = ", ".join(['"reduction"'] * rank)
    lines += [
        f"  %loss_w = arith.constant {_dense(weight)} : {r}",
        "  %loss_zero = arith.constant 0.0 : f32",
        "  %loss_e = tensor.empty() : tensor<f32>",
        "  %loss_init = linalg.fill ins(%loss_zero : f32) outs(%loss_e : tensor<f32>) -> tensor<f32>",
        f"  %loss = linalg.generic {{indexing_maps = [affine_map<({dims_text}) -> ({dims_text})>,"
        f" affine_map<({dims_text}) -> ({dims_text})>, affine_map<({dims_text}) -> ()>],"
        f" iterator_types = [{reductions}]}}"
        f" ins(%r, %loss_w : {r}, {r}) outs(%loss_init : tensor<f32>) {{",
        "  ^bb0(%a: f32, %b: f32, %acc: f32):",
        "    %m = arith.mulf %a, %b : f32",
        "    %n = arith.addf %acc, %m : f32",
        "    linalg.yield %n : f32",
        "  } -> tensor<f32>",
        "  return %loss : tensor<f32>",
        "}",
    ]
    return "\n".join(lines)


def check(case: Case, seed: int = 0) -> None:
    weight = np.random.default_rng(seed + 100).standard_normal(case.result_shape)
    weight = weight.astype(np.float32)
    with make_context():
        module = ir.Module.parse(_module(case, weight))
        pm = passmanager.PassManager()
        pm.add(Autodiff())
        pm.run(module.operation)
        executable = Executable(module)
    executable.call("train_step")
    tensors = [torch.tensor(p, requires_grad=True) for p in case.params]
    result = case.torch_fn(*tensors)
    assert tuple(result.shape) == case.result_shape
    (result * torch.from_numpy(weight)).sum().backward()
    for i, t in enumerate(tensors):
        ours = executable.get_global(f"p{i}.grad")
        expected = t.grad.numpy()
        scale = max(np.abs(expected).max(), 1e-6)
        np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-4 * scale + 1e-6,
                                   err_msg=f"gradient of p{i}")


def _rand(rng: np.random.Generator, *shape: int, positive: bool = False) -> np.ndarray:
    x = rng.standard_normal(shape).astype(np.float32)
    return np.abs(x) + 0.5 if positive else x


def _map(rank: int, results: str) -> str:
    return f"affine_map<({', '.join(f'd{i}' for i in range(rank))}) -> ({results})>"


def _identity(rank: int) -> str:
    return _map(rank, ", ".join(f"d{i}" for i in range(rank)))


@SETTINGS
@given(m=dims, k=dims, n=dims)
def test_matmul(m: int, k: int, n: int) -> None:
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    body = (f"  %e = tensor.empty() : {_t((m, n))}\n"
            "  %c0 = arith.constant 0.0 : f32\n"
            f"  %z = linalg.fill ins(%c0 : f32) outs(%e : {_t((m, n))}) -> {_t((m, n))}\n"
            f"  %r = linalg.matmul ins(%p0, %p1 : {_t((m, k))}, {_t((k, n))}) outs(%z : {_t((m, n))}) -> {_t((m, n))}")
    check(Case([_rand(rng, m, k), _rand(rng, k, n)], body, (m, n), torch.matmul))


@SETTINGS
@given(bt=dims, m=dims, k=dims, n=dims)
def test_batch_matmul_accumulating(bt: int, m: int, k: int, n: int) -> None:
    """The init operand is trainable too: C = A B + C0."""
    rng = np.random.default_rng(bt + m + k + n)
    out = (bt, m, n)
    body = (f"  %r = linalg.batch_matmul ins(%p0, %p1 : {_t((bt, m, k))}, {_t((bt, k, n))}) "
            f"outs(%p2 : {_t(out)}) -> {_t(out)}")
    check(Case([_rand(rng, bt, m, k), _rand(rng, bt, k, n), _rand(rng, *out)], body, out,
               lambda a, b, c: torch.bmm(a, b) + c))


@SETTINGS
@given(shape=st.tuples(dims, dims, dims), perm=st.permutations([0, 1, 2]))
def test_transpose(shape: tuple[int, int, int], perm: list[int]) -> None:
    rng = np.random.default_rng(sum(shape))
    out = tuple(shape[p] for p in perm)
    body = (f"  %e = tensor.empty() : {_t(out)}\n"
            f"  %r = linalg.transpose ins(%p0 : {_t(shape)}) outs(%e : {_t(out)}) "
            f"permutation = {list(perm)}")
    check(Case([_rand(rng, *shape)], body, out, lambda x: x.permute(*perm)))


@SETTINGS
@given(m=dims, n=dims)
def test_broadcast(m: int, n: int) -> None:
    rng = np.random.default_rng(m * 7 + n)
    body = (f"  %e = tensor.empty() : {_t((m, n))}\n"
            f"  %r = linalg.broadcast ins(%p0 : {_t((n,))}) outs(%e : {_t((m, n))}) "
            "dimensions = [0]")
    check(Case([_rand(rng, n)], body, (m, n), lambda x: x.expand(m, n)))


@SETTINGS
@given(n=st.integers(1, 2), c=st.integers(1, 3), f=st.integers(1, 3),
       hw=st.integers(3, 7), k=st.integers(1, 3), stride=st.integers(1, 2))
def test_conv_2d(n: int, c: int, f: int, hw: int, k: int, stride: int) -> None:
    rng = np.random.default_rng(n + c + f + hw + k + stride)
    o = (hw - k) // stride + 1
    out = (n, f, o, o)
    body = (f"  %r = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : vector<2xi64>, "
            f"strides = dense<{stride}> : vector<2xi64>}} "
            f"ins(%p0, %p1 : {_t((n, c, hw, hw))}, {_t((f, c, k, k))}) outs(%p2 : {_t(out)}) "
            f"-> {_t(out)}")
    check(Case([_rand(rng, n, c, hw, hw), _rand(rng, f, c, k, k), _rand(rng, *out)], body, out,
               lambda x, w, b: F.conv2d(x, w, stride=stride) + b))


@SETTINGS
@given(c=st.integers(1, 3), hw=st.integers(2, 8), k=st.integers(1, 3), stride=st.integers(1, 3))
def test_max_pooling(c: int, hw: int, k: int, stride: int) -> None:
    k = min(k, hw)
    rng = np.random.default_rng(c * 31 + hw + k + stride)
    o = (hw - k) // stride + 1
    out = (2, c, o, o)
    body = (f"  %win = tensor.empty() : {_t((k, k))}\n"
            "  %ninf = arith.constant 0xFF800000 : f32\n"
            f"  %e = tensor.empty() : {_t(out)}\n"
            f"  %z = linalg.fill ins(%ninf : f32) outs(%e : {_t(out)}) -> {_t(out)}\n"
            f"  %r = linalg.pooling_nchw_max {{dilations = dense<1> : vector<2xi64>, "
            f"strides = dense<{stride}> : vector<2xi64>}} "
            f"ins(%p0, %win : {_t((2, c, hw, hw))}, {_t((k, k))}) outs(%z : {_t(out)}) "
            f"-> {_t(out)}")
    check(Case([_rand(rng, 2, c, hw, hw)], body, out,
               lambda x: F.max_pool2d(x, k, stride=stride)))


UNARY = {
    "math.exp": (torch.exp, False), "math.tanh": (torch.tanh, False),
    "math.erf": (torch.erf, False), "math.log": (torch.log, True),
    "math.rsqrt": (torch.rsqrt, True), "math.sqrt": (torch.sqrt, True),
    "math.absf": (torch.abs, False), "arith.negf": (torch.neg, False),
}


@SETTINGS
@given(op=st.sampled_from(sorted(UNARY)), shape=st.tuples(dims, dims))
def test_elementwise_unary(op: str, shape: tuple[int, int]) -> None:
    fn, positive = UNARY[op]
    rng = np.random.default_rng(len(op) + sum(shape))
    body = (f"  %e = tensor.empty() : {_t(shape)}\n"
            f"  %r = linalg.generic {{indexing_maps = [{_identity(2)}, {_identity(2)}], "
            "iterator_types = [\"parallel\", \"parallel\"]} "
            f"ins(%p0 : {_t(shape)}) outs(%e : {_t(shape)}) {{\n"
            "  ^bb0(%a: f32, %o: f32):\n"
            f"    %v = {op} %a : f32\n"
            "    linalg.yield %v : f32\n"
            f"  }} -> {_t(shape)}")
    check(Case([_rand(rng, *shape, positive=positive)], body, shape, fn))


BINARY = {
    "arith.addf": torch.add, "arith.subf": torch.sub, "arith.mulf": torch.mul,
    "arith.divf": torch.div, "arith.maximumf": torch.maximum, "arith.minimumf": torch.minimum,
}


@SETTINGS
@given(op=st.sampled_from(sorted(BINARY)), m=dims, n=dims)
def test_elementwise_binary_with_broadcast(op: str, m: int, n: int) -> None:
    """The second operand is broadcast along rows, like a bias (its map drops d0)."""
    rng = np.random.default_rng(len(op) + m * 10 + n)
    body = (f"  %e = tensor.empty() : {_t((m, n))}\n"
            f"  %r = linalg.generic {{indexing_maps = [{_identity(2)}, {_map(2, 'd1')}, "
            f"{_identity(2)}], iterator_types = [\"parallel\", \"parallel\"]}} "
            f"ins(%p0, %p1 : {_t((m, n))}, {_t((n,))}) outs(%e : {_t((m, n))}) {{\n"
            "  ^bb0(%a: f32, %b: f32, %o: f32):\n"
            f"    %v = {op} %a, %b : f32\n"
            "    linalg.yield %v : f32\n"
            f"  }} -> {_t((m, n))}")
    b = _rand(rng, n, positive=op == "arith.divf")
    check(Case([_rand(rng, m, n), b], body, (m, n), BINARY[op]))


@SETTINGS
@given(m=dims, n=dims)
def test_select_of_compare_like_relu(m: int, n: int) -> None:
    rng = np.random.default_rng(m * 13 + n)
    body = (f"  %e = tensor.empty() : {_t((m, n))}\n"
            "  %zero2 = arith.constant 0.0 : f32\n"
            f"  %r = linalg.generic {{indexing_maps = [{_identity(2)}, {_identity(2)}], "
            "iterator_types = [\"parallel\", \"parallel\"]} "
            f"ins(%p0 : {_t((m, n))}) outs(%e : {_t((m, n))}) {{\n"
            "  ^bb0(%a: f32, %o: f32):\n"
            "    %c = arith.cmpf ugt, %a, %zero2 : f32\n"
            "    %v = arith.select %c, %a, %zero2 : f32\n"
            "    linalg.yield %v : f32\n"
            f"  }} -> {_t((m, n))}")
    check(Case([_rand(rng, m, n)], body, (m, n), torch.relu))


@SETTINGS
@given(m=dims, n=dims, combiner=st.sampled_from(["arith.addf", "arith.maximumf"]))
def test_reduction_over_rows(m: int, n: int, combiner: str) -> None:
    """Sum and max over d1 into a (m, 1) result, as torch-mlir writes them (map (d0, 0))."""
    rng = np.random.default_rng(m * 17 + n + len(combiner))
    init = "0.0" if combiner == "arith.addf" else "0xFF800000"
    body = (f"  %init = arith.constant {init} : f32\n"
            f"  %e = tensor.empty() : {_t((m, 1))}\n"
            f"  %z = linalg.fill ins(%init : f32) outs(%e : {_t((m, 1))}) -> {_t((m, 1))}\n"
            f"  %r = linalg.generic {{indexing_maps = [{_identity(2)}, {_map(2, 'd0, 0')}], "
            "iterator_types = [\"parallel\", \"reduction\"]} "
            f"ins(%p0 : {_t((m, n))}) outs(%z : {_t((m, 1))}) {{\n"
            "  ^bb0(%a: f32, %acc: f32):\n"
            f"    %v = {combiner} %a, %acc : f32\n"
            "    linalg.yield %v : f32\n"
            f"  }} -> {_t((m, 1))}")
    fn = (lambda x: x.sum(1, keepdim=True)) if combiner == "arith.addf" else \
        (lambda x: x.amax(1, keepdim=True))
    check(Case([_rand(rng, m, n)], body, (m, 1), fn))


@SETTINGS
@given(a=dims, b=dims, c=dims)
def test_collapse_and_expand(a: int, b: int, c: int) -> None:
    rng = np.random.default_rng(a + 3 * b + 7 * c)
    body = (f"  %flat = tensor.collapse_shape %p0 [[0, 1], [2]] : {_t((a, b, c))} into "
            f"{_t((a * b, c))}\n"
            f"  %r = tensor.expand_shape %flat [[0], [1, 2]] output_shape [{a * b}, {c}, 1] : "
            f"{_t((a * b, c))} into {_t((a * b, c, 1))}")
    check(Case([_rand(rng, a, b, c)], body, (a * b, c, 1),
               lambda x: x.reshape(a * b, c).unsqueeze(2)))


@SETTINGS
@given(n=st.integers(2, 8), data=st.data())
def test_extract_slice_strided_and_pad(n: int, data: st.DataObject) -> None:
    """Two reads of one tensor (a strided slice and a padded copy) accumulate."""
    offset = data.draw(st.integers(0, n - 1))
    stride = data.draw(st.integers(1, 2))
    size = max(1, (n - offset + stride - 1) // stride)
    lo, hi = data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))
    rng = np.random.default_rng(n * 5 + offset + stride)
    padded = n + lo + hi
    body = (f"  %s = tensor.extract_slice %p0[1, {offset}] [1, {size}] [1, {stride}] : "
            f"{_t((2, n))} to {_t((size,))}\n"
            "  %pz = arith.constant 0.0 : f32\n"
            f"  %q = tensor.pad %p0 low[0, {lo}] high[0, {hi}] {{\n"
            "  ^bb0(%i: index, %j: index):\n"
            "    tensor.yield %pz : f32\n"
            f"  }} : {_t((2, n))} to {_t((2, padded))}\n"
            f"  %q1 = tensor.extract_slice %q[0, 0] [1, {size}] [1, 1] : {_t((2, padded))} "
            f"to {_t((size,))}\n"
            f"  %e = tensor.empty() : {_t((size,))}\n"
            f"  %r = linalg.mul ins(%s, %q1 : {_t((size,))}, {_t((size,))}) outs(%e : "
            f"{_t((size,))}) -> {_t((size,))}")

    def fn(x: torch.Tensor) -> torch.Tensor:
        sliced = x[1, offset::stride][:size]
        return sliced * F.pad(x, (lo, hi))[0, :size]

    check(Case([_rand(rng, 2, n)], body, (size,), fn))


@SETTINGS
@given(m=dims, n1=dims, n2=dims)
def test_concat(m: int, n1: int, n2: int) -> None:
    rng = np.random.default_rng(m + n1 * 3 + n2 * 9)
    out = (m, n1 + n2)
    body = (f"  %r = tensor.concat dim(1) %p0, %p1 : ({_t((m, n1))}, {_t((m, n2))}) -> "
            f"{_t(out)}")
    check(Case([_rand(rng, m, n1), _rand(rng, m, n2)], body, out,
               lambda a, b: torch.cat([a, b], 1)))
