"""The gvsoc backend: the emitted C on GVSoC's simulated Siracusa.

The program (runtime/pulp) boots the fabric controller, which starts the
8-core cluster; cluster core 0 runs the steps and the cores share the
kernels' slices through `edgeft_rt_fork`. Cluster code is RV32IMC + Zfinx
from the clang of the PyPI wheel `ziglang` (with its compiler-rt for double
arithmetic), the FC's code is RV32IMC; `-ffp-contract=off` everywhere, so a
step computes what the host build computes with the same flag.

Each run links its input (the steps, in runtime/rv32/main.c's format) into
the image, runs GVSoC under a timeout and reads the results from the
program's stdout (runtime/pulp/main.c says the format). Like the rv32
backend, every run starts from edgeft_init(); the program object keeps the
parameters between runs and loads them at the start of the next.

Where GVSoC comes from: `gvsoc=` (`edgeft run --gvsoc PATH`), then the
environment variable EDGEFT_GVSOC, then `gvsoc` on PATH. Its launcher is a
Python program: the directory of this Python goes first on its PATH, so
the packages of edgeft's `gvsoc` extra are the ones it imports.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from edgeft.backends import toolchain
from edgeft.backends.base import (
    PLAIN,
    OnStep,
    ProgramInfo,
    Step,
    Trained,
    check_batches,
    check_parameters,
    check_refused_labels,
)
from edgeft.backends.rv32 import write_input
from edgeft.ir.errors import UserError

PULP = toolchain.RUNTIME / "pulp"
GVSOC_ENV = "EDGEFT_GVSOC"
GVSOC_HELP = ("GVSoC is not installed: build it from the upstream project "
              "(https://github.com/gvsoc/gvsoc, target siracusa) and pass --gvsoc PATH or set "
              f"{GVSOC_ENV} to its bin/gvsoc")
ZIG_HELP = "the ziglang wheel is not installed; install it with `pip install -e .[gvsoc]`"
GVSOC_ARGS = ["--target=siracusa", "--target-opt=ram/size=33554432", "--no-werror"]
TIMEOUT = 3600.0
FLAGS = ["-target", "riscv32-freestanding-none", "-std=c11", "-O2", "-ffreestanding",
         "-fno-builtin", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror",
         "-Wno-unused-function"]
FC_CPU = "-mcpu=generic_rv32+m+c"
CLUSTER_CPU = "-mcpu=generic_rv32+m+c+zfinx"
# What a step's profile line counts (runtime/pulp/pulp.h, edgeft_pulp_profile_t).
PROFILE_KINDS = ("kernels", "redmule", "dma_start", "dma_wait", "staged", "copies")
# The arenas go to the linker script's sections (edgeft_rt.h's EDGEFT_PLACE).
PLACE = '-DEDGEFT_PLACE(level)=__attribute__((section(".edgeft_" #level)))'


def zig() -> list[str]:
    """The command that runs the ziglang wheel's clang, or a user error."""
    if importlib.util.find_spec("ziglang") is None:
        raise UserError(ZIG_HELP)
    return [sys.executable, "-m", "ziglang", "cc"]


def find_gvsoc(explicit: str | None = None) -> Path:
    """The gvsoc launcher: `explicit`, EDGEFT_GVSOC, or `gvsoc` on PATH."""
    for candidate, origin in ((explicit, "--gvsoc"), (os.environ.get(GVSOC_ENV), GVSOC_ENV)):
        if not candidate:
            continue
        path = Path(candidate)
        if not path.is_file():
            raise UserError(f"{origin} names '{candidate}', which is not a file; {GVSOC_HELP}")
        return path.resolve()
    found = shutil.which("gvsoc")
    if found is None:
        raise UserError(GVSOC_HELP)
    return Path(found).resolve()


@dataclass(frozen=True)
class Source:
    """A file of the program and how it is compiled."""

    path: Path
    cpu: str
    includes: tuple[Path, ...]
    flags: tuple[str, ...] = ()


def cluster_includes(*extra: Path) -> tuple[Path, ...]:
    """The include path of cluster code: the runtime's headers, then `extra`."""
    return (toolchain.RUNTIME / "include", PULP / "include", PULP, *extra)


def runtime_sources() -> list[Source]:
    """The runtime without a program: boot, the FC's code, fork, DMA, libm, string."""
    cluster = cluster_includes()
    return [Source(PULP / "crt0.S", FC_CPU, ()),
            Source(PULP / "fc.c", FC_CPU, (PULP,)),
            Source(PULP / "edgeft_rt_pulp.c", CLUSTER_CPU, cluster),
            Source(PULP / "libm.c", CLUSTER_CPU, cluster),
            Source(PULP / "string.c", CLUSTER_CPU, cluster)]


def sources(build: Path) -> list[Source]:
    """Everything but the input: the build's C, the runtime, the FC's code."""
    cluster = cluster_includes(build)
    return [*runtime_sources(),
            Source(PULP / "main.c", CLUSTER_CPU, cluster),
            Source(build / "network.c", CLUSTER_CPU, cluster, tuple(toolchain.CONTRACT_FLAGS)),
            # large initial values are byte strings exactly as long as the array (valid
            # C11, which this clang still warns about)
            Source(build / "weights.c", CLUSTER_CPU, cluster,
                   ("-Wno-unterminated-string-initialization",))]


def compile_objects(build: Path, out: Path) -> list[Path]:
    """The program's objects in `out`, each rebuilt only when older than its
    source or a runtime header."""
    return compile_sources(sources(build), out)


def compile_sources(listed: Sequence[Source], out: Path) -> list[Path]:
    """The objects of `listed` in `out`, each rebuilt only when older than its
    source or a runtime header."""
    headers = [*(toolchain.RUNTIME / "include").glob("*.h"), *PULP.rglob("*.h")]
    newest_header = max(h.stat().st_mtime for h in headers)
    objects = []
    for source in listed:
        obj = out / f"{source.path.stem}.o"
        objects.append(obj)
        if obj.is_file() and obj.stat().st_mtime >= max(source.path.stat().st_mtime,
                                                        newest_header):
            continue
        command = [*zig(), *FLAGS, *source.flags, source.cpu, PLACE,
                   *(f"-I{p}" for p in source.includes),
                   "-c", str(source.path), "-o", str(obj)]
        _check(subprocess.run(command, capture_output=True, text=True, check=False),
               f"compiling {source.path.name} for the cluster")
    return objects


def toolchain_id() -> str:
    """What besides a kernel's text decides its cycles on GVSoC: the clang
    wheel, the flags and the runtime's sources (fork, DMA, libm, string)."""
    digest = hashlib.sha256()
    for source in runtime_sources():
        digest.update(source.path.read_bytes())
    for header in sorted((*(toolchain.RUNTIME / "include").glob("*.h"), *PULP.rglob("*.h"))):
        digest.update(header.read_bytes())
    return " ".join([f"ziglang {_zig_version()}", *FLAGS, *toolchain.CONTRACT_FLAGS,
                     CLUSTER_CPU, GVSOC_ARGS[0],
                     digest.hexdigest()[:16]])


def _zig_version() -> str:
    try:
        return importlib.metadata.version("ziglang")
    except importlib.metadata.PackageNotFoundError:
        raise UserError(ZIG_HELP) from None


def link(objects: Sequence[Path], input_dir: Path, elf: Path,
         room: tuple[int, int] | None = None) -> Path:
    """Assemble the input (input_dir/edgeft_in.bin) and link the image; `room`
    is (bytes, training steps) the build's L2 budget left for the input."""
    # zig caches objects by their sources' text, and the included binary is not
    # one of them: the input's hash in the assembly makes each input its own.
    digest = hashlib.sha256((input_dir / "edgeft_in.bin").read_bytes()).hexdigest()
    source = input_dir / "input.S"
    source.write_text(f"/* edgeft_in.bin: sha256 {digest} */\n"
                      + (PULP / "input.S").read_text())
    input_obj = input_dir / "input.o"
    _check(subprocess.run([*zig(), *FLAGS, FC_CPU, f"-I{input_dir}", "-c",
                           str(source), "-o", str(input_obj)],
                          capture_output=True, text=True, check=False), "assembling the input")
    try:
        return link_objects([*objects, input_obj], elf)
    except ImageTooLarge:
        size = (input_dir / "edgeft_in.bin").stat().st_size
        if room is None or size <= room[0]:
            raise
        raise ImageTooLarge(
            f"this run's input is {size:,} bytes (its steps, and every parameter when it does "
            f"not start from edgeft_init's values); the build's L2 budget left {room[0]:,} "
            f"bytes for it, {room[1]} training steps (report.json memory.l2_budget): run at "
            f"most {room[1]} steps at once (edgeft run --steps {room[1]}) or compile with a "
            "smaller --l2") from None


def link_objects(objects: Sequence[Path], elf: Path,
                 what: str = "linking the GVSoC program") -> Path:
    """Link `objects` into the Siracusa image `elf` (runtime/pulp/link.ld)."""
    result = subprocess.run([*zig(), *FLAGS, CLUSTER_CPU, "-T", str(PULP / "link.ld"),
                             *map(str, objects), "-o", str(elf)],
                            capture_output=True, text=True, check=False)
    if "will not fit in region" in result.stderr or "exceed L1" in result.stderr:
        raise ImageTooLarge("the program does not fit Siracusa's memories (code, initial values, "
                        "input and the L2 arena share the 1.94 MiB of L2; the L1 arena and the "
                        "cores' stacks share 256 KiB): compile with a smaller --l2 (or --l1), "
                        f"or run fewer steps at once\n{result.stderr[-1500:]}")
    _check(result, what)
    return elf


class ImageTooLarge(UserError):
    """The linked program does not fit Siracusa's L2 or L1."""


def _check(result: subprocess.CompletedProcess, what: str) -> None:
    if result.returncode != 0:
        raise UserError(f"{what} failed:\n{(result.stdout + result.stderr)[-3000:]}")


def run_gvsoc(gvsoc: Path, elf: Path, work: Path, timeout: float) -> str:
    """Run `elf` on the siracusa target; its stdout, or a user error."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    command = [str(gvsoc), *GVSOC_ARGS, f"--binary={elf.resolve()}",
               f"--work-dir={work.resolve()}", "run"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False,
                                timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise UserError(f"the program did not finish on GVSoC within {timeout:.0f} s") from None
    fault = next((line for line in (result.stdout + result.stderr).splitlines()
                  if "Invalid access" in line), None)
    if fault is not None:
        # GVSoC answers a load from an unmapped address (the L3 window: the cores
        # must reach L3 through the uDMA only) and carries on: never a result.
        raise GvsocFault(f"the program touched memory it cannot address on Siracusa, an edgeft "
                         f"bug (a buffer in L3 read or written by a core?): {fault.strip()}")
    if result.returncode != 0 and "EDGEFT label " not in result.stdout:  # that: the caller's
        raise UserError(f"the program failed on GVSoC (exit {result.returncode}):\n"
                        f"{_tail(result.stdout + result.stderr)}")
    return result.stdout


class GvsocFault(RuntimeError):
    """The emitted program made an access the chip cannot (an internal error, exit 2)."""


def _tail(text: str) -> str:
    lines = [line for line in text.splitlines() if not line.startswith("EDGEFT data")]
    return "\n".join(lines[-20:])


@dataclass
class GvsocResult:
    """One GVSoC run: loss and cluster cycles per training step, the logits of
    every predicted batch, every parameter after the last step."""

    losses: list[float]
    cycles: list[int]
    parameters: dict[str, np.ndarray]
    logits: list[np.ndarray]
    trainable: set[str]
    # per step: where core 0's cycles went, {kind: (cycles, calls)} (PROFILE_KINDS)
    profiles: list[dict[str, tuple[int, int]]] = field(default_factory=list)
    # per forked kernel over all training steps: {address: (cycles, calls)}
    kernels: dict[int, tuple[int, int]] = field(default_factory=dict)


def parse_output(text: str, logits_shape: tuple[int, int]) -> GvsocResult:
    """The EDGEFT lines of a run (format in runtime/pulp/main.c)."""
    losses, cycles, logits, profiles = [], [], [], []
    kernels: dict[int, tuple[int, int]] = {}
    parameters: dict[str, np.ndarray] = {}
    trainable: set[str] = set()
    target: tuple[str, str, int] | None = None   # (kind, name, count) being read
    data = bytearray()
    status = None

    def finish() -> None:
        if target is None:
            return
        kind, name, count = target
        values = np.frombuffer(bytes(data), "<f4").copy()
        if len(values) != count:
            raise UserError(f"the GVSoC program's output for {name} holds {len(values)} of "
                            f"{count} values")
        if kind == "logits":
            logits.append(values.reshape(logits_shape))
        else:
            parameters[name] = values

    for line in text.splitlines():
        words = line.split()
        if len(words) < 2 or words[0] != "EDGEFT":
            continue
        if words[1] == "data":
            data.extend(bytes.fromhex(words[2]))
            continue
        finish()
        target, data = None, bytearray()
        if words[1] == "step":
            losses.append(float(np.frombuffer(bytes.fromhex(words[3]), ">f4")[0]))
            cycles.append(int(words[4]))
        elif words[1] == "profile":
            profiles.append(_profile(words[2:]))
        elif words[1] == "kernel" and len(words) == 5:
            kernels[int(words[2])] = (int(words[3]), int(words[4]))
        elif words[1] == "logits":
            target = ("logits", "logits", int(words[2]))
        elif words[1] == "param":
            target = ("param", words[4], int(words[3]))
            if words[2] == "1":
                trainable.add(words[4])
        elif words[1] == "end":
            status = int(words[2])
    finish()
    if status != 0:
        raise UserError(f"the GVSoC program ended with status {status} "
                        "(2: malformed input, 3: a step kind the build cannot run)"
                        if status is not None else "the GVSoC program's output has no end line")
    if len(profiles) != len(losses):
        raise UserError(f"the GVSoC program's output has {len(profiles)} profiles for "
                        f"{len(losses)} steps")
    return GvsocResult(losses, cycles, parameters, logits, trainable, profiles, kernels)


def kernel_names(elf: Path, addresses: Sequence[int]) -> dict[int, str]:
    """The function symbol at each address of `elf` (the emitted kernels are
    static functions `pN_...`; an address with no symbol keeps its hex)."""
    from elftools.elf.elffile import ELFFile  # the gvsoc extra's pyelftools

    with elf.open("rb") as f:
        table = ELFFile(f).get_section_by_name(".symtab")
        known = {} if table is None else {
            sym["st_value"]: sym.name for sym in table.iter_symbols()
            if sym["st_info"]["type"] == "STT_FUNC"}
    return {a: known.get(a, f"0x{a:08x}") for a in addresses}


def _profile(words: list[str]) -> dict[str, tuple[int, int]]:
    """`NAME CYCLES CALLS ...` of a profile line, every kind of PROFILE_KINDS."""
    found = {words[i]: (int(words[i + 1]), int(words[i + 2]))
             for i in range(0, len(words) - 2, 3)}
    if sorted(found) != sorted(PROFILE_KINDS) or len(words) != 3 * len(PROFILE_KINDS):
        raise UserError(f"the GVSoC program's profile line is malformed: {' '.join(words)}")
    return found


class GvsocProgram:
    """The emitted training step as a bare-metal Siracusa program on GVSoC."""

    name: ClassVar[str] = "gvsoc"

    def __init__(self, build: Path, gvsoc: Path, objects: list[Path], info: ProgramInfo,
                 timeout: float = TIMEOUT) -> None:
        self.build_dir = build
        self.gvsoc = gvsoc
        self.objects = objects
        self.info = info
        self.timeout = timeout
        self.trainable: set[str] = set()
        # per forked kernel of the last run's training steps: {name: (cycles, calls)}
        self.kernel_cycles: dict[str, tuple[int, int]] = {}
        self._parameters: dict[str, np.ndarray] | None = None   # None: edgeft_init's values

    @classmethod
    def build(cls, build: Path, gvsoc: str | None = None) -> GvsocProgram:
        """Compile BUILD's C and the runtime for the cluster (BUILD/gvsoc/)."""
        info = ProgramInfo.load(build)
        if info.memory is None:
            raise UserError(f"{build} was compiled for the host; GVSoC runs builds of "
                            "--target siracusa")
        if not info.labels_are_indices:
            raise UserError("the GVSoC program takes class labels (cross-entropy builds)")
        launcher = find_gvsoc(gvsoc)
        out = build / "gvsoc"
        out.mkdir(exist_ok=True)
        return cls(build, launcher, compile_objects(build, out), info)

    def init(self) -> None:
        """Back to the initial parameters (each run then starts from edgeft_init)."""
        self._parameters = None

    def run(self, steps: Sequence[Step], predict: np.ndarray | None = None) -> GvsocResult:
        """One GVSoC run from the current parameters: the training steps, then
        the prediction of the batches of `predict`; the parameters it ends
        with become the current ones."""
        batch = self.info.batch
        xs = np.zeros((0,)) if predict is None else check_batches(self.info, predict)
        batches = [xs[start:start + batch] for start in range(0, len(xs), batch)]
        if any(step.kind != PLAIN for step in steps) and self.info.cache is None:
            raise UserError(f"{self.build_dir} has no forward cache; compile it with "
                            "--cache fp32|nf4")
        work = self.build_dir / "gvsoc"
        write_input(work / "edgeft_in.bin", self._parameters, steps, batches)
        budget = self.info.l2_budget
        elf = link(self.objects, work, work / "train.elf",
                   None if budget is None else (budget["input"], budget["input_steps"]))
        text = run_gvsoc(self.gvsoc, elf, work / "run", self.timeout)
        check_refused_labels(text, steps, int(self._parameters is not None), self.info.classes)
        result = parse_output(text, (batch, self.info.classes))
        self.kernel_cycles = {name: result.kernels[a] for a, name
                              in kernel_names(elf, sorted(result.kernels)).items()}
        if len(result.losses) != len(steps):
            raise UserError(f"the GVSoC program reported {len(result.losses)} of "
                            f"{len(steps)} steps")
        self._parameters = result.parameters
        self.trainable = result.trainable
        return result

    def train(self, epochs: Sequence[Sequence[Step]], on_step: OnStep | None = None) -> Trained:
        """Every epoch in one GVSoC run, with each step's cluster cycles (mcycle
        of core 0); its wall time is shared evenly among the epochs."""
        steps = [step for epoch in epochs for step in epoch]
        if not steps:
            return Trained()
        start = time.perf_counter()
        result = self.run(steps)
        seconds = time.perf_counter() - start
        return Trained(result.losses, [seconds / len(epochs)] * len(epochs),
                       cycles=result.cycles, profiles=result.profiles,
                       kernels=self.kernel_cycles)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The logits of x (whole batches), in one GVSoC run."""
        return np.concatenate(self.run([], predict=x).logits)

    def parameters(self) -> dict[str, np.ndarray]:
        """Copies of every float global as the last run left them (a first call
        runs the program with no steps to read the initial values)."""
        if self._parameters is None:
            return self.run([]).parameters
        return self._parameters

    def write_parameters(self, values: Mapping[str, np.ndarray]) -> None:
        """Set the named globals; the next run loads them."""
        for name, value in check_parameters(self.parameters(), values).items():
            self.parameters()[name][:] = value
