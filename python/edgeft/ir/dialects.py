"""Verifiers for the `pulp` and `redmule` dialects that IRDL cannot state.

IRDL (dialects/*.irdl.mlir) checks operand counts, attribute presence and
attribute values. The checks here need to look inside memref types: ranks,
shapes, element types and memory levels. They run as dynamic op traits, so
the ordinary MLIR verifier calls them for every op, after parsing and after
every pass.
"""

from __future__ import annotations

from collections.abc import Callable

from torch_mlir import ir

from edgeft.ir import queries

LEVELS = ("L1", "L2", "L3")


memory_level = queries.memory_level


def _is_contiguous(t: ir.MemRefType) -> bool:
    strides, _ = t.get_strides_and_offset()
    expected = 1
    for size, stride in zip(reversed(t.shape), reversed(strides), strict=True):
        if size != 1 and stride != expected:  # a unit dim's stride is never used
            return False
        expected *= size
    return True


def _fail(op: ir.OpView, message: str) -> bool:
    op.location.emit_error(f"'{op.name}' op {message}")
    return False


def _check_transfer(op: ir.OpView) -> str | None:
    src, dst = (ir.MemRefType(v.type) for v in op.operands)
    if src.element_type != dst.element_type:
        return "requires src and dst of the same element type"
    src_level, dst_level = memory_level(src), memory_level(dst)
    if src_level is None or dst_level is None:
        return 'requires src and dst in pulp memory levels (#pulp.level<"L1|L2|L3">)'
    if src_level == dst_level:
        return f"requires src and dst in different memory levels, both are {src_level}"
    if not (src.has_static_shape and dst.has_static_shape):
        return "requires statically shaped src and dst"
    return None


def verify_dma_1d(op: ir.OpView) -> bool:
    """A 1-D DMA moves one contiguous block: same element count, no strides."""
    problem = _check_transfer(op)
    if problem:
        return _fail(op, problem)
    src, dst = (ir.MemRefType(v.type) for v in op.operands)
    if _count(src) != _count(dst):
        return _fail(op, f"requires equal element counts, got {_count(src)} and {_count(dst)}")
    if not (_is_contiguous(src) and _is_contiguous(dst)):
        return _fail(op, "requires contiguous src and dst (use pulp.dma_start_2d for strided rows)")
    return True


def verify_dma_2d(op: ir.OpView) -> bool:
    """A 2-D DMA moves rows: rank 2, same shape, each row contiguous."""
    problem = _check_transfer(op)
    if problem:
        return _fail(op, problem)
    src, dst = (ir.MemRefType(v.type) for v in op.operands)
    if src.rank != 2 or dst.rank != 2:
        return _fail(op, f"requires rank-2 src and dst, got ranks {src.rank} and {dst.rank}")
    if list(src.shape) != list(dst.shape):
        return _fail(op, f"requires src and dst of the same shape, got {src.shape} and {dst.shape}")
    for side, t in (("src", src), ("dst", dst)):
        strides, _ = t.get_strides_and_offset()
        if strides[1] != 1 and t.shape[1] != 1:  # a one-element row has no inner stride
            return _fail(op, f"requires unit inner stride on {side}, got {strides[1]}")
    return True


def verify_parallel(op: ir.OpView) -> bool:
    """The core count is a positive i32 and the body ends in pulp.yield."""
    cores = op.attributes["cores"]
    if not isinstance(cores, ir.IntegerAttr) or ir.IntegerAttr(cores).value < 1:
        return _fail(op, f"requires a positive integer 'cores', got {cores}")
    block = op.regions[0].blocks[0]
    ops = list(block.operations)
    if not ops or ops[-1].name != "pulp.yield":
        return _fail(op, "requires its body to end with pulp.yield")
    return True


def verify_yield(op: ir.OpView) -> bool:
    """pulp.yield only ends a pulp.parallel body."""
    parent = op.operation.parent
    if parent is None or parent.name != "pulp.parallel":
        return _fail(op, "expects parent op 'pulp.parallel'")
    return True


def verify_barrier(op: ir.OpView) -> bool:
    """A barrier synchronises the cores of a parallel region, so it sits in one."""
    parent = op.operation.parent
    while parent is not None:
        if parent.name == "pulp.parallel":
            return True
        parent = parent.parent
    return _fail(op, "must be nested in a pulp.parallel region")


def verify_gemm(op: ir.OpView) -> bool:
    """Shapes, element types and levels of a RedMulE job: Z = X W (+ Y)."""
    attrs = op.attributes
    sizes = {}
    for name in ("m", "n", "k"):
        attr = attrs[name]
        if not isinstance(attr, ir.IntegerAttr) or ir.IntegerAttr(attr).value < 1:
            return _fail(op, f"requires a positive integer '{name}', got {attr}")
        sizes[name] = ir.IntegerAttr(attr).value
    kind, fmt = str(attrs["op"]).strip('"'), str(attrs["format"]).strip('"')
    if kind not in ("matmul", "gemm") or fmt not in ("fp32", "fp16"):
        return True  # IRDL reports the value
    operands = list(op.operands)
    if kind == "gemm" and len(operands) != 4:
        return _fail(op, "with op \"gemm\" requires the accumulator operand Y")
    if kind == "matmul" and len(operands) != 3:
        return _fail(op, "with op \"matmul\" takes no Y operand")
    m, n, k = sizes["m"], sizes["n"], sizes["k"]
    names = ["X", "W", "Y", "Z"] if len(operands) == 4 else ["X", "W", "Z"]
    shapes = {"X": [m, n], "W": [n, k], "Y": [m, k], "Z": [m, k]}
    element = {"fp32": ir.F32Type.get(context=op.context),
               "fp16": ir.F16Type.get(context=op.context)}[fmt]
    for name, value in zip(names, operands, strict=True):
        t = ir.MemRefType(value.type)
        if list(t.shape) != shapes[name]:
            return _fail(op, f"requires {name} of shape {_shape(shapes[name])}, "
                             f"got {_shape(t.shape)}")
        if t.element_type != element:
            return _fail(op, f"with format \"{fmt}\" requires {element} operands, "
                             f"{name} is {t.element_type}")
        level = memory_level(t)
        if level != "L1":
            return _fail(op, f"requires operands in L1, {name} is in {level or 'no pulp level'}")
    return True


def _count(t: ir.MemRefType) -> int:
    n = 1
    for d in t.shape:
        n *= d
    return n


def _shape(shape: list[int]) -> str:
    return "x".join(str(d) for d in shape)


VERIFIERS: dict[str, Callable[[ir.OpView], bool]] = {
    "pulp.dma_start_1d": verify_dma_1d,
    "pulp.dma_start_2d": verify_dma_2d,
    "pulp.parallel": verify_parallel,
    "pulp.yield": verify_yield,
    "pulp.barrier": verify_barrier,
    "redmule.gemm": verify_gemm,
}


# What IRDL checks itself; the checks above run only on ops that pass it,
# because the trait verifiers run before the IRDL verifier.
_STRUCTURE: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "pulp.dma_start_1d": ((2,), ()),
    "pulp.dma_start_2d": ((2,), ()),
    "pulp.parallel": ((0,), ("cores",)),
    "pulp.yield": ((0,), ()),
    "pulp.barrier": ((0,), ()),
    "redmule.gemm": ((3, 4), ("m", "n", "k", "op", "format")),
}


def _memref_operands(op: ir.OpView) -> bool:
    return all(isinstance(v.type, ir.MemRefType) for v in op.operands)


class _Verifier:
    """Adapter from a verifier function to the dynamic op trait protocol."""

    def __init__(self, name: str, check: Callable[[ir.OpView], bool]) -> None:
        self.counts, self.attributes = _STRUCTURE[name]
        self.check = check

    def verify_invariants(self, op: ir.OpView) -> bool:
        if len(op.operands) not in self.counts or not _memref_operands(op):
            return True  # IRDL reports the operand count or type
        if any(a not in op.attributes for a in self.attributes):
            return True  # IRDL reports the missing attribute
        return self.check(op)


def attach_verifiers(ctx: ir.Context) -> None:
    """Attach the verifiers above and mark pulp.yield as a terminator."""
    ir.IsTerminatorTrait.attach("pulp.yield", context=ctx)
    for name, check in VERIFIERS.items():
        ir.DynamicOpTrait.attach(name, _Verifier(name, check), context=ctx)
