"""Import a PyTorch model and its loss into MLIR linalg-on-tensors.

The route (METHODS.md, Toolchains): a wrapper module computes the loss of the
model with its parameters as inputs (`torch.func.functional_call`),
`torch.export` traces it, torch-mlir's FX importer and its backend pipeline
lower it to linalg on tensors, and `globalize_parameters` turns the parameter
arguments into named `ml_program.global`s. The result:

    ml_program.global private mutable @"conv1.weight"(dense<...>) : tensor<6x1x5x5xf32>
    ...
    func.func @forward(%x: tensor<BxCxHxWxf32>, %y: tensor<Bxi64>) -> tensor<f32>

Every op's location is `loc("<module path>"("<file>":<line>:0))`: the
PyTorch module that produced it (`blocks.1.attn.qkv`; `loss` for the loss,
the model's class name for its own forward) around the source line.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import nn
from torch_mlir import ir, passmanager
from torch_mlir.dialects import ml_program
from torch_mlir.extras.fx_decomp_util import get_decomposition_table
from torch_mlir.extras.fx_importer import ContextCache, FxImporter

from edgeft.frontend import models
from edgeft.ir import diagnostics
from edgeft.ir.context import make_context
from edgeft.ir.errors import UserError
from edgeft.ir.graph import function

Loss = Literal["cross-entropy", "mse"]
LOSSES = ("cross-entropy", "mse")
LOSS_LAYER = "loss"
DEFAULT_BATCH = 2

TORCH_TO_BACKEND = ("builtin.module(func.func(torch-match-quantized-custom-ops),"
                    "torchdynamo-export-to-torch-backend-pipeline)")
BACKEND_TO_LINALG = ("builtin.module(torch-backend-to-linalg-on-tensors-backend-pipeline"
                     "{allow-non-finites=true})")


@dataclass
class ImportedModel:
    """What import produces: the MLIR module and what it was made from."""

    module: ir.Module
    name: str
    parameter_names: list[str]
    example_x: torch.Tensor
    example_y: torch.Tensor
    torch_model: nn.Module
    loss: str


class _LossOf(nn.Module):
    """forward(x, y, *params) = loss(model(x; params), y)."""

    def __init__(self, model: nn.Module, names: list[str], loss: str) -> None:
        super().__init__()
        self.model = model
        self.names = names
        self.loss = loss

    def forward(self, x: torch.Tensor, y: torch.Tensor, *params: torch.Tensor) -> torch.Tensor:
        state = dict(zip(self.names, params, strict=True))
        out = torch.func.functional_call(self.model, state, (x,))
        return loss_fn(self.loss, out, y)


def loss_fn(loss: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The loss edgeft trains with, as PyTorch computes it (mean over the batch)."""
    if loss == "mse":
        return nn.functional.mse_loss(out, y)
    return nn.functional.cross_entropy(out, y)


def resolve_model(spec: str, in_channels: int, batch: int | None,
                  seed: int = 0) -> tuple[str, nn.Module, torch.Tensor]:
    """A built-in name or `file.py:factory` -> (name, model, example input).

    Built-in models take batch 2 unless `batch` is given; factories keep the
    batch of their example input unless `batch` is given.
    """
    if ":" in spec and spec.split(":", 1)[0].endswith(".py"):
        return _from_factory(spec, batch, seed)
    if spec not in models.BUILTIN:
        known = ", ".join(sorted(models.BUILTIN))
        raise UserError(f"unknown model '{spec}' (built-in models: {known}; "
                        "or give path/to/file.py:factory)")
    if in_channels < 1:
        raise UserError(f"--in-channels must be at least 1, got {in_channels}")
    model = models.build(spec, in_channels, seed)
    generator = torch.Generator().manual_seed(seed)
    shape = (batch or DEFAULT_BATCH, *models.BUILTIN[spec].sample_shape(in_channels))
    x = torch.randn(shape, generator=generator)
    return spec, model, x


def _from_factory(spec: str, batch: int | None, seed: int) -> tuple[str, nn.Module, torch.Tensor]:
    path_text, factory_name = spec.rsplit(":", 1)
    path = Path(path_text)
    if not path.is_file():
        raise UserError(f"model factory file '{path}' does not exist")
    module_name = f"edgeft_user_model_{path.stem}"
    try:
        module_spec = importlib.util.spec_from_file_location(module_name, path)
        user_module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_name] = user_module
        module_spec.loader.exec_module(user_module)
    except Exception as e:  # noqa: BLE001 - user code may raise anything
        raise UserError(f"loading '{path}' failed: {_describe(e)}") from None
    factory = getattr(user_module, factory_name, None)
    if not callable(factory):
        raise UserError(f"'{path}' has no function '{factory_name}'")
    torch.manual_seed(seed)
    try:
        result = factory()
    except Exception as e:  # noqa: BLE001
        raise UserError(f"factory '{factory_name}' in '{path}' raised {_describe(e)}") from None
    if (not isinstance(result, tuple) or len(result) != 2 or not isinstance(result[0], nn.Module)
            or not isinstance(result[1], torch.Tensor)):
        raise UserError(f"factory '{factory_name}' in '{path}' must return "
                        "(nn.Module, example input tensor)")
    model, x = result
    if batch is not None and batch != x.shape[0]:
        x = torch.randn((batch, *x.shape[1:]), generator=torch.Generator().manual_seed(seed))
    return f"{path.stem}:{factory_name}", model.eval(), x


def _describe(e: BaseException) -> str:
    frames = traceback.extract_tb(e.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(e).__name__}: {e}{where}"


def example_target(model: nn.Module, x: torch.Tensor, loss: str, seed: int) -> torch.Tensor:
    """A label batch for `x`: class indices for cross-entropy, values for mse."""
    try:
        with torch.no_grad():
            out = model(x)
    except Exception as e:  # noqa: BLE001
        raise UserError(f"the model fails on an input of shape {list(x.shape)}: "
                        f"{_describe(e)}") from None
    if out.dim() != 2:
        raise UserError(f"the model must return (batch, classes) logits, got shape "
                        f"{list(out.shape)}")
    generator = torch.Generator().manual_seed(seed + 1)
    if loss == "mse":
        return torch.randn(out.shape, generator=generator)
    return torch.randint(0, out.shape[1], (out.shape[0],), generator=generator)


def import_model(model: str | nn.Module, *, batch: int | None = None, in_channels: int = 1,
                 loss: str = "cross-entropy", example: torch.Tensor | None = None,
                 seed: int = 0, context: ir.Context | None = None) -> ir.Module:
    """Import `model` with its loss into linalg-on-tensors MLIR.

    `model` is a built-in name (`mlp`, `lenet5`, `cct2`), `path/to/file.py:factory`
    (a function returning `(nn.Module, example_input)`), or an `nn.Module` together
    with `example`. Returns the module; `import_model_full` also returns the
    PyTorch side (model, example batch) for numerical checks.
    """
    return import_model_full(model, batch=batch, in_channels=in_channels, loss=loss,
                             example=example, seed=seed, context=context).module


def import_model_full(model: str | nn.Module, *, batch: int | None = None, in_channels: int = 1,
                      loss: str = "cross-entropy", example: torch.Tensor | None = None,
                      seed: int = 0, context: ir.Context | None = None) -> ImportedModel:
    """Like `import_model`, also returning the PyTorch model and example batch."""
    if loss not in LOSSES:
        raise UserError(f"unknown loss '{loss}' (known: {', '.join(LOSSES)})")
    if batch is not None and batch < 1:
        raise UserError(f"--batch must be at least 1, got {batch}")
    if isinstance(model, nn.Module):
        if example is None:
            raise UserError("importing an nn.Module needs an example input")
        name, torch_model, x = type(model).__name__, model.eval(), example
    else:
        name, torch_model, x = resolve_model(model, in_channels, batch, seed)
    y = example_target(torch_model, x, loss, seed)
    names = [n for n, _ in torch_model.named_parameters()]
    params = [p.detach().clone() for _, p in torch_model.named_parameters()]
    ctx = context or make_context()
    module = _export_and_lower(torch_model, names, loss, x, y, params, ctx)
    globalize_parameters(module, names, params)
    return ImportedModel(module, name, names, x, y, torch_model, loss)


def _export_and_lower(model: nn.Module, names: list[str], loss: str, x: torch.Tensor,
                      y: torch.Tensor, params: list[torch.Tensor],
                      ctx: ir.Context) -> ir.Module:
    wrapper = _LossOf(model, names, loss)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch's own deprecations
            program = torch.export.export(wrapper, (x, y, *params), strict=False)
            program = program.run_decompositions(get_decomposition_table())
    except Exception as e:  # noqa: BLE001 - torch.export reports many kinds of failure
        raise UserError(f"torch.export cannot trace the model: {_first_line(e)}") from None
    importer = FxImporter(context=ctx)
    # The importer names ops after source lines only; ours also names the layer.
    importer._cc = _LayerLocations(ctx, type(model).__name__,  # noqa: SLF001
                                   py_attr_tracker=importer._py_attr_tracker)  # noqa: SLF001
    try:
        importer.import_frozen_program(program, func_name="forward")
    except Exception as e:  # noqa: BLE001
        raise UserError(f"torch-mlir cannot import the model: {_first_line(e)}") from None
    module = importer.module
    with ctx:
        for pipeline in (TORCH_TO_BACKEND, BACKEND_TO_LINALG):
            try:
                passmanager.PassManager.parse(pipeline).run(module.operation)
            except ir.MLIRError as e:
                raise UserError(_unsupported_op_message(e)) from None
    return module


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"


_MODULE_PREFIX = "model."


class _LayerLocations(ContextCache):
    """The importer's context cache, locating nodes at their PyTorch layer."""

    __slots__ = ["_root"]

    def __init__(self, ctx: ir.Context, root: str, **kwargs: Any) -> None:
        super().__init__(ctx, **kwargs)
        self._root = root

    def get_node_location(self, node: torch.fx.Node) -> ir.Location:
        """`loc("<layer>"("<file>":<line>:0))` for an FX node."""
        stack = node.meta.get("nn_module_stack") or {}
        path = ""
        for module_path, _ in stack.values():
            path = module_path
        if path == "model":
            layer = self._root
        elif path.startswith(_MODULE_PREFIX):
            layer = path[len(_MODULE_PREFIX):]
        else:
            layer = LOSS_LAYER
        return ir.Location.name(layer, childLoc=_source_location(node, self._c), context=self._c)


def _source_location(node: torch.fx.Node, ctx: ir.Context) -> ir.Location:
    """The innermost frame of the node's stack outside torch, as file:line.

    Only the file's base name is kept, so the printed IR does not depend on
    where the sources are installed.
    """
    frames = re.findall(r'File "([^"]+)", line ([0-9]+),', node.stack_trace or "")
    torch_dir = str(Path(torch.__file__).parent)
    user = [(f, int(n)) for f, n in frames if not f.startswith(torch_dir)]
    if not user:
        return ir.Location.unknown(ctx)
    file, line = user[-1]
    return ir.Location.file(Path(file).name, line, 0, context=ctx)


_ILLEGAL = re.compile(r"failed to legalize operation '([\w.]+)'")
_OPERATOR_NAME = re.compile(r'torch\.operator"?\(.*?\{name = "([\w.]+)"')


def _unsupported_op_message(error: ir.MLIRError) -> str:
    """Name the op torch-mlir could not lower and the PyTorch layer it came from."""
    diags = diagnostics.from_error(error)
    for d in diags:
        m = _ILLEGAL.search(d.message)
        if m is None:
            continue
        op = m.group(1)
        generic = _OPERATOR_NAME.search(d.message)
        if op == "torch.operator" and generic:
            op = generic.group(1)  # an op torch-mlir only knows by name
        op = op.removeprefix("torch.")
        where = f" in PyTorch layer '{d.layer}'" if d.layer else ""
        source = f" ({d.file}:{d.line})" if d.file else ""
        return f"unsupported op '{op}'{where}{source}: torch-mlir cannot lower it to linalg"
    first = diags[0]
    where = f" in PyTorch layer '{first.layer}'" if first.layer else ""
    return f"torch-mlir cannot lower the model{where}: {first.message}"


def globalize_parameters(module: ir.Module, names: list[str], values: list[torch.Tensor]) -> None:
    """Turn @forward's parameter arguments (after x, y) into `ml_program.global`s.

      func.func @forward(%x, %y, %w: tensor<4x8xf32>) -> tensor<f32>
    becomes
      ml_program.global private mutable @"fc.weight"(dense<...>) : tensor<4x8xf32>
      func.func @forward(%x, %y) -> tensor<f32> {
        %w = ml_program.global_load @"fc.weight" : tensor<4x8xf32>
    """
    with module.context:
        forward = function(module.operation, "forward")
        if forward is None:
            raise UserError("the imported module has no function @forward")
        entry = forward.regions[0].blocks[0]
        first_param = 2
        body_start = ir.InsertionPoint(entry.operations[0])
        for name, value in zip(names, values, strict=True):
            arg = entry.arguments[first_param]
            layer = name.rpartition(".")[0] or name
            location = ir.Location.name(layer)
            with ir.InsertionPoint(forward), location:
                ml_program.GlobalOp(
                    sym_name=name, type_=arg.type,
                    value=ir.DenseElementsAttr.get(np.ascontiguousarray(value.numpy()),
                                                   type=arg.type),
                    is_mutable=True, sym_visibility="private")
            with body_start, location:
                loaded = ml_program.GlobalLoadOp(arg.type, ir.FlatSymbolRefAttr.get(name))
            arg.replace_all_uses_with(loaded.result)
            entry.erase_argument(first_param)
        entry.arguments[0].set_location(ir.Location.name("x"))
        entry.arguments[1].set_location(ir.Location.name("y"))
        inputs = [a.type for a in entry.arguments]
        results = ir.FunctionType(ir.TypeAttr(forward.attributes["function_type"]).value).results
        forward.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs, results))


def torch_loss(imported: ImportedModel, params: dict[str, Any] | None = None) -> float:
    """PyTorch's loss for the imported example batch (the numerical reference)."""
    state = {n: torch.as_tensor(v) for n, v in (params or {}).items()}
    with torch.no_grad():
        out = torch.func.functional_call(imported.torch_model, state, (imported.example_x,)) \
            if state else imported.torch_model(imported.example_x)
        return float(loss_fn(imported.loss, out, imported.example_y))
