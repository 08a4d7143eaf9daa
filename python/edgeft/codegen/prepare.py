"""Get a training module ready for C: add @predict, bufferize, lower to loops.

The lowering is upstream MLIR only: one-shot bufferization with identity
layouts at function boundaries, results as out-parameters, linalg to
structured loops (scf.for), strided views made explicit
(memref.reinterpret_cast with static offsets and strides).
"""

from __future__ import annotations

from torch_mlir import ir, passmanager

from edgeft.errors import UserError
from edgeft.graph import ancestor_in, erase_unused, function, layer_of

BUFFERIZE = (
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-results-to-out-params{modify-public-functions}"
)
LOWER = "func.func(convert-linalg-to-loops),expand-strided-metadata,lower-affine,canonicalize,cse"
TO_LOOPS = f"builtin.module({BUFFERIZE},{LOWER})"


def logits_of_forward(forward: ir.OpView) -> ir.Value:
    """The value the loss reads: a (batch, classes) float tensor made outside the loss."""
    block = forward.regions[0].blocks[0]
    for op in block.operations:
        op = op.operation
        if layer_of(op) != "loss":
            continue
        for value in op.operands:
            producer = value.owner.operation if isinstance(value, ir.OpResult) else None
            if producer is None or layer_of(producer) == "loss":
                continue
            t = value.type
            if isinstance(t, ir.RankedTensorType) and len(t.shape) == 2 and \
                    isinstance(t.element_type, ir.FloatType):
                return value
    raise UserError("cannot find the logits in @forward (ops of the loss are located "
                    "at 'loss' by edgeft import)")


def add_predict(module: ir.Module) -> None:
    """@predict(x) -> logits: @forward without its loss, for evaluation."""
    forward = function(module.operation, "forward")
    with module.context:
        clone = forward.operation.clone(ip=ir.InsertionPoint.after(forward))
        clone.attributes["sym_name"] = ir.StringAttr.get("predict")
        block = clone.regions[0].blocks[0]
        logits = logits_of_forward(clone.opview if hasattr(clone, "opview") else clone)
        ret = block.operations[len(block.operations) - 1]
        with ir.InsertionPoint(ret), ret.location:
            ir.Operation.create("func.return", operands=[logits])
        ret.operation.erase()
        args = [a.type for a in block.arguments]
        clone.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get(args, [logits.type]))
        # Remove the dead loss (its label gather asserts, so DCE keeps it), then
        # the labels argument nobody reads any more.
        erase_unused(block)
        if any(True for _ in block.arguments[1].uses):
            raise UserError("@predict still reads the labels after removing the loss")
        block.erase_argument(1)
        clone.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get([args[0]], [logits.type]))


CARRIED_ATTRS = ("edgeft.trainable", "edgeft.cache", "edgeft.adapter_of", "edgeft.state_of")


def to_loops(module: ir.Module, target=None) -> None:
    """Bufferize and lower to scf loops in place, then update globals in place.

    For a target with an L1 (siracusa), linalg ops are generalized and tiled
    (edgeft-tile) between bufferization and the lowering to loops. The
    edgeft attributes of the ml_program globals (trainable, cache, adapter,
    state) carry over to the memref globals bufferization makes.
    """
    carried = {}
    for op in module.body.operations:
        if op.operation.name == "ml_program.global":
            attrs = {a: op.attributes[a] for a in CARRIED_ATTRS if a in op.attributes}
            carried[ir.StringAttr(op.attributes["sym_name"]).value] = attrs
    with module.context:
        try:
            if target is None or "L1" not in target.levels:
                passmanager.PassManager.parse(TO_LOOPS).run(module.operation)
            else:
                _tile_and_lower(module, target)
        except ir.MLIRError as e:
            from edgeft import diagnostics

            first = diagnostics.from_error(e)[0]
            raise UserError(f"lowering to loops failed: {first.message}") from None
        for op in module.body.operations:
            if op.operation.name == "func.func" and op.regions[0].blocks:
                write_globals_in_place(op.regions[0].blocks[0])
            if op.operation.name == "memref.global":
                for key, value in carried.get(
                        ir.StringAttr(op.attributes["sym_name"]).value, {}).items():
                    op.attributes[key] = value


def _tile_and_lower(module: ir.Module, target) -> None:
    """bufferize, generalize, then tile, promote to L1, offload GEMMs to
    RedMulE and split core kernels over the cluster, then lower to loops."""
    from edgeft.passes.offload_redmule import OffloadRedmule
    from edgeft.passes.parallelize import Parallelize
    from edgeft.passes.promote import Promote
    from edgeft.passes.tile import Tile

    passmanager.PassManager.parse(
        f"builtin.module({BUFFERIZE},func.func(linalg-generalize-named-ops))").run(
        module.operation)
    l1 = target.levels["L1"].bytes
    pm = passmanager.PassManager("builtin.module")
    pm.add(Tile(target=target.name, l1=l1))
    pm.add(Promote(target=target.name, l1=l1))
    if target.redmule is not None:
        pm.add(OffloadRedmule(format=target.redmule.format, l1=l1))
    pm.add(Parallelize(cores=target.cores))
    pm.run(module.operation)
    passmanager.PassManager.parse(f"builtin.module({LOWER})").run(module.operation)


def plan_memory(module: ir.Module, target) -> list:
    """Run edgeft-plan-memory for a hierarchical target (levels and offsets);
    returns the placed buffers (edgeft.memory.Placed) for charts."""
    from edgeft.passes.plan_memory import PlanMemory, placed_buffers

    l1, l2, l3 = (target.levels[n].bytes for n in ("L1", "L2", "L3"))
    pm = passmanager.PassManager("builtin.module", context=module.context)
    pm.add(PlanMemory(target=target.name, l1=l1, l2=l2, l3=l3))
    try:
        pm.run(module.operation)
    except ir.MLIRError as e:
        from edgeft import diagnostics

        raise UserError(diagnostics.from_error(e)[0].message) from None
    return placed_buffers(module.operation)


def write_globals_in_place(block: ir.Block) -> None:
    """Drop the private copy bufferization makes of a global that a function
    updates in part (the forward cache's rows):

        %a = memref.alloc; memref.copy %g, %a; <writes into %a>; memref.copy %a, %g
      becomes
        <writes into %g>

    when nothing else touches that global between the two copies. Without
    this, every cache fill would copy the whole cache twice.
    """
    while _write_one_in_place(block):
        pass


def _write_one_in_place(block: ir.Block) -> bool:
    ops = [o.operation for o in block.operations]
    position = {op: i for i, op in enumerate(ops)}
    for i, first in enumerate(ops):
        if first.name != "memref.copy":
            continue
        source, copy = first.operands
        name = _global_name(source)
        alloc = copy.owner.operation if isinstance(copy, ir.OpResult) else None
        if name is None or alloc is None or alloc.name != "memref.alloc":
            continue
        back = [u for u in _users(copy) if u.name == "memref.copy" and u.operands[0] == copy
                and _global_name(u.operands[1]) == name and u in position]
        if len(back) != 1 or position[back[0]] < i:
            continue
        end = position[back[0]]
        inside = all(i <= position.get(ancestor_in(u, block), -1) <= end for u in _users(copy))
        touched = any(i < position.get(ancestor_in(u, block), -1) < end
                      for g in ops if g.name == "memref.get_global" and _global_name(g.results[0])
                      == name for u in _users(g.results[0]))
        if not inside or touched:
            continue
        copy.replace_all_uses_with(source)
        back[0].erase()
        first.erase()
        alloc.erase()
        return True
    return False


def _global_name(value: ir.Value) -> str | None:
    producer = value.owner.operation if isinstance(value, ir.OpResult) else None
    if producer is None or producer.name != "memref.get_global":
        return None
    return ir.FlatSymbolRefAttr(producer.attributes["name"]).value


def _users(value: ir.Value) -> list[ir.Operation]:
    return [use.owner.operation for use in value.uses]


