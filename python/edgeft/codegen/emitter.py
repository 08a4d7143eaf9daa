"""The C emitter: scf/arith/math/memref/func after lowering to loops -> C11.

Design:
- every memref value is a *view* known at compile time: a C base pointer
  expression, an element offset and strides (static after
  expand-strided-metadata), so a load is `base[offset + i*s0 + j*s1]`;
- `memref.alloc` becomes a slice of a static arena at a named offset: the
  level and offset edgeft-plan-memory gave it (one arena for the flat
  target, one per level for siracusa); the emitter plans nothing;
- parameter globals become mutable arrays (their initial values live in
  weights.c and `edgeft_init` copies them), constant globals `const` arrays;
- each top-level loop nest is outlined into its own `static void` kernel
  named after, and commented with, the PyTorch layer its op came from;
- names are numbered in program order, so the same module gives the same C.

Ops are dispatched through `Emitter.OPS`; the `pulp` and `redmule` dialects
add entries there (DMA calls, job descriptors) with the memory stages.
"""

from __future__ import annotations

import collections
import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from torch_mlir import ir

from edgeft.analysis.counts import far_side, home_level
from edgeft.analysis.liveness import alloc_lifetimes
from edgeft.ir import attrs, queries
from edgeft.ir.errors import UserError
from edgeft.ir.graph import layer_of
from edgeft.ir.queries import symbol_name
from edgeft.ir.types import shaped_bytes

C_TYPES = {"f32": "float", "f64": "double", "i1": "bool", "i8": "int8_t", "i16": "int16_t",
           "i32": "int32_t", "i64": "int64_t", "index": "long",
           "!pulp.token": "edgeft_dma_token_t"}
NUMPY_TYPES = {"f32": np.float32, "f64": np.float64, "i1": np.bool_, "i8": np.int8,
               "i16": np.int16, "i32": np.int32, "i64": np.int64}


class EmitError(UserError):
    """An op or type the emitter cannot translate (names it and its layer)."""


# vector<N x f32> of the host's register blocks: edgeft_vector.h
VECTOR_LANES = (4, 8, 16)


def ctype(t: ir.Type) -> str:
    """The C type of a scalar MLIR type (f32 -> float, index -> long, ...) or of a
    vector<N x f32> (edgeft_v8f, ...)."""
    name = str(t)
    if name in C_TYPES:
        return C_TYPES[name]
    if isinstance(t, ir.VectorType):
        lanes = t.shape
        if str(t.element_type) == "f32" and len(lanes) == 1 and lanes[0] in VECTOR_LANES:
            return f"edgeft_v{lanes[0]}f"
    raise EmitError(f"the C emitter has no type for {name}")


_WORD = re.compile(r"\w+")


@functools.cache
def _last_word(expression: str) -> str:
    """The last identifier or number of a C expression (`((float *)(a + OFF))` -> OFF)."""
    return _WORD.findall(expression)[-1]


def c_identifier(text: str) -> str:
    """The text with every character C does not allow in an identifier replaced by `_`."""
    return re.sub(r"[^0-9A-Za-z_]", "_", text)


def float_literal(value: float, t: str) -> str:
    """A C literal that reads back as exactly `value` in type `t`."""
    suffix = "f" if t == "float" else ""
    if math.isnan(value):
        return "NAN" if t == "float" else "(double)NAN"
    if math.isinf(value):
        sign = "-" if value < 0 else ""
        return f"{sign}INFINITY" if t == "float" else f"{sign}(double)INFINITY"
    text = f"{value:.9g}" if t == "float" else f"{value:.17g}"
    if not any(c in text for c in ".en"):
        text += ".0"
    return text + suffix


@dataclass
class View:
    """A memref as C sees it: `base[offset + sum(i_k * strides[k])]`."""

    base: str
    element: str
    shape: list[int]
    offset: int | str = 0
    strides: list[int | str] = field(default_factory=list)

    @staticmethod
    def contiguous(base: str, element: str, shape: list[int]) -> View:
        """The row-major view of a whole buffer at `base`."""
        strides: list[int | str] = []
        running = 1
        for d in reversed(shape):
            strides.insert(0, running)
            running *= d
        return View(base, element, list(shape), 0, strides)

    def at(self, indices: list[str]) -> str:
        """The C lvalue of the element at `indices` (C expressions, one per dimension)."""
        terms = [] if self.offset in (0, "0") else [str(self.offset)]
        for index, stride in zip(indices, self.strides, strict=True):
            if stride == 1:
                terms.append(index)
            elif stride != 0:
                terms.append(f"{index} * {stride}")
        return f"{self.base}[{' + '.join(terms) or '0'}]"

    @property
    def count(self) -> int:
        """The number of elements the view spans."""
        return math.prod(self.shape)

    def is_contiguous(self) -> bool:
        """Whether the view's strides are the row-major ones of its shape."""
        return View.contiguous(self.base, self.element, self.shape).strides == self.strides


@dataclass
class Buffer:
    """An arena slice: its name, size and live range in a function."""

    name: str
    bytes: int
    start: int
    end: int
    layer: str
    shape: str
    offset: int
    level: str   # "flat" (the flat target's one arena) or a memory level (L1, L2, L3)


def _memref_type(value: ir.Value) -> ir.MemRefType:
    return ir.MemRefType(value.type)


def _attr_int(op: ir.Operation, name: str) -> int:
    return ir.IntegerAttr(op.attributes[name]).value


def integer_literal(v: int, c: str) -> str:
    """The C literal of integer `v` of C type `c`.

    The most negative value of a width has no literal (its magnitude does not
    fit the type, so `-2147483648` is a wider unsigned constant), hence the
    <stdint.h> macros; 64-bit values beyond 32 bits need INT64_C.
    """
    if c == "bool":
        return "true" if v else "false"
    width = {"int8_t": 8, "int16_t": 16, "int32_t": 32, "int64_t": 64}.get(c)
    if width is not None and v == -(2 ** (width - 1)):
        return f"INT{width}_MIN"
    return f"INT64_C({v})" if c == "int64_t" and abs(v) > 2**31 - 1 else str(v)


class FunctionEmitter:
    """Emits one func.func as a C function plus its kernels."""

    def __init__(self, module: Emitter, func: ir.OpView) -> None:
        self.module = module
        self.func = func
        self.name = symbol_name(func)
        self.values: dict[ir.Value, str] = {}
        self.views: dict[ir.Value, View] = {}
        self.counter = 0
        self.kernels: list[str] = []
        self.buffers: list[Buffer] = []
        self.params: list[str] = []
        # C expression of a buffer's start -> (element type, name inside kernels)
        self.bases: dict[str, tuple[str, str]] = {}
        # last word of a base -> its bases, for the first `_indexed` entries of `bases`
        self._bases_by_word: dict[str, list[str]] = {}
        self._indexed = 0

    # --- names -------------------------------------------------------------------

    def fresh(self, prefix: str = "v") -> str:
        """A new C name: `prefix` and the function's next number."""
        self.counter += 1
        return f"{prefix}{self.counter}"

    def value(self, v: ir.Value) -> str:
        """The C expression of an SSA value (constants are inlined where they are used)."""
        if v in self.values:
            return self.values[v]
        owner = queries.constant_op(v)
        if owner is not None:
            return self.constant(owner)
        raise EmitError(f"value used before the C emitter defined it in @{self.name}")

    def constant(self, op: ir.Operation) -> str:
        """The C literal of an arith.constant."""
        attr = op.attributes["value"]
        t = op.results[0].type
        c = ctype(t)
        if isinstance(attr, ir.FloatAttr):
            return float_literal(ir.FloatAttr(attr).value, c)
        if isinstance(attr, ir.BoolAttr):  # i1 constants parse as BoolAttr, not IntegerAttr
            return "true" if ir.BoolAttr(attr).value else "false"
        if isinstance(attr, ir.IntegerAttr):
            return integer_literal(ir.IntegerAttr(attr).value, c)
        raise EmitError(f"unsupported constant {attr}")

    # --- buffers -----------------------------------------------------------------

    def read_plan(self) -> None:
        """The function's buffers with the level and offset edgeft-plan-memory gave
        them, in top-level order (the live ranges name them in comments)."""
        for life in alloc_lifetimes(self.func):
            t = _memref_type(life.op.results[0])
            if attrs.OFFSET not in life.op.attributes or attrs.LEVEL not in life.op.attributes:
                raise EmitError(f"a buffer of @{self.name} (PyTorch layer '{layer_of(life.op)}') "
                                "has no planned edgeft.level and edgeft.offset: run "
                                "edgeft-plan-memory first")
            size = shaped_bytes(t)
            shape = "x".join(map(str, t.shape)) or "scalar"
            self.buffers.append(Buffer(f"{len(self.buffers)}", size, life.start, life.end,
                                       layer_of(life.op), f"{shape}x{t.element_type}",
                                       _attr_int(life.op, attrs.OFFSET),
                                       ir.StringAttr(life.op.attributes[attrs.LEVEL]).value))

    def offset_name(self, index: int) -> str:
        """The C macro of the arena offset of the function's buffer number `index`."""
        return f"EDGEFT_OFF_{self.name.upper()}_{index}"

    # --- emission ------------------------------------------------------------------

    def emit(self) -> str:
        """The C of the function: its outlined kernels, then `static void edgeft_<name>_fn`."""
        block = self.func.regions[0].blocks[0]
        self.read_plan()
        t = ir.FunctionType(ir.TypeAttr(self.func.attributes["function_type"]).value)
        if t.results:
            raise EmitError(f"@{self.name} returns values; run buffer-results-to-out-params")
        for i, (arg, arg_type) in enumerate(zip(block.arguments, t.inputs, strict=True)):
            if not isinstance(arg_type, ir.MemRefType):
                raise EmitError(f"@{self.name} takes a {arg_type} argument; the C translation "
                                "takes memref arguments only (bufferize first)")
            mt = ir.MemRefType(arg_type)
            c = ctype(mt.element_type)
            name = f"arg{i}"
            self.params.append(f"{c} *restrict {name}")
            self.views[arg] = View.contiguous(name, c, list(mt.shape))
            self.bases[name] = (c, name)
        body: list[str] = []
        alloc_index = 0
        for op in block.operations:
            op = op.operation
            if op.name == "func.return":
                continue
            if op.name in ("memref.alloc", "memref.alloca"):
                mt = _memref_type(op.results[0])
                c = ctype(mt.element_type)
                arena = arena_symbol(self.buffers[alloc_index].level)
                base = f"(({c} *)({arena} + {self.offset_name(alloc_index)}))"
                self.views[op.results[0]] = View.contiguous(base, c, list(mt.shape))
                self.bases[base] = (c, f"buf{alloc_index}")
                alloc_index += 1
                continue
            # a loop whose results the function reads after it stays inline
            if op.name in ("scf.for", "scf.execute_region") and not len(op.results):
                body.append(self.kernel(op))
                continue
            body.extend(self.op(op, 1))
        signature = f"static void edgeft_{self.name}_fn({', '.join(self.params) or 'void'})"
        lines = self.kernels + [f"{signature}\n{{"] + body + ["}"]
        return "\n".join(lines) + "\n"

    def kernel(self, loop: ir.Operation) -> str:
        """Outline a top-level loop nest into `static void k<N>_<layer>(...)`."""
        layer = layer_of(loop)
        name_ = f"k{len(self.kernels)}_{self.name}_{c_identifier(layer)}".rstrip("_")
        where = str(loop.location)
        source = re.search(r'"([^"]+\.py)":(\d+)', where)
        comment = f"/* {layer}" + (f" ({source.group(1)}:{source.group(2)})" if source else "") \
            + " */"
        scalars = self._outer_scalars(loop)
        body = self.op(loop, 1)
        # Every buffer the nest touches becomes a pointer parameter: readable,
        # ready for L1 tiles, and it avoids a wrong result GCC 12 -O2 gave with
        # inline arena arithmetic (docs/codegen.md).
        text = "\n".join(body)
        found = []
        for base in self._candidate_bases(text):
            c, name = self.bases[base]
            m = re.search(rf"(?<!\w){re.escape(base)}(?!\w)", text)
            if m:
                found.append((m.start(), base, c, name))
        used = [(base, c, name) for _, base, c, name in sorted(found)]
        for base, _, name in used:
            pattern = re.compile(rf"(?<!\w){re.escape(base)}(?!\w)")
            body = [pattern.sub(name, line) for line in body]
        # restrict: distinct parameters are distinct buffers (views of one
        # buffer share its base, and buffers live at the same time never
        # share arena bytes), so GCC may keep accumulators in registers.
        params = [f"{c} *restrict {name}" for _, c, name in used] + \
            [f"{ctype(v.type)} {self.value(v)}" for v in scalars]
        lines = [comment, f"static void {name_}({', '.join(params) or 'void'})", "{"]
        lines += body
        lines.append("}")
        self.kernels.append("\n".join(lines) + "\n")
        args = [base for base, _, _ in used] + [self.value(v) for v in scalars]
        return f"    {name_}({', '.join(args)});"

    def _candidate_bases(self, text: str) -> list[str]:
        """The bases whose last word occurs in `text` (in no fixed order; the
        caller sorts by position): only they can occur in it. One scan for
        words and a lookup per word, instead of a search per base and kernel
        (quadratic on deep nets)."""
        for base in list(self.bases)[self._indexed:]:
            self._bases_by_word.setdefault(_last_word(base), []).append(base)
        self._indexed = len(self.bases)
        return [b for w in set(_WORD.findall(text)) for b in self._bases_by_word.get(w, [])]

    def _outer_scalars(self, loop: ir.Operation) -> list[ir.Value]:
        """Non-constant scalars defined outside the nest that it reads (its
        bounds first)."""
        needed: list[ir.Value] = []
        for v in [*loop.operands, *_free_values(loop)[1]]:
            if queries.constant_op(v) is None and v not in needed:
                needed.append(v)
        return needed

    def op(self, op: ir.Operation, depth: int) -> list[str]:
        """The C lines of one op at loop depth `depth`, from its handler in OPS."""
        handler = OPS.get(op.name)
        if handler is None:
            layer = layer_of(op)
            where = f" (PyTorch layer '{layer}')" if layer != "?" else ""
            raise EmitError(f"the C emitter cannot translate '{op.name}'{where}")
        return handler(self, op, "    " * depth, depth)

    def define(self, op: ir.Operation, expression: str, indent: str) -> list[str]:
        """Bind the op's result to a fresh `const` C local holding `expression`."""
        result = op.results[0]
        name = self.fresh()
        self.values[result] = name
        return [f"{indent}const {ctype(result.type)} {name} = {expression};"]

    def operands(self, op: ir.Operation) -> list[str]:
        """The C expressions of the op's operands."""
        return [self.value(v) for v in op.operands]


DYNAMIC = -(2**63)  # ShapedType::kDynamic in static offset lists


# --- op handlers ----------------------------------------------------------------

Handler = Callable[[FunctionEmitter, ir.Operation, str, int], list[str]]
OPS: dict[str, Handler] = {}


def handles(*names: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the C handler of the named ops."""
    def register(fn: Handler) -> Handler:
        for name in names:
            OPS[name] = fn
        return fn
    return register


BINARY = {"arith.addf": "+", "arith.subf": "-", "arith.mulf": "*", "arith.divf": "/",
          "arith.addi": "+", "arith.subi": "-", "arith.muli": "*", "arith.divsi": "/",
          "arith.remsi": "%", "arith.andi": "&", "arith.ori": "|", "arith.xori": "^",
          "arith.divui": "/", "arith.remui": "%", "arith.shli": "<<", "arith.shrsi": ">>",
          "arith.shrui": ">>"}
UNSIGNED = {"arith.divui", "arith.remui", "arith.shrui"}


@handles(*BINARY)
def _binary(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    a, b = e.operands(op)
    if op.name in UNSIGNED:
        t = _unsigned(op.operands[0].type)
        return e.define(op, f"({ctype(op.results[0].type)})(({t}){a} {BINARY[op.name]} "
                            f"({t}){b})", indent)
    return e.define(op, f"{a} {BINARY[op.name]} {b}", indent)


def _unsigned(t: ir.Type) -> str:
    """The C unsigned type of an integer or index type's width."""
    return "unsigned long" if str(t) == "index" else f"uint{ir.IntegerType(t).width}_t" \
        if ir.IntegerType(t).width > 1 else "bool"


@handles("arith.constant")
def _constant(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    if isinstance(op.results[0].type, (ir.RankedTensorType, ir.VectorType)):
        raise EmitError("tensor constants must be bufferized before C emission")
    return []  # constants are inlined where they are used


@handles("arith.negf")
def _neg(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    operand = e.operands(op)[0]
    # An inlined negative literal needs parentheses: `--1.5f` is not C.
    return e.define(op, f"-({operand})" if operand.startswith("-") else f"-{operand}", indent)


FLOAT_FUNCTIONS = {"math.exp": "exp", "math.log": "log", "math.erf": "erf",
                   "math.tanh": "tanh", "math.sqrt": "sqrt", "math.absf": "fabs",
                   "math.powf": "pow", "math.log1p": "log1p", "math.expm1": "expm1",
                   "math.sin": "sin", "math.cos": "cos", "math.exp2": "exp2",
                   "math.log2": "log2", "math.atan": "atan", "math.floor": "floor",
                   "math.ceil": "ceil", "arith.maximumf": "fmax", "arith.minimumf": "fmin",
                   "arith.maxnumf": "fmax", "arith.minnumf": "fmin", "math.fma": "fma"}
# Float min/max from the runtime (edgeft_minmax.h): fmax.s / fmin.s on RV32 with
# the NaN semantics of each op (libm's fmaxf is maxnum only, and a call on RV32).
FLOAT_MINMAX = {"arith.maximumf": "edgeft_maximumf", "arith.minimumf": "edgeft_minimumf",
                "arith.maxnumf": "edgeft_maxnumf", "arith.minnumf": "edgeft_minnumf"}


VECTOR_MINMAX = {"arith.maximumf": "EDGEFT_VMAXIMUMF", "arith.minimumf": "EDGEFT_VMINIMUMF"}


@handles(*FLOAT_FUNCTIONS)
def _float_function(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    c = ctype(op.results[0].type)
    if isinstance(op.results[0].type, ir.VectorType):
        if op.name not in VECTOR_MINMAX:
            raise EmitError(f"the C emitter has no vector form of '{op.name}'")
        return e.define(op, f"{VECTOR_MINMAX[op.name]}({c}, {', '.join(e.operands(op))})",
                        indent)
    fn = FLOAT_FUNCTIONS[op.name] + ("f" if c == "float" else "")
    if c == "float" and op.name in FLOAT_MINMAX:
        fn = FLOAT_MINMAX[op.name]
    return e.define(op, f"{fn}({', '.join(e.operands(op))})", indent)


@handles("math.rsqrt")
def _rsqrt(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    c = ctype(op.results[0].type)
    one = "1.0f" if c == "float" else "1.0"
    fn = "sqrtf" if c == "float" else "sqrt"
    return e.define(op, f"{one} / {fn}({e.operands(op)[0]})", indent)


@handles("math.fpowi")
def _fpowi(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    """A float to an integer power: libm's pow, exact in sign for an integral exponent."""
    c = ctype(op.results[0].type)
    base, exponent = e.operands(op)
    fn = "powf" if c == "float" else "pow"
    return e.define(op, f"{fn}({base}, ({c}){exponent})", indent)


INT_MINMAX = {"arith.maxsi": ">", "arith.minsi": "<", "arith.maxui": ">", "arith.minui": "<"}


@handles(*INT_MINMAX)
def _int_minmax(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    a, b = e.operands(op)
    if op.name in ("arith.maxui", "arith.minui"):  # compare as unsigned
        t = _unsigned(op.operands[0].type)
        return e.define(op, f"(({t}){a} {INT_MINMAX[op.name]} ({t}){b}) ? {a} : {b}", indent)
    return e.define(op, f"({a} {INT_MINMAX[op.name]} {b}) ? {a} : {b}", indent)


CMPF = {0: "false", 1: "{a} == {b}", 2: "{a} > {b}", 3: "{a} >= {b}", 4: "{a} < {b}",
        5: "{a} <= {b}", 6: "({a} < {b} || {a} > {b})", 7: "!isnan({a}) && !isnan({b})",
        8: "!({a} < {b} || {a} > {b})", 9: "!({a} <= {b})", 10: "!({a} < {b})",
        11: "!({a} >= {b})", 12: "!({a} > {b})", 13: "!({a} == {b})",
        14: "isnan({a}) || isnan({b})", 15: "true"}
CMPI = {0: "==", 1: "!=", 2: "<", 3: "<=", 4: ">", 5: ">=", 6: "<", 7: "<=", 8: ">", 9: ">="}


@handles("arith.cmpf")
def _cmpf(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    a, b = e.operands(op)
    return e.define(op, CMPF[_attr_int(op, "predicate")].format(a=a, b=b), indent)


@handles("arith.cmpi")
def _cmpi(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    a, b = e.operands(op)
    predicate = _attr_int(op, "predicate")
    if predicate >= 6:  # unsigned comparisons
        t = _unsigned(op.operands[0].type)
        a, b = f"({t}){a}", f"({t}){b}"
    return e.define(op, f"{a} {CMPI[predicate]} {b}", indent)


@handles("arith.select")
def _select(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    c, a, b = e.operands(op)
    return e.define(op, f"{c} ? {a} : {b}", indent)


@handles("arith.extf", "arith.truncf", "arith.sitofp", "arith.fptosi", "arith.fptoui",
         "arith.index_cast", "arith.extsi", "arith.trunci")
def _cast(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    return e.define(op, f"({ctype(op.results[0].type)}){e.operands(op)[0]}", indent)


@handles("arith.extui", "arith.uitofp", "arith.index_castui")
def _unsigned_cast(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    """Zero-extending casts read the operand as unsigned first."""
    t = _unsigned(op.operands[0].type)
    return e.define(op, f"({ctype(op.results[0].type)})({t}){e.operands(op)[0]}", indent)


@handles("scf.for")
def _for(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    """A C for loop; loop-carried values (accumulators) are C locals declared
    before it, assigned at its yield, and they are the loop's results. An
    `edgeft.unroll` of N becomes `#pragma GCC unroll N`."""
    operands = list(op.operands)
    lb, ub, step = (e.value(v) for v in operands[:3])
    block = op.regions[0].blocks[0]
    iv = e.fresh("i")
    e.values[block.arguments[0]] = iv
    lines = []
    carried = []
    for init, arg, result in zip(operands[3:], list(block.arguments)[1:], op.results,
                                 strict=True):
        name = e.fresh("acc")
        lines.append(f"{indent}{ctype(result.type)} {name} = {e.value(init)};")
        e.values[arg] = name
        e.values[result] = name
        carried.append((name, ctype(result.type)))
    unroll = attrs.integer(op, attrs.UNROLL)
    if unroll is not None:
        # gcc and clang both read this spelling
        lines.append(f"{indent}#pragma GCC unroll {unroll}")
    lines.append(f"{indent}for (long {iv} = {lb}; {iv} < {ub}; {iv} += {step}) {{")
    inner_indent = indent + "    "
    for inner in block.operations:
        inner = inner.operation
        if inner.name == "scf.yield":
            lines += _carry(e, carried, [e.value(v) for v in inner.operands], inner_indent)
            continue
        lines += e.op(inner, depth + 1)
    lines.append(f"{indent}}}")
    return lines


def _carry(e: FunctionEmitter, carried: list[tuple[str, str]], values: list[str],
           indent: str) -> list[str]:
    """Assign the yielded values to the loop's carried locals; through
    temporaries when a value is itself a carried local (a swap)."""
    names = {name for name, _ in carried}
    pairs = [(name, c, value) for (name, c), value in zip(carried, values, strict=True)
             if name != value]
    if not any(value in names for _, _, value in pairs):
        return [f"{indent}{name} = {value};" for name, _, value in pairs]
    temps = [e.fresh("t") for _ in pairs]
    return [f"{indent}const {c} {temp} = {value};" for (_, c, value), temp
            in zip(pairs, temps, strict=True)] + \
        [f"{indent}{name} = {temp};" for (name, _, _), temp in zip(pairs, temps, strict=True)]


@handles("scf.execute_region")
def _region(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    """A C block (one lowered op: edgeft-register-block's accumulator loops)."""
    if len(op.results) or len(op.regions[0].blocks) != 1:
        raise EmitError("scf.execute_region with results or several blocks is not supported "
                        "by the C emitter")
    lines = [f"{indent}{{"]
    for inner in op.regions[0].blocks[0].operations:
        if inner.operation.name != "scf.yield":
            lines += e.op(inner.operation, depth + 1)
    lines.append(f"{indent}}}")
    return lines


@handles("scf.if")
def _if(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    if len(op.results):
        raise EmitError("scf.if with results is not supported by the C emitter")
    lines = [f"{indent}if ({e.value(op.operands[0])}) {{"]
    for i, region in enumerate(op.regions):
        if not region.blocks:
            continue
        if i == 1:
            lines.append(f"{indent}}} else {{")
        for inner in region.blocks[0].operations:
            if inner.operation.name != "scf.yield":
                lines += e.op(inner.operation, depth + 1)
    lines.append(f"{indent}}}")
    return lines


@handles("cf.assert")
def _assert(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    message = ir.StringAttr(op.attributes["msg"]).value.replace('"', "'")
    layer = layer_of(op)
    return [f'{indent}if (!({e.value(op.operands[0])})) edgeft_rt_fail("{layer}: {message}");']


@handles("memref.load")
def _load(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    view = e.views[op.operands[0]]
    indices = [e.value(v) for v in list(op.operands)[1:]]
    return e.define(op, view.at(indices), indent)


@handles("memref.store")
def _store(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    value = e.value(op.operands[0])
    view = e.views[op.operands[1]]
    indices = [e.value(v) for v in list(op.operands)[2:]]
    return [f"{indent}{view.at(indices)} = {value};"]


@handles("vector.load")
def _vector_load(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    view = e.views[op.operands[0]]
    indices = [e.value(v) for v in list(op.operands)[1:]]
    return e.define(op, f"EDGEFT_VLOAD({ctype(op.results[0].type)}, &{view.at(indices)})",
                    indent)


@handles("vector.store")
def _vector_store(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    value = e.value(op.operands[0])
    view = e.views[op.operands[1]]
    indices = [e.value(v) for v in list(op.operands)[2:]]
    return [f"{indent}EDGEFT_VSTORE({ctype(op.operands[0].type)}, &{view.at(indices)}, "
            f"{value});"]


@handles("vector.from_elements")
def _from_elements(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    return e.define(op, f"({ctype(op.results[0].type)}){{{', '.join(e.operands(op))}}}",
                    indent)


@handles("vector.broadcast")
def _broadcast(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    scalar = e.value(op.operands[0])
    if isinstance(op.operands[0].type, ir.VectorType):
        raise EmitError("the C emitter broadcasts scalars only")
    lanes = op.results[0].type.shape[0]
    vtype = ctype(op.results[0].type)
    return e.define(op, f"({vtype}){{{', '.join([scalar] * lanes)}}}", indent)


@handles("memref.get_global")
def _get_global(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    name = ir.FlatSymbolRefAttr(op.attributes["name"]).value
    mt = _memref_type(op.results[0])
    symbol = e.module.global_symbol(name)
    c = ctype(mt.element_type)
    e.views[op.results[0]] = View.contiguous(symbol, c, list(mt.shape))
    inside = c_identifier(name)  # its name as a kernel parameter; "1.weight" of a Sequential
    e.bases[symbol] = (("const " if "constant" in e.module.globals[name].attributes else "") + c,
                       f"g{inside}" if inside[:1].isdigit() else inside)
    return []


@handles("memref.reinterpret_cast")
def _reinterpret(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    source = e.views[op.operands[0]]
    offset: int | str = list(ir.DenseI64ArrayAttr(op.attributes["static_offsets"]))[0]
    sizes = list(ir.DenseI64ArrayAttr(op.attributes["static_sizes"]))
    strides = list(ir.DenseI64ArrayAttr(op.attributes["static_strides"]))
    dynamic = list(op.operands)[1:]
    if offset == DYNAMIC and len(dynamic) == 1:
        offset = e.value(dynamic[0])  # a row chosen at run time (cache writes)
    elif dynamic:
        raise EmitError("memref.reinterpret_cast with dynamic sizes or strides")
    # reinterpret_cast addresses from the source's base buffer.
    e.views[op.results[0]] = View(source.base, source.element, sizes, offset, strides)
    return []


@handles("memref.cast")
def _memref_cast(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    e.views[op.results[0]] = e.views[op.operands[0]]
    return []


@handles("memref.extract_strided_metadata")
def _metadata(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    source = e.views[op.operands[0]]
    results = list(op.results)
    e.views[results[0]] = View(source.base, source.element, [], 0, [])
    rank = len(source.shape)
    e.values[results[1]] = str(source.offset)
    for i in range(rank):
        e.values[results[2 + i]] = str(source.shape[i])
        e.values[results[2 + rank + i]] = str(source.strides[i])
    return []


@handles("memref.dealloc")
def _dealloc(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    return []  # arena slices are planned statically


@handles("memref.copy")
def _copy(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    src, dst = e.views[op.operands[0]], e.views[op.operands[1]]
    # The cores cannot address L3 (on the chip it sits behind the uDMA): a copy
    # from or to it is the runtime's, a row at a time when the view is strided.
    far = any(home_level(v, e.module.globals) == L3 for v in op.operands)
    copy = "edgeft_rt_copy" if far else "memcpy"
    if src.is_contiguous() and dst.is_contiguous():
        return [f"{indent}{copy}(&{dst.at(['0'] * len(dst.shape))}, "
                f"&{src.at(['0'] * len(src.shape))}, {src.count} * sizeof({src.element}));"]
    if far:
        return _copy_rows(e, src, dst, indent)
    lines, ivs = [], []
    for k, d in enumerate(src.shape):
        iv = e.fresh("i")
        ivs.append(iv)
        lines.append(f"{indent}{'    ' * k}for (long {iv} = 0; {iv} < {d}; ++{iv})")
    lines.append(f"{indent}{'    ' * len(ivs)}{dst.at(ivs)} = {src.at(ivs)};")
    return lines


def _copy_rows(e: FunctionEmitter, src: View, dst: View, indent: str) -> list[str]:
    """A strided copy from or to L3: one runtime copy per innermost row."""
    lines, ivs = [], []
    for k, d in enumerate(src.shape[:-1]):
        iv = e.fresh("i")
        ivs.append(iv)
        lines.append(f"{indent}{'    ' * k}for (long {iv} = 0; {iv} < {d}; ++{iv})")
    row = [*ivs, "0"]
    if src.strides[-1] != 1 or dst.strides[-1] != 1:
        raise EmitError("a copy from or to L3 whose innermost dimension is strided "
                        "(the uDMA moves contiguous rows)")
    lines.append(f"{indent}{'    ' * len(ivs)}edgeft_rt_copy(&{dst.at(row)}, &{src.at(row)}, "
                 f"{src.shape[-1]} * sizeof({src.element}));")
    return lines


@handles("func.call")
def _call(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    callee = ir.FlatSymbolRefAttr(op.attributes["callee"]).value
    args = [e.views[v].base if v in e.views else e.value(v) for v in op.operands]
    return [f"{indent}edgeft_{callee}_fn({', '.join(args)});"]


@handles("memref.memory_space_cast")
def _space_cast(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    e.views[op.results[0]] = e.views[op.operands[0]]  # one address space in C
    return []


def _first(view: View) -> str:
    """The address of a view's first element."""
    return f"&{view.at(['0'] * len(view.shape))}"


def _staged(e: FunctionEmitter, op: ir.Operation) -> bool:
    """Whether a transfer's far buffer is in L3 (it then goes through L2)."""
    return e.module.staging is not None and \
        home_level(far_side(op), e.module.globals) == "L3"


@handles("pulp.dma_start_1d")
def _dma_1d(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    src, dst = (e.views[v] for v in op.operands)
    size = f"{src.count} * sizeof({src.element})"
    if _staged(e, op):
        return e.define(op, f"edgeft_rt_dma_start_staged({_first(dst)}, {_first(src)}, {size}, "
                            f"1, 0, 0, EDGEFT_DMA_STAGING)", indent)
    return e.define(op, f"edgeft_rt_dma_start_1d({_first(dst)}, {_first(src)}, {size})", indent)


@handles("pulp.dma_start_2d")
def _dma_2d(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    src, dst = (e.views[v] for v in op.operands)
    rows, row = src.shape
    size = f"sizeof({src.element})"
    call = "edgeft_rt_dma_start_staged" if _staged(e, op) else "edgeft_rt_dma_start_2d"
    staging = ", EDGEFT_DMA_STAGING" if _staged(e, op) else ""
    return e.define(op, f"{call}({_first(dst)}, {_first(src)}, {row} * {size}, {rows}, "
                        f"{dst.strides[0]} * {size}, {src.strides[0]} * {size}{staging})", indent)


@handles("pulp.dma_wait")
def _dma_wait(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    return [f"{indent}edgeft_rt_dma_wait({e.value(op.operands[0])});"]


@handles("pulp.barrier")
def _barrier(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    return [f"{indent}edgeft_rt_barrier();"]


REDMULE_OPS = {"matmul": "EDGEFT_REDMULE_MATMUL", "gemm": "EDGEFT_REDMULE_GEMM"}
REDMULE_FORMATS = {"fp32": "EDGEFT_REDMULE_FP32", "fp16": "EDGEFT_REDMULE_FP16"}


@handles("redmule.gemm")
def _gemm(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    views = [e.views[v] for v in op.operands]
    x, w, z = views[0], views[1], views[-1]
    y = views[2] if len(views) == 4 else None
    m, n, k = (_attr_int(op, a) for a in ("m", "n", "k"))
    kind = ir.StringAttr(op.attributes["op"]).value
    fmt = ir.StringAttr(op.attributes["format"]).value
    inner = indent + "    "
    return [
        f"{indent}{{ /* RedMulE job: Z[{m}x{k}] = X[{m}x{n}] W[{n}x{k}]"
        + (" + Y */" if y else " */"),
        f"{inner}const edgeft_redmule_job_t job = {{",
        f"{inner}    .x = {_first(x)}, .w = {_first(w)}, "
        f".y = {_first(y) if y else 'NULL'}, .z = {_first(z)},",
        f"{inner}    .mcfg0 = (uint32_t){k} << 16 | {m}u, .mcfg1 = {n}u,",
        f"{inner}    .arith = EDGEFT_REDMULE_ARITH({REDMULE_OPS[kind]}, {REDMULE_FORMATS[fmt]})}};",
        f"{inner}edgeft_rt_redmule_submit(&job);",
        f"{inner}edgeft_rt_redmule_wait();",
        f"{indent}}}",
    ]


@handles("pulp.parallel")
def _parallel(e: FunctionEmitter, op: ir.Operation, indent: str, depth: int) -> list[str]:
    """Outline the region into `static void pN_slice(<its buffers and scalars>,
    long core)`, called by `static void pN(int core, void *arg)` with the
    fields of an argument struct that carries what the region reads from
    outside; fork pN."""
    workers = _attr_int(op, "cores")
    layer = layer_of(op)
    name = f"p{len(e.kernels)}_{e.name}_{c_identifier(layer)}".rstrip("_")
    block = op.regions[0].blocks[0]
    memrefs, scalars = _free_values(op)
    fields, inits, params, names = [], [], [], []
    saved = {}
    # restrict where a pointer is the only view of its buffer in the region (as
    # for the kernels' parameters: buffers live at once never share bytes), so
    # the compiler may keep values in registers and vectorize. Parameters, not
    # locals read from the struct: GCC ignores restrict on such locals
    # (measured: lenet5 ft-all on the host 13.5 ms a step instead of 9.3).
    bases = collections.Counter(e.views[v].base for v in memrefs)
    for v in memrefs:
        view = e.views[v]
        c = e.bases.get(view.base, (view.element, ""))[0]
        field_ = e.fresh("m")
        fields.append(f"{c} *{field_};")
        inits.append(_first(view))
        qualifier = " *restrict " if bases[view.base] == 1 else " *"
        params.append(f"{c}{qualifier}{field_}")
        names.append(field_)
        saved[v] = view
        e.views[v] = View(field_, view.element, list(view.shape), 0, list(view.strides))
    for v in scalars:
        c, var = ctype(v.type), e.value(v)
        fields.append(f"{c} {var};")
        inits.append(var)
        params.append(f"const {c} {var}")
        names.append(var)
    core = e.fresh("core")
    e.values[block.arguments[0]] = core
    body = []
    for inner in block.operations:
        inner = inner.operation
        if inner.name != "pulp.yield":
            body += e.op(inner, 1)
    e.views.update(saved)
    if not any(re.search(rf"\b{core}\b", line) for line in body):
        body.insert(0, f"    (void){core}; /* the slice does not depend on the core */")
    struct = f"struct {name}_args"
    call = ", ".join([*(f"a->{n}" for n in names), "core_id"])
    text = [f"/* {layer}: one slice per core, {workers} cores */",
            f"{struct} {{", *(f"    {f}" for f in fields), "};",
            f"static void {name}_slice({', '.join([*params, f'const long {core}'])})", "{",
            *body, "}",
            f"static void {name}(int core_id, void *arg)", "{",
            f"    const {struct} *a = arg;", f"    {name}_slice({call});", "}"]
    e.kernels.append("\n".join(text) + "\n")
    if e.module.kernel_info is not None:
        e.module.kernel_info.append(ParallelKernel(
            name, "\n".join(text[1:]) + "\n", workers, op,
            [(f.rsplit(" *", 1)[0] if "*" in f else f.rsplit(" ", 1)[0], "*" in f)
             for f in fields], memrefs))
    inner = indent + "    "
    return [f"{indent}{{",
            f"{inner}{struct} args = {{{', '.join(inits)}}};",
            f"{inner}edgeft_rt_fork({workers}, {name}, &args);",
            f"{indent}}}"]


@dataclass
class ParallelKernel:
    """What the emitter wrote for one pulp.parallel (Emitter.kernel_info):
    the outlined function with its argument struct, its fields (C type,
    pointer or scalar) in struct order and the memrefs behind the pointers."""

    name: str
    text: str
    workers: int
    op: ir.Operation
    fields: list[tuple[str, bool]]
    memrefs: list[ir.Value]


def _free_values(op: ir.Operation) -> tuple[list[ir.Value], list[ir.Value]]:
    """(memrefs, scalars) a region reads but does not define (constants excluded)."""
    free = [v for v in queries.captured(op) if queries.constant_op(v) is None]
    return ([v for v in free if isinstance(v.type, ir.MemRefType)],
            [v for v in free if not isinstance(v.type, ir.MemRefType)])


def arena_symbol(level: str) -> str:
    """The C array of a level's arena (`edgeft_arena` for the flat target)."""
    return "edgeft_arena" if level == FLAT else f"edgeft_{level}"


FLAT = "flat"  # the level of every buffer in the flat target's one arena
L3 = "L3"  # the level the cores reach only through the runtime's copies


class Emitter:
    """Emits a whole lowered module: globals, arenas, functions."""

    def __init__(self, module: ir.Module) -> None:
        self.module = module
        self.globals: dict[str, ir.OpView] = {}
        for op in module.body.operations:
            if op.operation.name == "memref.global":
                self.globals[symbol_name(op)] = op
        # Set to a list to collect every outlined pulp.parallel (edgeft.estimate.kernels).
        self.kernel_info: list[ParallelKernel] | None = None
        try:
            self._read_module_plan(module.operation)
        except (ValueError, KeyError):
            raise EmitError(f"the module's memory plan ({attrs.MEMORY}, {attrs.ARENA}, "
                            f"{attrs.STAGING}) is malformed: run edgeft-plan-memory") from None

    def _read_module_plan(self, op: ir.Operation) -> None:
        # The memory plan (edgeft-plan-memory): level -> arena bytes, or None.
        self.plan: dict[str, int] | None = None
        if attrs.MEMORY in op.attributes:
            plan = attrs.int_dict(op, attrs.MEMORY)
            self.plan = {k: v for k, v in plan.items() if not k.endswith("_lower_bound")}
        # The flat target's one arena (edgeft-plan-memory{target=host}): bytes, or None.
        self.flat_arena: int | None = attrs.integer(op, attrs.ARENA)
        # The L2 staging buffer of L1 <-> L3 transfers: (level, offset), or None.
        self.staging: tuple[str, int] | None = None
        if attrs.STAGING in op.attributes:
            staging = ir.DictAttr(op.attributes[attrs.STAGING])
            self.staging = (ir.StringAttr(staging["level"]).value,
                            ir.IntegerAttr(staging["offset"]).value)

    def placement(self, name: str) -> tuple[str, int] | None:
        """(level, offset) of a planned global, or None."""
        glob = self.globals[name]
        if attrs.LEVEL not in glob.attributes:
            return None
        return (ir.StringAttr(glob.attributes[attrs.LEVEL]).value,
                _attr_int(glob, attrs.OFFSET))

    def global_symbol(self, name: str) -> str:
        """The C array of a global."""
        return "edgeft_g_" + c_identifier(name)

    def init_symbol(self, name: str) -> str:
        """The C array of a mutable global's initial value (weights.c)."""
        return "edgeft_init_" + c_identifier(name)

    def functions(self) -> list[FunctionEmitter]:
        """An emitter for each func.func of the module that has a body."""
        return [FunctionEmitter(self, op) for op in self.module.body.operations
                if op.operation.name == "func.func" and op.regions[0].blocks]
