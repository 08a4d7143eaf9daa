"""Strategy names are parsed in one place (edgeft.training.strategies) and the
pipeline, edgeft-select-trainable and edgeft-inject-lora agree on them."""

from __future__ import annotations

import pytest

from edgeft import pipelines
from edgeft.ir.errors import UserError
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
