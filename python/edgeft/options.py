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
from dataclasses import dataclass
from typing import Any

from edgeft import target
from edgeft.frontend import BATCHNORM_MODES, DEFAULT_LOSS, LOSSES

__all__ = ["BATCHNORM_MODES", "DEFAULTS", "DEFAULT_LOSS", "LOSSES", "TRAINING_BATCH",
           "CompileOptions"]


# The batch of a built-in model's training step unless --batch is given
# (METHODS.md: the edge fine-tuning literature's batch 20).
TRAINING_BATCH = 20


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


DEFAULTS = CompileOptions(strategy="")
