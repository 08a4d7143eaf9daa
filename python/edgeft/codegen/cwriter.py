"""Translate a lowered training module into the C files of a build directory.

The input is the output of the lowering pipeline (pipelines.lowering:
loops on memrefs, every buffer with its planned level and offset); the
translation reads that plan and emits, it plans nothing.

    BUILD/network.h     the API: edgeft_init, edgeft_train_step, edgeft_predict,
                        the parameter table
    BUILD/network.c     arena and offsets, kernels, functions, API wrappers
    BUILD/weights.c     initial values of every mutable global
    BUILD/CMakeLists.txt  builds libedgeft_network (static and shared) against
                          the runtime in <edgeft>/runtime
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch_mlir import ir

from edgeft.codegen.emitter import (
    FLAT,
    L3,
    EmitError,
    Emitter,
    FunctionEmitter,
    arena_symbol,
    c_identifier,
    ctype,
    float_literal,
)
from edgeft.ir import attrs, elements
from edgeft.ir.files import strict_json
from edgeft.ir.graph import function
from edgeft.ir.types import shaped_bytes
from edgeft.passes.forward_cache import CACHE_ATTR, CACHED, FILL

RUNTIME_DIR = Path(__file__).resolve().parents[3] / "runtime"


@dataclass
class CSources:
    """The generated files, by name, and what the runners need to know of them."""

    files: dict[str, str]
    arena_bytes: int
    batch: int
    classes: int
    sample_shape: list[int]
    labels_are_indices: bool
    cache: dict | None = None
    memory: dict | None = None     # level -> bytes (and <level>_lower_bound) when planned
    l2_budget: dict | None = None  # the L2 budget and the image's parts it was derived from


@dataclass
class Interface:
    """The training program's entry points as the lowered module has them:
    @train_step(x, y, loss) and @predict(x, logits), memrefs with results as
    out-parameters."""

    x: ir.MemRefType
    y: ir.MemRefType
    logits: ir.MemRefType

    @property
    def labels_are_indices(self) -> bool:
        """Whether the labels are class indices (else targets, as for MSE)."""
        return isinstance(self.y.element_type, ir.IntegerType)


def _array_values(attr: ir.Attribute, shape: list[int]) -> np.ndarray:
    """The initial value of a global (dense, splat or not, or a dense_resource blob),
    read in bulk (ir.elements) in the numpy storage of its element type."""
    return elements.values(attr).reshape(shape)


_ITEMS_PER_LINE = 8
# An integral float that %g prints without '.' or exponent ("-3f,", "12,"): the
# literal needs ".0" to stay a float (float_literal adds it the same way).
_INTEGRAL_FLOAT = {"float": re.compile(r"(?<= )(-?[0-9]+)(?=f,)"),
                   "double": re.compile(r"(?<= )(-?[0-9]+)(?=,)")}


def _layout(spec: str, count: int) -> str:
    """A %-format string for `count` items in lines of eight: `    a, b, ...,`."""
    full, rest = divmod(count, _ITEMS_PER_LINE)
    lines = [f"    {', '.join([spec] * _ITEMS_PER_LINE)},"] * full
    if rest:
        lines.append(f"    {', '.join([spec] * rest)},")
    return "\n".join(lines)


def _format_values(values: np.ndarray, c: str) -> str:
    """The C initializer list of `values`, eight per line: one %-format over all
    items, not a Python call per element. Floats read back exactly (as
    float_literal writes them: 9 significant digits for float, 17 for double)."""
    flat = values.ravel()
    if c == "bool":
        return _layout("%s", flat.size) % tuple(np.where(flat, "true", "false").tolist())
    if c not in ("float", "double"):
        text = _layout("%d", flat.size) % tuple(flat.tolist())
        if c == "int64_t" and np.any(flat == np.iinfo(np.int64).min):  # no such literal in C
            text = re.sub(r"(?<= )-9223372036854775808(?=,)", "INT64_MIN", text)
        return text
    numbers = flat.astype(np.float64).tolist()
    if not np.isfinite(flat).all():  # NAN and INFINITY are macros: one by one
        return _layout("%s", flat.size) % tuple(float_literal(v, c) for v in numbers)
    text = _layout("%.9gf" if c == "float" else "%.17g", flat.size) % tuple(numbers)
    if np.any(flat == np.trunc(flat)):
        text = _INTEGRAL_FLOAT[c].sub(r"\1.0", text)
    return text


def interface(module: ir.Module) -> Interface | None:
    """The entry points of a lowered training program, or None if the module
    lacks @train_step or @predict (it is then translated function by function)."""
    step = function(module.operation, "train_step")
    predict = function(module.operation, "predict")
    if step is None or predict is None:
        return None
    step_args = ir.FunctionType(ir.TypeAttr(step.attributes["function_type"]).value).inputs
    predict_args = ir.FunctionType(
        ir.TypeAttr(predict.attributes["function_type"]).value).inputs
    if len(step_args) != 3 or len(predict_args) != 2 or \
            not all(isinstance(t, ir.MemRefType) for t in [*step_args, *predict_args]):
        raise EmitError("@train_step(x, y, loss) and @predict(x, logits) must take memrefs with "
                        "results as out-parameters: lower the module with the lowering "
                        "pipeline (edgeft pipeline --lowering)")
    return Interface(ir.MemRefType(step_args[0]), ir.MemRefType(step_args[1]),
                     ir.MemRefType(predict_args[1]))


def translate(module: ir.Module) -> CSources:
    """The C program of a lowered, planned training module (the result of
    pipelines.lowering): network.c/.h, weights.c and CMakeLists.txt."""
    api = interface(module)
    if api is None:
        raise EmitError("the module has no @train_step and @predict: run the training passes "
                        "and the lowering pipeline first")
    emitter, network, arena, cache = _translate(module, api)
    return CSources({"network.h": _header(api, cache), "network.c": network,
                     "weights.c": _weights(emitter), "CMakeLists.txt": _cmake()}, arena,
                    api.x.shape[0], api.logits.shape[1], list(api.x.shape[1:]),
                    api.labels_are_indices, cache, int_dict(module, attrs.MEMORY),
                    int_dict(module, attrs.L2_BUDGET))


def network_c(module: ir.Module) -> str:
    """network.c of any lowered, planned module (edgeft-translate --to-c): its
    globals, arenas and functions, with the API wrappers when it is a
    training program."""
    return _translate(module, interface(module))[1]


def _translate(module: ir.Module,
               api: Interface | None) -> tuple[Emitter, str, int, dict | None]:
    """(emitter, network.c, arena bytes, the forward cache's figures)."""
    emitter = Emitter(module)
    if emitter.plan is None and emitter.flat_arena is None:
        raise EmitError("the module has no memory plan: run edgeft-plan-memory first")
    functions = emitter.functions()
    bodies = [f.emit() for f in functions]
    arena = emitter.flat_arena if emitter.plan is None else sum(emitter.plan.values())
    cache = _cache_info(emitter)
    return emitter, _network(emitter, functions, bodies, arena, api, cache), arena, cache


def int_dict(module: ir.Module, name: str) -> dict | None:
    """A module attribute of integers as a dict: edgeft-tile's summary
    (edgeft.tiling) or the memory plan's figures (edgeft.memory), if present."""
    if name not in module.operation.attributes:
        return None
    attr = ir.DictAttr(module.operation.attributes[name])
    return {attr[i].name: ir.IntegerAttr(attr[i].attr).value for i in range(len(attr))}


def _cache_info(emitter: Emitter) -> dict | None:
    """The forward cache's kind and capacity, if the module has one."""
    caches = [n for n, g in emitter.globals.items() if CACHE_ATTR in g.attributes]
    if not caches:
        return None
    if function(emitter.module.operation, FILL) is None or \
            function(emitter.module.operation, CACHED) is None:
        raise EmitError(f"the module has a forward cache but not @{FILL} and @{CACHED}")
    info = ir.DictAttr(emitter.globals[caches[0]].attributes[CACHE_ATTR])
    quant = ir.StringAttr(info["quant"]).value
    return {"samples": ir.IntegerAttr(info["samples"]).value,
            "quant": "nf4" if quant == "nf4" else "fp32", "globals": caches}


def _header(api: Interface, cache: dict | None) -> str:
    x_type, y_type, logits_type = api.x, api.y, api.logits
    labels_are_indices = api.labels_are_indices
    cache_api = "" if cache is None else f"""
/* The forward cache ({cache['quant']}, {cache['samples']} samples): edgeft_cache_fill runs the
   frozen prefix on a batch and stores sample b's activations in row idx[b]
   (0 <= idx[b] < EDGEFT_CACHE_SAMPLES); edgeft_train_step_cached then trains
   on rows idx[b] with labels y, without x. */
#define EDGEFT_CACHE_SAMPLES {cache['samples']}
void edgeft_cache_fill(const float *x, const int32_t *idx);
/* Where the cache's parts lie in the arena (fp32: values; nf4: codes, scales). */
extern void *const edgeft_cache_parts[];
extern const long edgeft_cache_part_bytes[];
int edgeft_train_step_cached(const int32_t *idx, const {'int32_t' if labels_are_indices
                                                      else 'float'} *y, float *loss);
"""
    batch = x_type.shape[0]
    sample = math.prod(x_type.shape[1:])
    y_c = "int32_t" if labels_are_indices else "float"
    y_what = "class indices" if labels_are_indices else "targets"
    refusal = ("Returns 0, or 1 + b when label b is\n   not a class (0 <= y[b] < "
               "EDGEFT_CLASSES); then the step does not run." if labels_are_indices
               else "Returns 0.")
    y_count = math.prod(y_type.shape)
    return f"""/* Generated by edgeft: the training step of one model and strategy. */
#ifndef EDGEFT_NETWORK_H
#define EDGEFT_NETWORK_H

#include <stdint.h>

#define EDGEFT_BATCH {batch}
#define EDGEFT_SAMPLE_ELEMENTS {sample}
#define EDGEFT_LABEL_ELEMENTS {y_count}
#define EDGEFT_CLASSES {logits_type.shape[1]}

typedef struct {{
    const char *name;
    float *data;
    long count;
    int trainable;
}} edgeft_tensor_t;

/* Resets every parameter (and optimizer state) to its initial value. */
void edgeft_init(void);
/* One SGD step on a batch: x is EDGEFT_BATCH x {list(x_type.shape[1:])} floats,
   y holds EDGEFT_LABEL_ELEMENTS {y_what}. {refusal} */
int edgeft_train_step(const float *x, const {y_c} *y, float *loss);
/* The logits (EDGEFT_BATCH x EDGEFT_CLASSES) with the current parameters. */
void edgeft_predict(const float *x, float *logits);
{cache_api}
extern const edgeft_tensor_t edgeft_params[];
extern const int edgeft_param_count;
extern const long edgeft_arena_bytes;

#endif
"""


def _type_of(glob: ir.OpView) -> ir.MemRefType:
    return ir.MemRefType(ir.TypeAttr(glob.attributes["type"]).value)


def _network(emitter: Emitter, functions: list[FunctionEmitter], bodies: list[str], arena: int,
             api: Interface | None, cache: dict | None) -> str:
    lines = ["/* Generated by edgeft. Do not edit. */",
             "#include <math.h>", "#include <stdbool.h>", "#include <stdint.h>",
             "#include <string.h>", "", '#include "edgeft_rt.h"', '#include "network.h"', ""]
    # Globals that live in an arena: planned ones (the forward cache at the flat
    # arena's start).
    placed = {}
    for name in emitter.globals:
        placement = emitter.placement(name)
        if placement is not None:
            placed[name] = (arena_symbol(placement[0]), placement[1])
    lines += _arenas(emitter, arena, bool(placed))
    if placed:
        lines.append("/* Globals that are slices of an arena (the forward cache holds the flat")
        lines.append("   arena's first bytes for the whole run; the functions' buffers follow). */")
    for name in emitter.globals:
        if name not in placed:
            continue
        base, offset = placed[name]
        mt = _type_of(emitter.globals[name])
        macro = f"EDGEFT_OFF_{c_identifier(name).upper()}"
        lines.append(f"#define {macro} {offset}  /* {name}: {base}, {shaped_bytes(mt)} B */")
        lines.append(f"#define {emitter.global_symbol(name)} (({ctype(mt.element_type)} *)"
                     f"({base} + {macro}))")
    if cache is not None:
        lines.append("void *const edgeft_cache_parts[] = {"
                     + ", ".join(emitter.global_symbol(n) for n in cache["globals"]) + "};")
        lines.append("const long edgeft_cache_part_bytes[] = {" + ", ".join(
            str(shaped_bytes(_type_of(emitter.globals[n]))) for n in cache["globals"]) + "};")
    lines.append("")
    for f in functions:
        lines.append(f"/* @{f.name}: {len(f.buffers)} buffers */")
        for i, buf in enumerate(f.buffers):
            where = "" if buf.level == FLAT else f"{buf.level}, "
            lines.append(f"#define {f.offset_name(i)} {buf.offset}  "
                         f"/* {where}{buf.shape}, {buf.bytes} B, {buf.layer} */")
        lines.append("")
    for name, glob in emitter.globals.items():
        mt = ir.MemRefType(ir.TypeAttr(glob.attributes["type"]).value)
        c = ctype(mt.element_type)
        count = max(1, math.prod(mt.shape))
        symbol = emitter.global_symbol(name)
        if "constant" in glob.attributes:
            if not any(symbol in body for body in bodies):
                continue  # a constant no emitted code reads
            values = _array_values(glob.attributes["initial_value"], list(mt.shape))
            lines.append(f"static const {c} {symbol}[{count}] = {{\n"
                         f"{_format_values(values, c)}\n}};")
        elif name in placed:
            if _splat(glob) is None:
                lines.append(_init_declaration(emitter.init_symbol(name), mt))
            continue  # a slice of an arena (above)
        else:
            lines.append(f"{c} {symbol}[{count}] __attribute__((aligned(64)));  /* {name} */")
            if _splat(glob) is None:
                lines.append(_init_declaration(emitter.init_symbol(name), mt))
    lines.append("")
    lines += bodies
    caches = set(cache["globals"]) if cache else set()
    mutable = [(n, g) for n, g in emitter.globals.items() if "constant" not in g.attributes]
    lines.append("void edgeft_init(void)\n{")
    for name, glob in mutable:
        symbol = emitter.global_symbol(name)
        value = _splat(glob)
        # the cores cannot address L3: its globals are written through the runtime
        far = (emitter.placement(name) or ("",))[0] == L3
        mt = ir.MemRefType(ir.TypeAttr(glob.attributes["type"]).value)
        count = max(1, math.prod(mt.shape))
        if name in caches:
            lines.append(f"    /* {name}: rows are written by edgeft_cache_fill before any read */")
        elif value is None:
            copy = "edgeft_rt_copy" if far else "memcpy"
            lines.append(f"    {copy}({symbol}, {emitter.init_symbol(name)}, "
                         f"sizeof {emitter.init_symbol(name)});")
        elif far:
            lines.append(f"    {{\n        const {ctype(mt.element_type)} value = {value};\n"
                         f"        edgeft_rt_fill({symbol}, &value, sizeof value, {count});"
                         "\n    }")
        else:
            lines.append(f"    for (long i = 0; i < {count}; ++i)\n"
                         f"        {symbol}[i] = {value};")
    lines.append("}\n")
    if api is not None:
        lines += _api_wrappers(api, cache)
    table = []
    trainable_names = _trainable_names(emitter)
    for name, glob in mutable:
        mt = ir.MemRefType(ir.TypeAttr(glob.attributes["type"]).value)
        if str(mt.element_type) != "f32" or name in caches:
            continue
        trainable = 1 if name in trainable_names else 0
        table.append(f'    {{"{name}", {emitter.global_symbol(name)}, '
                     f"{max(1, math.prod(mt.shape))}, {trainable}}},")
    lines.append("const edgeft_tensor_t edgeft_params[] = {")
    lines += table
    lines.append("};")
    lines.append(f"const int edgeft_param_count = {len(table)};")
    return "\n".join(lines) + "\n"


def _arenas(emitter: Emitter, arena: int, with_cache: bool) -> list[str]:
    """The arena declarations: one flat arena, or one per level of the plan."""
    if emitter.plan is None:
        what = "the forward cache and every intermediate buffer" if with_cache else \
            "every intermediate buffer"
        return [f"/* One arena for {what} ({arena} bytes); the offsets",
                "   are a liveness plan, so buffers that are never live together share bytes. */",
                f"static uint8_t edgeft_arena[{max(arena, 64)}] __attribute__((aligned(64)));",
                f"const long edgeft_arena_bytes = {arena};", ""]
    lines = ["/* One arena per memory level (edgeft-plan-memory): every buffer has a level",
             "   and an offset planned by lifetime. */"]
    for level, size in emitter.plan.items():
        if size == 0:
            continue
        lines.append(f"static uint8_t {arena_symbol(level)}[{max(size, 64)}] EDGEFT_PLACE({level}) "
                     f"__attribute__((aligned(64)));  /* {level}: {size} B */")
    if emitter.staging is not None:
        level, offset = emitter.staging
        lines.append("/* Transfers between L1 and L3 pass through this L2 buffer. */")
        lines.append(f"#define EDGEFT_DMA_STAGING ((void *)({arena_symbol(level)} + {offset}))")
    lines += [f"const long edgeft_arena_bytes = {arena};", ""]
    return lines


def _api_wrappers(api: Interface, cache: dict | None) -> list[str]:
    """The network.h entry points over the lowered functions."""
    labels = math.prod(api.y.shape)
    if api.labels_are_indices:
        step = f"""int edgeft_train_step(const float *x, const int32_t *y, float *loss)
{{
    /* The imported loss takes int64 class indices. */
    static int64_t labels[{labels}];
{_widen_labels(labels, api.logits.shape[1])}
    edgeft_train_step_fn((float *)x, labels, loss);
    return 0;
}}
"""
    else:
        step = """int edgeft_train_step(const float *x, const float *y, float *loss)
{
    edgeft_train_step_fn((float *)x, (float *)y, loss);
    return 0;
}
"""
    lines = [step, """void edgeft_predict(const float *x, float *logits)
{
    edgeft_predict_fn((float *)x, logits);
}
"""]
    if cache is not None:
        lines.append(_cache_wrappers(labels, api.labels_are_indices, api.logits.shape[1]))
    return lines


def _widen_labels(labels: int, classes: int) -> str:
    """The loop copying int32 labels into `labels`, returning 1 + b at label b
    outside the classes: the model's own check would stop the program."""
    return f"""    for (long i = 0; i < {labels}; ++i) {{
        if (y[i] < 0 || y[i] >= {classes})
            return (int)i + 1;
        labels[i] = y[i];
    }}"""


def _cache_wrappers(labels: int, labels_are_indices: bool, classes: int) -> str:
    fill = """void edgeft_cache_fill(const float *x, const int32_t *idx)
{
    edgeft_cache_fill_fn((float *)x, (int32_t *)idx);
}
"""
    if not labels_are_indices:
        return fill + """
int edgeft_train_step_cached(const int32_t *idx, const float *y, float *loss)
{
    edgeft_train_step_cached_fn((int32_t *)idx, (float *)y, loss);
    return 0;
}
"""
    return fill + f"""
int edgeft_train_step_cached(const int32_t *idx, const int32_t *y, float *loss)
{{
    static int64_t labels[{labels}];
{_widen_labels(labels, classes)}
    edgeft_train_step_cached_fn((int32_t *)idx, labels, loss);
    return 0;
}}
"""


def _trainable_names(emitter: Emitter) -> set[str]:
    return {n for n, g in emitter.globals.items() if attrs.TRAINABLE in g.attributes}


def _splat(glob: ir.OpView) -> str | None:
    """The C literal a global starts filled with, when all its elements are equal
    (edgeft_init fills it; weights.c holds no array for it)."""
    value = elements.splat_value(glob.attributes["initial_value"])
    if value is None:
        return None
    mt = ir.MemRefType(ir.TypeAttr(glob.attributes["type"]).value)
    return _format_values(value, ctype(mt.element_type)).strip().rstrip(",")


def _weights(emitter: Emitter) -> str:
    lines = ["/* Generated by edgeft: initial values of the parameters and optimizer state",
             "   (globals that start with all elements equal are filled by edgeft_init). */",
             "#include <stdbool.h>", "#include <stdint.h>", ""]
    for name, glob in emitter.globals.items():
        if "constant" in glob.attributes or _splat(glob) is not None:
            continue
        mt = ir.MemRefType(ir.TypeAttr(glob.attributes["type"]).value)
        c = ctype(mt.element_type)
        count = max(1, math.prod(mt.shape))
        values = _array_values(glob.attributes["initial_value"], list(mt.shape))
        symbol = emitter.init_symbol(name)
        if count >= BYTES_FROM:
            lines.append(f"/* {name}: {list(mt.shape)} {c}, its bytes (little-endian) */")
            lines.append(f"const unsigned char {symbol}[{values.nbytes}] =\n"
                         f"{_byte_string(values)};\n")
            continue
        lines.append(f"/* {name}: {list(mt.shape)} */")
        lines.append(f"const {c} {symbol}[{count}] = {{\n"
                     f"{_format_values(values, c)}\n}};\n")
    return "\n".join(lines)


# Initial values of at least this many elements are written as their bytes in
# string literals: GCC reads a 44 MB float initializer list (ResNet-18) in 75 s
# at -O0, the same bytes as strings in 5 s. Smaller ones stay readable numbers.
BYTES_FROM = 1 << 16
_BYTES_PER_LINE = 64
_ESCAPES = np.frombuffer("".join(f"\\x{i:02x}" for i in range(256)).encode(),
                         np.uint32)  # byte -> its 4 characters `\xNN`


def _init_declaration(symbol: str, mt: ir.MemRefType) -> str:
    """network.c's declaration of a global's initial value in weights.c."""
    count = max(1, math.prod(mt.shape))
    if count >= BYTES_FROM:
        return f"extern const unsigned char {symbol}[{shaped_bytes(mt)}];"
    return f"extern const {ctype(mt.element_type)} {symbol}[{count}];"


def _byte_string(values: np.ndarray) -> str:
    r"""The storage bytes of `values` as adjacent C string literals, 64 bytes a
    line (`    "\x00\x00\x80\x3f..."`), escaped in bulk by numpy. The array
    they initialise has exactly their length, so no terminating NUL is stored."""
    data = np.ascontiguousarray(values).view(np.uint8).ravel()
    full, rest = divmod(data.size, _BYTES_PER_LINE)
    lines = [_byte_lines(data[:full * _BYTES_PER_LINE].reshape(full, _BYTES_PER_LINE))]
    if rest:
        lines.append(_byte_lines(data[full * _BYTES_PER_LINE:].reshape(1, rest)))
    return "\n".join(line for line in lines if line)


def _byte_lines(rows: np.ndarray) -> str:
    r"""Each row of bytes as one indented, quoted line of `\xNN` escapes."""
    count, width = rows.shape
    text = np.empty((count, 4 * width + 7), np.uint8)
    text[:, :5] = np.frombuffer(b'    "', np.uint8)
    text[:, 5:-2] = _ESCAPES[rows].view(np.uint8).reshape(count, 4 * width)
    text[:, -2] = ord('"')
    text[:, -1] = ord("\n")
    return text.tobytes().decode("ascii").rstrip("\n")


def _cmake() -> str:
    return f"""# Generated by edgeft: builds the training step of this build directory.
cmake_minimum_required(VERSION 3.20)
project(edgeft_network LANGUAGES C)

set(EDGEFT_RUNTIME "{RUNTIME_DIR}" CACHE PATH "edgeft runtime sources")
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)
if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Release)
endif()
# The machine's own vector registers (AVX2 or AVX-512 on x86-64) for the
# vector blocks and gcc's vectorizer. A product and its sum stay two
# roundings, as in the scalar kernels and on every machine alike.
set(EDGEFT_HOST_ARCH "native" CACHE STRING "-march of the host build")
set(CMAKE_C_FLAGS_RELEASE "-O3 -march=${{EDGEFT_HOST_ARCH}} -ffp-contract=off")

set(EDGEFT_SOURCES network.c weights.c ${{EDGEFT_RUNTIME}}/host/edgeft_rt_host.c
    ${{EDGEFT_RUNTIME}}/common/edgeft_rt_models.c)
add_library(edgeft_network SHARED ${{EDGEFT_SOURCES}})
target_include_directories(edgeft_network PRIVATE ${{CMAKE_CURRENT_SOURCE_DIR}}
                           ${{EDGEFT_RUNTIME}}/include)
target_compile_options(edgeft_network PRIVATE -Wall -Wextra -Werror)
# the runtime runs a fork's slices on POSIX threads
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
target_link_libraries(edgeft_network PRIVATE m Threads::Threads)
"""


def write(sources: CSources, build: Path) -> None:
    """The C files, CMakeLists.txt and program.json (shapes for the runners)."""
    build.mkdir(parents=True, exist_ok=True)
    for name, text in sources.files.items():
        (build / name).write_text(text)
    info = {"batch": sources.batch, "sample_shape": sources.sample_shape,
            "classes": sources.classes, "labels_are_indices": sources.labels_are_indices,
            "arena_bytes": sources.arena_bytes}
    if sources.cache is not None:
        info["cache"] = {k: v for k, v in sources.cache.items() if k != "globals"}
    if sources.memory is not None:
        info["memory"] = sources.memory
    if sources.l2_budget is not None:
        info["l2_budget"] = sources.l2_budget
    (build / "program.json").write_text(strict_json(info))
