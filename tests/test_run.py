"""Data specs and `edgeft run` on the host backend."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from edgeft.driver.compiler import CompileOptions, compile_model, write_build
from edgeft.driver.run import run
from edgeft.frontend import data as datasets
from edgeft.ir.errors import UserError

from conftest import run_tool


def _write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def idx_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("idx")
    rng = np.random.default_rng(3)
    for prefix, count in (("train", 40), ("t10k", 60)):
        _write_idx(directory / f"{prefix}-images-idx3-ubyte.gz",
                   rng.integers(0, 256, (count, 28, 28)))
        _write_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, count))
    return directory


def test_idx_files_read_back(idx_dir: Path) -> None:
    split = datasets.load(datasets.parse_spec(f"idx:{idx_dir}"), "test")
    raw = datasets.read_idx(idx_dir / "t10k-images-idx3-ubyte.gz")
    assert split.images.shape == (60, 1, 28, 28) and split.labels.shape == (60,)
    np.testing.assert_allclose(split.images[:, 0], raw / 255.0)


def test_rotation_by_90_degrees_turns_the_image() -> None:
    image = np.zeros((1, 1, 28, 28), np.float32)
    image[0, 0, 2:6, 10:20] = 1.0
    rotated = datasets.rotate(datasets.Split(image, np.zeros(1, np.int64)), 90).images
    np.testing.assert_allclose(rotated[0, 0], np.rot90(image[0, 0]), atol=1e-5)


def test_fashion_mnist_is_there() -> None:
    test = datasets.load(datasets.parse_spec("fmnist-rot:15"), "test")
    assert len(test) == 10_000 and set(np.unique(test.labels)) == set(range(10))
    assert 0.0 <= test.images.min() and test.images.max() <= 1.0


@pytest.mark.parametrize("spec, message", [
    ("cifar10", "unknown data spec 'cifar10' (known: fmnist, fmnist-rot:DEG, mnist, "
                "mnist-rot:DEG, idx:DIR)"),
    ("fmnist-rot:abc", "unknown data spec 'fmnist-rot:abc'"),
    ("idx:/no/such/dir", "IDX directory '/no/such/dir' does not exist"),
])
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(UserError) as error:
        datasets.load(datasets.parse_spec(spec), "test")
    assert str(error.value).startswith(message)


def test_missing_debian_package_says_how_to_install(monkeypatch) -> None:
    monkeypatch.setattr(datasets, "FMNIST_DIR", Path("/no/such/datasets"))
    with pytest.raises(UserError, match="sudo apt-get install dataset-fashion-mnist"):
        datasets.load(datasets.parse_spec("fmnist"), "test")


@pytest.fixture(scope="module")
def lenet5_build(tmp_path_factory) -> Path:
    build = tmp_path_factory.mktemp("lenet5-ft-last")
    write_build(compile_model("lenet5", CompileOptions(strategy="ft-last")), build)
    return build


def test_run_fine_tunes_and_writes_metrics(lenet5_build: Path) -> None:
    metrics = run(lenet5_build, "fmnist-rot:60", samples=200, epochs=2, progress=False)
    saved = json.loads((lenet5_build / "metrics.json").read_text())
    assert saved["samples"] == 200 and saved["epochs"] == 2 and saved["batch"] == 20
    assert len(saved["loss_per_step"]) == 2 * (200 // 20)
    assert len(saved["epoch_seconds"]) == 2
    assert 0.0 <= saved["accuracy_before"] <= 1.0 and 0.0 <= saved["accuracy_after"] <= 1.0
    assert saved["eval_samples"] == 2000
    # The pretrained head adapts to the rotation: loss falls, accuracy rises.
    losses = saved["loss_per_step"]
    assert np.mean(losses[-5:]) < np.mean(losses[:5])
    assert metrics.accuracy_after > metrics.accuracy_before


def test_run_mnist_subset(lenet5_build: Path) -> None:
    metrics = run(lenet5_build, "mnist-rot:10", samples=100, epochs=1, progress=False)
    assert metrics.eval_samples == 2000 and len(metrics.loss_per_step) == 5


def _error(*args: str) -> str:
    result = run_tool("edgeft", *args)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_cli_errors(lenet5_build: Path, tmp_path: Path) -> None:
    assert "is not an edgeft build directory" in _error("run", str(tmp_path), "--data", "fmnist")
    assert "unknown data spec 'svhn'" in _error("run", str(lenet5_build), "--data", "svhn",
                                                 "--no-progress")
    assert "unknown backend 'gpu'" in _error("run", str(lenet5_build), "--data", "fmnist",
                                             "--backend", "gpu", "--no-progress")
