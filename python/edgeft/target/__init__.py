"""Target descriptions: the SoC a training step is compiled for, as data.

    target = edgeft.target.get("siracusa", l1=16384)
    target.levels["L2"].bytes, target.cores, target.redmule.format

`siracusa` is the PULP cluster of METHODS.md (8 RV32IMF cores at 360 MHz, a
128 KiB L1 budget, 2 MiB L2, 32 MiB L3, the cluster DMA and RedMulE);
`host` is a flat target with one unbounded memory, which is what the C
emitter assumed before memory planning. Every figure is a named field so
that reports can print the assumptions they rest on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from edgeft.errors import UserError

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class Level:
    """One memory level: its name and the bytes a training step may use."""

    name: str
    bytes: int


@dataclass(frozen=True)
class Dma:
    """A DMA engine between two levels: cycles = latency + bytes / bytes_per_cycle."""

    source: str
    destination: str
    bytes_per_cycle: float
    latency_cycles: int


@dataclass(frozen=True)
class RedMulE:
    """The GEMM accelerator's geometry (METHODS.md, RedMulE job timing)."""

    ce_h: int = 4           # rows of the compute array
    ce_w: int = 12          # columns of the compute array
    pipeline: int = 3       # pipeline registers P
    port_bytes: int = 32    # bytes per memory port beat
    format: str = "fp32"    # operand format: fp32 or fp16

    @property
    def element_bytes(self) -> int:
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
    notes: tuple[str, ...] = field(default=())

    @property
    def hierarchical(self) -> bool:
        """Whether buffers must be placed in levels (false for the flat host)."""
        return len(self.levels) > 1

    @property
    def largest(self) -> str:
        return max(self.levels.values(), key=lambda level: level.bytes).name

    def describe(self) -> dict[str, Any]:
        """The target as JSON-ready data (report.json `target`)."""
        return asdict(self)


def siracusa() -> Target:
    """The Siracusa cluster of METHODS.md."""
    return Target(
        name="siracusa", cores=8, frequency_mhz=360.0,
        levels={"L1": Level("L1", 128 * KIB), "L2": Level("L2", 2 * MIB),
                "L3": Level("L3", 32 * MIB)},
        dma=(Dma("L2", "L1", 8.0, 14), Dma("L1", "L2", 8.0, 14),
             Dma("L3", "L2", 1.0, 6), Dma("L2", "L3", 1.0, 6)),
        redmule=RedMulE(), peripheral_mhz=180.0,
        notes=("L1 is the training budget, not the physical TCDM size",
               "L3 <-> L2 costs 1 byte per peripheral cycle plus a 6-byte command phase; "
               "the peripheral clock is an assumption"))


def host() -> Target:
    """One flat memory, no accelerator: the emitted C as plain host code."""
    return Target(name="host", cores=1, frequency_mhz=0.0,
                  levels={"flat": Level("flat", 1 << 62)})


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
