"""edgeft-fuse-elementwise: elementwise producers fused into the generic that reads them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torch_mlir import ir
from torch_mlir.dialects import linalg

from edgeft.ir import builders as b
from edgeft.ir.builders import clone_mapped
from edgeft.ir.queries import functions, indexing_maps, nested, producer
from edgeft.passes.base import EdgeftPass

# On a fused op: how many linalg.generic ops of the unfused program it stands for.
FUSED_ATTR = "edgeft.fused"


@dataclass(frozen=True)
class FuseElementwise(EdgeftPass):
    """Fuse each elementwise linalg.generic into the linalg.generic that reads
    its result, on tensors before bufferization, so that the intermediate
    tensor is never written: the chains of torch's LayerNorm, softmax, GELU
    and loss decompositions, a ReLU's mask times its incoming gradient, the
    SGD step, and an elementwise producer of a reduction (a square summed for
    a variance) become one op, one kernel and one round trip through L1.

    A producer fuses when it is a linalg.generic with parallel loops only,
    one result read by nothing but one operand of the consumer, a
    permutation as output map, no `linalg.index` and no read of its init;
    and the consumer (a linalg.generic, reductions allowed) reads that
    operand through a permutation of all of its loops. Every element of the
    producer is then computed exactly once, in the consumer's loop, from the
    same operands in the same order: the fused program gives the same f32
    values as the unfused one (where the C compiler contracts multiply-adds,
    as on the cores, it may now contract a multiply and an add that were two
    kernels). The permutation rule keeps contractions as
    they are: a matmul or convolution reads each operand through a
    projection (`A[m, k]` of an (m, n, k) space), so nothing fuses into
    them and they stay what RedMulE and the register-blocked kernels take,
    and a broadcast read (a LayerNorm's `rsqrt(var + eps)` per row, read
    per element) is not fused either, which would recompute it per element.
    Upstream's `linalg-fuse-elementwise-ops` fuses both, and reshapes
    besides. Inputs that end up the same tensor through the same map are
    read once. Applied until nothing fuses; the fused op keeps the
    consumer's location (its layer in the reports) and counts the ops it
    replaced in `edgeft.fused`.

        %t = linalg.generic {parallel} ins(%x, %m : ...) outs(%e) {
               %0 = arith.subf %in, %in_0 : f32  linalg.yield %0 }
        %s = linalg.generic {parallel, reduction} ins(%t) outs(%acc) {
               %1 = arith.mulf %in, %in : f32  %2 = arith.addf %1, %out  linalg.yield %2 }
      becomes
        %s = linalg.generic {parallel, reduction} ins(%x, %m) outs(%acc) {
               %0 = arith.subf %in, %in_0  %1 = arith.mulf %0, %0
               %2 = arith.addf %1, %out  linalg.yield %2 }
    """

    argument: ClassVar[str] = "edgeft-fuse-elementwise"

    def __call__(self, op: ir.Operation, pass_: Any) -> None:
        """Fuse until nothing fuses, in every function."""
        for func in functions(op):
            while any(_fuse_into(c) for c in nested(func.operation, "linalg.generic")):
                pass


def _permutation(m: ir.AffineMap) -> list[int] | None:
    """The loop dim of each result when `m` is a permutation of all its dims."""
    if m.n_symbols or not m.is_permutation:
        return None
    return [ir.AffineDimExpr(e).position for e in m.results]


def _iterators(op: ir.Operation) -> list[str]:
    return [str(ir.Attribute(a)).split("<")[-1].rstrip(">")
            for a in ir.ArrayAttr(op.attributes["iterator_types"])]


def _fusable_producer(consumer: ir.Operation, index: int) -> ir.Operation | None:
    """The producer of the consumer's input `index` when it may fuse into it."""
    value = consumer.operands[index]
    p = producer(value)
    if p is None or p.name != "linalg.generic" or len(p.results) != 1:
        return None
    if not isinstance(value.type, ir.RankedTensorType):
        return None
    if any(u.owner != consumer for u in value.uses) or sum(1 for _ in value.uses) != 1:
        return None
    if any(kind != "parallel" for kind in _iterators(p)):
        return None
    body = p.regions[0].blocks[0]
    if any(True for _ in body.arguments[len(p.operands) - 1].uses):
        return None   # it reads its init: not an elementwise function of its inputs
    if any(o.operation.name == "linalg.index" for o in body.operations):
        return None
    if _permutation(indexing_maps(p)[-1]) is None or \
            _permutation(indexing_maps(consumer)[index]) is None:
        return None
    return p


def _fuse_into(consumer: ir.Operation) -> bool:
    """Fuse the first fusable producer of one of the consumer's inputs; whether one fused."""
    inputs = len(consumer.operands) - len(consumer.results)
    for index in range(inputs):
        p = _fusable_producer(consumer, index)
        if p is not None:
            _fuse(p, consumer, index)
            return True
    return False


def _loops_of_producer(p: ir.Operation, consumer: ir.Operation, index: int) -> list[ir.AffineExpr]:
    """Each producer loop as an expression of the consumer's loops."""
    out = _permutation(indexing_maps(p)[-1])
    read = indexing_maps(consumer)[index]
    exprs: list[ir.AffineExpr | None] = [None] * len(out)
    for result, loop in enumerate(out):
        exprs[loop] = read.results[result]
    return [e for e in exprs if e is not None]


def _fuse(p: ir.Operation, consumer: ir.Operation, index: int) -> None:
    consumer_maps = indexing_maps(consumer)
    loops = consumer_maps[0].n_dims
    to_consumer = ir.AffineMap.get(loops, 0, _loops_of_producer(p, consumer, index))
    p_inputs = len(p.operands) - 1
    p_maps = indexing_maps(p)
    c_inputs = len(consumer.operands) - len(consumer.results)
    # (value, map) of each input of the fused op; where an input comes from
    inputs: list[tuple[ir.Value, ir.AffineMap]] = []
    slot: dict[tuple[int, int], int] = {}      # (0 = producer | 1 = consumer, arg) -> input

    def add(key: tuple[int, int], value: ir.Value, m: ir.AffineMap) -> None:
        for i, (v, seen) in enumerate(inputs):
            if v == value and seen == m:
                slot[key] = i
                return
        slot[key] = len(inputs)
        inputs.append((value, m))

    for i in range(c_inputs):
        if i == index:
            for k in range(p_inputs):
                composed = ir.AffineMap.get(
                    loops, 0, [e.compose(to_consumer) for e in p_maps[k].results])
                add((0, k), p.operands[k], composed)
        else:
            add((1, i), consumer.operands[i], consumer_maps[i])
    outputs = list(consumer.operands[c_inputs:])
    maps = [m for _, m in inputs] + consumer_maps[c_inputs:]
    with ir.InsertionPoint(consumer), consumer.location:
        fused = linalg.GenericOp(
            result_tensors=[r.type for r in consumer.results],
            inputs=[v for v, _ in inputs], outputs=outputs,
            indexing_maps=b.maps_attr(maps),
            iterator_types=consumer.attributes["iterator_types"])
        for name in [a.name for a in map(consumer.attributes.__getitem__,
                                             range(len(consumer.attributes)))]:
            if name not in ("indexing_maps", "iterator_types", "operandSegmentSizes",
                            FUSED_ATTR):
                fused.operation.attributes[name] = consumer.attributes[name]
        fused.operation.attributes[FUSED_ATTR] = ir.IntegerAttr.get(
            ir.IntegerType.get_signless(64), _count(p) + _count(consumer))
        block = fused.regions[0].blocks.append(
            *[b.element_of(v) for v, _ in inputs], *[b.element_of(v) for v in outputs])
        args = list(block.arguments)
        p_body = p.regions[0].blocks[0]
        c_body = consumer.regions[0].blocks[0]
        mapping = {p_body.arguments[k]: args[slot[(0, k)]] for k in range(p_inputs)}
        with ir.InsertionPoint(block):
            for o in list(p_body.operations)[:-1]:
                clone_mapped(o.operation, mapping)
            produced = mapping.get(p_body.operations[len(p_body.operations) - 1].operands[0],
                                   p_body.operations[len(p_body.operations) - 1].operands[0])
            for i in range(c_inputs):
                mapping[c_body.arguments[i]] = (produced if i == index
                                                else args[slot[(1, i)]])
            for k in range(len(outputs)):
                mapping[c_body.arguments[c_inputs + k]] = args[len(inputs) + k]
            for o in c_body.operations:
                clone_mapped(o.operation, mapping)
    for old, new in zip(consumer.results, fused.results, strict=True):
        old.replace_all_uses_with(new)
    consumer.erase()
    p.erase()


def _count(op: ir.Operation) -> int:
    if FUSED_ATTR in op.attributes:
        return ir.IntegerAttr(op.attributes[FUSED_ATTR]).value
    return 1
