"""Benchmark: the model zoo, every model under every strategy, PyTorch to C.

    .venv/bin/python tools/bench/zoo.py [--models dscnn,bn_mlp] [-o tools/bench/results/zoo.json]
        [--docs docs/models.md] [--no-docs] [--strategies skip-lora] [--update]

For each case of tests/zoo_models.py (model x strategy): whether it
compiles to C and builds for the host, the largest relative difference of
one SGD step of the C program from PyTorch's (autograd + torch.optim.SGD
from the same values and batch; the loss relative to itself, each trained
parameter relative to its largest magnitude), the seconds of the import,
of the training and lowering pipelines with the C emission, and of the
host C build, and the one-line error of a case that fails. Also the
built-in models' inputs, parameters and multiply-accumulates.

Writes JSON and replaces the tables between the markers in docs/models.md.

`--torchvision DIR` adds torchvision's own model definitions (ResNet-18,
MobileNetV2/V3, SqueezeNet, ShuffleNetV2, MNASNet, EfficientNet-B0,
RegNet) at 32 x 32 with 10 classes, from DIR, a directory holding the
`torchvision` package (an unpacked wheel or a site-packages). The
torchvision wheel that PyPI serves for this torch fails to load its C
extension with it (`import torchvision` raises "operator torchvision::nms
does not exist" in its meta registrations), but the model definitions are
pure Python: they are imported under a bare `torchvision` package that
does not run the package's `__init__` (so no extension is loaded). Nothing
installed is patched.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
import types
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

import zoo_models  # noqa: E402 - the zoo lives with the tests
from torch_reference import sgd_steps  # noqa: E402
from training_harness import LR  # noqa: E402

from edgeft.frontend import models  # noqa: E402

EQUAL_REL = 1e-4   # the zoo tests' tolerance (tests/test_training.py says why)
ZOO_MARKERS = ("<!-- zoo-table:begin -->", "<!-- zoo-table:end -->")
BUILTIN_MARKERS = ("<!-- builtin-table:begin -->", "<!-- builtin-table:end -->")
# The input each built-in's public description names (METHODS.md).
NATURAL_CHANNELS = {"resnet8": 3, "mobilenet_v1": 3, "mobilenet_v2": 3, "cct2": 3}


TORCHVISION = ("resnet18", "mobilenet_v2", "mobilenet_v3_small", "squeezenet1_1",
               "shufflenet_v2_x0_5", "mnasnet0_5", "efficientnet_b0", "regnet_x_400mf")


def add_torchvision(directory: Path, names: list[str]) -> list[str]:
    """Add torchvision's models `names` to the zoo as `tv_<name>` (32 x 32, 10 classes),
    importing torchvision.models from `directory` without the package's __init__."""
    package = directory / "torchvision"
    if not (package / "models" / "__init__.py").is_file():
        raise SystemExit(f"{directory} holds no torchvision package")
    bare = types.ModuleType("torchvision")
    bare.__path__ = [str(package)]
    sys.modules["torchvision"] = bare
    from torchvision import models as tv  # only with --torchvision: not a dependency

    added = []
    for name in names:
        factory = getattr(tv, name)
        zoo_models.ZOO[f"tv_{name}"] = zoo_models.ZooModel(
            lambda factory=factory: factory(num_classes=10), (3, 32, 32),
            description=f"torchvision.models.{name}")
        added.append(f"tv_{name}")
    return added


def one_line(e: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"[:400]


def step_difference(case: zoo_models.Case) -> float:
    """The largest relative difference of one SGD step of the C program from PyTorch's."""
    pair = case.pair
    loss = float(pair.executable.call("train_step", case.x.numpy(), case.y.numpy())[0])
    expected_loss = sgd_steps(pair.reference, list(pair.trainable), [(case.x, case.y)], LR,
                              pair.loss)[0]
    worst = abs(loss - expected_loss) / max(abs(expected_loss), 1e-30)
    after = pair.executable.globals()
    reference = dict(pair.reference.named_parameters())
    for ref_name, glob in pair.trainable.items():
        expected = reference[ref_name].detach().numpy()
        scale = max(float(np.abs(expected).max()), 1e-30)
        worst = max(worst, float(np.abs(after[glob] - expected).max()) / scale)
    return worst


def run_case(name: str, strategy: str) -> dict[str, Any]:
    """One zoo case: compiles, the step's difference, the seconds, the error."""
    row: dict[str, Any] = {"model": name, "strategy": strategy, "compiles": False,
                           "equal": None, "max_rel_diff": None, "import_s": None,
                           "compile_s": None, "build_s": None, "error": None}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as build:
        try:
            case = zoo_models.compile_case(name, strategy, Path(build))
        except Exception as e:  # noqa: BLE001 - the table records every failure
            row["error"] = one_line(e)
            row["compile_s"] = round(time.perf_counter() - start, 2)
            return row
        row.update(compiles=True, import_s=round(case.import_seconds, 2),
                   compile_s=round(case.compile_seconds, 2), build_s=round(case.build_seconds, 2))
        try:
            diff = step_difference(case)
        except Exception as e:  # noqa: BLE001
            row["error"] = one_line(e)
            return row
    row["max_rel_diff"] = float(f"{diff:.3g}")
    row["equal"] = bool(diff <= EQUAL_REL)
    return row


def builtin_rows() -> list[dict[str, Any]]:
    """Input shape, parameters, buffers and MACs per sample of every built-in model."""
    rows = []
    for name, spec in models.BUILTIN.items():
        channels = NATURAL_CHANNELS.get(name, 1)
        model = models.build(name, channels, pretrained=False)
        shape = spec.sample_shape(channels)
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            out = model(torch.zeros(1, *shape))
        rows.append({"model": name, "input": list(shape), "outputs": out.shape[1],
                     "parameters": sum(p.numel() for p in model.parameters()),
                     "buffers": sum(b.numel() for b in model.buffers() if b.is_floating_point()),
                     "macs": counter.get_total_flops() // 2, "loss": spec.loss})
    return rows


def zoo_table(rows: list[dict[str, Any]]) -> str:
    """The markdown table of the zoo runs."""
    lines = ["| model | strategy | compiles | equal (max rel. diff) | import s | compile s "
             "| C build s | error |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        verdict = "yes" if r["equal"] else "NO"
        equal = "" if r["equal"] is None else f"{verdict} ({r['max_rel_diff']:.1e})"
        cells = [r["model"], r["strategy"], "yes" if r["compiles"] else "no", equal,
                 _seconds(r["import_s"]), _seconds(r["compile_s"]), _seconds(r["build_s"]),
                 (r["error"] or "").replace("|", "\\|")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def builtin_table(rows: list[dict[str, Any]]) -> str:
    """The markdown table of the built-in models."""
    lines = ["| model | input | outputs | parameters | BN running stats | MACs / sample "
             "| default loss |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        shape = "x".join(str(d) for d in r["input"])
        lines.append(f"| `{r['model']}` | {shape} | {r['outputs']} | {r['parameters']:,} "
                     f"| {r['buffers']:,} | {r['macs']:,} | {r['loss']} |")
    return "\n".join(lines)


def replace_between(text: str, markers: tuple[str, str], table: str) -> str:
    """`text` with what lies between the two marker lines replaced by `table`."""
    begin, end = markers
    if begin not in text or end not in text:
        raise SystemExit(f"docs page lacks the markers {begin} ... {end}")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{table}\n{end}{tail}"


def main() -> None:
    """Run the zoo, write the JSON and the docs tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", help="comma-separated zoo models (default: all)")
    parser.add_argument("-o", "--output", type=Path,
                        default=ROOT / "tools" / "bench" / "results" / "zoo.json")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "models.md")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/models.md alone")
    parser.add_argument("--torchvision", type=Path, metavar="DIR",
                        help="also run torchvision's models, from DIR/torchvision")
    parser.add_argument("--torchvision-models", default=",".join(TORCHVISION))
    parser.add_argument("--strategies", help="comma-separated strategies (default: each "
                        "model's own)")
    parser.add_argument("--update", action="store_true",
                        help="replace only the cases run now in the existing JSON and tables")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    wanted = set(args.models.split(",")) if args.models else set(zoo_models.ZOO)
    if args.torchvision is not None:
        wanted |= set(add_torchvision(args.torchvision, args.torchvision_models.split(",")))
    unknown = wanted - set(zoo_models.ZOO)
    if unknown:
        raise SystemExit(f"unknown zoo models: {', '.join(sorted(unknown))}")
    rows = []
    cases = [(n, s) for n, model in zoo_models.ZOO.items() for s in model.strategies]
    strategies = set(args.strategies.split(",")) if args.strategies else None
    for name, strategy in cases:
        if name not in wanted or (strategies is not None and strategy not in strategies):
            continue
        rows.append(run_case(name, strategy))
        r = rows[-1]
        print(f"{name:14} {strategy:10} compiles={r['compiles']!s:5} equal={r['equal']!s:5} "
              f"{r['error'] or ''}", flush=True)
    if args.update and args.output.is_file():
        ran = {(r["model"], r["strategy"]) for r in rows}
        earlier = json.loads(args.output.read_text())["cases"]
        fresh = {(r["model"], r["strategy"]): r for r in rows}
        rows = [fresh.get((r["model"], r["strategy"]), r) for r in earlier]
        rows += [r for key, r in fresh.items() if key not in {(e["model"], e["strategy"])
                                                              for e in earlier}]
        print(f"updated {len(ran)} cases of {args.output}")
    builtins = builtin_rows()
    result = {"machine": {"platform": platform.platform(), "python": platform.python_version(),
                          "torch": torch.__version__},
              "batch": zoo_models.BATCH, "equal_rel_tol": EQUAL_REL,
              "summary": {"cases": len(rows), "compile": sum(r["compiles"] for r in rows),
                          "equal": sum(bool(r["equal"]) for r in rows)},
              "cases": rows, "builtins": builtins}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{result['summary']['equal']} of {len(rows)} cases equal PyTorch; "
          f"{result['summary']['compile']} compile; wrote {args.output}")
    if not args.no_docs:
        text = args.docs.read_text()
        text = replace_between(text, ZOO_MARKERS, zoo_table(rows))
        text = replace_between(text, BUILTIN_MARKERS, builtin_table(builtins))
        args.docs.write_text(text)


if __name__ == "__main__":
    main()
