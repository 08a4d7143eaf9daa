"""The forward cache end to end: emitted C on the host and on RV32, real data.

Tolerances: the fp32 cache stores exactly the floats the frozen prefix
computed, and the cached step runs the same kernels on them, so the trained
parameters match the uncached run to float32 rounding of a reordered
schedule (1e-5 relative, as the rest of the C tests; measured 0). NF4 codes
are compared bit for bit.
"""

from __future__ import annotations

import ctypes
import json
from pathlib import Path

import numpy as np
import pytest
from test_nf4 import reference as nf4_reference

from edgeft.backends import rv32
from edgeft.backends.base import Step
from edgeft.backends.host import HostProgram
from edgeft.driver.compiler import CompileOptions, compile_model, write_build
from edgeft.driver.run import run
from edgeft.frontend import data as datasets
from edgeft.ir.errors import UserError

from conftest import run_tool

REL_TOL = 1e-5


def _build(path: Path, strategy: str, cache: str, batch: int, samples: int) -> Path:
    options = CompileOptions(strategy=strategy, batch=batch, cache=cache, cache_samples=samples)
    write_build(compile_model("lenet5", options), path)
    return path


def _images(count: int) -> tuple[np.ndarray, np.ndarray]:
    test = datasets.load(datasets.parse_spec("fmnist-rot:45"), "test")
    return test.images[:count], test.labels[:count]


@pytest.mark.parametrize("strategy", ["skip-lora", "lora-last", "ft-last"])
def test_fp32_cache_trains_like_no_cache(tmp_path: Path, strategy: str) -> None:
    batch, samples, epochs = 8, 48, 3
    program = HostProgram.build(_build(tmp_path, strategy, "fp32", batch, samples))
    x, y = _images(samples)
    rng = np.random.default_rng(7)
    orders = [rng.permutation(samples) for _ in range(epochs)]
    program.init()
    plain = [program.train_step(x[o[s:s + batch]], y[o[s:s + batch]])
             for o in orders for s in range(0, samples, batch)]
    expected = {name: value.copy() for name, value in program.parameters().items()}
    program.init()
    cached = []
    for epoch, order in enumerate(orders):
        for s in range(0, samples, batch):
            rows = order[s:s + batch]
            if epoch == 0:
                program.cache_fill(x[rows], rows)
            cached.append(program.train_step_cached(rows, y[rows]))
    np.testing.assert_allclose(cached, plain, rtol=REL_TOL)
    for name, value in program.parameters().items():
        np.testing.assert_allclose(value, expected[name], rtol=0,
                                   atol=REL_TOL * np.abs(expected[name]).max(), err_msg=name)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["cache"]["flops"]["cached_step"] < report["flops"]["forward"]


@pytest.fixture(scope="module")
def skip_lora_builds(tmp_path_factory) -> dict[str, Path]:
    """lenet5 skip-lora, batch 4, 8 cache rows: fp32 and nf4."""
    root = tmp_path_factory.mktemp("cache")
    return {kind: _build(root / kind, "skip-lora", kind, 4, 8) for kind in ("fp32", "nf4")}


def _cache(program: HostProgram, part: int, dtype, count: int) -> np.ndarray:
    """Part `part` of the cache, read from the arena through edgeft_cache_parts."""
    ctype = {np.int8: ctypes.c_int8, np.float32: ctypes.c_float}[dtype]
    address = (ctypes.c_void_p * (part + 1)).in_dll(program.lib, "edgeft_cache_parts")[part]
    size = (ctypes.c_long * (part + 1)).in_dll(program.lib, "edgeft_cache_part_bytes")[part]
    assert size == count * np.dtype(dtype).itemsize
    return np.ctypeslib.as_array((ctype * count).from_address(address)).copy()


def test_nf4_cache_in_c_is_the_reference_quantization(skip_lora_builds) -> None:
    x, _ = _images(4)
    rows = np.array([6, 1, 3, 0])
    fp32, nf4 = (HostProgram.build(skip_lora_builds[k]) for k in ("fp32", "nf4"))
    # The parameter table marks what trains (the adapters), not the cache.
    assert nf4.trainable == {f"skip_lora.{i}.lora_{m}" for i in range(5) for m in "AB"}
    assert not any(name.startswith("forward_cache") for name in nf4.parameters())
    full_report = json.loads((skip_lora_builds["nf4"] / "report.json").read_text())
    report = full_report["cache"]
    # The cache is training state, not parameters: LeNet-5's 61,706 + the adapters.
    assert full_report["total_params"] == 61_706 + full_report["trainable_params"]
    assert not any(p["name"].startswith("forward_cache") for p in full_report["parameters"])
    widths = [s["values_per_sample"] for s in report["segments"]]
    nbytes = sum((w + 1) // 2 for w in widths)
    nblocks = sum(-(-w // 64) for w in widths)
    for program in (fp32, nf4):
        program.init()
        program.cache_fill(x, rows)
    values = _cache(fp32, 0, np.float32, 8 * sum(widths)).reshape(8, -1)
    codes = _cache(nf4, 0, np.int8, 8 * nbytes).reshape(8, -1)
    scales = _cache(nf4, 1, np.float32, 8 * nblocks).reshape(8, -1)
    start = byte = block = 0
    for width in widths:
        expected_codes, expected_scales = nf4_reference(values[rows, start:start + width], 64)
        np.testing.assert_array_equal(codes[rows, byte:byte + (width + 1) // 2], expected_codes)
        np.testing.assert_array_equal(scales[rows, block:block - (-width // 64)],
                                      expected_scales)
        start, byte, block = start + width, byte + (width + 1) // 2, block - (-width // 64)
    assert report["bytes_per_sample"] == nbytes + 4 * nblocks
    # The cache sits at the start of the single arena.
    assert nf4.info.arena_bytes >= report["bytes"]


def test_rv32_cached_steps_equal_the_host(skip_lora_builds) -> None:
    build = skip_lora_builds["nf4"]
    host = HostProgram.build(build)
    host.init()
    x, y = _images(4)
    rows = np.array([5, 2, 7, 0])
    host.cache_fill(x, rows)
    expected = [host.train_step_cached(rows, y) for _ in range(2)]
    steps = [Step(y=y, x=x, idx=rows, fill=True), Step(y=y, idx=rows)]
    result = rv32.run_steps(build, steps)
    np.testing.assert_allclose(result.losses, expected, rtol=REL_TOL)
    for name, value in host.parameters().items():
        np.testing.assert_allclose(result.parameters[name], value, rtol=0,
                                   atol=REL_TOL * np.abs(value).max(), err_msg=name)
    # The fill runs the frozen network; a cached step only the adapters.
    assert result.instructions[1] * 5 < result.instructions[0]


def test_nf4_accuracy_is_that_of_fp32(tmp_path_factory) -> None:
    """lenet5 skip-lora, 1024 samples rotated 75 degrees, 10 epochs: NF4 within
    1 point of fp32, averaged over 5 sample draws (one draw's accuracy on 2,000
    samples alone has a standard error near 1 point)."""
    root = tmp_path_factory.mktemp("accuracy")
    builds = {kind: _build(root / kind, "skip-lora", kind, 20, 1024) for kind in ("fp32", "nf4")}
    accuracy = {kind: [] for kind in builds}
    for seed in range(5):
        for kind, build in builds.items():
            metrics = run(build, "fmnist-rot:75", samples=1024, epochs=10, seed=seed,
                          progress=False)
            accuracy[kind].append(metrics.accuracy_after)
            assert len(metrics.epoch_seconds) == 10 and metrics.cache == kind
    gap = abs(np.mean(accuracy["nf4"]) - np.mean(accuracy["fp32"]))
    assert gap <= 0.01, accuracy
    assert np.mean(accuracy["nf4"]) > 0.5  # it learnt: 8.7 % before
    sizes = {k: json.loads((b / "report.json").read_text())["cache"]["bytes"]
             for k, b in builds.items()}
    assert sizes["nf4"] <= 0.15 * sizes["fp32"]


def test_cache_errors_are_one_line(tmp_path: Path) -> None:
    result = run_tool("edgeft", "compile", "lenet5", "--strategy", "ft-all", "--cache", "nf4",
                      "-o", str(tmp_path / "all"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "edgeft: error: compiling lenet5 with ft-all failed: edgeft-forward-cache: nothing "
        "frozen in front of the trainable part: every layer still runs in the cached step "
        "(layer 'conv1' trains); cache a strategy with a frozen prefix (skip-lora, lp, ft-last, "
        "lora-last, ft-N, lora-N)"]
    result = run_tool("edgeft", "compile", "lenet5", "--strategy", "lp", "--cache", "fp32",
                      "--cache-samples", "10", "-o", str(tmp_path / "small"))
    assert result.returncode == 1
    assert "--cache-samples must be at least the batch (20), got 10" in result.stderr


def test_run_needs_room_in_the_cache(skip_lora_builds) -> None:
    with pytest.raises(UserError, match="holds 8 samples; --samples 12 needs a build with "
                                        "--cache-samples 12"):
        run(skip_lora_builds["fp32"], "fmnist", samples=12, epochs=1, progress=False)
    program = HostProgram.build(skip_lora_builds["fp32"])
    with pytest.raises(UserError, match=r"cache rows must be 4 indices in \[0, 8\)"):
        program.train_step_cached(np.array([0, 1, 2, 8]), np.zeros(4))


def test_cct2_ft1_caches_the_block_output_and_recomputes_its_norm() -> None:
    """The smallest cut: block 0's output only (the next LayerNorm's statistics
    depend on x alone but are cheap, so the cached step recomputes them);
    reference executor, two steps against the uncached step (same IR ops on
    the same floats: equal to the last bit, checked at 1e-6)."""
    from edgeft.backends.executor import Executable

    options = CompileOptions(strategy="ft-1", batch=2, cache="fp32", cache_samples=4)
    compiled = compile_model("cct2", options)
    assert compiled.report["cache"]["segments"] == [
        {"layer": "blocks.0", "values_per_sample": 64 * 128}]
    plain, cached = Executable(compiled.module), Executable(compiled.module)
    x, y = _images(4)
    x = datasets.fit_to(x, [1, 32, 32])
    rows = np.array([3, 1])
    cached.call("cache_fill", x[rows], rows.astype(np.int32))
    for _ in range(2):
        expected = plain.call("train_step", x[rows], y[rows])[0]
        loss = cached.call("train_step_cached", rows.astype(np.int32), y[rows])[0]
        np.testing.assert_allclose(loss, expected, rtol=1e-6)
    for name in ("blocks.1.norm1.weight", "blocks.1.mlp.fc2.weight", "head.weight"):
        np.testing.assert_allclose(cached.get_global(name), plain.get_global(name), rtol=0,
                                   atol=1e-6 * np.abs(plain.get_global(name)).max())


def test_cached_builds_are_deterministic(tmp_path: Path) -> None:
    texts = []
    for name in ("a", "b"):
        build = _build(tmp_path / name, "skip-lora", "nf4", 4, 8)
        texts.append([(build / f).read_text() for f in ("train.mlir", "network.c", "network.h")])
    assert texts[0] == texts[1]
