"""edgeft: a compiler for on-device fine-tuning on extreme-edge RISC-V SoCs.

The public entry points are small and import lazily, so `edgeft-opt` starts
without loading PyTorch:

- `edgeft.ir.context.make_context()`: an MLIR context with every dialect loaded;
- `edgeft.frontend.import_model(...)`: PyTorch model -> MLIR module;
- `edgeft.execute(...)`: run a function of a module on numpy arrays.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def execute(*args: Any, **kwargs: Any) -> Any:
    """Run a function of a module on numpy arrays; see `edgeft.backends.executor.execute`."""
    from edgeft.backends.executor import execute as _execute

    return _execute(*args, **kwargs)
