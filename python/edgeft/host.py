"""Build the emitted C of a build directory for the host and call it (ctypes).

    program = HostProgram.build(Path("BUILD"))
    program.init()
    loss = program.train_step(x, y)
    logits = program.predict(x)
    program.parameters()["fc3.weight"]      # numpy views of the C arrays
"""

from __future__ import annotations

import ctypes
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgeft.errors import UserError

PROGRAM_JSON = "program.json"


class _Tensor(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("data", ctypes.POINTER(ctypes.c_float)),
                ("count", ctypes.c_long), ("trainable", ctypes.c_int)]


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

    @staticmethod
    def load(build: Path) -> ProgramInfo:
        path = build / PROGRAM_JSON
        if not path.is_file():
            raise UserError(f"'{build}' is not an edgeft build directory (no {PROGRAM_JSON}; "
                            "make one with edgeft compile ... -o DIR)")
        return ProgramInfo(**json.loads(path.read_text()))


def require_tool(tool: str, packages: str) -> str:
    """The path of `tool`, or a user error naming the Debian packages to install."""
    path = shutil.which(tool)
    if path is None:
        raise UserError(f"'{tool}' is not installed; install it with "
                        f"`sudo apt-get install {packages}`")
    return path


def build_host_library(build: Path, extra_flags: list[str] | None = None) -> Path:
    """Configure and build BUILD/CMakeLists.txt into BUILD/host/; returns the .so."""
    require_tool("cmake", "cmake")
    require_tool("gcc", "gcc")
    out = build / "host"
    flags = " ".join(extra_flags or [])
    configure = ["cmake", "-S", str(build), "-B", str(out), "-DCMAKE_BUILD_TYPE=Release",
                 f"-DCMAKE_C_FLAGS={flags}"]
    for command in (configure, ["cmake", "--build", str(out), "--parallel", "2"]):
        result = subprocess.run(command, check=False, capture_output=True, text=True)
        if result.returncode != 0:
            raise UserError(f"building {build} failed:\n{result.stdout[-2000:]}"
                            f"{result.stderr[-2000:]}")
    return out / "libedgeft_network.so"


class HostProgram:
    """The emitted training step, loaded into this process."""

    def __init__(self, library: Path, info: ProgramInfo) -> None:
        self.info = info
        self.lib = ctypes.CDLL(str(library))
        self.lib.edgeft_init.restype = None
        self.lib.edgeft_train_step.restype = None
        self.lib.edgeft_predict.restype = None
        if info.cache is not None:
            self.lib.edgeft_cache_fill.restype = None
            self.lib.edgeft_train_step_cached.restype = None
        count = ctypes.c_int.in_dll(self.lib, "edgeft_param_count").value
        table = (_Tensor * count).in_dll(self.lib, "edgeft_params")
        self._params = {t.name.decode(): np.ctypeslib.as_array(t.data, shape=(t.count,))
                        for t in table}
        self.trainable = {t.name.decode() for t in table if t.trainable}

    @staticmethod
    def build(build: Path, extra_flags: list[str] | None = None) -> HostProgram:
        info = ProgramInfo.load(build)
        return HostProgram(build_host_library(build, extra_flags), info)

    def init(self) -> None:
        self.lib.edgeft_init()

    def _x(self, x: np.ndarray) -> np.ndarray:
        expected = (self.info.batch, *self.info.sample_shape)
        array = np.ascontiguousarray(x, dtype=np.float32)
        if array.shape != expected:
            raise UserError(f"x has shape {list(array.shape)}, the program takes {list(expected)}")
        return array

    def _step(self, function, first: np.ndarray, y: np.ndarray) -> float:
        """Call a training function (first input, labels, &loss); returns the loss."""
        dtype = np.int32 if self.info.labels_are_indices else np.float32
        ys = np.ascontiguousarray(y, dtype=dtype)
        loss = ctypes.c_float()
        function(first.ctypes.data_as(ctypes.c_void_p), ys.ctypes.data_as(ctypes.c_void_p),
                 ctypes.byref(loss))
        return loss.value

    def train_step(self, x: np.ndarray, y: np.ndarray) -> float:
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

    def predict(self, x: np.ndarray) -> np.ndarray:
        xs = self._x(x)
        logits = np.zeros((self.info.batch, self.info.classes), np.float32)
        self.lib.edgeft_predict(xs.ctypes.data_as(ctypes.c_void_p),
                                logits.ctypes.data_as(ctypes.c_void_p))
        return logits

    def parameters(self) -> dict[str, np.ndarray]:
        """Flat numpy views of every float global (parameters, adapters, state)."""
        return self._params
