"""The gvsoc backend: the emitted C on GVSoC's Siracusa against the host.

Tolerance 1e-5 relative: both builds run the same C in float32 with
contraction off (-ffp-contract=off, so no fused multiply-add on either
side), but the cluster's expf/logf/erff are runtime/pulp/libm.c's and the
host's glibc's; both are within an ulp or two of the exact value, and two
steps carry those differences into the parameters as a few 1e-7.

These tests need GVSoC (`EDGEFT_GVSOC`, or ../shared/gvsoc beside the
repository) and skip with that reason where it is absent; CI sets
EDGEFT_REQUIRE_GVSOC=1, which turns the skip into a failure.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edgeft.backends import gvsoc as gvsoc_backend
from edgeft.backends.base import Step
from edgeft.backends.host import HostProgram
from edgeft.driver.compiler import CompileOptions, compile_model, write_build
from edgeft.driver.run import run

REL_TOL = 1e-5
ROOT = Path(__file__).resolve().parents[1]
SHARED_GVSOC = ROOT.parent / "shared" / "gvsoc" / "install" / "bin" / "gvsoc"


@pytest.fixture(scope="module")
def gvsoc(request: pytest.FixtureRequest) -> Path:
    """The gvsoc launcher, or a skip (a failure under EDGEFT_REQUIRE_GVSOC=1)."""
    named = os.environ.get(gvsoc_backend.GVSOC_ENV)
    path = Path(named) if named else SHARED_GVSOC
    if not path.is_file():
        reason = (f"GVSoC is not installed (set {gvsoc_backend.GVSOC_ENV} to its bin/gvsoc, or "
                  f"put ../shared/gvsoc beside the repository)")
        if os.environ.get("EDGEFT_REQUIRE_GVSOC") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


CASES = {
    "lenet5-ft-last": ("lenet5", CompileOptions(strategy="ft-last", batch=4)),
    "lenet5-lora-all": ("lenet5", CompileOptions(strategy="lora-all", batch=4)),
    # the plan puts the forward cache in L3: the cached step copies its rows out by DMA
    "lenet5-skip-lora-nf4": ("lenet5", CompileOptions(strategy="skip-lora", batch=4,
                                                      cache="nf4", cache_samples=8)),
    # L2 capped so that the plan puts buffers in L3 (the HyperRAM)
    "cct2-lora-2": ("cct2", CompileOptions(strategy="lora-2", batch=1, l2=460_000)),
}


def _steps(info: object, rng: np.random.Generator, count: int) -> list[Step]:
    batch, shape, classes = info.batch, info.sample_shape, info.classes
    # cached builds fill scattered rows and train on them, then train on them again
    rows = rng.permutation(info.cache["samples"])[:batch].astype(np.int32) if info.cache \
        else None
    steps = []
    for i in range(count):
        x = rng.random((batch, *shape), dtype=np.float32)
        y = rng.integers(0, classes, batch).astype(np.int32)
        if rows is not None:
            steps.append(Step(x=x if i == 0 else None, y=y, idx=rows, fill=i == 0))
        else:
            steps.append(Step(x=x, y=y))
    return steps


@pytest.mark.parametrize("case", sorted(CASES))
def test_steps_equal_the_host(tmp_path: Path, gvsoc: Path, case: str) -> None:
    model, options = CASES[case]
    options = dataclasses.replace(options, target="siracusa", estimate=False)
    write_build(compile_model(model, options), tmp_path)
    program = gvsoc_backend.GvsocProgram.build(tmp_path, gvsoc=str(gvsoc))
    host = HostProgram.build(tmp_path, ["-ffp-contract=off"])
    host.init()
    # cct2's step is 150 M cluster cycles, minutes of simulation: one step
    count = 1 if model == "cct2" else 2
    steps = _steps(program.info, np.random.default_rng(3), count)
    trained = program.train([steps])
    expected = host.train([steps])
    np.testing.assert_allclose(trained.losses, expected.losses, rtol=REL_TOL)
    on_device = program.parameters()
    for name, value in host.parameters().items():
        np.testing.assert_allclose(on_device[name], value.ravel(), rtol=0,
                                   atol=REL_TOL * np.abs(value).max(), err_msg=name)
    assert len(trained.cycles) == count and min(trained.cycles) > 100_000
    if model == "cct2":
        assert program.info.memory["L3"] > 0


def test_run_on_gvsoc_runs_the_first_steps(tmp_path: Path, gvsoc: Path) -> None:
    options = CompileOptions(strategy="ft-last", batch=4, target="siracusa", kernel_cycles="qemu")
    write_build(compile_model("lenet5", options), tmp_path)
    metrics = run(tmp_path, "fmnist-rot:30", samples=16, epochs=2, backend="gvsoc",
                  progress=False, steps=3, gvsoc=str(gvsoc))
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["backend"] == "gvsoc" and saved["steps_planned"] == 8
    assert len(saved["loss_per_step"]) == 3 and len(saved["cycles_per_step"]) == 3
    assert saved["accuracy_on"] == "host" and 0 <= metrics.accuracy_after <= 1
    # the step's cycles measured on GVSoC, in report.json and in edgeft report
    report = json.loads((tmp_path / "report.json").read_text())
    measured = report["cycles"]["measured"]
    assert measured["steps"] == 3 and measured["cycles_per_step"] == np.mean(saved["cycles_per_step"])
    assert "GVSoC" in measured["source"]
    # each forked kernel by its C name, its cycles summing to the profile's kernels
    assert saved["kernel_cycles"] and all(k["kernel"].startswith("p")
                                          for k in saved["kernel_cycles"])
    assert sum(k["cycles_per_step"] for k in saved["kernel_cycles"]) == pytest.approx(
        measured["by_kind"]["kernels"], abs=1)
    # where the step's cycles went, core 0's own code the rest
    kinds = measured["by_kind"]
    assert set(kinds) == {*gvsoc_backend.PROFILE_KINDS, "core0"}
    assert kinds["kernels"] > 0 and kinds["core0"] > 0
    assert abs(sum(kinds.values()) - measured["cycles_per_step"]) <= len(kinds)
    assert measured["redmule_jobs"] > 0   # run on the cores: compared as the model has them
    assert measured["redmule_modelled"]["cycles_per_step"] == pytest.approx(
        measured["cycles_per_step"] - kinds["redmule"] + report["cycles"]["busy"]["redmule"],
        abs=1)
    shown = subprocess.run([str(Path(sys.executable).parent / "edgeft"), "report", str(tmp_path)],
                           capture_output=True, text=True, check=True, timeout=300).stdout
    assert f"measured {measured['cycles_per_step']:,.0f} cycles/step over 3 steps" in shown
    compared = measured["redmule_modelled"]["cycles_per_step"]
    assert f"estimate / measured {report['cycles']['estimate'] / compared:.2f}" in shown


def test_missing_gvsoc_says_how_to_get_it(tmp_path: Path) -> None:
    options = CompileOptions(strategy="ft-last", batch=4, target="siracusa", estimate=False)
    write_build(compile_model("lenet5", options), tmp_path)
    env = {k: v for k, v in os.environ.items() if k != gvsoc_backend.GVSOC_ENV}
    env["PATH"] = str(Path(sys.executable).parent)   # no gvsoc on it
    result = subprocess.run([str(Path(sys.executable).parent / "edgeft"), "run", str(tmp_path),
                             "--data", "fmnist-rot:30", "--samples", "16", "--backend", "gvsoc",
                             "--steps", "1"], capture_output=True, text=True, env=env,
                            check=False, timeout=300)
    assert result.returncode == 1
    message = result.stderr.strip().splitlines()
    assert len(message) == 1 and "GVSoC is not installed" in message[0]
    assert "--gvsoc PATH" in message[0]


def test_parse_output_refuses_a_cut_run() -> None:
    text = "EDGEFT step 0 3f800000 1234\nEDGEFT param 1 2 w\nEDGEFT data 0000803f\n"
    with pytest.raises(Exception, match="1 of 2 values"):
        gvsoc_backend.parse_output(text + "EDGEFT end 0\n", (1, 1))
    with pytest.raises(Exception, match="no end line"):
        gvsoc_backend.parse_output(text + "EDGEFT data 00000040\n", (1, 1))


def test_parse_output_reads_each_steps_profile() -> None:
    profile = ("EDGEFT profile kernels 700 3 redmule 200 1 dma_start 30 2 dma_wait 20 2 "
               "staged 0 0 copies 0 0\n")
    text = "EDGEFT step 0 3f800000 1000\n" + profile + "EDGEFT end 0\n"
    result = gvsoc_backend.parse_output(text, (1, 1))
    assert result.cycles == [1000] and result.profiles[0]["kernels"] == (700, 3)
    assert result.profiles[0]["redmule"] == (200, 1)
    with pytest.raises(Exception, match="profile line is malformed"):
        gvsoc_backend.parse_output(text.replace(" copies 0 0", ""), (1, 1))
    with pytest.raises(Exception, match="0 profiles for 1 steps"):
        gvsoc_backend.parse_output(text.replace(profile, ""), (1, 1))


def test_estimate_measures_kernels_on_gvsoc(tmp_path: Path, gvsoc: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGEFT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(gvsoc_backend.GVSOC_ENV, str(gvsoc))
    options = CompileOptions(strategy="ft-last", batch=4, target="siracusa",
                             kernel_cycles="gvsoc")
    first = compile_model("lenet5", options)
    write_build(first, tmp_path / "a")
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert report["estimate"]["kernel_cycles"] == "gvsoc"
    assert "measured on GVSoC" in report["estimate"]["sources"]["cores"]
    cores = [k for k in report["kernels"] if k["engine"] == "cores"]
    assert cores and all(k["source"] == "gvsoc" and k["cycles"] > 0 for k in cores)
    assert first.kernels_measured_now == report["estimate"]["kernels"] > 0
    # the second compile reads every kernel from the cache, to the same estimate
    again = compile_model("lenet5", options)
    write_build(again, tmp_path / "b")
    assert again.kernels_measured_now == 0
    assert json.loads((tmp_path / "b" / "report.json").read_text())["cycles"] == report["cycles"]
    # the QEMU route of the same program says where its figures come from
    qemu = dataclasses.replace(options, kernel_cycles="qemu")
    write_build(compile_model("lenet5", qemu), tmp_path / "q")
    other = json.loads((tmp_path / "q" / "report.json").read_text())
    assert other["estimate"]["kernel_cycles"] == "qemu"
    assert {k["source"] for k in other["kernels"] if k["engine"] == "cores"} == {"qemu"}


def test_parse_output_reads_the_kernels_cycles() -> None:
    text = ("EDGEFT step 0 3f800000 1000\nEDGEFT profile kernels 700 3 redmule 0 0 dma_start 0 0 "
            "dma_wait 0 0 staged 0 0 copies 0 0\nEDGEFT kernel 469827700 500 2\n"
            "EDGEFT kernel 469827900 200 1\nEDGEFT end 0\n")
    result = gvsoc_backend.parse_output(text, (1, 1))
    assert result.kernels == {469827700: (500, 2), 469827900: (200, 1)}
