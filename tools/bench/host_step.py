"""Benchmark: milliseconds of one training step of built programs on the host.

    .venv/bin/python tools/bench/host_step.py BUILD [BUILD ...] [--threads 1,2]
        [--steps 50] [-o OUT.json]

Builds each BUILD (an `edgeft compile` directory) with its CMakeLists.txt,
runs 5 warm-up steps and then `steps` steps on random batches (seed 0) on
each thread count, and prints and writes the milliseconds a step and the
last loss (the same for every thread count: the slices do not depend on it).
Only edgeft_train_step is timed, not Python's batch handling.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from edgeft.backends.host import HostProgram


def time_steps(program: HostProgram, threads: int, steps: int) -> tuple[float, float]:
    """(ms a step, last loss) of `steps` steps after 5 warm-up ones."""
    rng = np.random.default_rng(0)
    batch = program.info.batch
    batches = [(rng.random((batch, *program.info.sample_shape)).astype(np.float32),
                rng.integers(0, program.info.classes, batch)) for _ in range(steps)]
    program.set_threads(threads)
    program.init()
    for x, y in batches[:5]:
        program.train_step(x, y)
    start = time.perf_counter()
    loss = 0.0
    for x, y in batches:
        loss = program.train_step(x, y)
    return (time.perf_counter() - start) / steps * 1e3, loss


def main() -> int:
    """Time every build on every thread count; write the JSON if asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("builds", nargs="+", type=Path)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args()
    rows = []
    for build in args.builds:
        program = HostProgram.build(build)
        for threads in (int(t) for t in args.threads.split(",")):
            ms, loss = time_steps(program, threads, args.steps)
            rows.append({"build": str(build), "threads": threads, "ms_per_step": ms,
                         "loss": loss})
            print(f"{build}  {threads} threads  {ms:8.3f} ms a step  loss {loss:.9g}")
    if args.output:
        args.output.write_text(json.dumps({"benchmark": "host_step", "steps": args.steps,
                                           "results": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
