"""PyTorch -> MLIR import: `import_model` and the built-in models."""

from __future__ import annotations

from typing import Any


def import_model(*args: Any, **kwargs: Any) -> Any:
    """Import a model into MLIR; see `edgeft.frontend.importer.import_model`."""
    from edgeft.frontend.importer import import_model as _import_model

    return _import_model(*args, **kwargs)
