"""`edgeft demo`: the embedded default, end to end on the host.

Pretrained LeNet-5 (upright Fashion-MNIST) meets Fashion-MNIST rotated by
75 degrees: each strategy is compiled to C, built, and fine-tuned on 1024
rotated test samples; accuracy is measured on 2000 other rotated samples.
The last row is skip-lora with a 4-bit NF4 forward cache of the frozen
network's activations (docs/cache.md).
"""

from __future__ import annotations

import time
from pathlib import Path

from edgeft.driver.compiler import CompileOptions, compile_model, write_build
from edgeft.driver.run import run

# (strategy, forward cache)
STRATEGIES = (("ft-last", "none"), ("lora-all", "none"), ("skip-lora", "none"),
              ("ft-all", "none"), ("skip-lora", "nf4"))
DATA = "fmnist-rot:75"


def demo(output: Path, epochs: int = 10, samples: int = 1024) -> str:
    """The table of the demo: each strategy compiled under `output`, fine-tuned and measured."""
    rows = []
    for strategy, cache in STRATEGIES:
        start = time.perf_counter()
        compiled = compile_model("lenet5", CompileOptions(strategy=strategy, cache=cache,
                                                          cache_samples=samples))
        build = output / (strategy if cache == "none" else f"{strategy}-{cache}")
        write_build(compiled, build)
        compile_seconds = time.perf_counter() - start
        metrics = run(build, DATA, samples=samples, epochs=epochs, progress=True)
        name = strategy if cache == "none" else f"{strategy} + {cache} cache"
        rows.append((name, compiled.report["trainable_params"], metrics.accuracy_before,
                     metrics.accuracy_after, sum(metrics.epoch_seconds), compile_seconds))
    header = (f"lenet5 pretrained on Fashion-MNIST, fine-tuned on {samples} samples rotated "
              f"75 degrees, {epochs} epochs, batch 20, SGD lr 0.1 (host C)\n")
    table = ["strategy                trainable  acc before  acc after  fine-tune s  compile s"]
    for strategy, trainable, before, after, seconds, compile_s in rows:
        table.append(f"{strategy:<22} {trainable:>10}  {before:>10.1%}  {after:>9.1%}  "
                     f"{seconds:>11.2f}  {compile_s:>9.1f}")
    return header + "\n".join(table)
