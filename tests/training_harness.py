"""Run a compiled training step and the PyTorch reference side by side."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch
from torch_reference import SkipLora, sgd_steps, unit_modules, with_lora

from edgeft import pipelines
from edgeft.backends.executor import Executable
from edgeft.frontend.importer import ImportedModel
from edgeft.passes.registry import build_pass_manager
from edgeft.training.structure import structure_of

LR = 0.1
REL_TOL = 1e-4   # justified in tests/test_training.py


@dataclass
class Pair:
    """The compiled step and its PyTorch twin, from identical values."""

    executable: Executable
    reference: torch.nn.Module
    trainable: dict[str, str]   # reference parameter name -> global name
    loss: str


def compile_step(imported: ImportedModel, strategy: str, **options) -> Executable:
    """Import (already done) + the standard training pipeline, JIT-compiled."""
    module = imported.module
    from torch_mlir import ir

    with module.context:
        copy = ir.Module.parse(module.operation.get_asm(assume_verified=True,
                                                        enable_debug_info=True))
        build_pass_manager(pipelines.training(strategy, lr=LR, **options),
                           module.context).run(copy.operation)
    return Executable(copy)


def with_random_lora_b(executable: Executable, seed: int) -> dict[str, np.ndarray]:
    """Give every LoRA B of `executable` random values (B = 0 would leave A without
    a gradient); returns all its globals as they are now."""
    values = executable.globals()
    rng = np.random.default_rng(seed)
    for name in values:
        if name.endswith("lora_B"):
            values[name] = (rng.standard_normal(values[name].shape) * 0.1).astype(np.float32)
            executable.set_global(name, values[name])
    return values


def paired(imported: ImportedModel, strategy: str, conv_form: str = "dense",
           momentum: float = 0.0) -> Pair:
    """Compile `strategy`, give every LoRA B random values (so A gets a gradient too),
    and build the same model with the same adapters in PyTorch."""
    executable = compile_step(imported, strategy, conv_form=conv_form, momentum=momentum)
    values = with_random_lora_b(executable, seed=11)
    reference, trainable = reference_of(imported, strategy, values, conv_form)
    return Pair(executable, reference, trainable, imported.loss)


def reference_of(imported: ImportedModel, strategy: str, values: dict[str, np.ndarray],
                 conv_form: str = "dense") -> tuple[torch.nn.Module, dict[str, str]]:
    """The PyTorch model with the adapters `strategy` adds, from the compiled
    module's global `values`, and which of its parameters train (reference
    name -> global name)."""
    names = [n for n, _ in imported.torch_model.named_parameters()]
    structure = structure_of(names)
    if strategy == "skip-lora":
        pooled = [structure.is_transformer and i > 0 for i in range(len(structure.units))]
        reference = SkipLora(imported.torch_model, unit_modules(structure), pooled, values)
        trainable = {f"lora_{m}.{i}": f"skip_lora.{i}.lora_{m}"
                     for i in range(len(structure.units)) for m in "AB"}
    elif strategy.startswith("lora-"):
        layers = sorted({k.rsplit(".", 1)[0] for k in values if k.endswith(".lora_A")})
        reference = with_lora(imported.torch_model, layers, values, 1.0, conv_form)
        trainable = {}
        for name, _ in reference.named_parameters():
            if "lora_" in name:
                trainable[name] = name
            elif re.match(r"lora-\d+$", strategy) and name.startswith(structure.head.name + "."):
                trainable[name] = name
    else:
        from edgeft.passes.select_trainable import select

        reference = __import__("copy").deepcopy(imported.torch_model)
        trainable = {n: n for n in select(structure, strategy)}
    return reference, trainable


def global_name(reference_name: str) -> str:
    """Reference parameter names of wrapped layers drop the `.base` level."""
    return reference_name.replace(".base.", ".")


def check_steps(pair: Pair, batches: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
    """Run `batches` through the compiled step and through torch.optim.SGD: the
    losses and every trained parameter agree within REL_TOL (tolerance: see
    tests/test_training.py), trained parameters move, frozen ones do not."""
    before = pair.executable.globals()
    losses = [float(pair.executable.call("train_step", x.numpy(), y.numpy())[0])
              for x, y in batches]
    reference_losses = sgd_steps(pair.reference, list(pair.trainable), batches, LR, pair.loss,
                                 momentum=pair_momentum(pair))
    np.testing.assert_allclose(losses, reference_losses, rtol=REL_TOL)
    after = pair.executable.globals()
    reference = dict(pair.reference.named_parameters())
    for ref_name, glob in pair.trainable.items():
        expected = reference[ref_name].detach().numpy()
        scale = np.abs(expected).max()
        np.testing.assert_allclose(after[glob], expected, rtol=0, atol=REL_TOL * scale,
                                   err_msg=f"parameter {glob}")
        # A parameter PyTorch moves beyond rounding must move here too (cct2's
        # pool.bias has an exactly zero gradient: both leave it, up to noise).
        if not np.allclose(expected, before[glob], rtol=0, atol=REL_TOL * scale):
            assert not np.array_equal(after[glob], before[glob]), f"{glob} did not train"
    trained = set(pair.trainable.values())
    for name, value in after.items():
        if name not in trained and not name.endswith(".momentum"):
            np.testing.assert_array_equal(value, before[name], err_msg=f"frozen {name} moved")


def pair_momentum(pair: Pair) -> float:
    """The momentum a test set on the pair (0 unless given)."""
    return getattr(pair, "momentum", 0.0)
