"""What every edgeft pass shares, so any PassManager can take one directly.

    pm = PassManager("builtin.module")
    pm.add(ParamSummary(format="json"))

`PassManager.add` names a Python pass after its callable's `__name__`; a pass
instance answers with its class name.
"""

from __future__ import annotations

from typing import Any, ClassVar


class EdgeftPass:
    """Base of the pass dataclasses: gives instances the name PassManager asks for."""

    argument: ClassVar[str] = ""

    @property
    def __name__(self) -> str:  # noqa: PLW3201 - PassManager.add reads it
        return type(self).__name__

    def __call__(self, op: Any, pass_: Any) -> None:
        """Run the pass on `op` (the module); report bad input at its location and fail `pass_`."""
        raise NotImplementedError
