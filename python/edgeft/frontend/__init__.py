"""PyTorch -> MLIR import: `import_model`, the built-in models, and the
names of the losses and BatchNorm modes the import takes (kept here, free of
torch, so that the command line parses without loading it)."""

from __future__ import annotations

from typing import Any

# --loss: what the step minimises, mean over the batch as PyTorch computes it.
LOSSES = ("cross-entropy", "mse", "l1", "bce-with-logits")
DEFAULT_LOSS = "cross-entropy"
# --batchnorm: frozen = the running statistics (eval mode); batch = batch
# statistics (train mode), the running statistics updated each step.
BATCHNORM_MODES = ("frozen", "batch")


def import_model(*args: Any, **kwargs: Any) -> Any:
    """Import a model into MLIR; see `edgeft.frontend.importer.import_model`."""
    from edgeft.frontend.importer import import_model as _import_model

    return _import_model(*args, **kwargs)
