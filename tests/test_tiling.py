"""edgeft-tile: tile choices on random contractions, and tiled C against the
untiled C (bit-identical: tiling keeps every sum in its order)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from c_checks import rv32_equals_host, same_two_steps
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_mlir import ir

from edgeft.backends.host import HostProgram
from edgeft.driver.compiler import CompileOptions, compile_model, write_build
from edgeft.ir.context import make_context
from edgeft.passes.tile import Tile, choose_tiles, cost, nest_of, working_set
from edgeft.target import get, perf

MATMUL = """
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @f(%a: memref<{m}x{k}xf32>, %b: memref<{k}x{n}xf32>, %c: memref<{m}x{n}xf32>) {{
  linalg.generic {{indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}} ins(%a, %b : memref<{m}x{k}xf32>, memref<{k}x{n}xf32>) outs(%c : memref<{m}x{n}xf32>) {{
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }}
  return
}}
"""

CONV = """
#i = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d2 + d5, d3 + d6)>
#w = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
#o = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
func.func @f(%x: memref<2x6x14x14xf32>, %w: memref<16x6x5x5xf32>, %y: memref<2x16x10x10xf32>) {
  linalg.generic {indexing_maps = [#i, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : memref<2x6x14x14xf32>, memref<16x6x5x5xf32>) outs(%y : memref<2x16x10x10xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
"""


def _nest(text: str):
    context = make_context()
    module = ir.Module.parse(text, context)
    func = module.body.operations[0]
    op = func.regions[0].blocks[0].operations[0].operation
    return module, nest_of(op)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.sampled_from([1, 4, 12, 16, 20, 64, 96, 100, 128]),
       st.sampled_from([1, 10, 16, 48, 84, 120, 256]),
       st.sampled_from([2, 8, 64, 100, 400, 784]),
       st.sampled_from([2048, 16384, 131072]))
def test_matmul_tiles_fit_and_divide(m: int, n: int, k: int, l1: int) -> None:
    module, nest = _nest(MATMUL.format(m=m, n=n, k=k))
    assert nest.gemm == (0, 1, 2)
    choice = choose_tiles(nest, l1, get("siracusa", l1=l1))
    tm, tn, tk = choice.tiles
    assert all(s % t == 0 for s, t in zip((m, n, k), choice.tiles, strict=True))
    assert choice.working_set == 4 * (tm * tk + tk * tn + tm * tn)  # A, B and C tiles
    assert 2 * choice.working_set <= l1 or choice.tiles == [1, 1, 1]
    if 2 * 4 * (m * k + k * n + m * n) <= l1:
        assert choice.tiles == [m, n, k]  # fits whole: not tiled
    del module


def test_convolution_tiles_keep_the_sum_order() -> None:
    """Reductions (c, kh, kw) shrink only in order: kh and kw are tiled only
    once c is 1, so each output still sums c, kh, kw lexicographically."""
    module, nest = _nest(CONV)
    for l1 in (4096, 8192, 16384, 65536):
        choice = choose_tiles(nest, l1, get("siracusa", l1=l1))
        c, kh, kw = choice.tiles[4:]
        assert 2 * working_set(nest, choice.tiles) <= l1
        if kh < 5 or kw < 5:
            assert c == 1
        if kw < 5:
            assert kh == 1
        # The input tile includes the window's halo: rows oh + kh - 1.
        oh, ow = choice.tiles[2:4]
        halo = choice.tiles[0] * c * (oh + kh - 1) * (ow + kw - 1) * 4
        assert working_set(nest, choice.tiles) == halo + 4 * (
            choice.tiles[1] * c * kh * kw + choice.tiles[0] * choice.tiles[1] * oh * ow)
    del module


@pytest.fixture(scope="module")
def flat_builds(tmp_path_factory):
    """The untiled (host target) programs, built once per model and strategy."""
    root = tmp_path_factory.mktemp("flat")
    programs = {}

    def get_program(model: str, strategy: str) -> HostProgram:
        if (model, strategy) not in programs:
            build = root / f"{model}-{strategy}"
            write_build(compile_model(model, CompileOptions(strategy=strategy, batch=2)), build)
            programs[model, strategy] = HostProgram.build(build)
        return programs[model, strategy]

    return get_program


@pytest.mark.parametrize("model, strategy, l1", [
    ("lenet5", "ft-all", 16384), ("lenet5", "lora-all", 16384), ("lenet5", "skip-lora", None),
    ("lenet5", "ft-bias", 16384), ("cct2", "lora-2", 16384)])
def test_tiled_c_equals_untiled_c(tmp_path: Path, flat_builds, model: str, strategy: str,
                                  l1: int | None) -> None:
    options = CompileOptions(strategy=strategy, batch=2, target="siracusa", l1=l1,
                             estimate=False)
    write_build(compile_model(model, options), tmp_path)
    tiling = json.loads((tmp_path / "report.json").read_text())["tiling"]
    budget = l1 or 128 * 1024
    assert tiling["tiled"] > 0 and 2 * tiling["largest_working_set"] <= budget
    assert tiling["fused"] > 0  # the comparison covers fused tile groups
    same_two_steps(HostProgram.build(tmp_path), flat_builds(model, strategy))


def test_tiled_nf4_cache_equals_untiled(tmp_path: Path) -> None:
    """The cache fill (NF4 packing with `floordiv` block maps) and the cached
    step, tiled and placed (cache in L3), give the flat program's bits."""
    programs = []
    for target in ("host", "siracusa"):
        options = CompileOptions(strategy="skip-lora", batch=4, cache="nf4", cache_samples=8,
                                 target=target, l1=8192 if target == "siracusa" else None,
                                 estimate=False)
        write_build(compile_model("lenet5", options), tmp_path / target)
        programs.append(HostProgram.build(tmp_path / target))
    report = json.loads((tmp_path / "siracusa" / "report.json").read_text())
    assert report["memory"]["peak_bytes"]["L3"] >= report["cache"]["bytes"]  # cache in L3
    rng = np.random.default_rng(6)
    x = rng.random((4, 1, 28, 28)).astype(np.float32)
    y, rows = rng.integers(0, 10, 4), np.array([3, 0, 7, 5])
    losses = []
    for program in programs:
        program.init()
        program.cache_fill(x, rows)
        losses.append([program.train_step_cached(rows, y) for _ in range(2)])
    assert losses[0] == losses[1]
    for name, value in programs[0].parameters().items():
        np.testing.assert_array_equal(programs[1].parameters()[name], value, err_msg=name)


def test_tiled_c_on_rv32_equals_the_host(tmp_path: Path) -> None:
    options = CompileOptions(strategy="lora-all", batch=2, target="siracusa", l1=16384,
                             estimate=False)
    write_build(compile_model("lenet5", options), tmp_path)
    rv32_equals_host(tmp_path, steps=1)


def _dma_latency(target, cycles: int):
    dma = tuple(replace(d, latency_cycles=cycles) if {d.source, d.destination} == {"L1", "L2"}
                else d for d in target.dma)
    return replace(target, dma=dma)


def test_tile_choice_follows_the_targets_cost_model() -> None:
    """One cost model: the tiles of a 64x96x128 matmul in 16 KiB move when the
    target's RedMulE or DMA parameters do (edgeft.target.perf decides)."""
    module, nest = _nest(MATMUL.format(m=64, n=96, k=128))
    target = get("siracusa", l1=16384)
    assert choose_tiles(nest, 16384, target).tiles == [32, 16, 32]
    # An array of 4 columns makes the output tile 4 rows x 16 columns: the
    # cheaper choice now keeps the columns whole (96 = 6 x 16).
    narrow = replace(target, redmule=replace(target.redmule, ce_w=4))
    assert choose_tiles(nest, 16384, narrow).tiles == [16, 32, 32]
    # Without RedMulE only DMA counts.
    assert choose_tiles(nest, 16384, replace(target, redmule=None)).tiles == [16, 12, 64]
    # A slow DMA start favours tiles that keep A (the largest transfer per tile) in place.
    assert choose_tiles(nest, 16384, _dma_latency(target, 1000)).tiles == [32, 2, 32]
    # Through the pass's options: fp16 jobs take half the fp32 tile time.
    fp16 = Tile(l1=16384, redmule_format="fp16").target_description()
    assert fp16.redmule.format == "fp16"
    assert choose_tiles(nest, 16384, fp16).tiles == [32, 12, 32]
    del module


def test_tile_cost_is_the_perf_model() -> None:
    """cost() is DMA each way per tile (perf.dma_cycles, L1 -> L2 at its own
    bandwidth) plus one RedMulE job per tile (perf.redmule_cycles)."""
    module, nest = _nest(MATMUL.format(m=64, n=96, k=128))
    target = get("siracusa", l1=16384)
    tiles = [32, 16, 32]
    count = (64 // 32) * (96 // 16) * (128 // 32)
    dma = (perf.dma_cycles(target, "L2", "L1", 32 * 32 * 4)      # A
           + perf.dma_cycles(target, "L2", "L1", 32 * 16 * 4)    # B
           + perf.dma_cycles(target, "L2", "L1", 32 * 16 * 4)    # C read
           + perf.dma_cycles(target, "L1", "L2", 32 * 16 * 4))   # C written back
    job = perf.redmule_cycles(target, 32, 32, 16)  # m, reduction, output columns
    # by hand: 15 + 4096/8, 15 + 2048/8 twice, 15 + 2048/7.75; 93 + 112 + 3 x 1 x 32 x 8
    assert dma == pytest.approx(527 + 2 * 271 + 15 + 2048 / 7.75)
    assert job == pytest.approx(93 + 112 + 3 * 32 * 8)
    assert cost(nest, tiles, target) == pytest.approx(count * (dma + job))
    del module


def test_tile_pass_options_build_its_target() -> None:
    assert Tile(l1=4096).target_description().levels["L1"].bytes == 4096
    with pytest.raises(ValueError, match="redmule-format"):
        Tile(redmule_format="bf16")
    with pytest.raises(ValueError, match="no L1"):
        Tile(target="host")
