"""The options of a compile, defined once: `edgeft compile`, `edgeft pipeline`,
the pipelines and the benchmarks all read their defaults here.

    options = CompileOptions(strategy="lora-2", rank=8)
    CompileOptions.from_namespace(parsed_arguments)   # field by field
    DEFAULTS.rank, TRAINING_BATCH

`batch` and `loss` default to None: the model's own (a factory's example
batch and loss, a built-in model's loss), else TRAINING_BATCH and
cross-entropy.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from edgeft import target
from edgeft.frontend import BATCHNORM_MODES, DEFAULT_LOSS, LOSSES
from edgeft.ir.errors import UserError

__all__ = ["BATCHNORM_MODES", "DEFAULTS", "DEFAULT_LOSS", "LOSSES", "SEED_MAX",
           "TRAINING_BATCH", "CompileOptions", "check_learning_rate", "check_seed"]


# The batch of a built-in model's training step unless --batch is given
# (METHODS.md: the edge fine-tuning literature's batch 20).
TRAINING_BATCH = 20
# Seeds are what numpy's and PyTorch's generators take alike: 0 .. 2**32 - 1.
SEED_MAX = 2**32 - 1


def check_seed(seed: int, option: str = "--seed") -> None:
    """A user error unless `seed` is a seed every generator edgeft uses takes."""
    if not 0 <= seed <= SEED_MAX:
        raise UserError(f"{option} must be between 0 and {SEED_MAX} (2**32 - 1), got {seed}")


def check_learning_rate(lr: float, option: str = "--lr") -> None:
    """A user error unless `lr` is a positive float32 that is neither 0, infinite
    nor subnormal once the step holds it."""
    limits = np.finfo(np.float32)
    if not (math.isfinite(lr) and float(limits.tiny) <= lr <= float(limits.max)):
        raise UserError(f"{option} must be a positive normal float32 number (the step computes "
                        f"in float32: {float(limits.tiny):.3g} to {float(limits.max):.3g}), "
                        f"got {lr:g}")


def _positive(value: int | None, option: str, least: int = 1) -> None:
    if value is not None and value < least:
        raise UserError(f"{option} must be at least {least}, got {value}")


@dataclass(frozen=True)
class CompileOptions:
    """Everything `edgeft compile` takes besides the model."""

    strategy: str
    rank: int = 4
    alpha: float | None = None
    lr: float = 0.1
    momentum: float = 0.0
    batch: int | None = None   # None: a factory's example batch, a built-in's TRAINING_BATCH
    in_channels: int = 1
    loss: str | None = None    # None: the model's own loss, else cross-entropy
    batchnorm: str = "frozen"  # frozen (running statistics) or batch (batch statistics)
    seed: int = 0
    conv_form: str = "dense"
    cache: str = "none"
    cache_samples: int = 1024
    cache_block: int = 64
    target: str = "host"
    l1: int | None = None
    l2: int | None = None
    l3: int | None = None
    cores: int | None = None
    redmule_format: str | None = None
    estimate: bool = True     # the performance estimate (siracusa; measures each kernel)
    kernel_cycles: str = "auto"   # where kernels are measured: auto, gvsoc, qemu

    def __post_init__(self) -> None:
        check_options(self)

    @classmethod
    def from_namespace(cls, namespace: Any, **overrides: Any) -> CompileOptions:
        """The options an argparse namespace holds, field by field (a field the
        namespace lacks keeps its default); `overrides` win."""
        values = {f.name: getattr(namespace, f.name) for f in dataclasses.fields(cls)
                  if hasattr(namespace, f.name)}
        return cls(**{**values, **overrides})

    def target_description(self) -> target.Target:
        """The edgeft.target.Target these options name (UserError if bad)."""
        return target.get(self.target, l1=self.l1, l2=self.l2, l3=self.l3, cores=self.cores,
                          redmule_format=self.redmule_format)

    def training_options(self) -> dict[str, Any]:
        """The keyword arguments of pipelines.training for these options."""
        return {"rank": self.rank, "alpha": self.alpha, "lr": self.lr,
                "momentum": self.momentum, "seed": self.seed, "conv_form": self.conv_form,
                "cache": self.cache, "cache_samples": self.cache_samples,
                "cache_block": self.cache_block}


def check_options(options: CompileOptions) -> None:
    """A user error naming the first option out of its range (the strategy and
    the target are checked where they are parsed)."""
    _positive(options.rank, "--rank")
    if options.alpha is not None and not (math.isfinite(options.alpha) and options.alpha > 0):
        raise UserError(f"--alpha must be a positive finite number (the adapter's scale is "
                        f"alpha / rank), got {options.alpha:g}")
    check_learning_rate(options.lr)
    if not (math.isfinite(options.momentum) and 0 <= options.momentum < 1):
        raise UserError(f"--momentum must be at least 0 and below 1, got {options.momentum:g}")
    _positive(options.batch, "--batch")
    _positive(options.in_channels, "--in-channels")
    check_seed(options.seed)
    _positive(options.cache_samples, "--cache-samples")
    if options.cache_block < 2 or options.cache_block % 2:
        raise UserError(f"--cache-block must be an even number of at least 2, got "
                        f"{options.cache_block}")


DEFAULTS = CompileOptions(strategy="")
