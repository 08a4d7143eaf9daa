"""Benchmark: fine-tuning time with the forward cache, emitted C on the host.

    .venv/bin/python tools/bench/cache.py [--epochs 10] [--samples 1024] [--repeats 3]
        [-o tools/bench/results/cache.json]

lenet5 (pretrained), Fashion-MNIST test samples rotated 75 degrees, batch
20, SGD lr 0.1, in one process on the same samples and the same order:
lora-all without a cache (the baseline), skip-lora without a cache, and
skip-lora with an fp32 and an NF4 cache. The time is the sum of the epochs'
wall times of `edgeft run` (the first epoch of a cached build includes
filling the cache); each configuration runs `repeats` times and the median
counts. Writes JSON with the seconds per epoch, accuracy after, cache bytes
and each configuration's speedup over the baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CONFIGS = (("lora-all", "none"), ("skip-lora", "none"), ("skip-lora", "fp32"),
           ("skip-lora", "nf4"))


def main() -> int:
    """Run the cache benchmark and write its JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--samples", type=int, default=1024)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("-o", dest="output", default=str(ROOT / "tools/bench/results/cache.json"))
    opts = p.parse_args()
    from edgeft.backends.host import build_host_library
    from edgeft.driver.compiler import CompileOptions, compile_model, write_build
    from edgeft.driver.run import run

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for strategy, cache in CONFIGS:
            build = Path(tmp) / f"{strategy}-{cache}"
            options = CompileOptions(strategy=strategy, cache=cache, cache_samples=opts.samples)
            compiled = compile_model("lenet5", options)
            write_build(compiled, build)
            build_host_library(build)
            runs = [run(build, "fmnist-rot:75", samples=opts.samples, epochs=opts.epochs,
                        seed=0, progress=False) for _ in range(opts.repeats)]
            totals = [sum(m.epoch_seconds) for m in runs]
            median = runs[totals.index(statistics.median_low(totals))]
            row = {"strategy": strategy, "cache": cache,
                   "seconds": sum(median.epoch_seconds),
                   "epoch_seconds": median.epoch_seconds,
                   "accuracy_before": median.accuracy_before,
                   "accuracy_after": median.accuracy_after,
                   "cache_bytes": compiled.report.get("cache", {}).get("bytes", 0),
                   "flops_per_sample_step": compiled.report["flops"]["forward"]
                   + compiled.report["flops"]["backward"] + compiled.report["flops"]["optimizer"],
                   "flops_per_sample_cached_step":
                       compiled.report.get("cache", {}).get("flops", {}).get("cached_step")}
            rows.append(row)
            print(f"{strategy:10s} cache {cache:5s}: {row['seconds']:.3f} s "
                  f"(first epoch {median.epoch_seconds[0]:.3f} s), accuracy "
                  f"{row['accuracy_after']:.1%}", file=sys.stderr)
    baseline = rows[0]["seconds"]
    for row in rows:
        row["speedup_over_lora_all"] = baseline / row["seconds"]
    result = {"benchmark": "forward cache, lenet5 on the host",
              "data": "fmnist-rot:75", "samples": opts.samples, "epochs": opts.epochs,
              "batch": 20, "repeats": opts.repeats,
              "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
              "runs": rows}
    Path(opts.output).parent.mkdir(parents=True, exist_ok=True)
    Path(opts.output).write_text(json.dumps(result, indent=2) + "\n")
    nf4 = rows[-1]
    print(f"skip-lora + NF4 cache: {nf4['speedup_over_lora_all']:.1f}x faster than lora-all "
          f"-> {opts.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
