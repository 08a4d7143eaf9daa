"""tools/bench/strategies.py in its reduced mode: one row per strategy with
the figures of the comparison, consistent with each other."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "bench" / "strategies.py"


def test_reduced_benchmark_writes_the_table(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_strategies", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "strategies.json"
    assert bench.main(["--reduced", "-o", str(out), "--plots", str(tmp_path / "plots")]) == 0
    table = json.loads(out.read_text())
    rows = {r["strategy"]: r for r in table["rows"]}
    assert set(rows) == {"ft-all", "ft-last", "lora-all", "skip-lora"}
    assert all(r["fits"] for r in rows.values())
    for r in rows.values():
        # ms at 360 MHz and steps per second follow from the cycles (the report
        # rounds the cycles to whole ones, the ms come from the unrounded figure)
        assert r["ms_per_step"] == pytest.approx(r["cycles_per_step"] / 360e3, rel=1e-6,
                                                 abs=0.5 / 360e3)
        assert r["updates_per_second"] == pytest.approx(1e3 / r["ms_per_step"], rel=1e-6)
        assert sum(r["cycles_by_engine"].values()) == pytest.approx(r["cycles_per_step"],
                                                                    rel=1e-4)
        assert 0 < r["flops_per_cycle"] < 48  # below RedMulE's peak MACs per cycle
    # training only the last layer is cheaper than training everything
    assert rows["ft-last"]["cycles_per_step"] < rows["ft-all"]["cycles_per_step"]
    assert rows["ft-last"]["trainable_params"] < rows["ft-all"]["trainable_params"]
    pngs = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert pngs == ["latency_by_layer.png", "memory_by_level.png"]
