"""The host backend: the emitted C built with CMake and called in this process (ctypes).

    program = HostProgram.build(Path("BUILD"), threads=2)   # default: the machine's cores
    program.init()
    loss = program.train_step(x, y)
    logits = program.predict(x)
    program.parameters()["fc3.weight"]      # numpy views of the C arrays

Besides the `Backend` interface it offers single steps (`train_step`,
`cache_fill`, `train_step_cached`), which the tests compare step by step.
The runtime runs each kernel's slices on a pool of `threads` threads
(runtime/host/edgeft_rt_host.c); the results do not depend on their number.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from edgeft.backends import base
from edgeft.backends.base import OnStep, ProgramInfo, Step, Trained, check_batches, check_parameters
from edgeft.backends.toolchain import require_tool
from edgeft.ir.errors import UserError


class _Tensor(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("data", ctypes.POINTER(ctypes.c_float)),
                ("count", ctypes.c_long), ("trainable", ctypes.c_int)]


def build_host_library(build: Path, extra_flags: list[str] | None = None) -> Path:
    """Configure and build BUILD/CMakeLists.txt into BUILD/host/; returns the .so."""
    require_tool("cmake", "cmake")
    require_tool("gcc", "gcc")
    out = build / "host"
    _forget_moved(out, build)
    flags = " ".join(extra_flags or [])
    configure = ["cmake", "-S", str(build), "-B", str(out), "-DCMAKE_BUILD_TYPE=Release",
                 f"-DCMAKE_C_FLAGS={flags}"]
    for command in (configure, ["cmake", "--build", str(out), "--parallel", "2"]):
        result = subprocess.run(command, check=False, capture_output=True, text=True)
        if result.returncode != 0:
            raise UserError(f"building {build} failed:\n{result.stdout[-2000:]}"
                            f"{result.stderr[-2000:]}")
    return out / "libedgeft_network.so"


def _forget_moved(out: Path, build: Path) -> None:
    """Remove CMake's work folder if it was made for BUILD at another path (a
    copied or moved build): CMake refuses a cache made for another source folder."""
    cache = out / "CMakeCache.txt"
    if not cache.is_file():
        return
    for line in cache.read_text(errors="replace").splitlines():
        if line.startswith("CMAKE_HOME_DIRECTORY:INTERNAL="):
            made_for = line.partition("=")[2]
            if Path(made_for).resolve() != build.resolve():
                shutil.rmtree(out)
            return


# The runtime's limit (EDGEFT_RT_MAX_THREADS in runtime/include/edgeft_rt.h).
MAX_THREADS = 64


def machine_threads() -> int:
    """The cores this process may run on (its CPU affinity), at most MAX_THREADS."""
    return max(1, min(len(os.sched_getaffinity(0)), MAX_THREADS))


def check_threads(threads: int | None) -> int:
    """`threads`, or the machine's cores for None; a user error outside 1 .. MAX_THREADS."""
    if threads is None:
        return machine_threads()
    if not 1 <= threads <= MAX_THREADS:
        raise UserError(f"--threads must be from 1 to {MAX_THREADS}, got {threads}")
    return threads


class HostProgram:
    """The emitted training step, loaded into this process."""

    name: ClassVar[str] = "host"

    def __init__(self, library: Path, info: ProgramInfo, threads: int | None = None) -> None:
        self.info = info
        self.lib = ctypes.CDLL(str(library))
        self.threads = check_threads(threads)
        self.lib.edgeft_rt_set_threads.restype = None
        self.lib.edgeft_rt_set_threads.argtypes = [ctypes.c_int]
        self.lib.edgeft_rt_set_threads(self.threads)
        self.lib.edgeft_init.restype = None
        # 0, or 1 + the sample whose label the step refused (not a class)
        self.lib.edgeft_train_step.restype = ctypes.c_int
        self.lib.edgeft_predict.restype = None
        if info.cache is not None:
            self.lib.edgeft_cache_fill.restype = None
            self.lib.edgeft_train_step_cached.restype = ctypes.c_int
        count = ctypes.c_int.in_dll(self.lib, "edgeft_param_count").value
        table = (_Tensor * count).in_dll(self.lib, "edgeft_params")
        self._params = {t.name.decode(): np.ctypeslib.as_array(t.data, shape=(t.count,))
                        for t in table}
        self.trainable = {t.name.decode() for t in table if t.trainable}
        self.steps_run = 0   # training steps since edgeft_init or train()

    @classmethod
    def build(cls, build: Path, extra_flags: list[str] | None = None,
              threads: int | None = None) -> HostProgram:
        """Build BUILD's shared library with CMake (extra C flags, e.g. sanitizers) and
        load it, its forks on `threads` threads (default: the machine's cores)."""
        info = ProgramInfo.load(build)
        threads = check_threads(threads)   # before the build: a bad count fails fast
        return cls(build_host_library(build, extra_flags), info, threads)

    def set_threads(self, threads: int) -> None:
        """Run the following forks on `threads` threads (between steps)."""
        self.threads = check_threads(threads)
        self.lib.edgeft_rt_set_threads(self.threads)

    def init(self) -> None:
        """Reset every parameter and optimizer state (edgeft_init)."""
        self.lib.edgeft_init()
        self.steps_run = 0

    def _x(self, x: np.ndarray) -> np.ndarray:
        expected = (self.info.batch, *self.info.sample_shape)
        array = np.ascontiguousarray(x, dtype=np.float32)
        if array.shape != expected:
            raise UserError(f"x has shape {list(array.shape)}, the program takes {list(expected)}")
        return array

    def _step(self, function: Callable[..., int], first: np.ndarray, y: np.ndarray) -> float:
        """Call a training function (first input, labels, &loss); returns the
        loss, or a user error naming the label the step refused."""
        dtype = np.int32 if self.info.labels_are_indices else np.float32
        ys = np.ascontiguousarray(y, dtype=dtype)
        loss = ctypes.c_float()
        refused = function(first.ctypes.data_as(ctypes.c_void_p),
                           ys.ctypes.data_as(ctypes.c_void_p), ctypes.byref(loss))
        self.steps_run += 1
        if refused:
            raise base.label_error(self.steps_run, ys, refused - 1, self.info.classes)
        return loss.value

    def train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One step on the batch x with labels y; returns the loss."""
        return self._step(self.lib.edgeft_train_step, self._x(x), y)

    def _idx(self, idx: np.ndarray) -> np.ndarray:
        if self.info.cache is None:
            raise UserError("this build has no forward cache (compile it with --cache fp32 "
                            "or --cache nf4)")
        rows = np.ascontiguousarray(idx, dtype=np.int32)
        samples = self.info.cache["samples"]
        if rows.shape != (self.info.batch,) or rows.min() < 0 or rows.max() >= samples:
            raise UserError(f"cache rows must be {self.info.batch} indices in [0, {samples})")
        return rows

    def cache_fill(self, x: np.ndarray, idx: np.ndarray) -> None:
        """Run the frozen prefix on x and store sample b in cache row idx[b]."""
        xs, rows = self._x(x), self._idx(idx)
        self.lib.edgeft_cache_fill(xs.ctypes.data_as(ctypes.c_void_p),
                                   rows.ctypes.data_as(ctypes.c_void_p))

    def train_step_cached(self, idx: np.ndarray, y: np.ndarray) -> float:
        """One step on cache rows idx with labels y; returns the loss."""
        return self._step(self.lib.edgeft_train_step_cached, self._idx(idx), y)

    def run_step(self, step: Step) -> float:
        """One `Step` (plain, fill and cached, or cached); returns the loss."""
        if step.idx is None:
            return self.train_step(step.x, step.y)
        if step.fill:
            self.cache_fill(step.x, step.idx)
        return self.train_step_cached(step.idx, step.y)

    def train(self, epochs: Sequence[Sequence[Step]], on_step: OnStep | None = None) -> Trained:
        """Every epoch's steps one by one; each epoch's wall time is measured."""
        trained = Trained()
        self.steps_run = 0   # a refused label names the step of this call, as on rv32
        for epoch, steps in enumerate(epochs):
            start = time.perf_counter()
            for step in steps:
                loss = self.run_step(step)
                trained.losses.append(loss)
                if on_step is not None:
                    on_step(epoch, loss)
            trained.epoch_seconds.append(time.perf_counter() - start)
        return trained

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The logits of x, one or more whole batches, with the current parameters."""
        xs = check_batches(self.info, x)
        logits = np.zeros((len(xs), self.info.classes), np.float32)
        for start in range(0, len(xs), self.info.batch):
            self.lib.edgeft_predict(xs[start:].ctypes.data_as(ctypes.c_void_p),
                                    logits[start:].ctypes.data_as(ctypes.c_void_p))
        return logits

    def parameters(self) -> dict[str, np.ndarray]:
        """Flat numpy views of every float global (parameters, adapters, state)."""
        return self._params

    def write_parameters(self, values: Mapping[str, np.ndarray]) -> None:
        """Copy the named values into the program's arrays."""
        for name, value in check_parameters(self._params, values).items():
            self._params[name][:] = value
