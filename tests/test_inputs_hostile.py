"""Hostile inputs to the edgeft command: each is one line `edgeft: error: ...`,
exit 1, no traceback (factories, IDX data, program.json, report.json,
pretrain's output, labels the model has no class for)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edgeft.backends.base import Step, check_refused_labels
from edgeft.backends.host import HostProgram
from edgeft.backends.rv32 import Rv32Program
from edgeft.codegen.builddir import write_manifest
from edgeft.driver.cli import main
from edgeft.frontend import models
from edgeft.ir.errors import UserError


def _error(argv: list[str], capsys: pytest.CaptureFixture) -> str:
    """The one line edgeft printed for argv, which must fail with exit 1."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("edgeft: error: ")
    return lines[0]


# --- factories ----------------------------------------------------------------------

FACTORIES = '''
import os
import sys
import ctypes
import torch
from torch import nn


class Pair(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x), x


def bare():
    return nn.Linear(4, 3)


def pair():
    return Pair(), torch.randn(2, 4)


def scalar():
    return nn.Linear(4, 3), torch.tensor(1.0)


def exits():
    sys.exit(3)


def raises():
    raise ValueError("no checkpoint")


def chatty():
    print("chatty: python print")
    os.write(1, b"chatty: file descriptor 1\\n")
    ctypes.CDLL(None).printf(b"chatty: C printf\\n")
    return nn.Linear(4, 3), torch.randn(2, 4)
'''


@pytest.fixture(scope="module")
def factories(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("factories") / "hostile.py"
    path.write_text(FACTORIES)
    return path


@pytest.mark.parametrize("factory, message", [
    ("bare", "factory 'bare' in '{path}' returned a Linear (nn.Module) alone; it must return "
             "(nn.Module, example input tensor) or"),
    ("pair", "the model's forward returned a tuple of 2 (Tensor, Tensor); edgeft trains a model "
             "whose forward returns one tensor"),
    ("scalar", "factory 'scalar' in '{path}' returned a 0-d example input (a scalar)"),
    ("exits", "factory 'exits' in '{path}' raised SystemExit (sys.exit(3)) at hostile.py:"),
    ("raises", "factory 'raises' in '{path}' raised ValueError: no checkpoint at hostile.py:"),
])
def test_factory_results(factories: Path, factory: str, message: str,
                         capsys: pytest.CaptureFixture) -> None:
    line = _error(["import", f"{factories}:{factory}"], capsys)
    assert message.format(path=factories) in line


def test_a_factory_file_that_exits_on_import(tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "quits.py"
    path.write_text("import sys\nsys.exit(3)\n")
    line = _error(["import", f"{path}:make"], capsys)
    assert f"loading '{path}' failed: SystemExit (sys.exit(3)) at quits.py:2" in line


def test_factory_output_goes_to_stderr(factories: Path, capfd: pytest.CaptureFixture) -> None:
    assert main(["import", f"{factories}:chatty"]) == 0
    out, err = capfd.readouterr()
    assert "chatty" not in out
    assert out.startswith("#loc") and "ml_program.global" in out
    for what in ("python print", "file descriptor 1", "C printf"):
        assert f"chatty: {what}" in err


# --- IDX data -------------------------------------------------------------------------

SAMPLES = 8


def _idx(array: np.ndarray, code: int = 0x08) -> bytes:
    dtype = {0x08: np.uint8, 0x09: np.int8, 0x0D: ">f4"}[code]
    header = bytes([0, 0, code, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype).tobytes()


def _dataset(directory: Path, images: bytes | None = None, labels: bytes | None = None,
             gz: bool = False) -> Path:
    """The four IDX files of a tiny data set (both splits alike), images or labels replaced."""
    rng = np.random.default_rng(0)
    images = images or _idx(rng.integers(0, 256, (SAMPLES, 28, 28)))
    labels = labels or _idx(np.arange(SAMPLES) % 10)
    directory.mkdir()
    for prefix in ("train", "t10k"):
        for name, data in ((f"{prefix}-images-idx3-ubyte", images),
                           (f"{prefix}-labels-idx1-ubyte", labels)):
            if gz:
                (directory / f"{name}.gz").write_bytes(gzip.compress(data, mtime=0)[:-12])
            else:
                (directory / name).write_bytes(data)
    return directory


def _labels(values: list[int]) -> bytes:
    return _idx(np.array(values), 0x09 if min(values) < 0 else 0x08)


def _nan_images() -> bytes:
    images = np.zeros((SAMPLES, 28, 28), np.float32)
    images[3, 5, 7] = np.nan
    return _idx(images, 0x0D)


IDX_CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "dims-255": (lambda d: _dataset(d, images=bytes([0, 0, 8, 255]) + bytes(40)),
                 "train-images-idx3-ubyte' is truncated: its header names 255 dimensions, "
                 "which take 1024 bytes, and the file has 44"),
    "14x14": (lambda d: _dataset(d, images=_idx(np.zeros((SAMPLES, 14, 14)))),
              "images of 14x14 do not fit the model's input 1x28x28"),
    "truncated-gz": (lambda d: _dataset(d, gz=True),
                     "train-images-idx3-ubyte.gz': truncated or corrupt gzip data"),
    "2-d-labels": (lambda d: _dataset(d, labels=_idx(np.zeros((SAMPLES, 2)))),
                   "train-labels-idx1-ubyte' holds an array of shape [8, 2]; a labels file "
                   "holds one class index per image"),
    "label-200": (lambda d: _dataset(d, labels=_labels([1, 2, 200, 3, 4, 5, 6, 7])),
                  "train-labels-idx1-ubyte': label 200 of sample 2 is not a class of the "
                  "model (0..9)"),
    "label-minus-3": (lambda d: _dataset(d, labels=_labels([1, 2, 3, -3, 4, 5, 6, 7])),
                      "train-labels-idx1-ubyte': label -3 of image 3 is negative"),
    "nan-pixel": (lambda d: _dataset(d, images=_nan_images()),
                  "train-images-idx3-ubyte': image 3 has a NaN or infinite pixel"),
}


@pytest.mark.parametrize("case", IDX_CASES)
def test_idx_data(case: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    make, message = IDX_CASES[case]
    directory = make(tmp_path / "data")
    line = _error(["pretrain", "mlp", "--data", f"idx:{directory}", "--epochs", "0",
                   "-o", str(tmp_path / "w.npz")], capsys)
    assert message in line
    assert str(directory) in line or "model's input" in line
    assert not (tmp_path / "w.npz").exists()


# --- labels where the data meets the build, and the C step's refusal ------------------------


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mlp") / "build"
    assert main(["compile", "mlp", "--strategy", "ft-last", "--batch", "2", "-o", str(out)]) == 0
    return out


def test_run_checks_labels_against_the_build(build: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    directory = _dataset(tmp_path / "data", labels=_labels([1, 2, 3, 4, 5, 10, 6, 7]))
    line = _error(["run", str(build), "--data", f"idx:{directory}", "--samples", "4",
                   "--no-progress"], capsys)
    assert line == (f"edgeft: error: '{directory}/t10k-labels-idx1-ubyte': label 10 of sample 5 "
                    "is not a class of the model (0..9)")


@pytest.mark.parametrize("label", [200, -3])
@pytest.mark.parametrize("backend", [HostProgram, Rv32Program])
def test_the_step_refuses_a_label_without_ending_the_process(build: Path, backend: type,
                                                             label: int) -> None:
    program = backend.build(build)
    program.init()
    x = np.zeros((2, 1, 28, 28), np.float32)
    before = {n: v.copy() for n, v in program.parameters().items()}
    with pytest.raises(UserError) as refused:
        program.train([[Step(x=x, y=np.array([1, 2])), Step(x=x, y=np.array([3, label]))]])
    assert str(refused.value) == (f"training step 2: label {label} of sample 1 is not a class "
                                  "of the model (0..9); the step did not run")
    program.init()
    assert program.parameters().keys() == before.keys()
    assert np.isfinite(program.train([[Step(x=x, y=np.array([3, 9]))]]).losses[0])


def test_a_refused_label_on_gvsoc_names_the_step() -> None:
    steps = [Step(x=None, y=np.array([1, 2])), Step(x=None, y=np.array([4, -3]))]
    output = "EDGEFT init 10\nEDGEFT step 0 3f800000 99\nEDGEFT label 2 1\nEDGEFT end 4\n"
    check_refused_labels(output.replace("label 2 1", "drains 0"), steps, 1, 10)  # no refusal
    with pytest.raises(UserError, match=r"^training step 2: label -3 of sample 1 is not a "):
        check_refused_labels(output, steps, 1, 10)   # record 0 is the parameter load


# --- program.json and report.json ----------------------------------------------------

PROGRAM = {"batch": 2, "sample_shape": [1, 28, 28], "classes": 10,
           "labels_are_indices": True, "arena_bytes": 1024}


def _changed(base: dict[str, Any], path: str, value: Any) -> str:
    """JSON of `base` with the field at dotted `path` set to `value` (None: removed)."""
    data = json.loads(json.dumps(base))
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is None:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return json.dumps(data)


PROGRAM_CASES: dict[str, tuple[str | bytes, str]] = {
    "garbage": ("{batch: 2", "is not valid JSON"),
    "empty": ("", "is not valid JSON"),
    "array": ("[1, 2]", "the document must be an object, not an array"),
    "missing-key": (_changed(PROGRAM, "classes", None), "field 'classes' is missing"),
    "extra-key": (_changed(PROGRAM, "colour", "red"),
                  "field 'colour' is not one edgeft writes (known: batch, sample_shape"),
    "wrong-type": (_changed(PROGRAM, "batch", "2"),
                   "field 'batch' must be an integer, not a string"),
    "bool-for-int": (_changed(PROGRAM, "classes", True),
                     "field 'classes' must be an integer, not true"),
    "wrong-item": (_changed(PROGRAM, "sample_shape.1", 2.5),
                   "field 'sample_shape[1]' must be an integer, not a number"),
    "bad-cache": (_changed(PROGRAM, "cache", {"samples": 4}),
                  "field 'cache.quant' is missing"),
    "zero-batch": (_changed(PROGRAM, "batch", 0), "field 'batch' is 0, which no build has"),
    "non-utf8": (b'{"batch": "\xff"}', "is not UTF-8 text"),
}


REPORT = {
    "model": "tiny", "strategy": "ft-last", "options": {"batch": 2},
    "trainable_params": 10, "total_params": 100,
    "flops": {"forward": 1.0, "backward": 2.0, "optimizer": 3.0},
    "target": {"name": "siracusa", "frequency_mhz": 100.0},
    "cycles": {"estimate": 1000}, "latency_ms": {"estimate": 0.01},
    "updates_per_second": 1e5, "flops_per_cycle": 0.5,
    "layers": [{"layer": "fc", "forward": 1, "backward": 2, "update": 3, "bytes": 4,
                "engines": {"cores": 6}}],
}

REPORT_CASES: dict[str, tuple[str | bytes, str]] = {
    "missing-field": (_changed(REPORT, "flops.backward", None),
                      "field 'flops.backward' is missing"),
    "wrong-type": (_changed(REPORT, "options.batch", "2"),
                   "field 'options.batch' must be an integer, not a string"),
    "layer-field": (_changed(REPORT, "layers.0.engines", [6]),
                    "field 'layers[0].engines' must be an object, not an array"),
    "estimate-alone": (_changed(REPORT, "latency_ms", None),
                       "field 'latency_ms' is missing (the build has a cycle estimate)"),
    "null": (json.dumps({**REPORT, "model": None}), "field 'model' must be a string, not null"),
    "non-utf8": (b"\xfe\xff", "is not UTF-8 text"),
}


# Each file with the command that reads it and what that command must end with.
TAMPERED = {"program.json": (["run", "{build}", "--data", "idx:nowhere"],
                             "compile the build again (edgeft compile ... -o {build})"),
            "report.json": (["report", "{build}"],
                            "run edgeft compile MODEL --strategy S ... -o {build} first")}


@pytest.mark.parametrize("name, case", [("program.json", c) for c in PROGRAM_CASES]
                         + [("report.json", c) for c in REPORT_CASES])
def test_tampered_build_files(name: str, case: str, tmp_path: Path,
                              capsys: pytest.CaptureFixture) -> None:
    text, message = (PROGRAM_CASES if name == "program.json" else REPORT_CASES)[case]
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    # a manifest that lists the file as it is now: the schema, not the hash, refuses it
    write_manifest(tmp_path, {"model": "tiny"})
    argv, ending = TAMPERED[name]
    line = _error([a.format(build=tmp_path) for a in argv], capsys)
    assert f"'{path}'" in line and message in line
    assert line.endswith(ending.format(build=tmp_path))


def test_the_untampered_report_prints(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "report.json").write_text(json.dumps(REPORT))
    write_manifest(tmp_path, {"model": "tiny"})
    assert main(["report", str(tmp_path)]) == 0
    assert "fc" in capsys.readouterr().out


# --- pretrain's output ------------------------------------------------------------------


def test_pretrain_writes_to_the_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("EDGEFT_CACHE_DIR", str(tmp_path / "cache"))
    directory = _dataset(tmp_path / "data")
    packaged = models.weights_path("mlp", "idx")
    assert main(["pretrain", "mlp", "--data", f"idx:{directory}", "--epochs", "0"]) == 0
    written = tmp_path / "cache" / "weights" / "mlp-idx.npz"
    assert f"-> {written} (edgeft import keeps the packaged weights" in capsys.readouterr().err
    with np.load(written) as weights:
        assert "fc1.weight" in weights.files
    assert not packaged.exists()


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "-1"], "--epochs must be at least 0, got -1"),
    (["-o", "{tmp}/data/t10k-images-idx3-ubyte/w.npz"],
     "'{tmp}/data/t10k-images-idx3-ubyte' is a file, not a directory"),
    (["-o", "/proc/edgeft-weights.npz"], "cannot write the weights to '/proc/edgeft-weights.npz'"),
    (["-o", "{tmp}"], "cannot write the weights to '{tmp}': it is a directory"),
])
def test_pretrain_refuses(argv: list[str], message: str, tmp_path: Path,
                          capsys: pytest.CaptureFixture) -> None:
    directory = _dataset(tmp_path / "data")
    args = [a.format(tmp=tmp_path) for a in argv]
    line = _error(["pretrain", "mlp", "--data", f"idx:{directory}", "--epochs", "0", *args],
                  capsys)
    assert message.format(tmp=tmp_path) in line
