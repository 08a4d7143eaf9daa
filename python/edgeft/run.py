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
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from edgeft import data as datasets
from edgeft.errors import UserError
from edgeft.host import HostProgram, ProgramInfo

EVAL_SAMPLES = 2000


@dataclass
class Metrics:
    data: str
    backend: str
    samples: int
    epochs: int
    batch: int
    eval_samples: int
    accuracy_before: float
    accuracy_after: float = 0.0
    loss_per_step: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    instructions_per_step: list[int] = field(default_factory=list)
    cache: str = "none"


def accuracy(program: HostProgram, images: np.ndarray, labels: np.ndarray) -> float:
    """Top-1 accuracy, predicting in the program's batch (the tail padded, then ignored)."""
    batch = program.info.batch
    correct = 0
    for start in range(0, len(labels), batch):
        chunk = images[start:start + batch]
        real = len(chunk)
        if real < batch:
            chunk = np.concatenate([chunk, np.zeros((batch - real, *chunk.shape[1:]),
                                                    np.float32)])
        predicted = program.predict(chunk).argmax(axis=1)[:real]
        correct += int((predicted == labels[start:start + real]).sum())
    return correct / max(1, len(labels))


def run(build: Path, spec: str, samples: int = 1024, epochs: int = 10, seed: int = 0,
        backend: str = "host", progress: bool = True) -> Metrics:
    """Fine-tune the program in `build` and write BUILD/metrics.json."""
    if backend not in ("host", "rv32"):
        raise UserError(f"unknown backend '{backend}' (available: host, rv32)")
    if samples < 1 or epochs < 0:
        raise UserError("--samples must be at least 1 and --epochs at least 0")
    info = ProgramInfo.load(build)
    if not info.labels_are_indices:
        raise UserError("edgeft run fine-tunes classifiers (cross-entropy loss); this build "
                        "was compiled with the mse loss")
    parsed = datasets.parse_spec(spec)
    test = datasets.load(parsed, "test")
    if samples + 1 > len(test):
        raise UserError(f"{parsed.describe()} has {len(test)} test samples; --samples "
                        f"{samples} leaves none to evaluate on")
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

    program = HostProgram.build(build)
    program.init()
    metrics = Metrics(parsed.describe(), backend, samples, epochs, info.batch, eval_count,
                      accuracy(program, eval_x, eval_y),
                      cache=info.cache["quant"] if info.cache else "none")
    rng = np.random.default_rng(seed + 1)
    steps = samples // info.batch
    schedule = [rng.permutation(samples) for _ in range(epochs)]
    if backend == "rv32":
        _run_rv32(build, program, schedule, steps, tune_x, tune_y, metrics)
    for epoch, shuffle in enumerate(schedule if backend == "host" else []):
        start = time.perf_counter()
        bar = _progress(steps, f"epoch {epoch + 1}/{epochs}", progress)
        for step in range(steps):
            index = shuffle[step * info.batch:(step + 1) * info.batch]
            if info.cache is None:
                loss = program.train_step(tune_x[index], tune_y[index])
            else:
                if epoch == 0:
                    program.cache_fill(tune_x[index], index)
                loss = program.train_step_cached(index, tune_y[index])
            metrics.loss_per_step.append(loss)
            bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            bar.update(1)
        bar.close()
        metrics.epoch_seconds.append(time.perf_counter() - start)
    metrics.accuracy_after = accuracy(program, eval_x, eval_y)
    (build / "metrics.json").write_text(json.dumps(asdict(metrics), indent=2) + "\n")
    return metrics


def _run_rv32(build: Path, program: HostProgram, schedule: list[np.ndarray], steps: int,
              tune_x: np.ndarray, tune_y: np.ndarray, metrics: Metrics) -> None:
    """All epochs in one QEMU run (the program starts from edgeft_init); the
    trained parameters come back into the host program, which measures
    accuracy (predicting under QEMU would only be slower). The wall time of
    the run is shared evenly among the epochs."""
    from edgeft import rv32

    batch = program.info.batch
    cached = program.info.cache is not None
    batches = []
    for epoch, shuffle in enumerate(schedule):
        for s in range(steps):
            index = shuffle[s * batch:(s + 1) * batch]
            if not cached:
                batches.append(rv32.Rv32Step(x=tune_x[index], y=tune_y[index]))
                continue
            batches.append(rv32.Rv32Step(x=tune_x[index] if epoch == 0 else None,
                                         y=tune_y[index], idx=index, fill=epoch == 0))
    if not batches:
        return
    start = time.perf_counter()
    counts = [(name, value.size) for name, value in program.parameters().items()]
    result = rv32.run_steps(build, batches, counts)
    seconds = time.perf_counter() - start
    metrics.epoch_seconds.extend([seconds / len(schedule)] * len(schedule))
    metrics.loss_per_step.extend(result.losses)
    metrics.instructions_per_step.extend(result.instructions)
    for name, value in result.parameters.items():
        program.parameters()[name][:] = value


def _progress(total: int, description: str, enabled: bool):
    from tqdm import tqdm

    # disable=None: bars on a terminal only, not in logs.
    return tqdm(total=total, desc=description, unit="step", disable=None if enabled else True,
                leave=False)
