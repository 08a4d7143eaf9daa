"""The memory hierarchy and the accelerator: DMA promotion, RedMulE jobs, the
cluster fork. Counts against hand computation, the runtime's engine models
against numpy, and whole programs against the flat (untiled) program."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from c_checks import rv32_equals_host, same_two_steps
from torch_mlir import passmanager

from edgeft.analysis.counts import count_module
from edgeft.backends.host import HostProgram
from edgeft.driver.compiler import CompileOptions, compile_model, write_build
from edgeft.ir.context import make_context

from conftest import run_tool

ROOT = Path(__file__).resolve().parents[1]

MATMUL = """
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
module {
  func.func @matmul(%a: memref<64x128xf32>, %b: memref<128x96xf32>, %c: memref<64x96xf32>) {
    linalg.generic {indexing_maps = [#a, #b, #c],
                    iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %b : memref<64x128xf32>, memref<128x96xf32>) outs(%c : memref<64x96xf32>) {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %m = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %m : f32
      linalg.yield %s : f32
    }
    return
  }
}
"""


def test_counts_of_a_tiled_matmul() -> None:
    """32 x 16 x 32 tiles of a 64x96x128 matmul (tile.mlir): A is read once per
    column block (96 / 16 = 6 times), B once per row block (64 / 32 = 2), C
    fetched and written back once; 2 x 6 x 4 jobs of 2 x 32 x 16 x 32 FLOPs."""
    from edgeft.passes.offload_redmule import OffloadRedmule
    from edgeft.passes.promote import Promote
    from edgeft.passes.tile import Tile
    from edgeft.pipelines import LOOPS

    with make_context() as ctx:
        from torch_mlir import ir

        module = ir.Module.parse(MATMUL)
        pm = passmanager.PassManager("builtin.module", context=ctx)
        pm.add(Tile(l1=16384))
        pm.add(Promote(l1=16384))
        pm.add(OffloadRedmule())
        pm.run(module.operation)
        passmanager.PassManager.parse(f"builtin.module({','.join(LOOPS)})").run(module.operation)
        counts = count_module(module)["matmul"]
    a, b, c = 64 * 128 * 4, 128 * 96 * 4, 64 * 96 * 4
    assert counts.bytes == {"L2_L1": 6 * a + 2 * b + 2 * c, "L3_L2": 0}
    assert counts.transfers == 2 * 6 * (4 + 4) + 2 * 2 * 6  # A, B per k-tile; C in and out
    assert counts.jobs == 48
    assert counts.flops == 2 * 64 * 96 * 128


MODEL_TEST = r"""
#include "edgeft_rt.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv)
{
    /* argv: m n k op format [N written to MCFG1]; reads X (m x n), W (n x k), Y (m x k) from stdin,
       writes Z (m x k) to stdout as text. */
    unsigned m = atoi(argv[1]), n = atoi(argv[2]), k = atoi(argv[3]);
    unsigned op = atoi(argv[4]), format = atoi(argv[5]);
    unsigned mcfg1 = argc > 6 ? (unsigned)atoi(argv[6]) : n;
    float *x = malloc(m * n * 4), *w = malloc(n * k * 4), *y = malloc(m * k * 4),
          *z = malloc(m * k * 4);
    for (unsigned i = 0; i < m * n; ++i) if (scanf("%f", &x[i]) != 1) return 2;
    for (unsigned i = 0; i < n * k; ++i) if (scanf("%f", &w[i]) != 1) return 2;
    for (unsigned i = 0; i < m * k; ++i) if (scanf("%f", &y[i]) != 1) return 2;
    const edgeft_redmule_job_t job = {.x = x, .w = w, .y = y, .z = z,
        .mcfg0 = k << 16 | m, .mcfg1 = mcfg1, .arith = EDGEFT_REDMULE_ARITH(op, format)};
    edgeft_rt_redmule_submit(&job);
    edgeft_rt_redmule_wait();
    float moved[6] = {0}, back[6] = {0};
    float rows[3][4] = {{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}};
    /* 2-D DMA: rows 0 and 2, columns 1..3, into a dense 2 x 3 block and back. */
    edgeft_rt_dma_wait(edgeft_rt_dma_start_2d(moved, &rows[0][1], 3 * 4, 2, 3 * 4, 8 * 4));
    edgeft_rt_dma_wait(edgeft_rt_dma_start_1d(back, moved, sizeof moved));
    for (unsigned i = 0; i < m * k; ++i) printf("%.9g\n", z[i]);
    for (unsigned i = 0; i < 6; ++i) printf("%.9g\n", back[i]);
    return 0;
}
"""


@pytest.fixture(scope="module")
def engine_model(tmp_path_factory) -> Path:
    """The runtime's RedMulE and DMA models in a small test program."""
    out = tmp_path_factory.mktemp("engines")
    (out / "t.c").write_text(MODEL_TEST)
    exe = out / "t"
    subprocess.run(["gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread",
                    "-I", str(ROOT / "runtime/include"), str(out / "t.c"),
                    str(ROOT / "runtime/common/edgeft_rt_models.c"),
                    str(ROOT / "runtime/host/edgeft_rt_host.c"), "-o", str(exe)], check=True)
    return exe


def _job(exe: Path, m: int, n: int, k: int, op: int, fmt: int, x, w, y, mcfg1: int | None = None):
    text = "\n".join(f"{v:.9g}" for v in np.concatenate([x.ravel(), w.ravel(), y.ravel()]))
    extra = [] if mcfg1 is None else [str(mcfg1)]
    done = subprocess.run([str(exe), str(m), str(n), str(k), str(op), str(fmt), *extra],
                          check=False, input=text, capture_output=True, text=True)
    return done


def test_redmule_model_computes_what_the_descriptor_says(engine_model: Path) -> None:
    rng = np.random.default_rng(0)
    m, n, k = 5, 7, 3
    x, w, y = (rng.standard_normal(s).astype(np.float32) for s in ((m, n), (n, k), (m, k)))
    gemm = _job(engine_model, m, n, k, 1, 0, x, w, y)
    values = np.array(gemm.stdout.split(), dtype=np.float32)
    # float32 sums of 7 products in order: a few ulps from numpy's float64 product.
    np.testing.assert_allclose(values[:m * k].reshape(m, k), x @ w + y, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(values[m * k:], [2, 3, 4, 10, 11, 12])  # the DMA model
    matmul = _job(engine_model, m, n, k, 0, 0, x, w, y)
    values = np.array(matmul.stdout.split(), dtype=np.float32)[:m * k].reshape(m, k)
    np.testing.assert_allclose(values, x @ w, rtol=1e-5, atol=1e-6)  # op 0 ignores Y
    # The model reads the sizes from the registers: a wrong N in MCFG1 gives
    # wrong numbers.
    wrong = _job(engine_model, m, n, k, 1, 0, x, w, y, mcfg1=n - 1)
    assert not np.allclose(np.array(wrong.stdout.split(), dtype=np.float32)[:m * k],
                           (x @ w + y).ravel(), rtol=1e-3)


def test_redmule_model_refuses_a_format_it_does_not_model(engine_model: Path) -> None:
    x, w, y = np.ones((2, 2), np.float32), np.ones((2, 2), np.float32), np.ones((2, 2))
    done = _job(engine_model, 2, 2, 2, 1, 1, x, w, y)
    assert done.returncode == 3
    assert "only the fp32 format is modelled" in done.stderr


@pytest.mark.parametrize("model, strategy, l1", [
    ("lenet5", "ft-all", None), ("lenet5", "lora-all", None), ("cct2", "lora-2", None)])
def test_siracusa_program_equals_the_flat_program(tmp_path: Path, model: str, strategy: str,
                                                   l1: int | None) -> None:
    """Default L1: tiled where needed, every op on L1 copies, GEMMs on the RedMulE
    model, core kernels forked; the same bits as the flat program (the sums
    keep their order)."""
    programs = []
    for target in ("host", "siracusa"):
        # the estimate is tested elsewhere (test_perf_model); here only the program
        options = CompileOptions(strategy=strategy, batch=2, target=target, l1=l1,
                                 estimate=False)
        write_build(compile_model(model, options), tmp_path / target)
        programs.append(HostProgram.build(tmp_path / target))
    report = json.loads((tmp_path / "siracusa" / "report.json").read_text())
    assert report["redmule"]["jobs"] > 0 and 0 < report["redmule"]["fraction"] < 1
    assert report["transfers"]["bytes"]["L2_L1"] > 0
    assert report["memory"]["peak_bytes"]["L1"] <= 128 * 1024
    network = (tmp_path / "siracusa" / "network.c").read_text()
    assert "edgeft_rt_fork(" in network and "edgeft_rt_redmule_submit(&job)" in network
    assert "edgeft_rt_dma_start_2d(" in network
    same_two_steps(programs[1], programs[0])


def test_siracusa_program_on_rv32_equals_the_host(tmp_path: Path) -> None:
    """The same C with DMA, RedMulE and fork calls under QEMU (default L1)."""
    options = CompileOptions(strategy="ft-all", batch=2, target="siracusa", estimate=False)
    write_build(compile_model("lenet5", options), tmp_path)
    rv32_equals_host(tmp_path, steps=1)


def test_fp16_jobs_are_refused_in_one_line(tmp_path: Path) -> None:
    done = run_tool("edgeft", "compile", "mlp", "--strategy", "ft-last", "--target", "siracusa",
                    "--redmule-format", "fp16", "-o", str(tmp_path))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert "RedMulE format fp16 needs float16 operands" in lines[-1]
    assert "Traceback" not in done.stderr
