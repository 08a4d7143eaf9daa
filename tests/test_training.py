"""One SGD step of every strategy equals PyTorch's (autograd + torch.optim.SGD).

Tolerance: 1e-4 relative to the largest magnitude of each parameter tensor.
Both sides run float32; the backward sums over the batch and over
reduction dims in a different order than PyTorch's kernels, and LayerNorm
statistics go through f64 on our side, so agreement is to a few ulps of the
largest value (measured: at most ~6e-7); 1e-4 leaves room for summation
order on other machines while still catching any wrong rule, which shows up
at the 1e-2..1 level.
"""

from __future__ import annotations

import pytest
import torch
from training_harness import check_steps, global_name, paired

CASES = (
    [("mlp", s) for s in ("ft-all", "ft-last", "ft-bias", "lp", "ft-1", "ft-2", "lora-all",
                          "lora-last", "skip-lora")]
    + [("lenet5", s) for s in ("ft-all", "ft-last", "ft-bias", "lp", "ft-1", "ft-2",
                               "lora-all", "lora-last", "skip-lora")]
    + [("cct2", s) for s in ("lp", "ft-1", "ft-2", "lora-1", "lora-2", "skip-lora")]
)


def _batches(imported, count: int, seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(seed)
    x, y = imported.example_x, imported.example_y
    out = [(x, y)]
    for _ in range(count - 1):
        out.append((torch.randn(x.shape, generator=generator),
                    torch.randint(0, 10, y.shape, generator=generator)))
    return out


@pytest.mark.parametrize("model, strategy", CASES)
def test_one_step_matches_pytorch(imported, model: str, strategy: str) -> None:
    source = imported(model, batch=4)
    pair = paired(source, strategy)
    check_steps(pair, _batches(source, 1, 0))


def test_lenet5_ft_all_over_five_steps(imported) -> None:
    source = imported("lenet5", batch=4)
    check_steps(paired(source, "ft-all"), _batches(source, 5, 1))


def test_conv_lora_kernel_form(imported) -> None:
    source = imported("lenet5", batch=4)
    check_steps(paired(source, "lora-all", conv_form="kernel"), _batches(source, 2, 2))


def test_momentum_matches_torch_sgd(imported) -> None:
    source = imported("lenet5", batch=4)
    pair = paired(source, "ft-2", momentum=0.9)
    pair.momentum = 0.9
    check_steps(pair, _batches(source, 3, 3))


def test_global_names_of_wrapped_layers() -> None:
    assert global_name("fc1.base.weight") == "fc1.weight"
