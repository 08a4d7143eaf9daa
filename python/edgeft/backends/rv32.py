"""The rv32 backend: the emitted C, bare metal on QEMU's RISC-V virt machine.

Built with the RV32 toolchain (`backends.toolchain`: riscv64-unknown-elf-gcc
for rv32imf/ilp32f against picolibc with semihosting), run with
qemu-system-riscv32, with `-icount shift=0` for training so `minstret`
counts are exact and repeatable. Steps go in and results come out through
semihosted files in BUILD/rv32/ (runtime/rv32/main.c says the format).

Every QEMU run starts from edgeft_init(); the program object keeps the
parameters between runs and loads them at the start of the next one. The
forward cache lives in the program's memory, so it lasts one run: a cached
step must follow the fill of its rows in the same `train` call.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar

import numpy as np

from edgeft.backends import toolchain
from edgeft.backends.base import (
    CACHED_STEP,
    FILL_AND_STEP,
    PLAIN,
    OnStep,
    ProgramInfo,
    Step,
    Trained,
    check_batches,
    check_parameters,
    check_refused_labels,
)
from edgeft.ir.errors import UserError

PREDICT, PARAMETERS = 3, 4
TRAIN_TIMEOUT = 1800.0
PREDICT_TIMEOUT = 1800.0


@dataclass
class Rv32Result:
    """One QEMU run: the loss and retired instructions of every training step
    (a fill included), the logits of every predicted batch, and every
    parameter after the last step."""

    losses: list[float]
    instructions: list[int]
    parameters: dict[str, np.ndarray]
    logits: list[np.ndarray]
    trainable: set[str]


def build_elf(build: Path) -> Path:
    """BUILD/rv32/train.elf from the build's C files and the rv32 runtime
    (rebuilt only when a source is newer)."""
    out = build / "rv32"
    out.mkdir(exist_ok=True)
    elf = out / "train.elf"
    runtime = toolchain.RUNTIME
    sources = [build / "network.c", build / "weights.c", runtime / "rv32" / "main.c",
               runtime / "rv32" / "edgeft_rt_rv32.c", runtime / "common" / "edgeft_rt_models.c"]
    if elf.is_file() and all(elf.stat().st_mtime >= s.stat().st_mtime for s in sources):
        return elf
    return toolchain.build_rv32(sources, elf, includes=[build, runtime / "include"],
                                extra_flags=toolchain.CONTRACT_FLAGS,
                                what="the rv32 program")


class Rv32Program:
    """The emitted training step as a bare-metal RV32 program run under QEMU."""

    name: ClassVar[str] = "rv32"

    def __init__(self, build: Path, elf: Path, info: ProgramInfo) -> None:
        self.build_dir = build
        self.elf = elf
        self.info = info
        self.trainable: set[str] = set()
        self._parameters: dict[str, np.ndarray] | None = None   # None: edgeft_init's values

    @classmethod
    def build(cls, build: Path) -> Rv32Program:
        """Build BUILD/rv32/train.elf (never the host library)."""
        info = ProgramInfo.load(build)
        if not info.labels_are_indices:
            raise UserError("the rv32 program takes class labels (cross-entropy builds)")
        toolchain.qemu()
        return cls(build, build_elf(build), info)

    def init(self) -> None:
        """Back to the initial parameters (each run then starts from edgeft_init)."""
        self._parameters = None

    def run(self, steps: Sequence[Step | tuple[np.ndarray, np.ndarray]],
            predict: np.ndarray | None = None, icount: bool = True,
            timeout: float = TRAIN_TIMEOUT) -> Rv32Result:
        """One QEMU run from the current parameters: the training steps (an
        (x, y) pair is a plain step), then a prediction of the batches of
        `predict`. The parameters the run ends with become the current ones."""
        train = [s if isinstance(s, Step) else Step(x=s[0], y=s[1]) for s in steps]
        self._check_cache_rows(train)
        batch = self.info.batch
        xs = np.zeros((0,)) if predict is None else check_batches(self.info, predict)
        batches = [xs[start:start + batch] for start in range(0, len(xs), batch)]
        work = self.build_dir / "rv32"
        loads = self._parameters is not None
        write_input(work / "edgeft_in.bin", self._parameters, train, batches)
        (work / "edgeft_out.bin").unlink(missing_ok=True)
        ran = toolchain.run_qemu(self.elf, what="the rv32 program", timeout=timeout, cwd=work,
                                 icount=icount)
        check_refused_labels(ran.output, train, int(loads), self.info.classes)
        ran.check()
        result = _read_output((work / "edgeft_out.bin").read_bytes(), loads, len(train),
                              len(batches), (batch, self.info.classes))
        self._parameters = result.parameters
        self.trainable = result.trainable
        return result

    def _check_cache_rows(self, steps: list[Step]) -> None:
        if all(s.kind == PLAIN for s in steps):
            return
        if self.info.cache is None:
            raise UserError(f"{self.build_dir} has no forward cache; compile it with "
                            "--cache fp32|nf4")
        filled: set[int] = set()
        for step in steps:
            rows = {int(r) for r in np.asarray(step.idx).reshape(-1)}
            if step.kind == FILL_AND_STEP:
                filled |= rows
            elif not rows <= filled:
                raise UserError("on rv32 the forward cache lasts one QEMU run: a cached step "
                                "must follow the fill of its rows in the same train() call")

    def train(self, epochs: Sequence[Sequence[Step]], on_step: OnStep | None = None) -> Trained:
        """Every epoch in one QEMU run (-icount: exact instruction counts); its
        wall time is shared evenly among the epochs. `on_step` is not called:
        the steps finish inside QEMU."""
        steps = [step for epoch in epochs for step in epoch]
        if not steps:
            return Trained()
        start = time.perf_counter()
        result = self.run(steps)
        seconds = time.perf_counter() - start
        return Trained(result.losses, [seconds / len(epochs)] * len(epochs), result.instructions)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The logits of x (whole batches), all batches in one QEMU run without
        -icount (nothing is counted)."""
        result = self.run([], predict=x, icount=False, timeout=PREDICT_TIMEOUT)
        return np.concatenate(result.logits)

    def parameters(self) -> dict[str, np.ndarray]:
        """Copies of every float global as the last run left them (a first
        call runs the program with no steps to read the initial values)."""
        if self._parameters is None:
            return self.run([]).parameters
        return self._parameters

    def write_parameters(self, values: Mapping[str, np.ndarray]) -> None:
        """Set the named globals; the next run loads them."""
        for name, value in check_parameters(self.parameters(), values).items():
            self.parameters()[name][:] = value


def run_steps(build: Path, steps: Sequence[Step | tuple[np.ndarray, np.ndarray]],
              timeout: float = TRAIN_TIMEOUT) -> Rv32Result:
    """Build BUILD's rv32 program and run the given training steps in one QEMU
    run from the initial parameters (an (x, y) pair is a plain step)."""
    return Rv32Program.build(build).run(steps, timeout=timeout)


def write_input(path: Path, parameters: Mapping[str, np.ndarray] | None,
                steps: Sequence[Step], batches: Sequence[np.ndarray]) -> None:
    """A program's input file (the format of runtime/rv32/main.c, which the
    GVSoC program reads too): a parameter load when `parameters` is given,
    the training steps, then the batches to predict."""
    with open(path, "wb") as f:
        f.write(np.int32(int(parameters is not None) + len(steps) + len(batches)).tobytes())
        if parameters is not None:
            f.write(np.int32(PARAMETERS).tobytes())
            for value in parameters.values():
                f.write(np.ascontiguousarray(value, np.float32).tobytes())
        for step in steps:
            _write_step(f, step)
        for x in batches:
            f.write(np.int32(PREDICT).tobytes())
            f.write(np.ascontiguousarray(x, np.float32).tobytes())


def _write_step(f: BinaryIO, step: Step) -> None:
    f.write(np.int32(step.kind).tobytes())
    if step.kind != CACHED_STEP:
        f.write(np.ascontiguousarray(step.x, np.float32).tobytes())
    if step.kind != PLAIN:
        f.write(np.ascontiguousarray(step.idx, np.int32).tobytes())
    f.write(np.ascontiguousarray(step.y, np.int32).tobytes())


class _Reader:
    """A cursor over edgeft_out.bin."""

    def __init__(self, raw: bytes) -> None:
        self.raw, self.at = raw, 0

    def take(self, dtype: str, count: int) -> np.ndarray:
        size = np.dtype(dtype).itemsize * count
        if self.at + size > len(self.raw):
            raise UserError(f"the rv32 program's output ends early ({len(self.raw)} bytes)")
        values = np.frombuffer(self.raw, dtype, count, self.at).copy()
        self.at += size
        return values


def _read_output(raw: bytes, loads: bool, steps: int, batches: int,
                 logits_shape: tuple[int, int]) -> Rv32Result:
    """Parse edgeft_out.bin (format in runtime/rv32/main.c)."""
    reader = _Reader(raw)
    if loads:
        reader.take("<u4", 2)
    losses, instructions, logits = [], [], []
    for _ in range(steps):
        losses.append(float(reader.take("<f4", 1)[0]))
        instructions.append(int(reader.take("<u4", 1)[0]))
    for _ in range(batches):
        reader.take("<u4", 2)
        logits.append(reader.take("<f4", logits_shape[0] * logits_shape[1])
                      .reshape(logits_shape))
    parameters, trainable = {}, set()
    for _ in range(int(reader.take("<i4", 1)[0])):
        count, is_trainable, length = (int(v) for v in reader.take("<i4", 3))
        name = reader.take("u1", length).tobytes().decode()
        parameters[name] = reader.take("<f4", count)
        if is_trainable:
            trainable.add(name)
    return Rv32Result(losses, instructions, parameters, logits, trainable)
