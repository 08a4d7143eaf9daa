"""Benchmark: fine-tuning on the host, emitted C against PyTorch eager.

    .venv/bin/python tools/bench/host_finetune.py [--epochs 10] [--samples 1024]
        [--threads N] [--strategies ft-all,...] [--no-cct2]
        [-o tools/bench/results/host_finetune.json]

For each strategy: lenet5 (pretrained), Fashion-MNIST rotated 75 degrees,
`samples` samples, batch 20, SGD lr 0.1, `epochs` epochs; then one epoch of
cct2 lora-2 the same way (not with --no-cct2). The emitted C
(gcc -O3, each kernel's 8 slices on `threads` threads, default the machine's
cores) runs through `edgeft.driver.run`; PyTorch eager trains the same model
with the same adapters (tests/torch_reference.py) on the same batches in the
same process, with as many threads (torch.set_num_threads). Only the
training loops are timed. Writes JSON with the seconds of both and their
ratio (PyTorch / C: above 1 means the C is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from edgeft.frontend.importer import ImportedModel

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

STRATEGIES = ("ft-last", "lora-all", "skip-lora", "ft-all")
# (model, strategy, epochs): every lenet5 strategy above for --epochs, and one
# epoch of cct2 lora-2 (--epochs 0 for the lenet5 default)
CCT2 = ("cct2", "lora-2", 1)


def torch_seconds(imported: ImportedModel, strategy: str, values: dict, batches: list) -> float:
    """Seconds PyTorch eager takes for the strategy's fine-tuning on the same batches."""
    import torch
    from torch_reference import SkipLora, unit_modules, with_lora

    from edgeft.passes.select_trainable import select
    from edgeft.training.structure import structure_of

    model = imported.torch_model
    structure = structure_of([n for n, _ in model.named_parameters()])
    if strategy == "skip-lora":
        reference = SkipLora(model, unit_modules(structure), [False] * len(structure.units),
                             values)
        trainable = [n for n, _ in reference.named_parameters() if "lora" in n]
    elif strategy.startswith("lora-"):
        layers = sorted({k.rsplit(".", 1)[0] for k in values if k.endswith(".lora_A")})
        reference = with_lora(model, layers, values, 1.0, "dense")
        trainable = [n for n, _ in reference.named_parameters() if "lora" in n]
        if strategy not in ("lora-all", "lora-last"):  # lora-k trains the head in full
            trainable += select(structure, "lp")
    else:
        import copy

        reference = copy.deepcopy(model)
        trainable = select(structure, strategy)
    params = dict(reference.named_parameters())
    for name, p in params.items():
        p.requires_grad_(name in trainable)
    optimizer = torch.optim.SGD([params[n] for n in trainable], lr=0.1)
    start = time.perf_counter()
    for x, y in batches:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(reference(x), y).backward()
        optimizer.step()
    return time.perf_counter() - start


def main() -> int:
    """Run the host fine-tuning benchmark and write its JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--samples", type=int, default=1024)
    p.add_argument("--threads", type=int, default=None,
                   help="threads of the C and of PyTorch (default: the machine's cores)")
    p.add_argument("--strategies", default=",".join(STRATEGIES))
    p.add_argument("--no-cct2", action="store_true", help="without the cct2 lora-2 epoch")
    p.add_argument("-o", dest="output",
                   default=str(ROOT / "tools/bench/results/host_finetune.json"))
    opts = p.parse_args()
    import torch
    from torch_mlir import ir

    from edgeft.backends.host import HostProgram, check_threads
    from edgeft.driver.compiler import CompileOptions, compile_model, write_build
    from edgeft.driver.run import run
    from edgeft.frontend import data as datasets
    from edgeft.frontend.importer import import_model_full
    from edgeft.ir.graph import globals_of

    threads = check_threads(opts.threads)
    torch.set_num_threads(threads)
    test = datasets.load(datasets.parse_spec("fmnist-rot:75"), "test")
    rng = np.random.default_rng(0)
    order = rng.permutation(len(test))[:opts.samples]
    x_all, y_all = torch.from_numpy(test.images[order]), torch.from_numpy(test.labels[order])

    def batches_for(epochs: int) -> list:
        batches = []
        for _ in range(epochs):
            shuffle = rng.permutation(opts.samples)
            for s in range(opts.samples // 20):
                index = torch.from_numpy(shuffle[s * 20:(s + 1) * 20])
                batches.append((x_all[index], y_all[index]))
        return batches

    cases = [("lenet5", s, opts.epochs) for s in opts.strategies.split(",") if s]
    if not opts.no_cct2:
        cases.append(CCT2)
    imported_models: dict = {}
    results = []
    for model, strategy, epochs in cases:
        if model not in imported_models:
            imported_models[model] = import_model_full(model, batch=20)
        compiled = compile_model(model, CompileOptions(strategy=strategy))
        shapes = {name: tuple(ir.RankedTensorType(ir.TypeAttr(g.attributes["type"]).value).shape)
                  for name, g in globals_of(compiled.module.operation).items()}
        with tempfile.TemporaryDirectory() as build_dir:
            build = Path(build_dir)
            write_build(compiled, build)
            program = HostProgram.build(build)
            program.init()  # the initial values, for PyTorch to start from the same numbers
            values = {k: v.copy().reshape(shapes[k]) for k, v in program.parameters().items()}
            metrics = run(build, "fmnist-rot:75", samples=opts.samples, epochs=epochs,
                          progress=False, threads=threads)
        c_seconds = sum(metrics.epoch_seconds)
        shape = list(imported_models[model].example_x.shape[1:])
        batches = [(torch.from_numpy(datasets.fit_to(x.numpy(), shape)), y)
                   for x, y in batches_for(epochs)]   # cct2: 32x32, as edgeft run feeds it
        t_seconds = torch_seconds(imported_models[model], strategy, values, batches)
        steps = len(metrics.loss_per_step)
        results.append({"model": model, "strategy": strategy, "epochs": epochs, "steps": steps,
                        "c_seconds": c_seconds, "torch_seconds": t_seconds,
                        "speedup": t_seconds / c_seconds,
                        "c_ms_per_step": 1000 * c_seconds / steps,
                        "torch_ms_per_step": 1000 * t_seconds / steps,
                        "accuracy_before": metrics.accuracy_before,
                        "accuracy_after": metrics.accuracy_after})
        print(f"{model:<7} {strategy:<10} C {c_seconds:6.2f} s  PyTorch {t_seconds:6.2f} s  "
              f"PyTorch/C {t_seconds / c_seconds:5.2f}x")
    out = {"benchmark": "host_finetune", "data": "fmnist-rot:75",
           "samples": opts.samples, "epochs": opts.epochs, "batch": 20,
           "threads": threads, "torch_threads": torch.get_num_threads(),
           "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
           "results": results}
    Path(opts.output).parent.mkdir(parents=True, exist_ok=True)
    Path(opts.output).write_text(json.dumps(out, indent=2) + "\n")
    print(f"-> {opts.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
