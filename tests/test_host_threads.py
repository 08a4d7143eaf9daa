"""The host runtime's fork on threads: the same bits for any thread count, the
flat program's slices against the tiled program, no data race (ThreadSanitizer),
and the errors of --threads."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from c_checks import same_two_steps
from torch_mlir import ir

from edgeft.backends.host import HostProgram
from edgeft.driver.compiler import CompileOptions, compile_model, write_build
from edgeft.driver.run import run
from edgeft.ir import queries
from edgeft.ir.context import make_context
from edgeft.ir.errors import UserError

from conftest import run_tool

ROOT = Path(__file__).resolve().parents[1]
HARNESS = Path(__file__).parent / "c" / "one_step.c"


@pytest.fixture(scope="module")
def lenet5(tmp_path_factory) -> Path:
    """lenet5 ft-all for the host (batch 20: slices of 5, 6, 7 and 8)."""
    build = tmp_path_factory.mktemp("lenet5-ft-all")
    write_build(compile_model("lenet5", CompileOptions(strategy="ft-all")), build)
    return build


def _steps(program: HostProgram, threads: int, seed: int = 4) -> tuple[list[float], dict,
                                                                         np.ndarray]:
    """Three steps from the initial parameters on `threads` threads: losses,
    parameters and the logits of a prediction afterwards."""
    program.set_threads(threads)
    program.init()
    rng = np.random.default_rng(seed)
    shape = (program.info.batch, *program.info.sample_shape)
    losses = []
    for _ in range(3):
        x, y = rng.random(shape).astype(np.float32), rng.integers(0, 10, program.info.batch)
        losses.append(program.train_step(x, y))
    parameters = {name: value.copy() for name, value in program.parameters().items()}
    return losses, parameters, program.predict(rng.random(shape).astype(np.float32))


def test_every_thread_count_gives_the_same_bits(lenet5: Path) -> None:
    """Slices split only parallel loops and each runs whole on one thread, so
    1, 2 and 3 threads (3 does not divide the 8, 7, 6 or 5 slices of a kernel)
    give bit-identical losses, parameters and logits."""
    program = HostProgram.build(lenet5, threads=1)
    losses, parameters, logits = _steps(program, 1)
    for threads in (2, 3, 1):
        other_losses, other_parameters, other_logits = _steps(program, threads)
        assert other_losses == losses, threads
        for name, value in parameters.items():
            np.testing.assert_array_equal(other_parameters[name], value, err_msg=name)
        np.testing.assert_array_equal(other_logits, logits)


def test_kernels_are_split_and_barriers_end_their_regions(lenet5: Path) -> None:
    """The host program forks its kernels, and every pulp.barrier is the last
    statement of its region: the runtime's join stands for it (a barrier
    between slices would wait forever with fewer threads than slices)."""
    with make_context() as context:
        module = ir.Module.parse((lenet5 / "lowered.mlir").read_text(), context)
        regions = queries.nested(module.operation, "pulp.parallel")
        assert len(regions) > 50
        for region in regions:
            ops = [op.operation.name for op in region.regions[0].blocks[0].operations]
            assert ops[-2:] == ["pulp.barrier", "pulp.yield"]
            assert "pulp.barrier" not in ops[:-2]
    assert "edgeft_rt_fork(8, " in (lenet5 / "network.c").read_text()


def test_threaded_flat_program_equals_the_tiled_one(lenet5: Path, tmp_path: Path) -> None:
    """The flat host program on 2 threads against the Siracusa program (tiled,
    DMA and fork models, one thread): the same bits."""
    options = CompileOptions(strategy="ft-all", target="siracusa", l1=16384, estimate=False)
    write_build(compile_model("lenet5", options), tmp_path)
    same_two_steps(HostProgram.build(lenet5, threads=2), HostProgram.build(tmp_path, threads=1))


def _harness(build: Path, out: Path, flags: list[str]) -> Path:
    exe = out / "one_step"
    subprocess.run(["gcc", "-std=c11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-pthread",
                    *flags, f"-I{build}", f"-I{ROOT / 'runtime' / 'include'}", str(HARNESS),
                    str(build / "network.c"), str(build / "weights.c"),
                    str(ROOT / "runtime" / "host" / "edgeft_rt_host.c"),
                    str(ROOT / "runtime" / "common" / "edgeft_rt_models.c"), "-lm", "-o",
                    str(exe)], check=True, capture_output=True)
    return exe


def test_no_data_race_under_thread_sanitizer(lenet5: Path, tmp_path: Path) -> None:
    """A step and a prediction on 2 and 3 threads under ThreadSanitizer: no
    report, and the same output as on one thread."""
    exe = _harness(lenet5, tmp_path, ["-fsanitize=thread"])
    outputs = []
    for threads in ("1", "2", "3"):
        done = subprocess.run([str(exe)], check=False, capture_output=True, text=True,
                              env={**os.environ, "EDGEFT_THREADS": threads})
        assert done.returncode == 0 and "ThreadSanitizer" not in done.stderr, done.stderr
        outputs.append(done.stdout)
    assert outputs[0].startswith("loss ") and outputs[1:] == outputs[:1] * 2


def test_bad_edgeft_threads_stops_the_program(lenet5: Path, tmp_path: Path) -> None:
    exe = _harness(lenet5, tmp_path, [])
    done = subprocess.run([str(exe)], check=False, capture_output=True, text=True,
                          env={**os.environ, "EDGEFT_THREADS": "0"})
    assert done.returncode == 3
    assert "EDGEFT_THREADS must be a whole number from 1 to 64" in done.stderr


def test_thread_counts_out_of_range_are_refused(lenet5: Path) -> None:
    with pytest.raises(UserError, match="--threads must be from 1 to 64, got 0"):
        HostProgram.build(lenet5, threads=0)
    with pytest.raises(UserError, match="--threads goes with --backend host"):
        run(lenet5, "fmnist", samples=200, epochs=1, backend="rv32", threads=2)
    result = run_tool("edgeft", "run", str(lenet5), "--data", "fmnist", "--threads", "65",
                      "--no-progress")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == \
        "edgeft: error: --threads must be from 1 to 64, got 65"


def test_run_records_the_threads(lenet5: Path) -> None:
    metrics = run(lenet5, "fmnist-rot:30", samples=40, epochs=1, progress=False, threads=2)
    assert metrics.threads == 2 and len(metrics.loss_per_step) == 2


@pytest.mark.parametrize("threads", [1, 2, 3, 8])
def test_every_slice_runs_once(tmp_path: Path, threads: int) -> None:
    """The runtime's fork (each thread its own share of the slices first, then
    the others'; a bit per slice up to 16 slices, a counter above) runs every
    slice of every fork exactly once before it returns, whatever the threads."""
    exe = tmp_path / "fork_check"
    subprocess.run(["gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread",
                    f"-I{ROOT / 'runtime' / 'include'}", str(Path(__file__).parent / "c" /
                                                           "fork_check.c"),
                    str(ROOT / "runtime" / "host" / "edgeft_rt_host.c"), "-o", str(exe)],
                   check=True)
    result = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "EDGEFT_THREADS": str(threads)}, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stdout + result.stderr
