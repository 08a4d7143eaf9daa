"""Activity analysis and liveness on a real model: what the backward touches."""

from __future__ import annotations

from torch_mlir import ir

from edgeft.ir.graph import function
from edgeft.passes.registry import build_pass_manager

_KEEP_ALIVE: list[ir.Module] = []  # the ops and values below point into these modules


def _backward(imported, pipeline: str) -> tuple[list[ir.Operation], set[ir.Value]]:
    """(backward ops, forward values they read) of @train_step before cleanup."""
    source = imported("lenet5", batch=4).module
    with source.context:
        module = ir.Module.parse(source.operation.get_asm(enable_debug_info=True))
        build_pass_manager(pipeline, source.context).run(module.operation)
    _KEEP_ALIVE.append(module)
    forward_count = len(function(module.operation, "forward").regions[0].blocks[0].operations) - 1
    step = function(module.operation, "train_step")
    ops = [o.operation for o in step.regions[0].blocks[0].operations]
    forward, backward = ops[:forward_count], ops[forward_count:-1]
    produced = {r for op in forward for r in op.results}
    read = set()
    for op in backward:
        stack = [op]
        while stack:
            current = stack.pop()
            read.update(v for v in current.operands if v in produced)
            for region in current.regions:
                for block in region.blocks:
                    stack.extend(o.operation for o in block.operations)
    return backward, read


def _producers(values: set[ir.Value]) -> set[str]:
    return {v.owner.name for v in values if isinstance(v, ir.OpResult)}


def test_ft_last_reads_no_frozen_activation(imported) -> None:
    backward, read = _backward(imported,
                               "edgeft-select-trainable{strategy=ft-last},edgeft-autodiff")
    names = [op.name for op in backward]
    # One weight-gradient product; nothing flows into conv1, conv2, fc1 or fc2.
    assert names.count("linalg.matmul") == 1
    assert not any("conv" in n or "pooling" in n for n in names)
    # The backward keeps alive the head's input and the loss's own values,
    # never a convolution or pooling output.
    assert not any("conv" in p or "pooling" in p for p in _producers(read))
    assert len(read) <= 12


def test_skip_lora_gradient_stays_out_of_the_network(imported) -> None:
    backward, read = _backward(imported, "edgeft-inject-skip-lora,edgeft-autodiff")
    names = [op.name for op in backward]
    assert not any("conv" in n or "pooling" in n for n in names)
    # Only adapter products: dA_i and dB_i for five taps, plus B_i^T dY.
    assert names.count("linalg.matmul") == 15
    loads = {ir.FlatSymbolRefAttr(v.owner.attributes["global"]).value for v in read
             if isinstance(v, ir.OpResult) and v.owner.name == "ml_program.global_load"}
    assert loads <= {f"skip_lora.{i}.lora_{m}" for i in range(5) for m in "AB"}


def test_ft_all_stops_at_the_first_layer(imported) -> None:
    """Every weight gets a gradient, but the padded input never gets one."""
    backward, _ = _backward(imported, "edgeft-select-trainable{strategy=ft-all},edgeft-autodiff")
    stored = {ir.FlatSymbolRefAttr(op.attributes["global"]).value for op in backward
              if op.name == "ml_program.global_store"}
    assert len(stored) == 10
    shapes = {str(r.type) for op in backward for r in op.results}
    assert "tensor<4x1x32x32xf32>" not in shapes  # d(padded x) is never built
    assert "tensor<4x6x14x14xf32>" in shapes      # d(pool1 output) is, for conv2
