"""Forward-mode differentiation of the scalar bodies of linalg.generic ops.

`clone_body` re-emits a generic's body in a new block (the adjoint generic
recomputes the primal scalars it needs), and `tangents` then differentiates
every scalar with respect to one seed value, the way forward-mode AD does on
straight-line code. The tangent rules below cover the arith and math ops
torch-mlir emits for our models; an op outside them that carries a tangent
is reported with its name.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from torch_mlir import ir

from edgeft.ir.builders import arith, cmpf, scalar, select

# Ops whose results carry no derivative: comparisons, integer and index
# arithmetic, casts from integers, constants, structural ops.
NON_DIFFERENTIABLE = {
    "arith.cmpf", "arith.cmpi", "arith.constant", "arith.index_cast", "arith.index_castui",
    "arith.sitofp", "arith.uitofp", "arith.fptosi", "arith.fptoui", "arith.extui",
    "arith.extsi", "arith.trunci", "arith.addi", "arith.subi", "arith.muli", "arith.divsi",
    "arith.divui", "arith.remsi", "arith.remui", "arith.andi", "arith.ori", "arith.xori",
    "arith.floordivsi", "arith.ceildivsi", "arith.maxsi", "arith.minsi", "arith.shli",
    "arith.shrsi", "arith.shrui", "linalg.index", "tensor.extract", "tensor.dim",
    "math.floor", "math.ceil", "math.round", "math.roundeven", "math.trunc",
}
SKIPPED = {"cf.assert", "linalg.yield"}


class NoTangentRule(Exception):
    """A scalar op with a tangent flowing into it that we cannot differentiate."""

    def __init__(self, op: ir.Operation) -> None:
        super().__init__(op.name)
        self.op = op


def clone_body(block: ir.Block, mapping: dict[ir.Value, ir.Value]) -> dict[ir.Value, ir.Value]:
    """Re-emit the ops of a generic body at the insertion point.

    `mapping` maps the old block arguments to new values; it is extended with
    every cloned result. Assertions are dropped: the forward already checked.
    """
    for op in block.operations:
        op = op.operation
        if op.name in SKIPPED:
            continue
        attributes = {name: op.attributes[name] for name in op.attributes}
        new = ir.Operation.create(op.name, results=[r.type for r in op.results],
                                  operands=[mapping.get(v, v) for v in op.operands],
                                  attributes=attributes, loc=op.location)
        for old, result in zip(op.results, new.results, strict=True):
            mapping[old] = result
    return mapping


def yielded(block: ir.Block) -> list[ir.Value]:
    """The values a body yields."""
    return list(block.operations[len(block.operations) - 1].operands)


def tangents(block: ir.Block, primal: dict[ir.Value, ir.Value],
             seed: ir.Value) -> dict[ir.Value, ir.Value]:
    """Tangent of every scalar of `block` with respect to `seed` (an old value).

    `primal` maps old values to their re-emitted versions. Returns old value ->
    new tangent value; values absent from the result have a zero tangent.
    """
    tangent: dict[ir.Value, ir.Value] = {seed: scalar(1.0, seed.type)}
    for op in block.operations:
        op = op.operation
        if op.name in SKIPPED:
            continue
        incoming = [tangent.get(v) for v in op.operands]
        if all(t is None for t in incoming) or op.name in NON_DIFFERENTIABLE:
            continue
        rule = RULES.get(op.name)
        if rule is None:
            raise NoTangentRule(op)
        args = [primal.get(v, v) for v in op.operands]
        result = primal[op.results[0]]
        t = rule(args, incoming, result)
        if t is not None:
            tangent[op.results[0]] = t
    return tangent


# --- tangent rules: (primal args, tangents of args (None = 0), primal result) ---

Rule = Callable[[list[ir.Value], list[ir.Value | None], ir.Value], ir.Value | None]


def _sum(*terms: ir.Value | None) -> ir.Value | None:
    present = [t for t in terms if t is not None]
    if not present:
        return None
    total = present[0]
    for t in present[1:]:
        total = arith("arith.addf", total, t)
    return total


def _scale(t: ir.Value | None, factor: ir.Value) -> ir.Value | None:
    return None if t is None else arith("arith.mulf", t, factor)


def _neg(t: ir.Value | None) -> ir.Value | None:
    return None if t is None else arith("arith.negf", t)


def _const(like: ir.Value, value: float) -> ir.Value:
    return scalar(value, like.type)


def _add(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    return _sum(t[0], t[1])


def _sub(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    return _sum(t[0], _neg(t[1]))


def _mul(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    return _sum(_scale(t[0], a[1]), _scale(t[1], a[0]))


def _div(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    # d(x / y) = (dx - dy * (x / y)) / y
    numerator = _sum(t[0], _neg(_scale(t[1], r)))
    return None if numerator is None else arith("arith.divf", numerator, a[1])


def _neg_rule(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    return _neg(t[0])


def _pick(predicate: str) -> Rule:
    """max/min: the tangent of the operand that wins (the first one on ties)."""
    def rule(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
        first_wins = cmpf(predicate, a[0], a[1])
        return select(first_wins, t[0] if t[0] is not None else _const(r, 0.0),
                      t[1] if t[1] is not None else _const(r, 0.0))
    return rule


def _select(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    zero = _const(r, 0.0)
    on_true = t[1] if t[1] is not None else zero
    on_false = t[2] if t[2] is not None else zero
    return select(a[0], on_true, on_false)


def _exp(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    return _scale(t[0], r)


def _exp2(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    return _scale(t[0], arith("arith.mulf", r, _const(r, math.log(2.0))))


def _expm1(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    return _scale(t[0], arith("arith.addf", r, _const(r, 1.0)))


def _log(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    return arith("arith.divf", t[0], a[0])


def _log1p(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    return arith("arith.divf", t[0], arith("arith.addf", a[0], _const(r, 1.0)))


def _log2(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    return arith("arith.divf", t[0], arith("arith.mulf", a[0], _const(r, math.log(2.0))))


def _erf(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    # d erf(x) = 2 / sqrt(pi) * exp(-x^2)
    square = arith("arith.mulf", a[0], a[0])
    gauss = arith("math.exp", arith("arith.negf", square))
    return _scale(t[0], arith("arith.mulf", gauss, _const(r, 2.0 / math.sqrt(math.pi))))


def _tanh(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    return _scale(t[0], arith("arith.subf", _const(r, 1.0), arith("arith.mulf", r, r)))


def _rsqrt(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    # d x^(-1/2) = -1/2 x^(-3/2) = -1/2 r^3
    cube = arith("arith.mulf", arith("arith.mulf", r, r), r)
    return _scale(t[0], arith("arith.mulf", cube, _const(r, -0.5)))


def _sqrt(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    return arith("arith.divf", arith("arith.mulf", t[0], _const(r, 0.5)), r)


def _abs(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    zero = _const(r, 0.0)
    sign = select(cmpf("ogt", a[0], zero), _const(r, 1.0),
                  select(cmpf("olt", a[0], zero), _const(r, -1.0), zero))
    return _scale(t[0], sign)


def _powf(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    # d x^y = y x^(y-1) dx + x^y log(x) dy
    base, exponent = a
    d_base = None
    if t[0] is not None:
        lowered = arith("math.powf", base, arith("arith.subf", exponent, _const(r, 1.0)))
        d_base = _scale(t[0], arith("arith.mulf", exponent, lowered))
    d_exp = None
    if t[1] is not None:
        d_exp = _scale(t[1], arith("arith.mulf", r, arith("math.log", base)))
    return _sum(d_base, d_exp)


def _fpowi(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    # d x^n = n x^(n-1) dx; the integer exponent carries no tangent. x^(n-1)
    # rather than r / x keeps the derivative finite at x = 0.
    base, exponent = a
    lowered = arith("math.fpowi", base, arith("arith.subi", exponent,
                                              scalar(1, exponent.type)))
    factor = arith("arith.sitofp", exponent, result=r.type)
    return _scale(t[0], arith("arith.mulf", factor, lowered))


def _fma(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    return _sum(_scale(t[0], a[1]), _scale(t[1], a[0]), t[2])


def _cast(name: str) -> Rule:
    def rule(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
        return arith(name, t[0], result=r.type)
    return rule


def _sin(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    return _scale(t[0], arith("math.cos", a[0]))


def _cos(a: list[ir.Value], t: list[ir.Value | None], r: ir.Value) -> ir.Value | None:
    return _neg(_scale(t[0], arith("math.sin", a[0])))


RULES: dict[str, Rule] = {
    "arith.addf": _add,
    "arith.subf": _sub,
    "arith.mulf": _mul,
    "arith.divf": _div,
    "arith.negf": _neg_rule,
    "arith.maximumf": _pick("oge"),
    "arith.maxnumf": _pick("oge"),
    "arith.minimumf": _pick("ole"),
    "arith.minnumf": _pick("ole"),
    "arith.select": _select,
    "arith.extf": _cast("arith.extf"),
    "arith.truncf": _cast("arith.truncf"),
    "math.exp": _exp,
    "math.exp2": _exp2,
    "math.expm1": _expm1,
    "math.log": _log,
    "math.log1p": _log1p,
    "math.log2": _log2,
    "math.erf": _erf,
    "math.tanh": _tanh,
    "math.rsqrt": _rsqrt,
    "math.sqrt": _sqrt,
    "math.absf": _abs,
    "math.powf": _powf,
    "math.fpowi": _fpowi,
    "math.fma": _fma,
    "math.sin": _sin,
    "math.cos": _cos,
}
