"""Strategy names are parsed in one place (edgeft.training.strategies) and the
pipeline, edgeft-select-trainable and edgeft-inject-lora agree on them."""

from __future__ import annotations

from pathlib import Path

import pytest
from torch_mlir import ir

from edgeft import pipelines
from edgeft.ir import builders as b
from edgeft.ir.context import make_context
from edgeft.ir.errors import UserError
from edgeft.ir.graph import find_layer_op, function
from edgeft.passes.inject_lora import _lora_count
from edgeft.passes.select_trainable import parse_strategy
from edgeft.training import strategies


@pytest.mark.parametrize(("name", "kind", "k", "family"), [
    ("ft-all", "ft-all", 0, "ft"), ("lp", "lp", 0, "ft"), ("ft-3", "ft-k", 3, "ft"),
    ("lora-last", "lora-last", 0, "lora"), ("lora-2", "lora-k", 2, "lora"),
    ("skip-lora", "skip-lora", 0, "skip-lora"),
])
def test_parse(name: str, kind: str, k: int, family: str) -> None:
    parsed = strategies.parse(name)
    assert (parsed.kind, parsed.k, parsed.family) == (kind, k, family)


@pytest.mark.parametrize("name", ["ft-most", "lora", "ft-0", "lora-0", "FT-ALL", "ft--1"])
def test_bad_names_are_refused_by_every_reader(name: str) -> None:
    with pytest.raises(ValueError):
        strategies.parse(name)
    with pytest.raises(UserError):
        pipelines.training(name)
    with pytest.raises(ValueError):
        parse_strategy(name, 0)


def test_the_readers_agree() -> None:
    assert parse_strategy("ft-2", 0) == ("ft-k", 2)
    assert parse_strategy("ft-k", 4) == ("ft-k", 4)
    assert _lora_count("lora-3") == 3 and _lora_count("fc*") == 0
    assert "edgeft-select-trainable{strategy=lp}" in pipelines.training("lora-1")
    assert "edgeft-inject-skip-lora" in pipelines.training("skip-lora")


INPUTS = Path(__file__).resolve().parents[1] / "lit-tests" / "passes" / "Inputs"


@pytest.mark.parametrize(("source", "weight", "kind", "groups", "output"), [
    ("grouped.mlir", "dw.weight", "conv", 2, [2, 2, 4, 4]),
    ("grouped.mlir", "gc.weight", "conv", 2, [2, 4, 2, 2]),
    ("conv.mlir", "conv1.weight", "conv", 1, [2, 2, 4, 4]),
    ("conv.mlir", "fc.weight", "linear", 1, [2, 3]),
    ("tokens.mlir", "mix.weight", "batched_linear", 1, [2, 4, 5]),
])
def test_layer_finders(source: str, weight: str, kind: str, groups: int,
                       output: list[int]) -> None:
    """The op applying each layer's weight, as adapters see it: a depthwise conv
    has one group per channel, a grouped conv's output is its collapsed NCHW result."""
    with make_context():
        module = ir.Module.parse((INPUTS / source).read_text())
        block = function(module.operation, "forward").regions[0].blocks[0]
        found = find_layer_op(block, weight)
        assert not isinstance(found, str), found
        assert (found.kind, found.groups, b.shape_of(found.output)) == (kind, groups, output)
