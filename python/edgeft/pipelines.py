"""Standard pass pipelines: one per fine-tuning strategy, one per target.

    edgeft.pipelines.training(strategy="lora-2", rank=4, lr=0.1)
    edgeft.pipelines.lowering(edgeft.target.get("siracusa", l1=16384))

return the textual pipelines `edgeft-opt -p` takes: the training step from
an imported module (BUILD/train.mlir), and the backend from a training step
to lowered, planned IR (BUILD/lowered.mlir) that `edgeft-translate --to-c`
turns into C. `training_passes` returns the training pass objects for a
PassManager of your own.
"""

from __future__ import annotations

from typing import Any

from edgeft.ir.errors import UserError
from edgeft.options import DEFAULTS
from edgeft.passes import registry
from edgeft.target import Target
from edgeft.training import strategies


def describe() -> str:
    """The strategy names a user may give."""
    return strategies.describe()


CACHE_KINDS = ("none", "fp32", "nf4")


def training_steps(strategy: str, rank: int = DEFAULTS.rank, alpha: float | None = None,
                   lr: float = DEFAULTS.lr, momentum: float = DEFAULTS.momentum,
                   seed: int = DEFAULTS.seed, conv_form: str = DEFAULTS.conv_form,
                   cache: str = DEFAULTS.cache, cache_samples: int = DEFAULTS.cache_samples,
                   cache_block: int = DEFAULTS.cache_block) -> list[tuple[str, dict[str, Any]]]:
    """(pass argument, options) in order for `strategy`; `cache` fp32 or nf4
    appends the forward cache for `cache_samples` samples."""
    if cache not in CACHE_KINDS:
        raise UserError(f"unknown cache '{cache}' (known: {', '.join(CACHE_KINDS)})")
    alpha = float(rank) if alpha is None else alpha
    try:
        parsed = strategies.parse(strategy)
    except ValueError as e:
        raise UserError(str(e)) from None
    if parsed.kind in ("ft-k", "lora-k") and parsed.k == 0:
        raise UserError(f"unknown strategy '{strategy}' (known: {describe()})")
    lora = ("edgeft-inject-lora", {"rank": rank, "alpha": alpha, "targets": strategy,
                                   "conv-form": conv_form, "seed": seed})
    steps: list[tuple[str, dict[str, Any]]]
    if parsed.kind == "ft-k":
        steps = [("edgeft-select-trainable", {"strategy": "ft-k", "k": parsed.k})]
    elif parsed.family == "ft":
        steps = [("edgeft-select-trainable", {"strategy": strategy})]
    elif parsed.kind == "lora-k":
        steps = [("edgeft-select-trainable", {"strategy": "lp"}), lora]
    elif parsed.family == "lora":
        steps = [lora]
    else:
        steps = [("edgeft-inject-skip-lora", {"rank": rank, "seed": seed})]
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


# The lowering to loops after the memory stages: linalg to scf loops, strided
# views made explicit (memref.reinterpret_cast with static offsets and
# strides), affine maps to arith.
LOOPS = ("func.func(convert-linalg-to-loops)", "expand-strided-metadata", "lower-affine",
         "canonicalize", "cse")


def lowering_steps(target: Target) -> list[tuple[str, dict[str, Any]]]:
    """(pass argument, options) in order for the backend of `target`; upstream
    passes have no options here (theirs are spelled in their name)."""
    # f64 demoted first, on tensors, for every target: flat and tiled programs
    # then compute the same f32 arithmetic and stay bit-identical.
    steps: list[tuple[str, dict[str, Any]]] = [("edgeft-demote-f64", {}),
                                               ("edgeft-derive-predict", {}),
                                               ("edgeft-fuse-elementwise", {}),
                                               ("edgeft-bufferize", {}),
                                               ("edgeft-update-in-place", {})]
    if "L1" in target.levels:
        l1 = target.levels["L1"].bytes
        tile: dict[str, Any] = {"target": target.name, "l1": l1}
        if target.redmule is not None:
            tile["redmule-format"] = target.redmule.format
        steps += [("edgeft-copies-to-kernels", {}),
                  ("func.func(linalg-generalize-named-ops)", {}), ("edgeft-tile", tile),
                  ("edgeft-promote", {"target": target.name, "l1": l1})]
        if target.redmule is not None:
            steps.append(("edgeft-offload-redmule", {"format": target.redmule.format,
                                                     "l1": l1, "target": target.name,
                                                     "cores": target.cores}))
        steps.append(("edgeft-parallelize", {"cores": target.cores}))
    else:
        # the flat host: every kernel split into the same slices as on the cluster,
        # which the runtime gives to threads (their number is chosen at run time)
        steps += [("func.func(linalg-generalize-named-ops)", {}),
                  ("edgeft-parallelize", {"cores": target.cores, "ops": "all"})]
    rows, cols = target.register_block
    block: dict[str, Any] = {"rows": rows, "cols": cols}
    if target.vector_lanes:
        block.update(vector=target.vector_lanes, vectors=target.vector_blocks)
    steps.append(("edgeft-register-block", block))
    steps += [(name, {}) for name in LOOPS]
    steps.append(("edgeft-write-globals-in-place", {}))
    plan: dict[str, Any] = {"target": target.name}
    if target.hierarchical:
        # a level that shares its memory with the program's image keeps the pass's
        # default (0: what the image leaves, edgeft.analysis.footprint)
        plan.update({level.lower(): target.levels[level].bytes for level in ("L1", "L2", "L3")
                     if target.levels[level].image is None})
    steps.append(("edgeft-plan-memory", plan))
    return steps


def lowering(target: Target) -> str:
    """The textual pipeline from a training step to lowered, planned IR for `target`:
    f64 arithmetic demoted to f32, @predict, elementwise chains fused, bufferization,
    updates written into their globals, [copies as kernels, generalization, tiling,
    promotion to L1, RedMulE offload, the core split | on the flat host:
    generalization, the split into slices,] register blocks, loops, globals written
    in place, the memory plan."""
    return "builtin.module(" + ",".join(_text(a, o) for a, o in lowering_steps(target)) + ")"


def training_passes(strategy: str, **options: Any) -> list[Any]:
    """The edgeft pass objects of `training(...)`, without the cleanup passes."""
    return [registry.make_pass(a, " ".join(f"{k}={v}" for k, v in o.items()))
            for a, o in training_steps(strategy, **options)]
