"""Import a PyTorch model and its loss into MLIR linalg-on-tensors.

The route (METHODS.md, Toolchains): a wrapper module computes the loss of the
model with its parameters as inputs (`torch.func.functional_call`),
`torch.export` traces it, torch-mlir's FX importer and its backend pipeline
lower it to linalg on tensors, and `globalize_parameters` turns the parameter
and buffer arguments into named `ml_program.global`s. The result:

    ml_program.global private mutable @"conv1.weight"(dense<...>) : tensor<6x1x5x5xf32>
    ml_program.global private mutable @"bn1.running_mean"(dense<...>) : tensor<6xf32>
        {edgeft.buffer}
    ...
    func.func @forward(%x: tensor<BxCxHxWxf32>, %y: tensor<Bxi64>) -> tensor<f32>

Buffers (BatchNorm running statistics, any registered buffer, persistent or
not) are globals marked `edgeft.buffer`, never trained. The model's mode is
set from the BatchNorm option, never left to the caller: every module in eval
mode (dropout off), and with `batchnorm="batch"` the BatchNorm layers in train
mode, normalising by batch statistics and updating their running statistics,
which @forward stores back into their globals (`ml_program.global_store`).

Every op's location is `loc("<module path>"("<file>":<line>:0))`: the
PyTorch module that produced it (`blocks.1.attn.qkv`; `loss` for the loss,
the model's class name for its own forward) around the source line.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import re
import sys
import traceback
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch_mlir import ir, passmanager
from torch_mlir.dialects import func, ml_program
from torch_mlir.extras.fx_decomp_util import get_decomposition_table
from torch_mlir.extras.fx_importer import ContextCache, FxImporter

from edgeft.frontend import BATCHNORM_MODES, DEFAULT_LOSS, models
from edgeft.frontend import LOSSES as LOSS_NAMES
from edgeft.ir import attrs, diagnostics
from edgeft.ir.context import make_context
from edgeft.ir.errors import UserError
from edgeft.ir.graph import function
from edgeft.ir.queries import producer

# --loss names -> the PyTorch criterion computing it (mean over the batch).
LOSSES: dict[str, type[nn.Module]] = dict(zip(LOSS_NAMES, (
    nn.CrossEntropyLoss, nn.MSELoss, nn.L1Loss, nn.BCEWithLogitsLoss), strict=True))
LOSS_LAYER = "loss"
# The criterion's own buffers (a class weight, BCE's pos_weight) are globals
# under this prefix.
LOSS_PREFIX = "loss."
DEFAULT_BATCH = 2
# The layers whose train mode --batchnorm batch selects.
BATCHNORM_LAYERS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)

TORCH_TO_BACKEND = ("builtin.module(func.func(torch-match-quantized-custom-ops),"
                    "torchdynamo-export-to-torch-backend-pipeline)")
BACKEND_TO_LINALG = ("builtin.module(torch-backend-to-linalg-on-tensors-backend-pipeline"
                     "{allow-non-finites=true})")


@dataclass
class ImportedModel:
    """What import produces: the MLIR module and what it was made from.

    `buffer_names` are the buffers that became globals, `updated_buffers`
    those @forward stores back (running statistics under batchnorm="batch").
    """

    module: ir.Module
    name: str
    parameter_names: list[str]
    example_x: torch.Tensor
    example_y: torch.Tensor
    torch_model: nn.Module
    loss: str
    criterion: nn.Module
    batchnorm: str = "frozen"
    buffer_names: list[str] = field(default_factory=list)
    updated_buffers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _State:
    """The tensors the step reads besides x and y, in argument order."""

    params: list[tuple[str, torch.Tensor]]
    buffers: list[tuple[str, torch.Tensor]]

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.params + self.buffers]

    @property
    def values(self) -> list[torch.Tensor]:
        return [v.detach().clone() for _, v in self.params + self.buffers]


def _state_of(model: nn.Module, criterion: nn.Module) -> _State:
    """Parameters, then the model's buffers, then the criterion's buffers."""
    params = list(model.named_parameters())
    buffers = list(model.named_buffers())
    buffers += [(LOSS_PREFIX + n, t) for n, t in criterion.named_buffers()]
    return _State(params, buffers)


class _LossOf(nn.Module):
    """forward(x, y, *state) = (loss(model(x; state), y), *returned buffers).

    The returned buffers are cloned before the call, so a BatchNorm in train
    mode updates the clone, which is returned, rather than mutating an input.
    """

    def __init__(self, model: nn.Module, criterion: nn.Module, names: list[str],
                 returned: list[str]) -> None:
        super().__init__()
        self.model = model
        self.criterion = criterion
        self.names = names
        self.returned = returned

    def forward(self, x: torch.Tensor, y: torch.Tensor,
                *state: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The loss, then the new value of each updated buffer."""
        values = dict(zip(self.names, state, strict=True))
        for name in self.returned:
            values[name] = values[name].clone()
        model_state = {n: v for n, v in values.items() if not n.startswith(LOSS_PREFIX)}
        loss_state = {n[len(LOSS_PREFIX):]: v for n, v in values.items()
                      if n.startswith(LOSS_PREFIX)}
        out = torch.func.functional_call(self.model, model_state, (x,))
        loss = torch.func.functional_call(self.criterion, loss_state, (out, y))
        return (loss, *(values[n] for n in self.returned))


def criterion_of(loss: str | nn.Module) -> tuple[str, nn.Module]:
    """A loss name or PyTorch criterion -> (its name, the criterion)."""
    if isinstance(loss, nn.Module):
        for name, kind in LOSSES.items():
            if type(loss) is kind:
                return name, loss
        raise UserError(f"unsupported loss module {type(loss).__name__} (supported: "
                        f"{', '.join(k.__name__ for k in LOSSES.values())})")
    if loss not in LOSSES:
        raise UserError(f"unknown loss '{loss}' (known: {', '.join(LOSSES)})")
    return loss, LOSSES[loss]()


def loss_fn(loss: str | nn.Module, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The loss edgeft trains with, as PyTorch computes it (mean over the batch)."""
    return criterion_of(loss)[1](out, y)


@dataclass(frozen=True)
class _Resolved:
    """A model spec resolved: its name, model, example input and own loss (if any)."""

    name: str
    model: nn.Module
    x: torch.Tensor
    loss: str | nn.Module | None = None


def resolve_model(spec: str, in_channels: int, batch: int | None,
                  seed: int = 0) -> tuple[str, nn.Module, torch.Tensor]:
    """A built-in name or `file.py:factory` -> (name, model, example input).

    Built-in models take batch 2 unless `batch` is given; factories keep the
    batch of their example input unless `batch` is given.
    """
    resolved = _resolve(spec, in_channels, batch, seed)
    return resolved.name, resolved.model, resolved.x


def is_factory(spec: str) -> bool:
    """Whether a model spec names a factory (`path/to/file.py:factory`)."""
    return ":" in spec and spec.split(":", 1)[0].endswith(".py")


def _resolve(spec: str, in_channels: int, batch: int | None, seed: int) -> _Resolved:
    if is_factory(spec):
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
    return _Resolved(spec, model, x, getattr(models.BUILTIN[spec], "loss", None))


FACTORY_CONTRACT = ("(nn.Module, example input tensor) or (nn.Module, example input tensor, "
                    "loss name or nn.Module loss)")


def _from_factory(spec: str, batch: int | None, seed: int) -> _Resolved:
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
    except (Exception, SystemExit) as e:  # noqa: BLE001 - user code may raise anything
        raise UserError(f"loading '{path}' failed: {_describe(e)}") from None
    factory = getattr(user_module, factory_name, None)
    if not callable(factory):
        raise UserError(f"'{path}' has no function '{factory_name}'")
    torch.manual_seed(seed)
    try:
        result = factory()
    except (Exception, SystemExit) as e:  # noqa: BLE001
        raise UserError(f"factory '{factory_name}' in '{path}' raised {_describe(e)}") from None
    if (not isinstance(result, tuple) or len(result) not in (2, 3)
            or not isinstance(result[0], nn.Module) or not isinstance(result[1], torch.Tensor)
            or (len(result) == 3 and not isinstance(result[2], str | nn.Module))):
        raise UserError(f"factory '{factory_name}' in '{path}' returned {_kind_of(result)}; "
                        f"it must return {FACTORY_CONTRACT}")
    model, x = result[0], result[1]
    if x.dim() == 0:
        raise UserError(f"factory '{factory_name}' in '{path}' returned a 0-d example input "
                        "(a scalar); the example input is a batch, its first dimension the "
                        "batch size")
    if batch is not None and batch != x.shape[0]:
        x = torch.randn((batch, *x.shape[1:]), generator=torch.Generator().manual_seed(seed))
    return _Resolved(f"{path.stem}:{factory_name}", model, x,
                     result[2] if len(result) == 3 else None)


def _describe(e: BaseException) -> str:
    frames = traceback.extract_tb(e.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    if isinstance(e, SystemExit):
        return f"SystemExit (sys.exit({e.code!r})){where}"
    return f"{type(e).__name__}: {e}{where}"


def _kind_of(value: object) -> str:
    """What a factory or forward returned, in words: `a Linear (nn.Module) alone`,
    `a tuple (Linear, list)`, `None`."""
    if value is None:
        return "None"
    if isinstance(value, tuple | list):
        items = ", ".join(type(v).__name__ for v in value)
        return f"a {type(value).__name__} of {len(value)} ({items})"
    if isinstance(value, nn.Module):
        return f"a {type(value).__name__} (nn.Module) alone"
    return f"a {type(value).__name__}"


@contextlib.contextmanager
def user_output_to_stderr() -> Iterator[None]:
    """Send what user code writes to stdout (the factory, the model's forward
    while it is traced) to stderr, so that `edgeft import -o -` writes only MLIR.

    Python's prints are redirected, and file descriptor 1 itself, for output
    from C (a print in an extension, printf through ctypes); C's stdio buffer
    is flushed before the descriptor is restored, so nothing the user code
    buffered reaches stdout later.
    """
    sys.stdout.flush()
    try:
        saved = os.dup(1)
        os.dup2(2, 1)
    except OSError:  # no descriptor 1 or 2 (a daemon): Python's prints only
        saved = None
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stderr.flush()
        if saved is not None:
            _flush_c_stdio()
            os.dup2(saved, 1)
            os.close(saved)


def _flush_c_stdio() -> None:
    """fflush(NULL): empty every C stdio buffer (the C library's own stdout)."""
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # no C library to ask (not a POSIX system)
        pass


def set_mode(model: nn.Module, batchnorm: str) -> nn.Module:
    """Put `model` in the mode the step is built in and return it.

    Every module in eval mode (dropout is the identity, as at inference);
    with batchnorm="batch" the BatchNorm layers in train mode (batch
    statistics, running statistics updated with their momentum).
    """
    if batchnorm not in BATCHNORM_MODES:
        raise UserError(f"unknown --batchnorm '{batchnorm}' (known: "
                        f"{', '.join(BATCHNORM_MODES)})")
    model.eval()
    if batchnorm != "batch":
        return model
    for name, layer in model.named_modules():
        if not isinstance(layer, BATCHNORM_LAYERS):
            continue
        if layer.momentum is None and layer.track_running_stats:
            # the cumulative average divides by num_batches_tracked as a Python
            # float, which a step traced once cannot follow
            raise UserError(f"BatchNorm layer '{name}' has momentum=None (a cumulative "
                            "average): --batchnorm batch needs a fixed momentum (or use "
                            "--batchnorm frozen)")
        layer.train()
    return model


def _run_once(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The model's output on `x`; buffers the call updates (running
    statistics in train mode) are restored, so the model is as it was."""
    saved = {n: b.detach().clone() for n, b in model.named_buffers()}
    try:
        with torch.no_grad():
            out = model(x)
    except (Exception, SystemExit) as e:  # noqa: BLE001
        raise UserError(f"the model fails on an input of shape {list(x.shape)}: "
                        f"{_describe(e)}") from None
    with torch.no_grad():
        for name, buffer in model.named_buffers():
            buffer.copy_(saved[name])
    if not isinstance(out, torch.Tensor):
        raise UserError(f"the model's forward returned {_kind_of(out)}; edgeft trains a "
                        "model whose forward returns one tensor (the output the loss takes)")
    return out


def _target(out: torch.Tensor, loss: str, seed: int) -> torch.Tensor:
    """A target batch for the model's output `out`, of the dtype `loss` takes."""
    generator = torch.Generator().manual_seed(seed + 1)
    if loss == "cross-entropy":
        if out.dim() != 2:
            raise UserError(f"the model must return (batch, classes) logits for the "
                            f"cross-entropy loss, got shape {list(out.shape)}")
        return torch.randint(0, out.shape[1], (out.shape[0],), generator=generator)
    if loss == "bce-with-logits":
        return torch.randint(0, 2, out.shape, generator=generator).to(out.dtype)
    return torch.randn(out.shape, generator=generator, dtype=out.dtype)


def example_target(model: nn.Module, x: torch.Tensor, loss: str, seed: int) -> torch.Tensor:
    """A target batch for `x`: class indices for cross-entropy, 0/1 values for
    bce-with-logits, values of the output's shape for mse and l1."""
    return _target(_run_once(model, x), loss, seed)


def import_model(model: str | nn.Module, *, batch: int | None = None, in_channels: int = 1,
                 loss: str | nn.Module | None = None, example: torch.Tensor | None = None,
                 seed: int = 0, batchnorm: str = "frozen",
                 context: ir.Context | None = None) -> ir.Module:
    """Import `model` with its loss into linalg-on-tensors MLIR.

    `model` is a built-in name (`mlp`, `lenet5`, `cct2`, ...), `path/to/file.py:factory`
    (a function returning `(nn.Module, example_input)` or `(nn.Module,
    example_input, loss)`), or an `nn.Module` together with `example`. `loss`
    (a name of LOSSES or a PyTorch criterion) overrides the model's own loss;
    without either, cross-entropy. `batchnorm` is "frozen" (running
    statistics) or "batch" (batch statistics, running statistics updated).
    Returns the module; `import_model_full` also returns the PyTorch side
    (model, example batch) for numerical checks.
    """
    return import_model_full(model, batch=batch, in_channels=in_channels, loss=loss,
                             example=example, seed=seed, batchnorm=batchnorm,
                             context=context).module


def import_model_full(model: str | nn.Module, *, batch: int | None = None, in_channels: int = 1,
                      loss: str | nn.Module | None = None, example: torch.Tensor | None = None,
                      seed: int = 0, batchnorm: str = "frozen",
                      context: ir.Context | None = None) -> ImportedModel:
    """Like `import_model`, also returning the PyTorch model and example batch."""
    if isinstance(loss, str):
        criterion_of(loss)  # a bad name fails before the model is built
    if batch is not None and batch < 1:
        raise UserError(f"--batch must be at least 1, got {batch}")
    if isinstance(model, nn.Module):
        if example is None:
            raise UserError("importing an nn.Module needs an example input")
        resolved = _Resolved(type(model).__name__, model, example)
    else:
        with user_output_to_stderr():
            resolved = _resolve(model, in_channels, batch, seed)
    loss_name, criterion = criterion_of(loss if loss is not None else
                                        resolved.loss or DEFAULT_LOSS)
    torch_model, x = set_mode(resolved.model, batchnorm), resolved.x
    ctx = context or make_context()
    with user_output_to_stderr():
        y = example_target(torch_model, x, loss_name, seed)
        state = _state_of(torch_model, criterion)
        # Every model buffer is returned after the loss; those the step changes
        # (running statistics in train mode, any buffer a forward updates) are stored.
        returned = [n for n, _ in state.buffers if not n.startswith(LOSS_PREFIX)]
        module, changed = _export_and_lower(
            _LossOf(torch_model, criterion, state.names, returned), x, y, state.values, ctx)
    buffer_names = [n for n, _ in state.buffers]
    updated = [n for n, c in zip(returned, changed, strict=True) if c]
    globalize_parameters(module, state.names, state.values, buffers=set(buffer_names),
                         returned=returned, updated=set(updated))
    return ImportedModel(module, resolved.name, [n for n, _ in state.params], x, y,
                         torch_model, loss_name, criterion, batchnorm, buffer_names, updated)


def _export_and_lower(wrapper: _LossOf, x: torch.Tensor, y: torch.Tensor,
                      values: list[torch.Tensor],
                      ctx: ir.Context) -> tuple[ir.Module, list[bool]]:
    """The wrapper exported, imported and lowered to linalg, and for each
    returned buffer whether the step changes it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # torch's own deprecations
            program = torch.export.export(wrapper, (x, y, *values), strict=False)
            program = program.run_decompositions(get_decomposition_table())
    except (Exception, SystemExit) as e:  # noqa: BLE001 - torch.export fails in many ways
        raise UserError(f"torch.export cannot trace the model: {_first_line(e)}") from None
    _map_unused_buffers(program)
    changed = _changed_outputs(program)
    importer = FxImporter(context=ctx)
    # The importer names ops after source lines only; ours also names the layer.
    importer._cc = _LayerLocations(ctx, type(wrapper.model).__name__,  # noqa: SLF001
                                   py_attr_tracker=importer._py_attr_tracker)  # noqa: SLF001
    try:
        importer.import_frozen_program(program, func_name="forward")
    except (Exception, SystemExit) as e:  # noqa: BLE001
        raise UserError(_import_failure_message(e)) from None
    module = importer.module
    with ctx:
        for pipeline in (TORCH_TO_BACKEND, BACKEND_TO_LINALG):
            try:
                passmanager.PassManager.parse(pipeline).run(module.operation)
            except ir.MLIRError as e:
                raise UserError(_unsupported_op_message(e)) from None
    return module, changed


def _changed_outputs(program: torch.export.ExportedProgram) -> list[bool]:
    """For each output after the loss: whether it is a new value rather than
    its input returned as it came (a clone of a graph input)."""
    output = next(n for n in program.graph.nodes if n.op == "output")
    changed = []
    for node in output.args[0][1:]:
        while (isinstance(node, torch.fx.Node) and node.op == "call_function"
               and node.target is torch.ops.aten.clone.default):
            node = node.args[0]
        changed.append(not (isinstance(node, torch.fx.Node) and node.op == "placeholder"))
    return changed


def _map_unused_buffers(program: torch.export.ExportedProgram) -> None:
    """Give every lifted buffer of the export a value in its state dict.

    The wrapper passes the model's state as inputs, so the buffers
    torch.export lifts from the wrapped module are never read. The importer
    still looks each up in the state dict, where non-persistent buffers are
    not (they sit in `constants`): "Could not find state mapping for buffer".
    """
    state = program.state_dict
    for name in program.graph_signature.inputs_to_buffers.values():
        if name not in state and name in program.constants:
            state[name] = program.constants[name]


def _failing_node(e: BaseException) -> torch.fx.Node | None:
    """The FX node the importer was converting when `e` was raised: the
    innermost frame of the traceback holding a local `node`."""
    found = None
    tb = e.__traceback__
    while tb is not None:
        candidate = tb.tb_frame.f_locals.get("node")
        if isinstance(candidate, torch.fx.Node):
            found = candidate
        tb = tb.tb_next
    return found


def _import_failure_message(e: BaseException) -> str:
    """One line naming the op torch-mlir's importer failed on and its PyTorch layer."""
    node = _failing_node(e)
    if node is None or node.op != "call_function":
        return f"torch-mlir cannot import the model: {_first_line(e)}"
    op = str(node.target).removesuffix(".default")
    layer = _layer_of_node(node, "")
    where = f" in PyTorch layer '{layer}'" if layer else ""
    frame = _user_frame(node)
    source = f" ({frame[0]}:{frame[1]})" if frame else ""
    return f"torch-mlir cannot import op '{op}'{where}{source}: {_first_line(e)}"


def _layer_of_node(node: torch.fx.Node, root: str) -> str:
    """The PyTorch layer an FX node comes from: its module path below the
    wrapper's model (`root` for the model's own forward), or `loss`."""
    stack = node.meta.get("nn_module_stack") or {}
    path = ""
    for module_path, _ in stack.values():
        path = module_path
    if path == "model":
        return root
    if path.startswith(_MODULE_PREFIX):
        return path[len(_MODULE_PREFIX):]
    return LOSS_LAYER


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
        layer = _layer_of_node(node, self._root)
        return ir.Location.name(layer, childLoc=_source_location(node, self._c), context=self._c)


def _source_location(node: torch.fx.Node, ctx: ir.Context) -> ir.Location:
    """The innermost frame of the node's stack outside torch, as file:line.

    Only the file's base name is kept, so the printed IR does not depend on
    where the sources are installed.
    """
    frame = _user_frame(node)
    if frame is None:
        return ir.Location.unknown(ctx)
    return ir.Location.file(frame[0], frame[1], 0, context=ctx)


def _user_frame(node: torch.fx.Node) -> tuple[str, int] | None:
    """(file base name, line) of the innermost frame outside torch, if any."""
    frames = re.findall(r'File "([^"]+)", line ([0-9]+),', node.stack_trace or "")
    torch_dir = str(Path(torch.__file__).parent)
    user = [(Path(f).name, int(n)) for f, n in frames if not f.startswith(torch_dir)]
    return user[-1] if user else None


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


def globalize_parameters(module: ir.Module, names: list[str], values: list[torch.Tensor],
                         buffers: set[str] | frozenset[str] = frozenset(),
                         returned: list[str] | None = None,
                         updated: set[str] | frozenset[str] = frozenset()) -> None:
    """Turn @forward's state arguments (after x, y) into `ml_program.global`s,
    and its results after the loss (the `returned` buffers) into stores of
    the `updated` ones; @forward then returns the loss alone.

      func.func @forward(%x, %y, %w: tensor<4x8xf32>, %m: tensor<4xf32>)
          -> (tensor<f32>, tensor<4xf32>)
    with `m` an updated buffer becomes
      ml_program.global private mutable @"fc.weight"(dense<...>) : tensor<4x8xf32>
      ml_program.global private mutable @"bn.running_mean"(dense<...>) : tensor<4xf32>
          {edgeft.buffer}
      func.func @forward(%x, %y) -> tensor<f32> {
        %w = ml_program.global_load @"fc.weight" : tensor<4x8xf32>
        ...
        ml_program.global_store @"bn.running_mean" = %new_mean
        return %loss
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
                glob = ml_program.GlobalOp(
                    sym_name=name, type_=arg.type,
                    value=ir.DenseElementsAttr.get(np.ascontiguousarray(value.numpy()),
                                                   type=arg.type),
                    is_mutable=True, sym_visibility="private")
                if name in buffers:
                    glob.attributes[attrs.BUFFER] = ir.UnitAttr.get()
            with body_start, location:
                loaded = ml_program.GlobalLoadOp(arg.type, ir.FlatSymbolRefAttr.get(name))
            arg.replace_all_uses_with(loaded.result)
            entry.erase_argument(first_param)
        entry.arguments[0].set_location(ir.Location.name("x"))
        entry.arguments[1].set_location(ir.Location.name("y"))
        results = _store_updated_buffers(entry, returned or [], updated)
        inputs = [a.type for a in entry.arguments]
        forward.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs, results))


def _store_updated_buffers(entry: ir.Block, returned: list[str],
                           updated: set[str] | frozenset[str]) -> list[ir.Type]:
    """Store the `updated` results after the loss into their buffers'
    globals and return only the loss; the unchanged ones and what computed
    them are erased. Returns @forward's result types."""
    ret = entry.operations[len(entry.operations) - 1]
    operands = list(ret.operands)
    if len(operands) != 1 + len(returned):
        raise RuntimeError(f"@forward returns {len(operands)} values, expected the loss and "
                           f"{len(returned)} buffers")
    if not returned:
        return [operands[0].type]
    with ir.InsertionPoint(ret):
        for name, value in zip(returned, operands[1:], strict=True):
            if name not in updated:
                continue
            layer = name.rpartition(".")[0] or name
            with ir.Location.name(layer, childLoc=ret.location):
                ml_program.GlobalStoreOp(ir.FlatSymbolRefAttr.get(name), value)
        with ret.location:
            func.ReturnOp([operands[0]])
    ret.erase()
    for name, value in zip(returned, operands[1:], strict=True):
        if name not in updated:
            _erase_if_dead(value)
    return [operands[0].type]


# Ops without side effects that the copy of an unchanged buffer is made of.
_PURE_OPS = ("linalg.generic", "linalg.copy", "tensor.empty", "ml_program.global_load")


def _erase_if_dead(value: ir.Value) -> None:
    """Erase the op producing `value` if nothing uses it, then its operands' producers."""
    pending, seen = [value], set()
    while pending:
        v = pending.pop()
        if v in seen:
            continue
        seen.add(v)
        op = producer(v)
        if op is None or op.name not in _PURE_OPS or any(
                True for r in op.results for _ in r.uses):
            continue
        operands = list(op.operands)
        op.erase()
        pending.extend(operands)


def torch_loss(imported: ImportedModel, params: dict[str, Any] | None = None) -> float:
    """PyTorch's loss for the imported example batch (the numerical reference).

    The model's buffers are left as they are, in either BatchNorm mode.
    """
    state = {n: torch.as_tensor(v) for n, v in (params or {}).items()}
    model = imported.torch_model
    saved = {n: b.detach().clone() for n, b in model.named_buffers()}
    with torch.no_grad():
        out = torch.func.functional_call(model, state, (imported.example_x,)) \
            if state else model(imported.example_x)
        loss = float(imported.criterion(out, imported.example_y))
        for name, buffer in model.named_buffers():
            buffer.copy_(saved[name])
    return loss
