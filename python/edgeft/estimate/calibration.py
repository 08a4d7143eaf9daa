"""The performance model against the GVSoC measurements.

shared/calibration/gvsoc_measurements.json (described in its README) holds
cycle counts of RedMulE jobs (pulp-open, fp16), cluster DMA transfers and
core loops (siracusa). `check(target)` computes every measured point with
edgeft.target.perf and returns model and measurement side by side; `fit()`
derives the fitted parameters of the siracusa target from the same data
(the core's cycles per instruction needs the RV32 instruction counts of the
measured loops: runtime/calibration/core_loops.c, counted under QEMU).

    python tools/calibrate.py     # the table, and the fitted values

Points the model does not reproduce within TOLERANCE are listed in
UNREPRODUCED with the reason; a test holds both lists to the data.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from edgeft.backends import toolchain
from edgeft.ir.errors import UserError
from edgeft.target import Target, perf, siracusa

TOLERANCE = 0.15
ROOT = Path(__file__).resolve().parents[3]
CORE_LOOPS = ROOT / "runtime" / "calibration" / "core_loops.c"

# Core loops of the measurement file -> the function of core_loops.c that
# repeats them (None: cannot be reproduced from C, see UNREPRODUCED).
CORE_POINTS = {
    "c_unroll4_4acc_gcc_O2": "dot_4acc",
    "c_unroll4_1acc_gcc_O2": "dot_1acc",
    "register_only_1024_fma_4_chains": "registers_only",
}

UNREPRODUCED = {
    "core/asm_unroll4_grouped_loads_rv32": "hand-written assembly; the model counts the "
        "instructions gcc emits for C",
    "core/asm_unroll4_grouped_xpulp_postinc_loads": "Xpulp post-increment loads, which "
        "QEMU's rv32 lacks; edgeft emits plain RV32IMF",
    "redmule/reg_program_cycles/16x16x16": "a simulation's first job programs its registers "
        "in 203-242 cycles (cold); the model uses the later jobs' 81-109",
    "redmule/reg_program_cycles/32x32x32": "as above (first job)",
    "redmule/reg_program_cycles/64x64x64": "as above (first job)",
    "redmule/reg_program_cycles/64x128x32 blas": "as above (first job)",
    "redmule/reg_program_cycles/128x128x64 blas": "as above (first job)",
    "redmule/reg_program_cycles/12x96x48 blas": "as above (first job)",
    "dma/L2_L1/64B/typical": "64-byte transfers jitter between 23 and 53 cycles; the model "
        "gives the minimum",
    "dma/L1_L2/64B/typical": "as above",
    "dma/L2_L1/64B/first_call": "first call of a run (cold), 64 bytes",
    "dma/L1_L2/64B/first_call": "first call of a run (cold), 64 bytes",
    "dma/L2_L1/256B/first_call": "first call of a run (cold)",
}


@dataclass(frozen=True)
class Point:
    """One measured figure and the model's value for it."""

    name: str
    measured: float
    model: float
    note: str = ""

    @property
    def error(self) -> float:
        """The model's relative error against the measurement."""
        return (self.model - self.measured) / self.measured


def measurements_path() -> Path:
    """The measurement file: $EDGEFT_CALIBRATION, or shared/calibration beside
    the source tree."""
    env = os.environ.get("EDGEFT_CALIBRATION")
    path = Path(env) if env else ROOT.parent / "shared" / "calibration" / \
        "gvsoc_measurements.json"
    if not path.is_file():
        raise UserError(f"no calibration file at {path}: put the team's shared/ folder beside "
                        "the source tree, or set EDGEFT_CALIBRATION to its "
                        "calibration/gvsoc_measurements.json")
    return path


def load(path: Path | None = None) -> dict[str, Any]:
    """The calibration measurements (JSON) from `path` or the default file."""
    return json.loads((path or measurements_path()).read_text())


def core_loop_instructions() -> dict[str, int]:
    """RV32 instructions of the calibration loops (warm call), under QEMU."""
    what = CORE_LOOPS.name
    with tempfile.TemporaryDirectory(prefix="edgeft-calibration-") as tmp:
        elf = toolchain.build_rv32([CORE_LOOPS], Path(tmp) / "core_loops.elf", what=what)
        ran = toolchain.run_qemu(elf, what=what, timeout=120).check()
    return {name: counts[0] for name, counts in toolchain.parse_counts(ran.output).items()}


def _job_points(data: dict[str, Any]) -> list[tuple[str, tuple[int, int, int], float]]:
    """(name, run shape m n k, cycles) of every timed RedMulE job."""
    redmule = data["redmule_pulp_open"]
    out = []
    for entry in redmule["grid"]:
        m, n, k = entry["run_redmule_m_n_k"]
        n = entry["n_per_job"]
        mapping = "blas" if entry["mapping"].startswith("blas") else "native"
        for i, cycles in enumerate(entry["job_cycles"]):
            out.append((f"redmule/job/{_shape(entry)} {mapping}/{i}", (m, n, k), cycles))
    for entry in redmule["extra_points"]:
        m, n, k = entry["redmule_m_n_k"]
        out.append((f"redmule/job/extra {m}x{n}x{k}", (m, n, k), entry["job_cycles"][0]))
    return out


def _shape(entry: dict[str, Any]) -> str:
    return "x".join(map(str, entry["requested_MNK"]))


def _fp16(target: Target) -> Target:
    return replace(target, redmule=replace(target.redmule, format="fp16"))


def check(target: Target, data: dict[str, Any] | None = None,
          core_counts: dict[str, int] | None = None) -> list[Point]:
    """Every measured point with the model's value (core points need
    `core_counts`, the RV32 instruction counts of core_loops.c)."""
    data = data or load()
    fp16 = _fp16(target)
    points = [Point(name, cycles, perf.redmule_job_cycles(fp16, *shape), f"m n k = {shape}")
              for name, shape, cycles in _job_points(data)]
    for entry in data["redmule_pulp_open"]["grid"]:
        mapping = " blas" if entry["mapping"].startswith("blas") else ""
        name = f"redmule/reg_program_cycles/{_shape(entry)}{mapping}"
        if name in [p.name for p in points]:
            name += " native"
        points.append(Point(name, entry["reg_program_cycles"], target.redmule.program_cycles))
    points += _dma_points(target, data["cluster_dma_siracusa"])
    if core_counts is not None:
        points += _core_points(target, data, core_counts)
    return points


def _dma_points(target: Target, dma: dict[str, Any]) -> list[Point]:
    out = []
    for row in dma["one_d"]:
        size = row["bytes"]
        for link, source, destination in (("l2_to_l1", "L2", "L1"), ("l1_to_l2", "L1", "L2")):
            model = perf.dma_cycles(target, source, destination, size)
            for kind in ("typical", "min", "first_call"):
                key = f"{link}_{kind}" if kind == "first_call" else f"{link}_cycles_{kind}"
                out.append(Point(f"dma/{source}_{destination}/{size}B/{kind}", row[key], model))
    two_d = dma["two_d_64rows_x_256B_stride_1KiB_16KiB_total"]
    out.append(Point("dma/L2_L1/2d 64x256B", two_d["l2_strided_to_l1_contiguous_cycles"],
                     perf.dma_cycles(target, "L2", "L1", 64 * 256)))
    out.append(Point("dma/L1_L2/2d 64x256B", two_d["l1_contiguous_to_l2_strided_cycles"],
                     perf.dma_cycles(target, "L1", "L2", 64 * 256)))
    return out


def _core_points(target: Target, data: dict[str, Any], counts: dict[str, int]) -> list[Point]:
    core = data["core_fp32_fma_siracusa"]["dot_product_1024_cycles"]
    out = []
    for key, cycles in core.items():
        if key == "result_correct":
            continue
        function = CORE_POINTS.get(key)
        model = perf.core_cycles(target, counts[function]) if function else float("nan")
        out.append(Point(f"core/{key}", cycles, model,
                         f"{counts[function]} instructions" if function else ""))
    mm = data["matmul16_8cores_siracusa"]
    out.append(Point("core/matmul16 1 core", mm["single_core_cycles"],
                     perf.core_cycles(target, counts["matmul16_1core"]),
                     f"{counts['matmul16_1core']} instructions"))
    out.append(Point("core/matmul16 8 cores", mm["eight_core_cycles"],
                     perf.core_cycles(target, counts["matmul16_core_slice"], cores=8),
                     f"{counts['matmul16_core_slice']} instructions on core 0 (2 rows)"))
    return out


def fit(data: dict[str, Any], core_counts: dict[str, int]) -> dict[str, float]:
    """The fitted parameters: cycles per instruction (least relative squares
    over the C core loops and the 1-core matmul), the RedMulE job overhead
    (mean of measured minus tile time over jobs with n <= 80, where the model
    computes correctly) and the parallel efficiency (measured speedup / 8)."""
    core = data["core_fp32_fma_siracusa"]["dot_product_1024_cycles"]
    pairs = [(core_counts[f], core[k]) for k, f in CORE_POINTS.items()]
    mm = data["matmul16_8cores_siracusa"]
    pairs.append((core_counts["matmul16_1core"], mm["single_core_cycles"]))
    ratios = [i / c for i, c in pairs]
    cpi = sum(ratios) / sum(r * r for r in ratios)
    fp16 = _fp16(siracusa())
    zero = replace(fp16, redmule=replace(fp16.redmule, job_overhead_cycles=0))
    residuals = [cycles - perf.redmule_job_cycles(zero, *shape)
                 for _, shape, cycles in _job_points(data) if shape[1] <= 80]
    return {"core.cycles_per_instruction": round(cpi, 2),
            "core.parallel_efficiency": round(mm["speedup"] / 8, 2),
            "redmule.job_overhead_cycles": round(statistics.mean(residuals))}
