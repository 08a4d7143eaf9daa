"""edgeft-autodiff: reverse-mode automatic differentiation over linalg on tensors."""

from edgeft.passes.autodiff.driver import Autodiff

__all__ = ["Autodiff"]
