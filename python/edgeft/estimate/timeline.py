"""The performance estimate of a lowered, planned program on a target.

One timeline per function, walked in program order over the lowered IR
(the same ops the C emitter translates):

- a core kernel (`pulp.parallel`, or a one-core loop nest or copy, see
  edgeft.estimate.kernels) advances the cores' time by its cycles: measured
  RV32 instructions of the slowest core's slice x cycles per instruction /
  parallel efficiency, + stalls of loads from L2/L3 + the fork cost;
- a RedMulE job advances it by its programming + job cycles (the C waits
  for each job);
- a DMA transfer starts when the cluster DMA is free (one engine, transfers
  in issue order) and finishes its cycles later; `pulp.dma_wait` moves the
  cores' time to the finish if it is later (the stall is the transfer's
  exposed time), so a double-buffered prefetch hides behind the compute
  issued before its wait. Transfers from or to L3 go through L2 and block
  the cores until both hops are done, as the runtime does;
- a loop runs its body twice on the timeline; the second iteration's time
  stands for every later one (every transfer a body starts is waited in the
  body, so iterations after the first repeat).

Every advance of the timeline is charged to the layer and training phase
(forward, backward, update; edgeft.ir.graph.phase_of) of the op that caused
it and to its engine (cores, redmule, dma), so the per-layer figures sum
to the step's cycles.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from torch_mlir import ir

from edgeft.analysis import counts
from edgeft.analysis.flops import FREE_BODY_OPS
from edgeft.codegen.emitter import Emitter
from edgeft.estimate import gvsoc_kernels, kernels
from edgeft.ir import attrs, queries
from edgeft.ir.graph import clone_module, layer_of, phase_of
from edgeft.ir.queries import memory_level, symbol_name
from edgeft.ir.types import element_bytes, shaped_bytes
from edgeft.target import Target, perf

KERNEL_ATTR = attrs.KERNEL


@dataclass
class Entry:
    """One kernel's figures over a call of its function."""

    name: str
    layer: str
    phase: str
    engine: str
    calls: float = 0
    flops: float = 0
    cycles: float = 0
    bytes: float = 0
    source: str = "model"
    kernel_class: str = ""     # a core kernel's class (edgeft.estimate.kernels.CLASSES)


@dataclass
class Timeline:
    """The cores' time, the DMA engine's and what each step was charged to."""

    target: Target
    instructions: dict[str, int]
    kernels: dict[str, kernels.Kernel]
    globals_: dict[str, ir.OpView]
    now: float = 0.0
    dma_free: float = 0.0
    tokens: dict[Any, tuple[float, str, str]] = field(default_factory=dict)
    entries: dict[tuple[str, str, str, str], Entry] = field(default_factory=dict)
    charged: dict[tuple[str, str, str], float] = field(
        default_factory=lambda: defaultdict(float))
    functions: dict[str, ir.OpView] = field(default_factory=dict)
    costs: dict[str, tuple[RegionCounts, float, str]] = field(default_factory=dict)
    # cluster cycles of each kernel measured on GVSoC (None: the QEMU route)
    measured: dict[str, int] | None = None

    def advance(self, cycles: float, weight: float, layer: str, phase: str,
                engine: str) -> None:
        """Move the clock of `layer`'s `phase` on `engine` by `cycles` times `weight`."""
        self.now += cycles
        self.charged[(layer, phase, engine)] += cycles * weight

    def entry(self, name: str, op: ir.Operation, engine: str, source: str = "model") -> Entry:
        """The kernel entry of `name` (made on first use) for the report."""
        key = (name, layer_of(op), phase_of(op), engine)
        if key not in self.entries:
            self.entries[key] = Entry(*key, source=source)
        return self.entries[key]

    def walk(self, block: ir.Block, weight: float) -> None:
        """Cost every op of `block`, `weight` times (nested loops multiply it)."""
        for op in block.operations:
            op = op.operation
            name = op.name
            if name == "scf.for":
                self.loop(op, counts.trip_count(op), weight)
            elif name == "scf.if":
                self.walk(op.regions[0].blocks[0], weight)  # the then-branch
            elif name == "pulp.parallel":
                self.kernel(op, weight)
            elif name == "redmule.gemm":
                self.job(op, weight)
            elif name in ("pulp.dma_start_1d", "pulp.dma_start_2d"):
                self.transfer(op, weight)
            elif name == "pulp.dma_wait":
                self.wait(op, weight)
            elif name == "func.call":
                callee = ir.FlatSymbolRefAttr(op.attributes["callee"]).value
                self.walk(self.functions[callee].regions[0].blocks[0], weight)

    def loop(self, op: ir.Operation, trip: int, weight: float) -> None:
        """A loop of `trip` iterations: the first and second costed, the rest as the second."""
        if trip == 0:
            return
        body = op.regions[0].blocks[0]
        self.walk(body, weight)
        if trip == 1:
            return
        start, dma_start = self.now, self.dma_free
        self.walk(body, weight * (trip - 1))
        shift = (self.now - start) * (trip - 2)
        self.now += shift
        if self.dma_free > dma_start:
            self.dma_free += shift

    def kernel(self, op: ir.Operation, weight: float) -> None:
        """A core kernel (a pulp.parallel): its cycles measured on GVSoC, or its
        instructions measured under QEMU through the core model."""
        name = ir.StringAttr(op.attributes[KERNEL_ATTR]).value
        workers = ir.IntegerAttr(op.attributes["cores"]).value
        key = self.kernels[name].key
        if name not in self.costs:  # a kernel in a loop comes by once per simulated iteration
            body = region_counts(op, self.globals_)
            kind = kernels.kernel_class(op)
            if self.measured is not None:
                cycles = float(self.measured[key])
            else:
                cycles = perf.core_cycles(self.target, self.instructions[key], workers,
                                          body.far_loads,
                                          forked=kernels.SERIAL_ATTR not in op.attributes,
                                          kernel_class=kind)
            self.costs[name] = (body, cycles, kind)
        body, cycles, kind = self.costs[name]
        e = self.entry(name, op, "cores", "gvsoc" if self.measured is not None else "qemu")
        e.kernel_class = kind
        e.calls += weight
        e.cycles += cycles * weight
        e.flops += body.flops * workers * weight
        e.bytes += body.bytes * workers * weight
        self.advance(cycles, weight, e.layer, e.phase, "cores")

    def job(self, op: ir.Operation, weight: float) -> None:
        """A RedMulE job: programming on the core, then the job on the accelerator."""
        m, n, k = (ir.IntegerAttr(op.attributes[a]).value for a in ("m", "n", "k"))
        cycles = perf.redmule_cycles(self.target, m, n, k)
        size = element_bytes(ir.MemRefType(op.operands[0].type).element_type)
        e = self.entry(f"redmule {m}x{n}x{k}", op, "redmule")
        e.calls += weight
        e.cycles += cycles * weight
        e.flops += 2 * m * n * k * weight
        e.bytes += (m * n + n * k + 2 * m * k) * size * weight
        self.advance(cycles, weight, e.layer, e.phase, "redmule")

    def transfer(self, op: ir.Operation, weight: float) -> None:
        """A DMA start: queued on the engine, in issue order, while the cores go on."""
        source, destination = op.operands
        size = shaped_bytes(source.type)
        far = counts.home_level(counts.far_side(op), self.globals_)
        inbound = memory_level(destination.type) == "L1"
        src, dst = (far, "L1") if inbound else ("L1", far)
        cycles = perf.transfer_cycles(self.target, src, dst, size)
        e = self.entry(f"dma {src}->{dst}", op, "dma")
        e.calls += weight
        e.cycles += cycles * weight
        e.bytes += size * weight
        done = max(self.now, self.dma_free) + cycles
        self.dma_free = done
        self.tokens[op.results[0]] = (done, e.layer, e.phase)
        if far == "L3":  # staged through L2: the runtime returns when both hops are done
            self.advance(done - self.now, weight, e.layer, e.phase, "dma")

    def wait(self, op: ir.Operation, weight: float) -> None:
        """A DMA wait: the cores stop until the transfer is done."""
        done, layer, phase = self.tokens[op.operands[0]]
        if done > self.now:
            self.advance(done - self.now, weight, layer, phase, "dma")


@dataclass
class RegionCounts:
    """What a region's loop nests do: FLOPs, loads from L2/L3 and bytes touched."""

    flops: int = 0
    far_loads: int = 0
    bytes: int = 0


def region_counts(op: ir.Operation, globals_: dict[str, ir.OpView]) -> RegionCounts:
    """FLOPs (flops.py's convention), bytes loaded and stored, and loads from
    outside L1 of one core's slice of a kernel (constant trip counts)."""
    out = RegionCounts()
    for inner in queries.nested(op):
        name = inner.name
        if name.startswith("math.") or (name.startswith("arith.") and name.endswith("f")
                                        and name not in FREE_BODY_OPS):
            out.flops += counts.repeats(inner, op, cores=False)
        elif name in ("memref.load", "memref.store"):
            times = counts.repeats(inner, op, cores=False)
            t = ir.MemRefType(inner.operands[0 if name == "memref.load" else 1].type)
            out.bytes += times * element_bytes(t.element_type)
            if name == "memref.load" and memory_level(t) != "L1":
                out.far_loads += times
        elif name == "memref.copy":
            times = counts.repeats(inner, op, cores=False)
            t = ir.MemRefType(inner.operands[0].type)
            out.bytes += 2 * times * shaped_bytes(t)
            if memory_level(t) != "L1":
                out.far_loads += times * math.prod(t.shape)
    return out


@dataclass
class Estimate:
    """Cycles of each function of a program, and the step's breakdown."""

    cycles: dict[str, float]
    entries: dict[str, list[Entry]]
    charged: dict[str, dict[tuple[str, str, str], float]]
    kernels_measured: int
    kernels_unique: int
    route: str = "qemu"      # where the core kernels' figures come from: gvsoc or qemu


@dataclass
class CoreKernels:
    """The core kernels of a lowered module, as the estimate measures them: a copy
    of the module with every one-core nest wrapped (kernels.wrap_serial) and each
    pulp.parallel named (KERNEL_ATTR), the emitter's record of each, and the
    measurable Kernel of each by name."""

    module: ir.Module
    infos: list[Any]
    found: dict[str, kernels.Kernel]
    globals_: dict[str, ir.OpView]


def core_kernels(module: ir.Module) -> CoreKernels:
    """Find every core kernel of a lowered, planned module (it is not changed)."""
    copy = clone_module(module)
    kernels.wrap_serial(copy)
    emitter = Emitter(copy)
    emitter.kernel_info = []
    for function in emitter.functions():
        function.emit()
    globals_ = counts.module_globals(copy.operation)
    flags = kernels.flags_id()
    found: dict[str, kernels.Kernel] = {}
    for info in emitter.kernel_info:
        found[info.name] = kernels.kernel_of(info, globals_, flags)
        with copy.context:
            info.op.attributes[KERNEL_ATTR] = ir.StringAttr.get(info.name)
    return CoreKernels(copy, emitter.kernel_info, found, globals_)


def estimate(module: ir.Module, target: Target, use_cache: bool = True,
             kernel_cycles: str = "auto") -> Estimate:
    """The estimate of every function of a lowered, planned module (it is not
    changed: the kernels are found and measured on a copy). `kernel_cycles`
    says where the core kernels are measured (edgeft.estimate.gvsoc_kernels.route)."""
    core = core_kernels(module)
    copy, found, globals_ = core.module, core.found, core.globals_
    launcher = gvsoc_kernels.route(kernel_cycles)
    cycles: dict[str, int] | None = None
    if launcher is not None:
        on_gvsoc = gvsoc_kernels.measure(list(found.values()), launcher, use_cache=use_cache)
        instructions, cycles = {}, on_gvsoc.cycles
        measured_now, unique = on_gvsoc.measured_now, len(on_gvsoc.cycles)
    else:
        measured = kernels.measure(list(found.values()), use_cache=use_cache)
        instructions = measured.instructions
        measured_now, unique = measured.measured_now, len(measured.instructions)
    functions = {symbol_name(op): op
                 for op in copy.body.operations
                 if op.operation.name == "func.func" and op.regions[0].blocks}
    out = Estimate({}, {}, {}, measured_now, unique, "gvsoc" if cycles is not None else "qemu")
    for name, func in functions.items():
        timeline = Timeline(target, instructions, found, globals_,
                            functions=functions, measured=cycles)
        timeline.walk(func.regions[0].blocks[0], 1.0)
        out.cycles[name] = timeline.now
        out.entries[name] = list(timeline.entries.values())
        out.charged[name] = dict(timeline.charged)
    return out


def report(estimate: Estimate, target: Target, batch: int, flops: dict[str, float],
           function: str = "train_step") -> dict[str, Any]:
    """report.json `cycles`, `latency_ms`, `updates_per_second`,
    `flops_per_cycle`, `kernels`, `layers` for one step of `function`."""
    cycles = estimate.cycles[function]
    ms = perf.milliseconds(target, cycles)
    charged = estimate.charged[function]
    engines: dict[str, float] = defaultdict(float)
    for (_, _, engine), c in charged.items():
        engines[engine] += c
    busy: dict[str, float] = defaultdict(float)
    for e in estimate.entries[function]:
        busy[e.engine] += e.cycles
    step_flops = (flops["forward"] + flops["backward"] + flops["optimizer"]) * batch
    layers: dict[str, dict[str, Any]] = {}
    for (layer, phase, engine), c in sorted(charged.items()):
        row = layers.setdefault(layer, {"layer": layer, "forward": 0.0, "backward": 0.0,
                                        "update": 0.0, "engines": defaultdict(float),
                                        "bytes": 0.0})
        row[phase] += c
        row["engines"][engine] += c
    for e in estimate.entries[function]:
        if e.engine == "dma" and e.layer in layers:
            layers[e.layer]["bytes"] += e.bytes
    kernels_out = sorted(({"name": e.name, "layer": e.layer, "phase": e.phase,
                           "engine": e.engine, "calls": e.calls, "flops": e.flops,
                           "cycles": round(e.cycles, 1), "bytes": e.bytes, "source": e.source,
                           **({"class": e.kernel_class} if e.kernel_class else {})}
                          for e in estimate.entries[function]),
                         key=lambda k: (-k["cycles"], k["name"], k["layer"], k["phase"]))
    return {
        "cycles": {
            "estimate": round(cycles),
            "per_sample": cycles / batch,
            "by_engine": {k: round(v) for k, v in sorted(engines.items())},
            "busy": {k: round(v) for k, v in sorted(busy.items())},
            "by_function": {name: round(c) for name, c in sorted(estimate.cycles.items())},
        },
        "latency_ms": {"estimate": ms, "per_sample": ms / batch},
        "updates_per_second": 1e3 / ms if ms else 0.0,
        "flops_per_cycle": step_flops / cycles if cycles else 0.0,
        "kernels": kernels_out,
        "layers": [{**row, "engines": {k: round(v) for k, v in sorted(row["engines"].items())},
                    "forward": round(row["forward"]), "backward": round(row["backward"]),
                    "update": round(row["update"])} for row in layers.values()],
        "estimate": {"function": function, "kernels": estimate.kernels_unique,
                     "kernel_cycles": estimate.route, "sources": SOURCES[estimate.route]},
    }


# Where each engine's figures come from, by route of the core kernels.
_MODELLED = {"dma": "modelled: the cluster DMA and HyperRAM costs fitted to GVSoC "
                    "(shared/calibration, edgeft.target.perf)",
             "redmule": "modelled: the RedMulE model fitted to its GVSoC jobs (pulp-open; "
                        "siracusa's model has no RedMulE)"}
SOURCES = {
    "gvsoc": {"cores": "measured on GVSoC: each kernel's cluster cycles on the simulated "
                       "Siracusa, all its cores at once (edgeft.estimate.gvsoc_kernels)",
              **_MODELLED},
    "qemu": {"cores": "from QEMU: each kernel's RV32 instructions (gcc) times the core model "
                      "(edgeft.estimate.kernels, edgeft.target.perf)", **_MODELLED},
}
