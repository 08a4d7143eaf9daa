"""Target descriptions: the SoC a training step is compiled for, as data.

    target = edgeft.target.get("siracusa", l1=16384)
    target.levels["L2"].bytes, target.cores, target.redmule.format

`siracusa` is the PULP cluster of METHODS.md (8 RV32IMF cores at 360 MHz, a
128 KiB L1 budget, the 1.94 MiB of shared L2 that the program's image shares
with the L2 arena (`Level.image`: the budget is what the image leaves,
edgeft.analysis.footprint), 32 MiB L3, the cluster DMA and RedMulE);
`host` is a flat target with one unbounded memory, which is what the C
emitter assumed before memory planning. Every figure is a named field so
that reports can print the assumptions they rest on: `Target.parameters()`
lists each with its value and where it comes from (measured on GVSoC,
fitted on those measurements, METHODS.md, or an assumption), and
edgeft.target.perf turns them into cycles.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from edgeft.ir.errors import UserError

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class Level:
    """One memory level: its name and the bytes a training step may use; with
    `image`, the bytes of the physical memory that the program's image
    (code, initial values, I/O buffers, linked input) shares with the arena,
    and the budget is what that image leaves (edgeft.analysis.footprint)."""

    name: str
    bytes: int
    image: ProgramImage | None = None


@dataclass(frozen=True)
class ProgramImage:
    """The figures of the program's image in the memory it shares with a
    level's arena (Siracusa's shared L2, runtime/pulp/link.ld) that the
    lowered module does not give exactly: the runtime's bytes, the code per
    lowered op, the training steps one GVSoC run links as its input."""

    # fitted (tools/fit_code_size.py, least squares over six builds of lenet5 and
    # cct2): code and data of the program besides what the footprint counts
    # exactly = runtime_bytes + code_bytes_per_op * the lowered functions' ops;
    # the runtime (crt0, fc, edgeft_rt_pulp, libm, string, main.c without its
    # I/O buffers, compiler-rt) is about 43 KB of it, network.o's .text 12.7-14.3
    # bytes per op; residuals within 4.2 KB
    runtime_bytes: int = 44_500
    code_bytes_per_op: float = 13.4
    # assumption: the plain training steps one run links (`edgeft run --steps`)
    input_steps: int = 3
    # room for section alignment and the fit's residuals
    slack_bytes: int = 8 * KIB


@dataclass(frozen=True)
class Dma:
    """A DMA engine between two levels: cycles = latency + bytes / bytes_per_cycle,
    counted in its own clock (`clock_mhz`, None for the cluster clock)."""

    source: str
    destination: str
    bytes_per_cycle: float
    latency_cycles: int
    clock_mhz: float | None = None


@dataclass(frozen=True)
class Core:
    """The cluster cores as the performance model sees them."""

    cycles_per_instruction: float = 1.40   # fitted on the GVSoC core loops
    parallel_efficiency: float = 0.99      # measured: 16x16x16 matmul, 7.92x on 8 cores
    fork_cycles: int = 50                  # assumption: dispatch + wake-up + final barrier
    far_load_cycles: int = 8               # assumption: stall per core load from L2/L3
    fma_cycles: float = 5.5                # measured: fp32 FMA over L1 data, C at -O2
    copy_element_cycles: float = 3.0       # assumption: one float copied L1 -> L1 by a core
    # GVSoC cycles / the model's cycles of QEMU-counted kernels, per kernel class
    # (edgeft.estimate.kernels.CLASSES), fitted: target/kernel_classes.json
    class_factors: tuple[tuple[str, float], ...] = ()

    def class_factor(self, kernel_class: str | None) -> float:
        """The fitted factor of a kernel class (1 where none was fitted)."""
        return dict(self.class_factors).get(kernel_class or "", 1.0)


@dataclass(frozen=True)
class RedMulE:
    """The GEMM accelerator's geometry (METHODS.md, RedMulE job timing)."""

    ce_h: int = 4           # rows of the compute array
    ce_w: int = 12          # columns of the compute array
    pipeline: int = 3       # pipeline registers P
    port_bytes: int = 32    # bytes per memory port beat
    format: str = "fp32"    # operand format: fp32 or fp16
    job_overhead_cycles: int = 112   # fitted: start and finish of a job (GVSoC)
    program_cycles: int = 93         # measured: writing a job's registers (later jobs)
    fp32_cycle_factor: float = 2.0   # assumption: fp32 jobs take twice the fp16 time

    @property
    def tile_rows(self) -> int:
        """Rows of X per output tile: one per array column (12)."""
        return self.ce_w

    @property
    def tile_cols(self) -> int:
        """Columns of W per output tile: ce_h * (P + 1) (16)."""
        return self.ce_h * (self.pipeline + 1)

    @property
    def macs_per_cycle(self) -> int:
        """MACs the array completes per cycle (ce_h * ce_w)."""
        return self.ce_h * self.ce_w

    @property
    def element_bytes(self) -> int:
        """Bytes of one operand element in the job format."""
        return 2 if self.format == "fp16" else 4


@dataclass(frozen=True)
class Target:
    """A compilation target (see the module docstring)."""

    name: str
    cores: int
    frequency_mhz: float
    levels: dict[str, Level]
    dma: tuple[Dma, ...] = ()
    redmule: RedMulE | None = None
    peripheral_mhz: float | None = None   # L3 (HyperBus) clock
    core: Core | None = None
    notes: tuple[str, ...] = field(default=())
    # output rows x columns a reduction keeps in registers (edgeft-register-block)
    register_block: tuple[int, int] = (4, 4)
    # f32 lanes of the widest SIMD vector a block's columns may be (0: none), and
    # the vectors a block row holds
    vector_lanes: int = 0
    vector_blocks: int = 1

    @property
    def hierarchical(self) -> bool:
        """Whether buffers must be placed in levels (false for the flat host)."""
        return len(self.levels) > 1

    @property
    def largest(self) -> str:
        """The name of the largest memory level."""
        return max(self.levels.values(), key=lambda level: level.bytes).name

    def dma_between(self, source: str, destination: str) -> Dma:
        """The DMA engine from `source` to `destination`."""
        return next(d for d in self.dma if d.source == source and d.destination == destination)

    def parameters(self) -> list[dict[str, Any]]:
        """Every figure the performance model uses: name, value, unit and source."""
        if self.core is None or self.redmule is None:
            return []
        values = {"frequency_mhz": self.frequency_mhz, "cores": self.cores,
                  "peripheral_mhz": self.peripheral_mhz}
        for prefix, part in (("core", self.core), ("redmule", self.redmule)):
            values.update({f"{prefix}.{k}": v for k, v in asdict(part).items()
                           if k != "class_factors"})
        values.update({f"core.class_factor.{name}": factor
                       for name, factor in self.core.class_factors})
        for d in self.dma:
            key = f"dma.{d.source}_{d.destination}"
            values[f"{key}.bytes_per_cycle"] = d.bytes_per_cycle
            values[f"{key}.latency_cycles"] = d.latency_cycles
        out = []
        for name, value in values.items():
            unit, source, why = PARAMETER_SOURCES.get(name, ("", "METHODS.md", ""))
            out.append({"name": name, "value": value, "unit": unit, "source": source,
                        "note": why})
        return out

    def describe(self) -> dict[str, Any]:
        """The target as JSON-ready data (report.json `target`), with the
        performance model's parameters."""
        out = asdict(self)
        parameters = self.parameters()
        if parameters:
            out["parameters"] = parameters
        return out


# unit, source (measured | fitted | METHODS.md | assumption), note; the sources
# are shared/calibration/gvsoc_measurements.json and METHODS.md.
PARAMETER_SOURCES = {
    "frequency_mhz": ("MHz", "METHODS.md", "cluster clock; latency_ms = cycles / (MHz * 1e3)"),
    "cores": ("", "METHODS.md", "cluster cores a kernel is split over"),
    "peripheral_mhz": ("MHz", "assumption", "HyperBus clock of L3 transfers"),
    "core.cycles_per_instruction": (
        "cycles/instr", "fitted", "GVSoC cycles / QEMU instruction count of the same core "
        "loops (dot products, register FMAs, 16x16x16 matmul), least relative squares"),
    "core.parallel_efficiency": ("", "measured", "16x16x16 matmul: 7.92x on 8 cores"),
    "core.fork_cycles": ("cycles", "assumption", "dispatching a kernel to the cores, wake-up "
                         "and the closing barrier"),
    "core.far_load_cycles": ("cycles", "assumption", "stall of a core load from L2 or L3 "
                             "(kernels read L1; copies and in-place reads do not)"),
    "core.fma_cycles": ("cycles/FMA", "measured", "one core, fp32 FMA over L1 data from C "
                        "at -O2 (GVSoC dot product, METHODS.md); the passes' stand-in for a "
                        "kernel's measured instructions when they choose an engine"),
    **{f"core.class_factor.{name}": ("", "fitted", f"kernels of class {name}: GVSoC cycles / "
                                     "the model's cycles from QEMU instructions, summed over "
                                     "the fitted programs' steps (target/kernel_classes.json)")
       for name in ("f64", "transcendental", "divide_sqrt", "max", "mac", "elementwise",
                    "copy_l1", "copy_far")},
    "core.copy_element_cycles": ("cycles/element", "assumption", "a core copying one float "
                                 "within L1 (load, store, addressing): im2col's column copy"),
    "redmule.ce_h": ("", "METHODS.md", "array height"),
    "redmule.ce_w": ("", "METHODS.md", "array width: rows of X per output tile"),
    "redmule.pipeline": ("", "METHODS.md", "pipeline registers P: a tile has ce_h*(P+1) columns"),
    "redmule.port_bytes": ("B", "METHODS.md", "memory port width"),
    "redmule.format": ("", "option", "--redmule-format"),
    "redmule.job_overhead_cycles": ("cycles", "fitted", "start and finish of a job on GVSoC "
                                    "(pulp-open RedMulE, fp16)"),
    "redmule.program_cycles": ("cycles", "measured", "writing a job's registers: the middle of "
                               "81-109 cycles measured after a simulation's first job (that "
                               "one takes 203-242)"),
    "redmule.fp32_cycle_factor": ("", "assumption", "fp32 jobs take this many times the "
                                  "measured fp16 time (the array's FMAs are fp16 wide)"),
    "dma.L2_L1.bytes_per_cycle": ("B/cycle", "measured", "GVSoC siracusa mchan, 1 KiB-64 KiB"),
    "dma.L2_L1.latency_cycles": ("cycles", "fitted", "GVSoC: 15 + bytes/8"),
    "dma.L1_L2.bytes_per_cycle": ("B/cycle", "measured", "GVSoC: 7.75 B/cycle at 64 KiB"),
    "dma.L1_L2.latency_cycles": ("cycles", "fitted", "GVSoC"),
    "dma.L3_L2.bytes_per_cycle": ("B/periph. cycle", "METHODS.md", "HyperBus"),
    "dma.L3_L2.latency_cycles": ("periph. cycles", "assumption", "6-byte command phase + 12 "
                                 "cycles of access latency per transfer"),
    "dma.L2_L3.bytes_per_cycle": ("B/periph. cycle", "METHODS.md", "HyperBus"),
    "dma.L2_L3.latency_cycles": ("periph. cycles", "assumption", "as L3 -> L2"),
}


KERNEL_CLASSES = Path(__file__).with_name("kernel_classes.json")


def class_factors() -> tuple[tuple[str, float], ...]:
    """The fitted per-class factors of target/kernel_classes.json
    (tools/fit_kernel_classes.py writes it), sorted by class."""
    if not KERNEL_CLASSES.is_file():
        return ()
    data = json.loads(KERNEL_CLASSES.read_text())
    return tuple(sorted((name, float(v)) for name, v in data["factors"].items()))


# runtime/pulp/link.ld: the shared L2 banks at 0x1C010000 (the private banks hold
# the stacks); code, initial values, data and the L2 arena are linked into them
SHARED_L2_BYTES = 0x1F0000


def siracusa() -> Target:
    """The Siracusa cluster of METHODS.md."""
    return Target(
        name="siracusa", cores=8, frequency_mhz=360.0,
        levels={"L1": Level("L1", 128 * KIB),
                "L2": Level("L2", SHARED_L2_BYTES, ProgramImage()),
                "L3": Level("L3", 32 * MIB)},
        dma=(Dma("L2", "L1", 8.0, 15), Dma("L1", "L2", 7.75, 15),
             Dma("L3", "L2", 1.0, 18, 180.0), Dma("L2", "L3", 1.0, 18, 180.0)),
        redmule=RedMulE(), peripheral_mhz=180.0, core=Core(class_factors=class_factors()),
        notes=("L1 is the training budget, not the physical TCDM size",
               "L3 <-> L2 costs 1 byte per peripheral cycle plus a 6-byte command phase "
               "and an access latency; the peripheral clock is an assumption",
               "kernel instruction counts come from QEMU (rv32imf); the chip keeps floats "
               "in integer registers (Zfinx), which the count does not see"))


# x86-64's and AArch64's default (small) code model addresses static data
# within 2 GiB: larger arrays do not link.
HOST_STATIC_BYTES = 1 << 31


# The slices every host kernel is split into (the cluster's core count): a
# constant, so the emitted C does not depend on the machine that compiles it;
# the runtime's N threads take the slices, N chosen at run time (--threads).
HOST_SLICES = 8


def host() -> Target:
    """One flat memory, no accelerator: the emitted C as plain host code, its
    kernels in HOST_SLICES slices for the runtime's threads."""
    return Target(name="host", cores=HOST_SLICES, frequency_mhz=0.0,
                  levels={"flat": Level("flat", HOST_STATIC_BYTES)}, register_block=(4, 8),
                  vector_lanes=8, vector_blocks=2)


TARGETS = {"siracusa": siracusa, "host": host}


def get(name: str, l1: int | None = None, l2: int | None = None, l3: int | None = None,
        cores: int | None = None, redmule_format: str | None = None) -> Target:
    """A target by name with the given overrides; UserError for bad input."""
    if name not in TARGETS:
        raise UserError(f"unknown target '{name}' (known: {', '.join(TARGETS)})")
    target = TARGETS[name]()
    overrides = {"L1": l1, "L2": l2, "L3": l3}
    if not target.hierarchical and any(v is not None for v in (l1, l2, l3, cores,
                                                                 redmule_format)):
        raise UserError(f"target '{name}' is flat: --l1, --l2, --l3, --cores and "
                        "--redmule-format apply to siracusa")
    levels = dict(target.levels)
    for level, value in overrides.items():
        if value is None:
            continue
        if value < 1024:
            raise UserError(f"--{level.lower()} must be at least 1024 bytes, got {value}")
        levels[level] = Level(level, value)
    target = replace(target, levels=levels)
    if cores is not None:
        if not 1 <= cores <= 8:
            raise UserError(f"--cores must be between 1 and 8, got {cores}")
        target = replace(target, cores=cores)
    if redmule_format is not None:
        if redmule_format not in ("fp32", "fp16"):
            raise UserError(f"--redmule-format must be fp32 or fp16, got '{redmule_format}'")
        target = replace(target, redmule=replace(target.redmule, format=redmule_format))
    return target
