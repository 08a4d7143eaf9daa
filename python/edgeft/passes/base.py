"""What every edgeft pass shares, so any PassManager can take one directly.

    pm = PassManager("builtin.module")
    pm.add(ParamSummary(format="json"))

`PassManager.add` names a Python pass after its callable's `__name__`; a pass
instance answers with its class name.

Every numeric option declares the values it allows with `option(...)`
(a `Range` in its field metadata); constructing a pass checks each
of them (`EdgeftPass.__post_init__`), whether the pass comes from a
pipeline string or from Python, so no pass sees a negative seed, a core
count beyond the cluster or a learning rate float32 rounds to zero.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from edgeft.ir.graph import function
from edgeft.target import get

# Seeds go to numpy's generators; one range for every seed option of every pass.
SEED_MAX = 2**32 - 1
# Byte budgets: at least the smallest level a target takes, at most what a
# 32-bit address space holds.
BUDGET_MIN = 1024
BUDGET_MAX = 2**32 - 1
# Counts that become tensor dimensions or C indices stay within int32.
COUNT_MAX = 2**31 - 1
# An adapter rank beyond the width of any layer edgeft trains is no longer low rank.
MAX_RANK = 1024
# Core counts: at most the cores of the largest cluster a target describes.
CLUSTER_CORES = get("siracusa").cores


@dataclass(frozen=True)
class Range:
    """The values a numeric option allows: `low` .. `high`, each end closed
    unless `low_open` / `high_open`; `zero` names what 0 means when 0 is
    allowed besides the range ("the target's"); `float32` asks the value to
    stay finite and inside the range after rounding to float32 (the type the
    emitted C computes in)."""

    low: float
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    zero: str = ""
    float32: bool = False

    def allows(self, value: float) -> bool:
        """Whether `value` is an allowed value of the option."""
        if self.zero and value == 0:
            return True
        if isinstance(value, float) and not math.isfinite(value):
            return False
        values = [value]
        if self.float32:
            with np.errstate(over="ignore"):
                rounded = float(np.float32(value))
            if not math.isfinite(rounded):
                return False
            values.append(rounded)
        return all(self._inside(v) for v in values)

    def _inside(self, v: float) -> bool:
        above = v > self.low if self.low_open else v >= self.low
        below = v < self.high if self.high_open else v <= self.high
        return above and below

    def describe(self) -> str:
        """The allowed values in words: `1 .. 8`, `in [0, 1)`, `> 0, finite and nonzero
        in float32`, `0 (the target's) or 1024 .. 4294967295`."""
        if math.isinf(self.high):
            text = f"{'>' if self.low_open else '>='} {_number(self.low)}"
        elif self.low_open or self.high_open:
            text = (f"in {'(' if self.low_open else '['}{_number(self.low)}, "
                    f"{_number(self.high)}{')' if self.high_open else ']'}")
        else:
            text = f"{_number(self.low)} .. {_number(self.high)}"
        if self.float32:
            text += ", finite and nonzero in float32" if self.low_open and self.low == 0 \
                else ", finite in float32"
        return f"0 ({self.zero}) or {text}" if self.zero else text


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def option(default: Any, help: str, allowed: Range | None = None) -> Any:
    """A pass option: a dataclass field with its help text and allowed values."""
    metadata: dict[str, Any] = {"help": help}
    if allowed is not None:
        metadata["range"] = allowed
    return dataclasses.field(default=default, metadata=metadata)


def seed_option(help: str) -> Any:
    """A seed of numpy's generators; the same range for every pass."""
    return option(0, help, Range(0, SEED_MAX))


def budget_option(help: str) -> Any:
    """A byte budget of a memory level, 0 for the target's."""
    return option(0, help, Range(BUDGET_MIN, BUDGET_MAX, zero="the target's"))


def option_problem(instance: Any) -> str | None:
    """What is wrong with the first option of a pass instance that its range does not
    allow, or None; a numeric option without a range is a bug of the pass."""
    hints = typing.get_type_hints(type(instance))
    for f in dataclasses.fields(instance):
        if hints[f.name] not in (int, float):
            continue
        allowed = f.metadata.get("range")
        if allowed is None:
            raise TypeError(f"{type(instance).__name__}.{f.name} declares no range")
        value = getattr(instance, f.name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"option '{f.name.replace('_', '-')}' must be a number, got {value!r}"
        if not allowed.allows(value):
            return (f"option '{f.name.replace('_', '-')}' must be {allowed.describe()}, "
                    f"got {value}")
    return None


def defined_function(module: Any, name: str) -> Any:
    """The func.func named `name` in `module` if it has a body, else None: a
    declaration has nothing for a pass to rewrite."""
    func = function(module, name)
    return func if func is not None and func.regions[0].blocks else None


class EdgeftPass:
    """Base of the pass dataclasses: gives instances the name PassManager asks for,
    and checks their numeric options against their ranges on construction."""

    argument: ClassVar[str] = ""

    def __post_init__(self) -> None:
        """Reject an option outside its range (ValueError naming the option)."""
        problem = option_problem(self)
        if problem:
            raise ValueError(problem)

    @property
    def __name__(self) -> str:  # noqa: PLW3201 - PassManager.add reads it
        return type(self).__name__

    def __call__(self, op: Any, pass_: Any) -> None:
        """Run the pass on `op` (the module); report bad input at its location and fail `pass_`."""
        raise NotImplementedError
