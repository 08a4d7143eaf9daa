"""A model's layer structure, recovered from its parameter globals.

The strategies of METHODS.md speak of layers, blocks and the head. The
module knows only its parameter globals, named after the PyTorch
parameters in registration order, so the structure is read from the names:

- a *layer* is a parameter name without its last component
  (`blocks.1.attn.qkv.weight` -> `blocks.1.attn.qkv`); a parameter at the
  top (`pos_emb`) is a layer of its own;
- a *block* is the set of layers under `<container>.<index>`
  (`blocks.0`, `blocks.1`) when a container holds two or more indices: a
  transformer. The layers before the first block form the tokenizer, the
  layers after the last one (final norm, pooling, classifier) the head
  section;
- without blocks (a CNN or MLP) every layer is a unit;
- the head is the last layer.

Globals that are not parameters (buffers such as BatchNorm running
statistics, gradients, optimizer state, adapters) are ignored, so no
strategy trains a buffer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from torch_mlir import ir

from edgeft.ir import attrs
from edgeft.ir.queries import symbol_name

# Globals that are state, not parameters: the model's buffers, gradients,
# optimizer state, the forward cache; adapters are parameters but not the model's.
STATE_ATTRS = (attrs.BUFFER, attrs.GRADIENT_OF, attrs.STATE_OF, attrs.CACHE)
NOT_PARAMETER_ATTRS = (*STATE_ATTRS, attrs.ADAPTER_OF)
_BLOCK = re.compile(r"^(?P<key>(?:.*\.)?[A-Za-z_]\w*\.\d+)(?:\.|$)")


@dataclass(frozen=True)
class Layer:
    """A PyTorch module that owns parameters."""

    name: str
    params: tuple[str, ...]


@dataclass(frozen=True)
class Unit:
    """What a strategy counts: a block of a transformer or a layer of a CNN."""

    name: str
    layers: tuple[Layer, ...]

    @property
    def params(self) -> list[str]:
        """The parameter names of the unit's layers, in order."""
        return [p for layer in self.layers for p in layer.params]


@dataclass(frozen=True)
class Structure:
    """Layers in order, the units strategies count, and the head."""

    layers: tuple[Layer, ...]
    units: tuple[Unit, ...]
    blocks: tuple[Unit, ...]
    is_transformer: bool

    @property
    def head(self) -> Layer:
        """The classifier: the last layer."""
        return self.layers[-1]

    @property
    def head_section(self) -> Unit:
        """The head with what sits between the last block and it (transformers)."""
        return self.units[-1]

    def last_units(self, k: int) -> list[Unit]:
        """The last k blocks (transformer) or the k layers before the head (CNN)."""
        candidates = list(self.blocks) if self.is_transformer else list(self.units[:-1])
        return candidates[len(candidates) - k:] if k else []

    @property
    def countable(self) -> int:
        """How many units `ft-k` and `lora-k` can count: blocks, or the layers before the head."""
        return len(self.blocks) if self.is_transformer else len(self.units) - 1


def parameter_names(module: ir.Operation) -> list[str]:
    """Names of the parameter globals of `module`, in order."""
    names = []
    for op in module.regions[0].blocks[0].operations:
        if op.operation.name != "ml_program.global":
            continue
        if any(a in op.attributes for a in NOT_PARAMETER_ATTRS):
            continue
        names.append(symbol_name(op))
    return names


def trained_and_adapter_names(module: ir.Operation) -> list[str]:
    """Parameters including adapters (not gradients, not optimizer state)."""
    names = []
    for op in module.regions[0].blocks[0].operations:
        if op.operation.name != "ml_program.global":
            continue
        if any(a in op.attributes for a in STATE_ATTRS):
            continue
        names.append(symbol_name(op))
    return names


def layer_name(param: str) -> str:
    """The PyTorch module owning a parameter (`fc1.weight` -> `fc1`)."""
    return param.rpartition(".")[0] or param


def block_key(layer: str) -> str | None:
    """The block a layer belongs to (`blocks.0.attn` -> `blocks.0`), or None."""
    m = _BLOCK.match(layer)
    return m.group("key") if m else None


def structure_of(names: list[str]) -> Structure:
    """Group parameter names into layers, blocks and units."""
    layers: list[Layer] = []
    for name in names:
        layer = layer_name(name)
        if layers and layers[-1].name == layer:
            layers[-1] = Layer(layer, (*layers[-1].params, name))
        else:
            layers.append(Layer(layer, (name,)))
    keys = [block_key(layer.name) for layer in layers]
    containers: dict[str, set[str]] = {}
    for key in keys:
        if key is not None:
            container, _, index = key.rpartition(".")
            containers.setdefault(container, set()).add(index)
    block_container = next((c for c, idx in containers.items() if len(idx) >= 2), None)
    if block_container is None or len(layers) < 2:
        units = tuple(Unit(layer.name, (layer,)) for layer in layers)
        return Structure(tuple(layers), units, (), False)
    in_block = [k is not None and k.rpartition(".")[0] == block_container for k in keys]
    first = in_block.index(True)
    last = len(in_block) - 1 - in_block[::-1].index(True)
    units: list[Unit] = []
    if first > 0:
        units.append(Unit("tokenizer", tuple(layers[:first])))
    blocks: list[Unit] = []
    for layer, key in zip(layers[first:last + 1], keys[first:last + 1], strict=True):
        if blocks and blocks[-1].name == key:
            blocks[-1] = Unit(key, (*blocks[-1].layers, layer))
        else:
            blocks.append(Unit(key or layer.name, (layer,)))
    units.extend(blocks)
    units.append(Unit("head", tuple(layers[last + 1:]) or (layers[-1],)))
    return Structure(tuple(layers), tuple(units), tuple(blocks), True)


def module_structure(module: ir.Operation) -> Structure:
    """The structure of a module's parameter globals."""
    return structure_of(parameter_names(module))
