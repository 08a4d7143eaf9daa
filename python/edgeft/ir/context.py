"""The one place that creates MLIR contexts.

Every context edgeft uses comes from `make_context()`: it has the upstream
dialects of the torch-mlir wheel, our IRDL dialects (`pulp`, `redmule`, read
from the project's `dialects/` folder) and the verifiers of
`edgeft.ir.dialects`, plus torch-mlir's `torch` dialect for the importer.
Nothing else creates an `ir.Context`.
"""

from __future__ import annotations

from pathlib import Path

from torch_mlir import ir
from torch_mlir.dialects import irdl
from torch_mlir.dialects import torch as torch_dialect

from edgeft.ir import dialects
from edgeft.ir.errors import UserError

DIALECTS_DIR = Path(__file__).resolve().parents[3] / "dialects"
DIALECT_FILES = ("pulp.irdl.mlir", "redmule.irdl.mlir")


def make_context() -> ir.Context:
    """Return a new context with upstream, torch and edgeft dialects loaded."""
    ctx = ir.Context()
    ctx.allow_unregistered_dialects = False
    torch_dialect.register_dialect(ctx)
    with ctx, ir.Location.unknown():
        for name in DIALECT_FILES:
            irdl.load_dialects(_read_dialect(name))
        dialects.attach_verifiers(ctx)
    return ctx


def _read_dialect(name: str) -> ir.Module:
    path = DIALECTS_DIR / name
    if not path.is_file():
        raise UserError(
            f"dialect definition {path} is missing; edgeft runs from its source tree "
            "(install it with `pip install -e .` from the project root)"
        )
    return ir.Module.parse(path.read_text(), context=ir.Context.current)
