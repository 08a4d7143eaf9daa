"""Standard pass pipelines, one per fine-tuning strategy.

    edgeft.pipelines.training(strategy="lora-2", rank=4, lr=0.1)

returns the textual pipeline `edgeft-opt -p` takes; `training_passes`
returns the pass objects for a PassManager of your own.
"""

from __future__ import annotations

import re
from typing import Any

from edgeft.errors import UserError
from edgeft.passes import registry

FT_STRATEGIES = ("ft-all", "ft-last", "ft-bias", "lp")
LORA_STRATEGIES = ("lora-all", "lora-last")
ALL_STRATEGIES = ("ft-all", "ft-last", "ft-bias", "lp", "ft-k", "lora-all", "lora-last",
                  "lora-k", "skip-lora")
_K = re.compile(r"^(ft|lora)-(\d+)$")


def describe() -> str:
    return ("ft-all, ft-last, ft-bias, lp, ft-N (e.g. ft-2), lora-all, lora-last, lora-N, "
            "skip-lora")


CACHE_KINDS = ("none", "fp32", "nf4")


def training_steps(strategy: str, rank: int = 4, alpha: float | None = None, lr: float = 0.1,
                   momentum: float = 0.0, seed: int = 0, conv_form: str = "dense",
                   cache: str = "none", cache_samples: int = 1024,
                   cache_block: int = 64) -> list[tuple[str, dict[str, Any]]]:
    """(pass argument, options) in order for `strategy`; `cache` fp32 or nf4
    appends the forward cache for `cache_samples` samples."""
    if cache not in CACHE_KINDS:
        raise UserError(f"unknown cache '{cache}' (known: {', '.join(CACHE_KINDS)})")
    alpha = float(rank) if alpha is None else alpha
    k_match = _K.match(strategy)
    steps: list[tuple[str, dict[str, Any]]]
    if strategy in FT_STRATEGIES:
        steps = [("edgeft-select-trainable", {"strategy": strategy})]
    elif k_match and k_match.group(1) == "ft":
        steps = [("edgeft-select-trainable", {"strategy": "ft-k", "k": int(k_match.group(2))})]
    elif strategy in LORA_STRATEGIES:
        steps = [("edgeft-inject-lora", {"rank": rank, "alpha": alpha, "targets": strategy,
                                         "conv-form": conv_form, "seed": seed})]
    elif k_match and k_match.group(1) == "lora":
        steps = [("edgeft-select-trainable", {"strategy": "lp"}),
                 ("edgeft-inject-lora", {"rank": rank, "alpha": alpha, "targets": strategy,
                                         "conv-form": conv_form, "seed": seed})]
    elif strategy == "skip-lora":
        steps = [("edgeft-inject-skip-lora", {"rank": rank, "seed": seed})]
    else:
        raise UserError(f"unknown strategy '{strategy}' (known: {describe()})")
    steps.append(("edgeft-autodiff", {}))
    steps.append(("edgeft-sgd", {"lr": lr, "momentum": momentum}))
    if cache != "none":
        steps.append(("edgeft-forward-cache", {"quant": "nf4" if cache == "nf4" else "none",
                                               "block": cache_block,
                                               "samples": cache_samples}))
    return steps


def _text(argument: str, options: dict[str, Any]) -> str:
    if not options:
        return argument
    parts = []
    for key, value in options.items():
        parts.append(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}")
    return argument + "{" + " ".join(parts) + "}"


def training(strategy: str, **options: Any) -> str:
    """The textual pipeline that turns an imported module into a training step.

    Cleanup passes (canonicalize, cse) follow the gradient generation and
    the forward cache.
    """
    steps = training_steps(strategy, **options)
    texts = [_text(a, o) for a, o in steps]
    sgd = next(i for i, (a, _) in enumerate(steps) if a == "edgeft-sgd")
    texts[sgd:sgd] = ["canonicalize", "cse"]
    if steps[-1][0] == "edgeft-forward-cache":
        texts += ["canonicalize", "cse"]
    return "builtin.module(" + ",".join(texts) + ")"


def training_passes(strategy: str, **options: Any) -> list[Any]:
    """The edgeft pass objects of `training(...)`, without the cleanup passes."""
    return [registry.make_pass(a, " ".join(f"{k}={v}" for k, v in o.items()))
            for a, o in training_steps(strategy, **options)]
