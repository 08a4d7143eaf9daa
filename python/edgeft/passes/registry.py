"""The pass registry and the textual pipeline parser.

A pass is a frozen dataclass: its fields are its typed options, its class
attribute `argument` the name used in pipelines, its docstring the
documentation (first line: the summary), and `__call__(op, pass_)` the work.
Each pass lives in its own module of `edgeft.passes`; adding one means adding
its module and one line to `PASSES` below. Modules are imported only when a
pipeline names the pass, so `edgeft-opt` starts fast.

Pipelines use MLIR's textual syntax, either anchored
(`builtin.module(edgeft-param-summary{format=json},canonicalize)`) or as a
bare comma list. Upstream passes and nests (`func.func(cse)`) are handed to
MLIR as text; ours are added as Python passes, in order, to the same
PassManager. A Python pass cannot be named inside an upstream textual
pipeline, which is why the driver splits pipelines itself.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import typing
from dataclasses import dataclass
from typing import Any

from torch_mlir import ir, passmanager

from edgeft.ir.errors import UserError

# argument -> "module:Class"; one line per pass.
PASSES: dict[str, str] = {
    "edgeft-param-summary": "edgeft.passes.param_summary:ParamSummary",
    "edgeft-select-trainable": "edgeft.passes.select_trainable:SelectTrainable",
    "edgeft-inject-lora": "edgeft.passes.inject_lora:InjectLora",
    "edgeft-inject-skip-lora": "edgeft.passes.inject_skip_lora:InjectSkipLora",
    "edgeft-autodiff": "edgeft.passes.autodiff:Autodiff",
    "edgeft-sgd": "edgeft.passes.sgd:Sgd",
    "edgeft-forward-cache": "edgeft.passes.forward_cache:ForwardCache",
    "edgeft-demote-f64": "edgeft.passes.demote_f64:DemoteF64",
    "edgeft-derive-predict": "edgeft.passes.derive_predict:DerivePredict",
    "edgeft-fuse-elementwise": "edgeft.passes.fuse_elementwise:FuseElementwise",
    "edgeft-bufferize": "edgeft.passes.bufferize:Bufferize",
    "edgeft-update-in-place": "edgeft.passes.update_in_place:UpdateInPlace",
    "edgeft-copies-to-kernels": "edgeft.passes.copies_to_kernels:CopiesToKernels",
    "edgeft-tile": "edgeft.passes.tile:Tile",
    "edgeft-promote": "edgeft.passes.promote:Promote",
    "edgeft-offload-redmule": "edgeft.passes.offload_redmule:OffloadRedmule",
    "edgeft-parallelize": "edgeft.passes.parallelize:Parallelize",
    "edgeft-register-block": "edgeft.passes.register_block:RegisterBlock",
    "edgeft-write-globals-in-place":
        "edgeft.passes.write_globals_in_place:WriteGlobalsInPlace",
    "edgeft-plan-memory": "edgeft.passes.plan_memory:PlanMemory",
}


def pass_class(argument: str) -> type:
    """The pass class registered under `argument`."""
    module_name, class_name = PASSES[argument].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def summary(cls: type) -> str:
    """First line of a pass's docstring."""
    return inspect.getdoc(cls).splitlines()[0]


def option_docs(cls: type) -> list[tuple[str, str, str, str]]:
    """(name, type, default, help) for each option of a pass."""
    hints = typing.get_type_hints(cls)
    rows = []
    for f in dataclasses.fields(cls):
        default = "" if f.default is dataclasses.MISSING else _format_value(f.default)
        help_text = f.metadata.get("help", "")
        if "range" in f.metadata:
            help_text += f" (allowed: {f.metadata['range'].describe()})"
        rows.append((_option_name(f.name), _type_name(hints[f.name]), default, help_text))
    return rows


def _option_name(field_name: str) -> str:
    return field_name.replace("_", "-")


def _type_name(t: Any) -> str:
    if t in (int, float, str, bool):
        return t.__name__
    if typing.get_origin(t) is typing.Literal:
        return "|".join(str(a) for a in typing.get_args(t))
    if typing.get_origin(t) is tuple:
        return f"list of {_type_name(typing.get_args(t)[0])}"
    return str(t)


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


# --- pipeline text -> tree ---------------------------------------------------


@dataclass
class Element:
    """One item of a textual pipeline: a pass with options, or a nest."""

    name: str
    options: str | None = None
    children: list[Element] | None = None

    def text(self) -> str:
        """The element back in pipeline syntax: `name{options}(children)`."""
        out = self.name
        if self.options is not None:
            out += "{" + self.options + "}"
        if self.children is not None:
            out += "(" + ",".join(c.text() for c in self.children) + ")"
        return out

    def contains_edgeft_pass(self) -> bool:
        """Whether the element is or nests an edgeft pass."""
        if self.children is None:
            return self.name in PASSES
        return any(c.contains_edgeft_pass() for c in self.children)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> UserError:
        return UserError(f"bad pass pipeline '{self.text}': {what} at column {self.pos + 1}")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def pipeline(self) -> list[Element]:
        items = [self.element()]
        while self.peek() == ",":
            self.pos += 1
            items.append(self.element())
        return items

    def element(self) -> Element:
        self.skip_space()
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum()
                                             or self.text[self.pos] in "-_."):
            self.pos += 1
        name = self.text[start:self.pos]
        if not name:
            raise self.fail("expected a pass or operation name")
        element = Element(name)
        if self.peek() == "{":
            element.options = self.braced()
        if self.peek() == "(":
            self.pos += 1
            element.children = [] if self.peek() == ")" else self.pipeline()
            if self.peek() != ")":
                raise self.fail("expected ')'")
            self.pos += 1
        return element

    def braced(self) -> str:
        depth, start = 0, self.pos
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            depth += {"{": 1, "}": -1}.get(ch, 0)
            self.pos += 1
            if depth == 0:
                return self.text[start + 1:self.pos - 1]
        raise self.fail("unbalanced '{'")


def parse_pipeline(text: str) -> list[Element]:
    """Parse a pipeline string; an anchoring `builtin.module(...)` is unwrapped."""
    parser = _Parser(text)
    items = parser.pipeline()
    if parser.peek():
        raise parser.fail(f"unexpected '{parser.peek()}'")
    if len(items) == 1 and items[0].name == "builtin.module" and items[0].children is not None:
        return items[0].children
    return items


# --- options ----------------------------------------------------------------


def _split_options(text: str) -> list[str]:
    """Split `a=1 b={x,y} c="s t"` at top-level spaces."""
    parts, depth, quote, current = [], 0, False, ""
    for ch in text:
        if ch == '"':
            quote = not quote
        elif not quote and ch in "{[":
            depth += 1
        elif not quote and ch in "}]":
            depth -= 1
        if ch.isspace() and depth == 0 and not quote:
            if current:
                parts.append(current)
            current = ""
            continue
        current += ch
    if current:
        parts.append(current)
    return parts


def _convert(argument: str, option: str, raw: str, t: Any) -> Any:
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    bad = UserError(f"pass '{argument}': option '{option}' expects {_type_name(t)}, got '{raw}'")
    if t is bool:
        if value.lower() in ("", "true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise bad
    if t in (int, float):
        try:
            return t(value)
        except ValueError:
            raise bad from None
    if typing.get_origin(t) is typing.Literal:
        if value not in typing.get_args(t):
            raise bad
        return value
    if typing.get_origin(t) is tuple:
        inner = typing.get_args(t)[0]
        if value.startswith("{") and value.endswith("}"):
            value = value[1:-1]
        items = [v for v in value.split(",") if v.strip()]
        return tuple(_convert(argument, option, v, inner) for v in items)
    return value


def make_pass(argument: str, options: str | None = None) -> Any:
    """Instantiate the edgeft pass `argument` from its textual options."""
    cls = pass_class(argument)
    hints = typing.get_type_hints(cls)
    fields = {_option_name(f.name): f.name for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for item in _split_options(options or ""):
        key, _, raw = item.partition("=")
        if key not in fields:
            known = ", ".join(fields) or "none"
            raise UserError(f"pass '{argument}' has no option '{key}' (options: {known})")
        kwargs[fields[key]] = _convert(argument, key, raw, hints[fields[key]])
    try:
        return cls(**kwargs)
    except ValueError as e:
        raise UserError(f"pass '{argument}': {e}") from None


# --- building a PassManager ---------------------------------------------------


def add_pass(pm: passmanager.PassManager, instance: Any) -> None:
    """Add an edgeft pass instance to a PassManager (also for embedding users)."""
    cls = type(instance)
    pm.add(instance, name=cls.__name__, argument=cls.argument, description=summary(cls))


def build_pass_manager(pipeline: str, context: ir.Context) -> passmanager.PassManager:
    """A module PassManager for a pipeline mixing upstream and edgeft passes."""
    pm = passmanager.PassManager("builtin.module", context=context)
    for element in parse_pipeline(pipeline) if pipeline.strip() else []:
        if element.children is None and element.name in PASSES:
            add_pass(pm, make_pass(element.name, element.options))
            continue
        if element.contains_edgeft_pass():
            raise UserError(
                f"edgeft passes run on the module; move them out of '{element.name}(...)'"
            )
        _add_upstream(pm, element, context)
    return pm


def _add_upstream(pm: passmanager.PassManager, element: Element, context: ir.Context) -> None:
    try:
        with context:
            pm.add(element.text())
    except ValueError as e:
        message = str(e).strip().splitlines()
        if element.children is None and any("does not refer to a registered pass" in m
                                            for m in message):
            raise UserError(
                f"unknown pass '{element.name}' (edgeft-opt --list-passes shows edgeft's passes; "
                "upstream passes are named as in mlir-opt)"
            ) from None
        raise UserError(f"bad pass '{element.text()}': {' '.join(message)}") from None
