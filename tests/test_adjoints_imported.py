"""Adjoints of the ops torch-mlir imports for real models, against torch.autograd.

Each case is a tiny nn.Module run through the real frontend (torch.export,
torch-mlir, linalg on tensors), so what is differentiated is exactly what
edgeft meets in a user's network: depthwise and grouped convolution are
named linalg ops, most activations, normalisations and poolings become
linalg.generic bodies, reshapes and channel shuffles become tensor and
linalg data movement. The op's input is `x + shift` with `shift` a
parameter of the input's shape, so the gradient of `shift` is the gradient
with respect to the op's input; weights of the op are parameters too.
The loss is MSE against a random target (its gradient 2 (out - y) / numel
reaches every output element with a different value). edgeft-autodiff
builds the gradients, the reference executor runs them, and PyTorch
computes the same loss with autograd.

Tolerance: float32 on both sides; the adjoints reduce over at most a few
hundred terms in a different order than PyTorch's kernels, so 1e-4
relative to the largest gradient magnitude (plus 1e-6 absolute) separates
rounding (measured: a few ulps) from a wrong rule (errors of order 1e-1).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F
from torch_mlir import ir

from edgeft.backends.executor import Executable
from edgeft.frontend.importer import import_model_full, loss_fn
from edgeft.passes.registry import build_pass_manager

# Each example imports a module through torch.export (about half a second),
# so fewer examples than the hand-written cases of test_adjoints.py.
SETTINGS = settings(max_examples=4, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
PIPELINE = "edgeft-select-trainable{strategy=ft-all},edgeft-autodiff"


class OpUnderTest(nn.Module):
    """forward(x) = flatten(op(x + shift, *weights)); every tensor here is a parameter."""

    def __init__(self, op: Callable[..., torch.Tensor], input_shape: tuple[int, ...],
                 weights: list[torch.Tensor], seed: int) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.op = op
        self.shift = nn.Parameter(torch.randn(input_shape, generator=generator))
        self.weights = nn.ParameterList([nn.Parameter(w) for w in weights])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The op on the shifted input, flattened to (batch, features)."""
        return self.op(x + self.shift, *self.weights).flatten(1)


def check(op: Callable[..., torch.Tensor], input_shape: tuple[int, ...],
          weights: tuple[tuple[int, ...], ...] = (), seed: int = 0,
          positive: bool = False) -> None:
    """Gradients of every parameter of OpUnderTest(op) equal torch.autograd's."""
    generator = torch.Generator().manual_seed(seed + 1)
    tensors = [torch.randn(s, generator=generator) for s in weights]
    model = OpUnderTest(op, input_shape, tensors, seed)
    x = torch.randn(input_shape, generator=generator)
    if positive:  # ops defined on positive reals only (fractional powers)
        with torch.no_grad():
            model.shift.abs_().add_(0.5)
        x = x.abs()
    imported = import_model_full(model, example=x, loss="mse")
    check_gradients(model, imported.module, x, imported.example_y, "mse")


def check_gradients(model: nn.Module, module: ir.Module, x: torch.Tensor, y: torch.Tensor,
                    loss: str) -> None:
    """The gradients edgeft-autodiff builds for `module` equal autograd's on `model`."""
    with module.context:
        build_pass_manager(PIPELINE, module.context).run(module.operation)
    executable = Executable(module)
    executable.call("train_step", x.numpy(), y.numpy())
    loss_fn(loss, model(x), y).backward()
    for name, parameter in model.named_parameters():
        ours = executable.get_global(f"{name}.grad")
        expected = parameter.grad.numpy()
        scale = max(np.abs(expected).max(), 1e-6)
        # fp32 rounding of reordered sums: see the module docstring.
        np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-4 * scale + 1e-6,
                                   err_msg=f"gradient of {name}")


small = st.integers(min_value=1, max_value=3)


# --- convolutions ---------------------------------------------------------------


@SETTINGS
@given(c=st.integers(2, 4), hw=st.integers(5, 7), k=st.integers(1, 3), stride=st.integers(1, 2),
       dilation=st.integers(1, 2), padding=st.integers(0, 1))
def test_depthwise_conv(c: int, hw: int, k: int, stride: int, dilation: int,
                        padding: int) -> None:
    """groups == channels imports as linalg.depthwise_conv_2d_nchw_chw."""
    check(lambda x, w: F.conv2d(x, w, stride=stride, dilation=dilation, padding=padding,
                                groups=c), (2, c, hw, hw), ((c, 1, k, k),), seed=c + hw + k)


@SETTINGS
@given(c=st.integers(2, 4), mult=st.integers(2, 3), hw=st.integers(3, 6))
def test_depthwise_conv_with_channel_multiplier(c: int, mult: int, hw: int) -> None:
    """groups == in channels with more out channels: a grouped convolution."""
    check(lambda x, w: F.conv2d(x, w, groups=c, padding=1), (1, c, hw, hw),
          ((c * mult, 1, 3, 3),), seed=c * mult + hw)


@SETTINGS
@given(groups=st.integers(2, 3), cin=small, cout=small, hw=st.integers(3, 6),
       stride=st.integers(1, 2), dilation=st.integers(1, 2))
def test_grouped_conv(groups: int, cin: int, cout: int, hw: int, stride: int,
                      dilation: int) -> None:
    """1 < groups < channels imports as linalg.conv_2d_ngchw_gfchw (through expand_shape)."""
    check(lambda x, w, bias: F.conv2d(x, w, bias, stride=stride, dilation=dilation, padding=1,
                                      groups=groups),
          (2, groups * cin, hw, hw), ((groups * cout, cin, 3, 3), (groups * cout,)),
          seed=groups + cin + cout + hw)


@SETTINGS
@given(cin=small, cout=small, hw=st.integers(5, 8), k=st.integers(1, 3),
       stride=st.integers(1, 3), dilation=st.integers(1, 3))
def test_strided_dilated_conv(cin: int, cout: int, hw: int, k: int, stride: int,
                              dilation: int) -> None:
    """Strides and dilations of a dense convolution scale the image map."""
    if dilation * (k - 1) >= hw:
        dilation = 1
    check(lambda x, w: F.conv2d(x, w, stride=stride, dilation=dilation),
          (2, cin, hw, hw), ((cout, cin, k, k),), seed=cin + cout + hw + k)


@SETTINGS
@given(c=small, hw=st.integers(3, 6))
def test_pointwise_conv(c: int, hw: int) -> None:
    """A 1x1 convolution (MobileNet's pointwise layers)."""
    check(F.conv2d, (2, c, hw, hw), ((c + 1, c, 1, 1),), seed=c + hw)


# --- pooling and means ----------------------------------------------------------


@SETTINGS
@given(c=small, hw=st.integers(3, 8), k=st.integers(1, 3), stride=st.integers(1, 3),
       padding=st.integers(0, 1), include_pad=st.booleans(), ceil=st.booleans())
def test_avg_pool(c: int, hw: int, k: int, stride: int, padding: int,
                  include_pad: bool, ceil: bool) -> None:
    """pooling_nchw_sum then a division (by the window, or by the valid count)."""
    padding = min(padding, k // 2)
    k = min(k, hw)
    check(lambda x: F.avg_pool2d(x, k, stride=stride, padding=padding, ceil_mode=ceil,
                                 count_include_pad=include_pad),
          (2, c, hw, hw), seed=c + hw + k + stride)


@SETTINGS
@given(c=small, out=st.integers(1, 3), factor=st.integers(1, 3), extra=st.integers(0, 2))
def test_adaptive_avg_pool(c: int, out: int, factor: int, extra: int) -> None:
    """Adaptive pooling: a pooling op when the output divides the input, else
    overlapping windows of varying size (a gather)."""
    hw = out * factor + extra
    check(lambda x: F.adaptive_avg_pool2d(x, out), (2, c, hw, hw), seed=c + out + factor)


@SETTINGS
@given(c=small, h=st.integers(1, 5), w=st.integers(1, 5), keepdim=st.booleans())
def test_global_mean(c: int, h: int, w: int, keepdim: bool) -> None:
    """x.mean over the spatial dims: a sum reduction and a division."""
    check(lambda x: x.mean((2, 3), keepdim=keepdim), (2, c, h, w), seed=c + h + w)


# --- elementwise and normalising activations --------------------------------------


ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sigmoid": torch.sigmoid, "silu": F.silu, "hardswish": F.hardswish,
    "hardsigmoid": F.hardsigmoid, "tanh": torch.tanh, "relu6": F.relu6,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"), "gelu": F.gelu,
    "dropout_eval": lambda x: F.dropout(x, 0.5, training=False),
}


@SETTINGS
@given(name=st.sampled_from(sorted(ACTIVATIONS)), n=st.integers(1, 6))
def test_activation(name: str, n: int) -> None:
    """Sigmoid, SiLU, the hard variants, tanh, GELU (tanh form: x^3 is math.fpowi)."""
    check(ACTIVATIONS[name], (2, n), seed=len(name) + n)


@SETTINGS
@given(exponent=st.sampled_from([0, 1, 2, 3, 4, -1, -2]), n=st.integers(1, 6))
def test_integer_power(exponent: int, n: int) -> None:
    """x ** n with an integer n imports as math.fpowi (MSE's square is one)."""
    check(lambda x: x ** exponent, (2, n), seed=exponent + 10 * n, positive=exponent < 0)


@SETTINGS
@given(exponent=st.sampled_from([0.5, 1.5, -0.5, 2.5]), n=st.integers(1, 6))
def test_float_power(exponent: float, n: int) -> None:
    """x ** y with a fractional y is math.powf, on positive inputs."""
    check(lambda x: x ** exponent, (2, n), seed=n, positive=True)


@SETTINGS
@given(log=st.booleans(), dim=st.integers(0, 2), shape=st.tuples(st.just(2), small,
                                                                 st.integers(1, 5)))
def test_softmax(log: bool, dim: int, shape: tuple[int, int, int]) -> None:
    """softmax and log_softmax: a max and a sum reduction, exp, and a division."""
    fn = F.log_softmax if log else F.softmax
    check(lambda x: fn(x, dim), shape, seed=dim + sum(shape))


@SETTINGS
@given(heads=st.integers(1, 2), tokens=st.integers(1, 4), width=small)
def test_scaled_dot_product_attention(heads: int, tokens: int, width: int) -> None:
    """softmax(q k^T / sqrt(d)) v with q = k = v: batch_matmul, and a boolean constant."""
    def fn(x: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(x, x * 0.5, torch.tanh(x))
    check(fn, (2, heads, tokens, width), seed=heads + tokens + width)


# --- data movement --------------------------------------------------------------


@SETTINGS
@given(n=st.integers(2, 7), size=st.integers(1, 3))
def test_split_and_concat(n: int, size: int) -> None:
    """split, a different scale per piece, and a reversed concat."""
    def fn(x: torch.Tensor) -> torch.Tensor:
        pieces = x.split(size, 1)
        return torch.cat([p * (i + 1) for i, p in enumerate(pieces)][::-1], 1)
    check(fn, (2, n), seed=n + size)


@SETTINGS
@given(n=st.integers(3, 7), chunks=st.integers(2, 3))
def test_chunk(n: int, chunks: int) -> None:
    """chunk, each piece used twice."""
    def fn(x: torch.Tensor) -> torch.Tensor:
        pieces = x.chunk(chunks, 1)
        return torch.cat([p * p for p in pieces] + [pieces[0]], 1)
    check(fn, (2, n), seed=n + chunks)


@SETTINGS
@given(groups=st.integers(2, 3), per=small, hw=st.integers(1, 3))
def test_channel_shuffle(groups: int, per: int, hw: int) -> None:
    """ShuffleNet's view / transpose / reshape of the channels."""
    c = groups * per

    def fn(x: torch.Tensor) -> torch.Tensor:
        return x.view(2, groups, per, hw, hw).transpose(1, 2).reshape(2, c, hw, hw) * \
            torch.arange(1, c + 1, dtype=torch.float32).view(1, c, 1, 1)
    check(fn, (2, c, hw, hw), seed=c + hw)


@SETTINGS
@given(perm=st.permutations([1, 2, 3]), shape=st.tuples(st.just(2), small, small, small))
def test_permute(perm: list[int], shape: tuple[int, int, int, int]) -> None:
    """A permutation of the non-batch dims, then a non-linear use."""
    check(lambda x: torch.sin(x.permute(0, *perm)), shape, seed=sum(shape))


@SETTINGS
@given(c=small, hw=st.integers(1, 4), scale=st.integers(1, 3))
def test_upsample_nearest(c: int, hw: int, scale: int) -> None:
    """Nearest upsampling: a gather with computed indices (tensor.extract in a body)."""
    check(lambda x: F.interpolate(x, scale_factor=scale, mode="nearest"), (2, c, hw, hw),
          seed=c + hw + scale)


# --- normalisation --------------------------------------------------------------


@SETTINGS
@given(groups=st.integers(1, 3), per=small, hw=st.integers(2, 4))
def test_group_norm(groups: int, per: int, hw: int) -> None:
    """GroupNorm with its affine weight and bias.

    A group of one element normalises to exactly 0 (its true input gradient
    is 0, PyTorch's is cancellation noise of 1e-5), so groups have at least 4.
    """
    c = groups * per
    check(lambda x, w, b: F.group_norm(x, groups, w, b), (2, c, hw, hw), ((c,), (c,)),
          seed=c + hw)


@SETTINGS
@given(c=small, hw=st.integers(1, 4), spatial=st.booleans())
def test_batch_norm_batch_statistics(c: int, hw: int, spatial: bool) -> None:
    """F.batch_norm(training=True): normalised by the batch's own mean and variance."""
    shape = (3, c, hw, hw) if spatial else (3, c)
    check(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), shape,
          ((c,), (c,)), seed=c + hw)


@SETTINGS
@given(c=small, hw=st.integers(1, 4))
def test_batch_norm_frozen_statistics(c: int, hw: int) -> None:
    """BatchNorm in eval: fixed running statistics, trainable affine."""
    generator = torch.Generator().manual_seed(c + hw)
    mean = torch.randn(c, generator=generator)
    var = torch.rand(c, generator=generator) + 0.5
    check(lambda x, w, b: F.batch_norm(x, mean, var, w, b, training=False), (2, c, hw, hw),
          ((c,), (c,)), seed=c * hw)


# --- losses ---------------------------------------------------------------------


@SETTINGS
@given(batch=st.integers(1, 9), classes=st.integers(2, 6))
def test_cross_entropy(batch: int, classes: int) -> None:
    """Cross-entropy's label gather logits[b, y[b]], whose adjoint scatters into
    batch x classes.

    `shift` has the logits' shape, so its gradient is d loss / d logits itself
    ((softmax - one-hot) / batch); the labels repeat and the batch differs from
    the classes, so a contribution scattered to a wrong row or class shows.
    """
    generator = torch.Generator().manual_seed(10 * batch + classes)
    model = OpUnderTest(lambda logits: logits, (batch, classes), [], batch + classes)
    x = torch.randn((batch, classes), generator=generator)
    y = torch.randint(0, classes, (batch,), generator=generator)
    imported = import_model_full(model, example=x, loss="cross-entropy")
    check_gradients(model, imported.module, x, y, "cross-entropy")
