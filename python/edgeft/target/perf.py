"""The performance model's formulas: cycles of one RedMulE job, one DMA
transfer and one core kernel on a target (edgeft.target.Target).

All figures are cluster-clock cycles. The parameters are the target's
named fields (Target.parameters() says where each comes from); the
measurements they are calibrated on are checked by
edgeft.estimate.calibration.

    redmule_job_cycles(target, m, n, k)   Z[m x k] = X[m x n] W[n x k] (+ Y)
    dma_cycles(target, "L2", "L1", bytes)
    core_cycles(target, instructions, cores, far_loads)
    core_fma_cycles(target, fmas, cores)  a multiply-accumulate nest, not yet measured
    core_copy_cycles(target, elements, cores)

This is the one cost model: the estimate (edgeft.estimate.timeline) costs
the lowered program with it, and the passes that choose (edgeft-tile's
tile sizes, edgeft-offload-redmule's im2col) compare alternatives with it,
each on the target built from its own options. The passes run before the
kernels exist, so where the estimate has measured instructions they use
the per-FMA and per-element figures of the target's cores.
"""

from __future__ import annotations

import math

from edgeft.target import Target


def redmule_job_cycles(target: Target, m: int, n: int, k: int) -> float:
    """One job from trigger to done: the per-job overhead plus, for every
    output tile (tile_rows x tile_cols, m and k padded up to whole tiles),
    n reduction steps of tile_rows * tile_cols / macs_per_cycle cycles.
    fp16 is measured; fp32 scales the tile time by fp32_cycle_factor."""
    r = target.redmule
    tiles = math.ceil(m / r.tile_rows) * math.ceil(k / r.tile_cols)
    per_step = r.tile_rows * r.tile_cols / r.macs_per_cycle
    compute = tiles * n * per_step
    if r.format == "fp32":
        compute *= r.fp32_cycle_factor
    return r.job_overhead_cycles + compute


def redmule_cycles(target: Target, m: int, n: int, k: int) -> float:
    """A job as the core sees it: programming its registers, then the job."""
    return target.redmule.program_cycles + redmule_job_cycles(target, m, n, k)


def dma_cycles(target: Target, source: str, destination: str, size: int) -> float:
    """One transfer of `size` bytes between two adjacent levels (a 2-D
    transfer costs as a contiguous one of the same size, as measured)."""
    dma = target.dma_between(source, destination)
    cycles = dma.latency_cycles + size / dma.bytes_per_cycle
    if dma.clock_mhz is not None:
        cycles *= target.frequency_mhz / dma.clock_mhz
    return cycles


def transfer_cycles(target: Target, source: str, destination: str, size: int) -> float:
    """A transfer between any two levels: L1 <-> L3 goes through L2 (staged,
    one hop after the other)."""
    if {source, destination} == {"L1", "L3"}:
        return (dma_cycles(target, source, "L2", size)
                + dma_cycles(target, "L2", destination, size))
    return dma_cycles(target, source, destination, size)


def core_cycles(target: Target, instructions: int, cores: int = 1, far_loads: int = 0,
                forked: bool = False, kernel_class: str | None = None) -> float:
    """A core kernel: the instructions of its slowest core's slice times the
    fitted cycles per instruction, over the parallel efficiency when split
    over several cores; plus stalls of loads from L2/L3 and the fork cost;
    all of it times the fitted factor of its class (core.class_factors)."""
    c = target.core
    cycles = instructions * c.cycles_per_instruction
    if cores > 1:
        cycles /= c.parallel_efficiency
    cycles += far_loads * c.far_load_cycles
    if forked:
        cycles += c.fork_cycles
    return cycles * c.class_factor(kernel_class)


def core_fma_cycles(target: Target, fmas: int, cores: int = 1, forked: bool = True) -> float:
    """A multiply-accumulate loop nest over L1 data (a convolution on the
    cores) of `fmas` FMAs split evenly over `cores`: fma_cycles per FMA,
    over the parallel efficiency when split, plus the fork cost."""
    return _split(target, fmas * target.core.fma_cycles, cores, forked)


def core_copy_cycles(target: Target, elements: int, cores: int = 1,
                     forked: bool = True) -> float:
    """A core kernel copying `elements` floats within L1 (im2col's column
    matrix), split evenly over `cores`: copy_element_cycles per element,
    over the parallel efficiency when split, plus the fork cost."""
    return _split(target, elements * target.core.copy_element_cycles, cores, forked)


def _split(target: Target, cycles: float, cores: int, forked: bool) -> float:
    """One core's `cycles` of work split over `cores` (as core_cycles does for
    a measured slice)."""
    c = target.core
    out = cycles / cores
    if cores > 1:
        out /= c.parallel_efficiency
    if forked:
        out += c.fork_cycles
    return out


def milliseconds(target: Target, cycles: float) -> float:
    """Cycles of the cluster clock as milliseconds."""
    return cycles / (target.frequency_mhz * 1e3)
