"""Benchmark: how long `edgeft compile` takes, and where the time goes.

    .venv/bin/python tools/bench/compile_time.py [--model cct2|resnet18|mobilenet_v2|...]
        [--strategy lora-2] [--repeat 3] [--host] [--no-batchnorm]
        [-o tools/bench/results/compile_time.json]
    .venv/bin/python tools/bench/compile_time.py --suite     # the three cases of issue 14

Measures the whole command's wall time in a fresh process (what a user
waits for, Python start-up and imports included; with --host also the host
C build), then the stages in process, through the driver's own functions:
Python imports, import (torch.export, FX import, torch-mlir to linalg,
globals), the training passes, printing train.mlir, the lowering pipeline,
printing lowered.mlir, the C translation, writing the files and the host C
build. Each stage is timed in wall and CPU seconds (the machine is shared:
CPU seconds, the children's (gcc) included, are the steadier figure). Writes JSON; prints a summary.

`resnet18` (CIFAR form: 3x3 stem, no max-pool, 32x32 input) and
`mobilenet_v2` (width 0.35, 96x96 input) are defined here from torch.nn
blocks, BatchNorm2d in eval mode (torchvision does not load on this
machine); --no-batchnorm replaces every BatchNorm by nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[2]
BENCH_FILE = Path(__file__).resolve()
BATCH = 2
# name -> (model spec, strategy, whether the host C build counts), as issue 14 asks.
SUITE = {"resnet18": ("resnet18", "ft-all", False),
         "mobilenet_v2": ("mobilenet_v2", "skip-lora", False),
         "cct2": ("cct2", "lora-2", True)}
_NO_BATCHNORM = os.environ.get("EDGEFT_BENCH_NO_BN") == "1"


def _norm(channels: int) -> nn.Module:
    return nn.Identity() if _NO_BATCHNORM else nn.BatchNorm2d(channels)


class BasicBlock(nn.Module):
    """ResNet's two 3x3 convolutions with a shortcut (a 1x1 convolution when the shape changes)."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        """A block from `cin` to `cout` channels, its first convolution with `stride`."""
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = _norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = _norm(cout)
        self.shortcut = nn.Identity() if stride == 1 and cin == cout else \
            nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), _norm(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))."""
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class ResNet18(nn.Module):
    """ResNet-18 for 32x32 images: 3x3 stem, four stages of two blocks (64..512), pool, fc."""

    def __init__(self, classes: int = 10) -> None:
        """The network with `classes` outputs."""
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 3, 1, 1, bias=False), _norm(64), nn.ReLU())
        blocks, cin = [], 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            blocks += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of a batch of 3x32x32 images."""
        return self.fc(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))


class InvertedResidual(nn.Module):
    """MobileNetV2's block: 1x1 expansion, 3x3 depthwise, 1x1 linear projection."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        """A block from `cin` to `cout` channels expanding by `expand`."""
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False), _norm(hidden), nn.ReLU6()]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
                   _norm(hidden), nn.ReLU6(), nn.Conv2d(hidden, cout, 1, bias=False),
                   _norm(cout)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The block's output, plus x when shapes allow."""
        return x + self.body(x) if self.residual else self.body(x)


def _channels(c: float) -> int:
    """Channels scaled by the width, rounded to a multiple of 8 (at least 8)."""
    return max(8, int(c + 4) // 8 * 8)


class MobileNetV2(nn.Module):
    """MobileNetV2 (Sandler et al. 2018) at width multiplier `width`."""

    def __init__(self, width: float = 0.35, classes: int = 10) -> None:
        """The network at `width` with `classes` outputs."""
        super().__init__()
        cin = _channels(32 * width)
        layers: list[nn.Module] = [nn.Conv2d(3, cin, 3, 2, 1, bias=False), _norm(cin),
                                   nn.ReLU6()]
        for expand, c, repeats, stride in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2),
                                           (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                                           (6, 320, 1, 1)):
            cout = _channels(c * width)
            for i in range(repeats):
                layers.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expand))
                cin = cout
        last = 1280  # the paper keeps the last layer at 1280 for widths below 1
        layers += [nn.Conv2d(cin, last, 1, bias=False), _norm(last), nn.ReLU6()]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(last, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of a batch of 3x96x96 images."""
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def resnet18() -> tuple[nn.Module, torch.Tensor]:
    """Factory (`compile_time.py:resnet18`): ResNet-18, batch 2 of 3x32x32."""
    return ResNet18().eval(), torch.randn(BATCH, 3, 32, 32)


def mobilenet_v2() -> tuple[nn.Module, torch.Tensor]:
    """Factory (`compile_time.py:mobilenet_v2`): MobileNetV2-0.35, batch 2 of 3x96x96."""
    return MobileNetV2().eval(), torch.randn(BATCH, 3, 96, 96)


def model_spec(model: str) -> str:
    """The `edgeft compile` spelling of a model: a factory of this file or a built-in."""
    return f"{BENCH_FILE}:{model}" if model in ("resnet18", "mobilenet_v2") else model


def _env(no_batchnorm: bool) -> dict[str, str]:
    return dict(os.environ, PYTHONWARNINGS="ignore", EDGEFT_BENCH_NO_BN="1" if no_batchnorm
                else "0")


def whole_command(model: str, strategy: str, repeat: int, host: bool,
                  no_batchnorm: bool) -> list[float]:
    """Wall times of `edgeft compile` (and with `host` the host C build) as
    subprocesses, one per repeat, in seconds."""
    times = []
    exe = Path(sys.executable).parent / "edgeft"
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as build:
            start = time.perf_counter()
            subprocess.run([str(exe), "compile", model_spec(model), "--strategy", strategy,
                            "--batch", str(BATCH), "-o", build],
                           check=True, capture_output=True, env=_env(no_batchnorm))
            if host:
                for command in (["cmake", "-S", build, "-B", f"{build}/host",
                                 "-DCMAKE_BUILD_TYPE=Release"],
                                ["cmake", "--build", f"{build}/host", "--parallel", "2"]):
                    subprocess.run(command, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return times


class Stages:
    """Wall and CPU seconds per named stage, in the order they ran."""

    def __init__(self) -> None:
        """No stage yet."""
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def run(self, name: str, work: Callable[[], object]) -> object:
        """Run `work` as stage `name`; returns what it returns."""
        wall, cpu = time.perf_counter(), _cpu_seconds()
        result = work()
        self.wall[name] = time.perf_counter() - wall
        self.cpu[name] = _cpu_seconds() - cpu
        return result


def _cpu_seconds() -> float:
    """User and system seconds of this process and its finished children (gcc, cmake)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def stages(model: str, strategy: str, host: bool) -> Stages:
    """Seconds per stage of one compilation, in process."""
    import warnings

    warnings.simplefilter("ignore")
    out = Stages()

    def imports() -> tuple:
        from edgeft import pipelines
        from edgeft.backends.host import build_host_library
        from edgeft.codegen import cwriter
        from edgeft.driver.compiler import lower
        from edgeft.frontend.importer import import_model_full
        from edgeft.options import CompileOptions
        from edgeft.passes.registry import build_pass_manager
        return (pipelines, build_host_library, cwriter, lower, import_model_full,
                build_pass_manager, CompileOptions)

    (pipelines, build_host_library, cwriter, lower, import_model_full, build_pass_manager,
     CompileOptions) = out.run("python imports", imports)
    imported = out.run("import (torch.export, FX, torch-mlir to linalg, globals)",
                       lambda: import_model_full(model_spec(model), batch=BATCH))
    module = imported.module
    with module.context:
        pm = build_pass_manager(pipelines.training(strategy), module.context)
        out.run("training passes", lambda: pm.run(module.operation))
        out.run("print train.mlir",
                lambda: module.operation.get_asm(enable_debug_info=True, assume_verified=True))
        target = CompileOptions(strategy=strategy).target_description()
        lowered = out.run("lowering pipeline", lambda: lower(module, target))
        out.run("print lowered.mlir",
                lambda: lowered.operation.get_asm(enable_debug_info=True, assume_verified=True))
        sources = out.run("C translation", lambda: cwriter.translate(lowered))
    with tempfile.TemporaryDirectory() as build:
        out.run("write C files", lambda: cwriter.write(sources, Path(build)))
        if host:
            out.run("host C build", lambda: build_host_library(Path(build)))
    return out


def measure(model: str, strategy: str, repeat: int, host: bool,
            no_batchnorm: bool) -> dict:
    """One case: the whole command's wall times and the stages."""
    walls = whole_command(model, strategy, repeat, host, no_batchnorm)
    parts = stages(model, strategy, host)
    command = f"edgeft compile {model} --strategy {strategy} --batch {BATCH}"
    return {"command": command + (" + host C build" if host else ""),
            "batchnorm": not no_batchnorm,
            "wall_seconds": {"runs": walls, "median": statistics.median(walls)},
            "stages_wall_seconds": parts.wall, "stages_cpu_seconds": parts.cpu}


def main() -> int:
    """Run the compile-time benchmark and write its JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="cct2")
    p.add_argument("--strategy", default="lora-2")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--host", action="store_true", help="include the host C build")
    p.add_argument("--no-batchnorm", action="store_true",
                   help="resnet18 and mobilenet_v2 without their BatchNorm layers")
    p.add_argument("--suite", action="store_true",
                   help="resnet18 ft-all, mobilenet_v2 skip-lora, cct2 lora-2 with the host build")
    p.add_argument("-o", dest="output", default=str(ROOT / "tools/bench/results/compile_time.json"))
    opts = p.parse_args()
    # The factories read it when edgeft loads this file, here and in the subprocesses.
    os.environ["EDGEFT_BENCH_NO_BN"] = "1" if opts.no_batchnorm else "0"
    cases = SUITE.values() if opts.suite else [(opts.model, opts.strategy, opts.host)]
    results = [measure(m, s, opts.repeat, h, opts.no_batchnorm) for m, s, h in cases]
    result = {
        "benchmark": "compile_time",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "cases": results,
    }
    Path(opts.output).parent.mkdir(parents=True, exist_ok=True)
    Path(opts.output).write_text(json.dumps(result, indent=2) + "\n")
    for case in results:
        print(f"{case['command']}: median {case['wall_seconds']['median']:.2f} s over "
              f"{len(case['wall_seconds']['runs'])} runs")
        for name, seconds in case["stages_wall_seconds"].items():
            print(f"  {seconds:7.3f} s wall {case['stages_cpu_seconds'][name]:7.3f} s cpu  {name}")
    print(f"-> {opts.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
