"""`edgeft run`: fine-tune a built training step on real data and measure it.

The fine-tuning set is N samples of the (rotated) test split, drawn with
`seed`; accuracy is measured before and after on the next samples of the
same permutation, so the two sets are disjoint. Each epoch visits the
fine-tuning set in a new order in full batches (a last partial batch is
left out, as the step has a fixed batch). BUILD/metrics.json records the
loss of every step, accuracy before and after, and wall time per epoch.

A build with a forward cache (`edgeft compile --cache fp32|nf4`) fills the
cache during the first epoch (each batch: edgeft_cache_fill, then the cached
step) and only reads it afterwards; a sample's cache row is its position in
the fine-tuning set.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from edgeft import backends
from edgeft.backends.base import Backend, ProgramInfo, Step, Trained
from edgeft.backends.host import check_threads
from edgeft.codegen import builddir
from edgeft.frontend import data as datasets
from edgeft.ir.errors import UserError
from edgeft.ir.files import replace_text, strict_json
from edgeft.options import check_seed

if TYPE_CHECKING:
    import tqdm

EVAL_SAMPLES = 2000
# Fewer held-out samples than this make the accuracy a coin toss (1 sample: 0 or 100 %).
MIN_EVAL_SAMPLES = 100


@dataclass
class Metrics:
    """What `edgeft run` measured (BUILD/metrics.json): accuracy, loss per step, time per epoch."""

    data: str
    backend: str
    samples: int
    epochs: int
    batch: int
    eval_samples: int
    accuracy_before: float
    accuracy_after: float | None = None   # None when training diverged
    loss_per_step: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    instructions_per_step: list[int] = field(default_factory=list)
    cycles_per_step: list[int] = field(default_factory=list)
    # GVSoC: each forked kernel's cycles and calls per step (the C function's name)
    kernel_cycles: list[dict[str, Any]] = field(default_factory=list)
    cache: str = "none"
    steps_planned: int = 0       # the steps of every epoch
    accuracy_on: str = ""        # where accuracy was measured (the backend, or the host)
    # a non-finite loss (or parameter) stopped the run: at this step (1-based, over all epochs)
    diverged: bool = False
    diverged_step: int | None = None
    threads: int | None = None   # host: the threads that ran the kernels' slices


def accuracy(program: Backend, images: np.ndarray, labels: np.ndarray) -> float:
    """Top-1 accuracy, predicting whole batches (the tail padded, then ignored)."""
    batch = program.info.batch
    real = len(labels)
    if real == 0:
        return 0.0
    padded = -real % batch
    if padded:
        images = np.concatenate([images, np.zeros((padded, *images.shape[1:]), np.float32)])
    predicted = program.predict(images).argmax(axis=1)[:real]
    return int((predicted == labels).sum()) / real


def run(build: Path, spec: str, samples: int = 1024, epochs: int = 10, seed: int = 0,
        backend: str = "host", progress: bool = True, steps: int | None = None,
        gvsoc: str | None = None, threads: int | None = None) -> Metrics:
    """Fine-tune the program in `build` on `backend` and write BUILD/metrics.json.

    `steps` runs only the first N steps of the schedule (a simulator runs a
    few million instructions a second). On GVSoC, accuracy is measured on the
    host, with the parameters the GVSoC run ended with. `threads` (host
    only) runs each kernel's slices on that many threads (default: the
    machine's cores).

    The build must match its manifest (codegen.builddir); a second edgeft on
    the same build waits. A non-finite loss stops the run: metrics.json
    records where (`diverged`), and a user error says so."""
    machine = backends.get(backend)
    if samples < 1 or epochs < 0:
        raise UserError("--samples must be at least 1 and --epochs at least 0")
    check_seed(seed)
    if steps is not None and steps < 1:
        raise UserError("--steps must be at least 1")
    if gvsoc is not None and backend != "gvsoc":
        raise UserError("--gvsoc goes with --backend gvsoc")
    if threads is not None and backend != "host":
        raise UserError("--threads goes with --backend host (the simulators run the "
                        "cluster's cores)")
    check_threads(threads)
    with builddir.locked(build):
        manifest = builddir.verify(build)
        return _run(build, machine, manifest, spec, samples, epochs, seed, backend, progress,
                    steps, gvsoc, threads)


def _run(build: Path, machine: type[Backend], manifest: dict[str, Any], spec: str,
         samples: int, epochs: int, seed: int, backend: str, progress: bool,
         steps: int | None, gvsoc: str | None, threads: int | None) -> Metrics:
    info = ProgramInfo.load(build)
    if not info.labels_are_indices:
        raise UserError("edgeft run fine-tunes classifiers (cross-entropy loss); this build "
                        "was compiled with the mse loss")
    parsed = datasets.parse_spec(spec)
    test = datasets.load(parsed, "test")
    datasets.check_labels(test, info.classes)
    if samples + MIN_EVAL_SAMPLES > len(test):
        raise UserError(f"{parsed.describe()} has {len(test)} test samples; --samples "
                        f"{samples} leaves {max(len(test) - samples, 0)} to evaluate on, at "
                        f"least {MIN_EVAL_SAMPLES} are needed (--samples at most "
                        f"{max(len(test) - MIN_EVAL_SAMPLES, 0)})")
    if samples < info.batch:
        raise UserError(f"--samples {samples} is smaller than the batch ({info.batch})")
    if info.cache is not None and samples > info.cache["samples"]:
        raise UserError(f"the forward cache of {build} holds {info.cache['samples']} samples; "
                        f"--samples {samples} needs a build with --cache-samples {samples}")
    order = np.random.default_rng(seed).permutation(len(test))
    images = datasets.fit_to(test.images[order], info.sample_shape)
    labels = test.labels[order]
    tune_x, tune_y = images[:samples], labels[:samples]
    eval_count = min(EVAL_SAMPLES, len(test) - samples)
    eval_x, eval_y = images[samples:samples + eval_count], labels[samples:samples + eval_count]

    ran_on = None   # host: the threads of the kernels' slices
    if backend == "gvsoc":
        program = machine.build(build, gvsoc=gvsoc)
    elif backend == "host":
        program = machine.build(build, threads=threads)
        ran_on = program.threads
    else:
        program = machine.build(build)
    program.init()
    # GVSoC would take hours over the held-out set: the host predicts for it.
    judge = backends.get("host").build(build) if backend == "gvsoc" else program
    judge.init()
    metrics = Metrics(parsed.describe(), backend, samples, epochs, info.batch, eval_count,
                      accuracy(judge, eval_x, eval_y),
                      cache=info.cache["quant"] if info.cache else "none",
                      accuracy_on=judge.name)
    metrics.threads = ran_on
    rng = np.random.default_rng(seed + 1)
    schedule = [rng.permutation(samples) for _ in range(epochs)]
    planned = _steps(schedule, samples // info.batch, info, tune_x, tune_y)
    metrics.steps_planned = sum(len(epoch) for epoch in planned)
    bars = _Bars(samples // info.batch, epochs, progress)
    try:
        trained = program.train(_first(planned, steps), on_step=bars.step)
    except _Diverged:   # the host stops at the step; simulators are checked after the run
        trained = Trained(losses=bars.losses)
    finally:
        bars.close()
    metrics.loss_per_step = trained.losses
    metrics.epoch_seconds = trained.epoch_seconds
    metrics.instructions_per_step = trained.instructions
    metrics.cycles_per_step = trained.cycles
    metrics.kernel_cycles = [
        {"kernel": name, "cycles_per_step": cycles / len(trained.cycles),
         "calls_per_step": calls / len(trained.cycles)}
        for name, (cycles, calls) in sorted(trained.kernels.items(),
                                            key=lambda item: (-item[1][0], item[0]))]
    diverged = _divergence(trained.losses, program.parameters())
    if diverged is not None:
        metrics.diverged, metrics.diverged_step = True, diverged
        metrics.loss_per_step = trained.losses[:diverged]
        _write_metrics(build, metrics)
        loss = trained.losses[diverged - 1] if diverged <= len(trained.losses) else None
        what = (f"the loss is {loss} at step {diverged}" if loss is not None and
                not math.isfinite(loss) else f"the parameters are not finite after step "
                f"{diverged}")
        epoch_of = _epoch_of(planned, diverged)
        raise UserError(f"training diverged: {what} (epoch {epoch_of}, --lr "
                        f"{manifest['options'].get('lr')} at compile time); metrics -> "
                        f"{build}/metrics.json; compile with a smaller --lr")
    if trained.cycles:
        _record_measured(build, trained.cycles, trained.profiles, backend)
    if judge is not program:
        judge.write_parameters(program.parameters())
    metrics.accuracy_after = accuracy(judge, eval_x, eval_y)
    _write_metrics(build, metrics)
    return metrics


class _Diverged(Exception):
    """A step's loss was not finite (raised from the host's on_step to stop there)."""


def _divergence(losses: list[float], parameters: dict[str, np.ndarray]) -> int | None:
    """The 1-based step whose loss is first not finite; the step after the last
    if only the parameters are; None when all is finite."""
    for step, loss in enumerate(losses, 1):
        if not math.isfinite(loss):
            return step
    if losses and not all(np.isfinite(value).all() for value in parameters.values()):
        return len(losses)
    return None


def _epoch_of(epochs: list[list[Step]], step: int) -> int:
    """The 1-based epoch of the 1-based `step`."""
    for epoch, steps in enumerate(epochs, 1):
        if step <= len(steps):
            return epoch
        step -= len(steps)
    return len(epochs)


def _write_metrics(build: Path, metrics: Metrics) -> None:
    replace_text(build / "metrics.json", strict_json(asdict(metrics)))
    builddir.record(build, ["metrics.json", "report.json"])


MEASURED_ON = {"gvsoc": "GVSoC siracusa, mcycle of cluster core 0 around each step"}


def _record_measured(build: Path, cycles: list[int],
                     profiles: list[dict[str, tuple[int, int]]], backend: str) -> None:
    """BUILD/report.json's cycles.measured: the mean cycles of the steps a
    device backend ran, where they went, next to the estimate (`edgeft
    report` shows both).

    The siracusa model has no RedMulE, so the runtime runs each job on the
    cores; `redmule_modelled` is the step with those cycles replaced by the
    RedMulE model's (the estimate's), the figure the estimate compares with."""
    path = build / "report.json"
    if not path.is_file():
        return
    report = json.loads(path.read_text())
    per_step = sum(cycles) / len(cycles)
    measured: dict[str, Any] = {"cycles_per_step": per_step, "steps": len(cycles),
                                "per_step": cycles, "source": MEASURED_ON[backend]}
    if profiles:
        kinds = {kind: sum(p[kind][0] for p in profiles) / len(profiles) for kind in profiles[0]}
        kinds["core0"] = per_step - sum(kinds.values())
        measured["by_kind"] = {k: round(v) for k, v in kinds.items()}
        measured["redmule_jobs"] = sum(p["redmule"][1] for p in profiles) / len(profiles)
        busy = report.get("cycles", {}).get("busy")
        if measured["redmule_jobs"] and busy is not None:   # with an estimate to take it from
            measured["redmule_modelled"] = {
                "cycles_per_step": per_step - kinds["redmule"] + busy.get("redmule", 0),
                "source": "the step measured on GVSoC with its RedMulE jobs (run on the cores: "
                          "siracusa's model has no RedMulE) replaced by the RedMulE model's "
                          "cycles of the estimate"}
    report.setdefault("cycles", {})["measured"] = measured
    replace_text(path, strict_json(report))


def _first(epochs: list[list[Step]], steps: int | None) -> list[list[Step]]:
    """The epochs cut after their first `steps` steps in all (None: all of them)."""
    if steps is None:
        return epochs
    kept, left = [], steps
    for epoch in epochs:
        if left <= 0:
            break
        kept.append(epoch[:left])
        left -= len(kept[-1])
    return kept


def _steps(schedule: list[np.ndarray], steps: int, info: ProgramInfo, tune_x: np.ndarray,
           tune_y: np.ndarray) -> list[list[Step]]:
    """The steps of every epoch: full batches in the epoch's order; with a
    forward cache, the first epoch fills the rows it trains on (a sample's
    row is its position in the fine-tuning set) and later epochs only read."""
    batch = info.batch
    epochs = []
    for epoch, shuffle in enumerate(schedule):
        indices = [shuffle[s * batch:(s + 1) * batch] for s in range(steps)]
        if info.cache is None:
            epochs.append([Step(x=tune_x[i], y=tune_y[i]) for i in indices])
            continue
        epochs.append([Step(x=tune_x[i] if epoch == 0 else None, y=tune_y[i], idx=i,
                            fill=epoch == 0) for i in indices])
    return epochs


class _Bars:
    """A tqdm progress bar per epoch, advanced as a backend reports steps; it
    stops the run at the first non-finite loss (raises _Diverged)."""

    def __init__(self, steps: int, epochs: int, enabled: bool) -> None:
        self.steps, self.epochs, self.enabled = steps, epochs, enabled
        self.epoch = -1
        self.bar = None
        self.losses: list[float] = []   # every loss seen, the last one perhaps not finite

    def step(self, epoch: int, loss: float) -> None:
        self.losses.append(loss)
        if not math.isfinite(loss):
            raise _Diverged
        if epoch != self.epoch:
            self.close()
            self.epoch, self.bar = epoch, _progress(self.steps, f"epoch {epoch + 1}/{self.epochs}",
                                                    self.enabled)
        self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _progress(total: int, description: str, enabled: bool) -> tqdm.tqdm:
    from tqdm import tqdm

    # disable=None: bars on a terminal only, not in logs.
    return tqdm(total=total, desc=description, unit="step", disable=None if enabled else True,
                leave=False)
