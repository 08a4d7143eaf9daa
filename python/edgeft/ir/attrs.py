"""Every `edgeft.*` attribute, named once, and typed accessors.

    from edgeft.ir import attrs
    attrs.has(op, attrs.TRAINABLE)
    attrs.integer(alloc, attrs.OFFSET), attrs.string(alloc, attrs.LEVEL)
    attrs.set_int(alloc, attrs.OFFSET, 4096)

Nothing outside this module spells an attribute name as a literal.
"""

from __future__ import annotations

from torch_mlir import ir

# On parameter globals (ml_program.global, then memref.global).
TRAINABLE = "edgeft.trainable"      # unit: the global trains
ADAPTER_OF = "edgeft.adapter_of"    # string: the base parameter a LoRA/Skip-LoRA adapter adapts
STATE_OF = "edgeft.state_of"        # string: the parameter an optimizer state belongs to
GRADIENT_OF = "edgeft.gradient_of"  # string: the parameter a gradient global holds the gradient of
CACHE = "edgeft.cache"              # dict: the forward cache's quant, samples, segments, block
BUFFER = "edgeft.buffer"            # unit: a PyTorch buffer (running statistics), never trained

# The memory plan (edgeft-plan-memory).
LEVEL = "edgeft.level"              # string on allocs and globals: L1, L2, L3 or flat
OFFSET = "edgeft.offset"            # i64 on allocs and globals: bytes into the level's arena
MEMORY = "edgeft.memory"            # dict on the module: bytes per level (+ <level>_lower_bound)
STAGING = "edgeft.dma_staging"      # dict on the module: level, offset, bytes of L1<->L3 staging
ARENA = "edgeft.arena"              # i64 on the module: the flat target's one arena
L2_BUDGET = "edgeft.l2_budget"      # dict on the module: the L2 budget the program's image left

# Tiling, promotion, offload and the core split.
TILE = "edgeft.tile"                # i64 array on a tiled linalg op: its tile sizes
TILE_ID = "edgeft.tile_id"          # i64 on a linalg op, between edgeft-tile's steps
FUSION = "edgeft.fusion"            # i64 array [group, role], between edgeft-tile's steps
TILING = "edgeft.tiling"            # dict on the module: edgeft-tile's summary
PROMOTED = "edgeft.promoted"        # unit on a linalg op whose operands are in L1
COPY = "edgeft.copy"                # unit on a linalg.generic that copies its input to its output
BUFFERING = "edgeft.buffering"      # i64: 2 on ops whose loop prefetches the next tile
GROUP = "edgeft.group"              # i64 on the linalg ops of one fused tile group
REDMULE_OPS = "edgeft.redmule_ops"  # i64 on the module: RedMulE jobs in the IR
CORES = "edgeft.cores"              # i64 on a parallelized op: the cores it is split over
UNROLL = "edgeft.unroll"            # i64 on an scf.for: the C compiler unrolls it that often

# The performance estimate's marks on its own copy of the module.
SERIAL = "edgeft.serial"            # unit on a one-core pulp.parallel the estimate wrapped
KERNEL = "edgeft.kernel"            # string on a pulp.parallel: the C kernel it became

# The attributes the training passes put on a global that later stages read.
CARRIED = (TRAINABLE, CACHE, ADAPTER_OF, STATE_OF)


def has(op: ir.Operation | ir.OpView, name: str) -> bool:
    """Whether `op` carries attribute `name`."""
    return name in op.attributes


def string(op: ir.Operation | ir.OpView, name: str) -> str | None:
    """A string attribute's value, or None if `op` lacks it."""
    return ir.StringAttr(op.attributes[name]).value if name in op.attributes else None


def integer(op: ir.Operation | ir.OpView, name: str) -> int | None:
    """An integer attribute's value, or None if `op` lacks it."""
    return ir.IntegerAttr(op.attributes[name]).value if name in op.attributes else None


def int_dict(op: ir.Operation | ir.OpView, name: str) -> dict[str, int] | None:
    """A dictionary attribute of integers as a dict, or None if `op` lacks it."""
    if name not in op.attributes:
        return None
    attr = ir.DictAttr(op.attributes[name])
    return {attr[i].name: ir.IntegerAttr(attr[i].attr).value for i in range(len(attr))}


def set_string(op: ir.Operation | ir.OpView, name: str, value: str) -> None:
    """Set a string attribute."""
    op.attributes[name] = ir.StringAttr.get(value, op.context)


def set_int(op: ir.Operation | ir.OpView, name: str, value: int) -> None:
    """Set an i64 attribute."""
    op.attributes[name] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64, op.context), value)


def set_unit(op: ir.Operation | ir.OpView, name: str) -> None:
    """Set a unit attribute."""
    op.attributes[name] = ir.UnitAttr.get(op.context)
