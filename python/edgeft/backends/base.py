"""What every backend offers: the `Backend` protocol, its steps and results.

A backend runs the C of one build directory (`edgeft compile ... -o BUILD`)
somewhere: in this process (host), on RV32 under QEMU (rv32), and later on
GVSoC. `edgeft run` sees only this interface:

    program = backends.get("rv32").build(Path("BUILD"))   # builds what it runs
    program.init()
    logits = program.predict(x)                # x: whole batches
    trained = program.train([[Step(x=x, y=y)], ...])        # one list per epoch
    program.parameters()["fc3.weight"]; program.write_parameters({...})

Training takes every epoch at once because a simulator runs them in one
process (the forward cache lives in the program's memory) and because only
the backend knows how it times them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np

from edgeft.ir.errors import UserError
from edgeft.ir.schema import read_json

PROGRAM_JSON = "program.json"

# Called after each training step as it finishes: (epoch, loss).
OnStep = Callable[[int, float], None]


@dataclass
class ProgramInfo:
    """What the C program expects: shapes and label kind (BUILD/program.json)."""

    batch: int
    sample_shape: list[int]
    classes: int
    labels_are_indices: bool
    arena_bytes: int
    cache: dict | None = None   # {"samples", "quant"} when built with a forward cache
    memory: dict | None = None  # level -> bytes when built with a memory plan
    # the L2 budget the program's image left, part by part (no --l2 given)
    l2_budget: dict | None = None

    @staticmethod
    def load(build: Path) -> ProgramInfo:
        """BUILD/program.json, or a user error if BUILD is not a build directory."""
        path = build / PROGRAM_JSON
        if not path.is_file():
            raise UserError(f"'{build}' is not an edgeft build directory (no {PROGRAM_JSON}; "
                            "make one with edgeft compile ... -o DIR)")
        hint = f"compile the build again (edgeft compile ... -o {build})"
        fields = read_json(path, PROGRAM_SCHEMA, hint)
        least = {"batch": 1, "classes": 1, "arena_bytes": 0}
        low = [k for k, value in least.items() if fields[k] < value]
        if low or not fields["sample_shape"] or min(fields["sample_shape"]) < 1:
            field = low[0] if low else "sample_shape"
            raise UserError(f"'{path}': field '{field}' is {fields[field]}, which no build has; "
                            f"{hint}")
        return ProgramInfo(**fields)


# What cwriter.write puts in BUILD/program.json (edgeft.ir.schema).
PROGRAM_SCHEMA = {
    "batch": int, "sample_shape": [int], "classes": int, "labels_are_indices": bool,
    "arena_bytes": int, "cache?": {"samples": int, "quant": str},
    "memory?": {"*": int}, "l2_budget?": {"input": int, "input_steps": int, "*": float},
}


PLAIN, FILL_AND_STEP, CACHED_STEP = 0, 1, 2


@dataclass
class Step:
    """One training step: on x, or (cached builds) on cache rows idx, after
    filling them from x when `fill`."""

    y: np.ndarray
    x: np.ndarray | None = None
    idx: np.ndarray | None = None
    fill: bool = False

    @property
    def kind(self) -> int:
        """PLAIN, FILL_AND_STEP or CACHED_STEP (the codes of runtime/rv32/main.c)."""
        if self.idx is None:
            return PLAIN
        return FILL_AND_STEP if self.fill else CACHED_STEP


@dataclass
class Trained:
    """What training returned: the loss of every step, wall seconds per epoch
    and, on backends that count them, retired instructions or device cycles
    per step."""

    losses: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    instructions: list[int] = field(default_factory=list)
    cycles: list[int] = field(default_factory=list)   # device cycles per step (GVSoC)
    # per step, where the device's cycles went: {kind: (cycles, calls)} (GVSoC)
    profiles: list[dict[str, tuple[int, int]]] = field(default_factory=list)
    # per kernel over all steps, {name: (cycles, calls)} (GVSoC: the forked kernels)
    kernels: dict[str, tuple[int, int]] = field(default_factory=dict)


class Backend(Protocol):
    """The emitted training step of one build, ready to run on some machine."""

    name: ClassVar[str]
    info: ProgramInfo

    @classmethod
    def build(cls, build: Path) -> Backend:
        """Build what this backend runs from BUILD's C (and nothing else)."""
        ...

    def init(self) -> None:
        """Reset every parameter and optimizer state to its initial value."""
        ...

    def train(self, epochs: Sequence[Sequence[Step]], on_step: OnStep | None = None) -> Trained:
        """Run the steps of every epoch in order, from the current parameters."""
        ...

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The logits (n * batch, classes) of x, whole batches (n * batch, *sample)."""
        ...

    def parameters(self) -> dict[str, np.ndarray]:
        """Flat float32 arrays of every float global (parameters, adapters, state)."""
        ...

    def write_parameters(self, values: Mapping[str, np.ndarray]) -> None:
        """Set the named globals (flat or any shape of the right size)."""
        ...


def check_batches(info: ProgramInfo, x: np.ndarray) -> np.ndarray:
    """The inputs x as contiguous float32 whole batches, or a user error naming the shape."""
    array = np.ascontiguousarray(x, dtype=np.float32)
    sample = tuple(info.sample_shape)
    if array.ndim < 1 or array.shape[1:] != sample or array.shape[0] % info.batch \
            or array.shape[0] == 0:
        raise UserError(f"x has shape {list(array.shape)}, the program takes "
                        f"[{info.batch} * n, {', '.join(map(str, sample))}]")
    return array


def label_error(step: int, y: np.ndarray, sample: int, classes: int) -> UserError:
    """The error for training step `step` (counted from 1) whose label of
    `sample` the program refused (the step API returned 1 + sample)."""
    label = int(np.asarray(y).reshape(-1)[sample])
    return UserError(f"training step {step}: label {label} of sample {sample} is not a class "
                     f"of the model (0..{classes - 1}); the step did not run")


def check_refused_labels(output: str, steps: Sequence[Step], first_record: int,
                         classes: int) -> None:
    """A user error if a device program says a training step refused a label:
    the line `EDGEFT label RECORD SAMPLE` (runtime/rv32/main.c, runtime/pulp/main.c),
    RECORD counting the input's records, the training steps from `first_record`."""
    for line in output.splitlines():
        words = line.split()
        if words[:2] != ["EDGEFT", "label"] or len(words) != 4 \
                or not (words[2].isdigit() and words[3].isdigit()):
            continue
        index = int(words[2]) - first_record
        if 0 <= index < len(steps):
            raise label_error(index + 1, steps[index].y, int(words[3]), classes)


def check_parameters(current: Mapping[str, np.ndarray],
                     values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """`values` as flat float32 arrays, or a user error for an unknown name or size."""
    flat = {}
    for name, value in values.items():
        if name not in current:
            raise UserError(f"the program has no parameter '{name}'")
        array = np.asarray(value, np.float32).reshape(-1)
        if array.size != current[name].size:
            raise UserError(f"parameter '{name}' has {current[name].size} elements, "
                            f"not {array.size}")
        flat[name] = array
    return flat
