"""The static memory planner (edgeft.analysis.memory) on random lifetimes, and the
siracusa memory plan end to end (the emitted C gives the numbers of the flat
program, only the buffers' places change)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from c_checks import rv32_equals_host, same_two_steps
from hypothesis import given, settings
from hypothesis import strategies as st

from edgeft.analysis import memory
from edgeft.backends.host import HostProgram
from edgeft.driver.compiler import CompileOptions, compile_model, write_build

from conftest import run_tool

lifetimes = st.lists(
    st.tuples(st.integers(1, 5000), st.integers(0, 40), st.integers(0, 15)),
    min_size=1, max_size=40)


def _intervals(spec) -> list[memory.Interval]:
    return [memory.Interval(f"b{i}", size, start, start + length)
            for i, (size, start, length) in enumerate(spec)]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(lifetimes)
def test_packing_never_overlaps_live_buffers(spec) -> None:
    buffers = _intervals(spec)
    size = memory.pack(buffers)
    assert memory.overlapping_pairs(buffers) == []
    assert all(b.offset % memory.ALIGN == 0 and b.offset + b.bytes <= size for b in buffers)
    assert size >= memory.lower_bound(buffers)
    assert size <= sum(memory.align(b.bytes) for b in buffers)
    again = _intervals(spec)
    memory.pack(again)
    assert [b.offset for b in again] == [b.offset for b in buffers]  # deterministic


@settings(max_examples=200, deadline=None, derandomize=True)
@given(lifetimes, st.integers(2048, 40000))
def test_levels_keep_budgets_or_say_why(spec, l2: int) -> None:
    buffers = [memory.Placed(b.name, b.bytes, b.start, b.end,
                             kind=memory.PERSISTENT if i % 7 == 0 else memory.SCRATCH)
               for i, b in enumerate(_intervals(spec))]
    try:
        plans = memory.assign_levels(buffers, [("L2", l2), ("L3", 60000)])
    except memory.PlanError as e:
        assert "the memory plan does not fit: L3 needs" in str(e)
        return
    for plan in plans.values():
        assert plan.size <= plan.budget
        assert memory.overlapping_pairs(plan.buffers) == []
    assert {b.level for b in buffers} <= {"L2", "L3"}


def test_lower_bound_is_the_most_bytes_alive_at_once() -> None:
    buffers = [memory.Interval("a", 100, 0, 2), memory.Interval("b", 50, 2, 4),
               memory.Interval("c", 70, 3, 5)]
    # a and b share point 2 (150 bytes); b and c share 3 and 4 (120 bytes).
    assert memory.peak_point(buffers) == (2, 150)
    assert memory.lower_bound(buffers) == 150


def test_cache_goes_to_the_last_level_and_persistent_state_first() -> None:
    buffers = [memory.Placed("w", 1000, 0, 9, kind=memory.PERSISTENT),
               memory.Placed("cache", 5000, 0, 9, kind=memory.CACHE),
               memory.Placed("big", 1500, 2, 3), memory.Placed("small", 200, 4, 5)]
    plans = memory.assign_levels(buffers, [("L2", 2048), ("L3", 10000)])
    assert {b.name: b.level for b in buffers} == {"w": "L2", "cache": "L3", "big": "L3",
                                                  "small": "L2"}
    assert plans["L2"].size <= 2048


@pytest.mark.parametrize("model, strategy, l2", [("lenet5", "lora-all", None),
                                                 ("lenet5", "skip-lora", 262144)])
def test_planned_c_equals_the_flat_program(tmp_path: Path, model: str, strategy: str,
                                           l2: int | None) -> None:
    """Two steps: loss and every parameter bit-identical (the same kernels run on
    the same values; only where the buffers live differs). cct2 is covered by
    tests/test_tiling.py, whose siracusa builds are planned too."""
    programs = []
    for target in ("host", "siracusa"):
        options = CompileOptions(strategy=strategy, batch=2, target=target, estimate=False,
                                 l2=l2 if target == "siracusa" else None)
        build = tmp_path / target
        write_build(compile_model(model, options), build)
        programs.append(HostProgram.build(build))
    report = json.loads((tmp_path / "siracusa" / "report.json").read_text())
    memory_report = report["memory"]
    assert memory_report["peak_bytes"]["L2"] <= memory_report["budget_bytes"]["L2"]
    assert memory_report["peak_bytes"]["L2"] >= memory_report["lower_bound_bytes"]["L2"]
    assert report["target"]["name"] == "siracusa" and report["target"]["cores"] == 8
    if l2 is not None:
        assert memory_report["peak_bytes"]["L3"] > 0  # the small L2 spilled
        # tiles of buffers in L3 reach L1 through the staging buffer in L2
        network = (tmp_path / "siracusa" / "network.c").read_text()
        assert "edgeft_rt_dma_start_staged(" in network and "#define EDGEFT_DMA_STAGING" in network
        assert report["transfers"]["bytes"]["L3_L2"] > 0
    png = (tmp_path / "siracusa" / "memory.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    flat, planned = programs
    same_two_steps(planned, flat)


def test_a_plan_that_does_not_fit_is_one_line(tmp_path: Path) -> None:
    result = run_tool("edgeft", "compile", "lenet5", "--strategy", "lora-all", "--batch", "4",
                      "--target", "siracusa", "--l2", "65536", "--l3", "300000",
                      "-o", str(tmp_path))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "edgeft: error: edgeft-plan-memory: the memory plan does not fit: L3 needs ")
    assert "the budget is 300,000 (short by" in lines[0] and "@fc1.weight (192,000 B)" in lines[0]


def test_planned_program_on_rv32_equals_the_host(tmp_path: Path) -> None:
    """The per-level arenas on bare-metal RV32 (QEMU), with L3 in use (and
    transfers staged through L2)."""
    options = CompileOptions(strategy="lora-all", batch=4, target="siracusa", l2=262144,
                             estimate=False)
    write_build(compile_model("lenet5", options), tmp_path)
    assert HostProgram.build(tmp_path).info.memory["L3"] > 0
    assert "edgeft_rt_dma_start_staged(" in (tmp_path / "network.c").read_text()
    rv32_equals_host(tmp_path, steps=2)
