"""`edgeft report`: tables and plots from hand-written report.json files (no compilation)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from edgeft.codegen.builddir import write_manifest
from edgeft.driver.cli import main
from edgeft.report import tables as report

# Target at 100 MHz: 100,000 cycles are 1 ms.
PARAMETERS = [
    {"name": "frequency_mhz", "value": 100.0, "unit": "MHz", "source": "METHODS.md",
     "note": "cluster clock"},
    {"name": "core.cycles_per_instruction", "value": 1.4, "unit": "cycles/instr",
     "source": "fitted", "note": ""},
]


def _siracusa(strategy: str, scale: int) -> dict[str, Any]:
    """Two layers: fc1 35,000 and fc2 10,000 cycles per step, times `scale`."""
    layers = [
        {"layer": "fc1", "forward": 10_000 * scale, "backward": 20_000 * scale,
         "update": 5_000 * scale,
         # cores 80 %, redmule 15 %, dma 5 % of fc1's 35,000
         "engines": {"cores": 28_000 * scale, "redmule": 5_250 * scale, "dma": 1_750 * scale},
         "bytes": 4_096.0 * scale},
        {"layer": "fc2", "forward": 3_000 * scale, "backward": 6_000 * scale,
         "update": 1_000 * scale, "engines": {"cores": 10_000 * scale},
         "bytes": 1_024.0 * scale},
    ]
    step = 45_000 * scale
    return {
        "model": "tiny", "strategy": strategy, "options": {"batch": 2},
        "trainable_params": 1_000 * scale, "total_params": 5_000,
        "flops": {"forward": 20_000.0, "backward": 40_000.0, "optimizer": 1_000.0},
        "target": {"name": "siracusa", "frequency_mhz": 100.0, "parameters": PARAMETERS},
        "memory": {"peak_bytes": {"L1": 65_536 * scale, "L2": 262_144, "L3": 0}},
        "transfers": {"bytes": {"L3_L2": 0.0, "L2_L1": 2_560.0 * scale},
                      "bytes_per_step": {"L3_L2": 0, "L2_L1": 5_120 * scale}},
        "cycles": {"estimate": step,
                   "by_engine": {"cores": 38_000 * scale, "dma": 1_750 * scale,
                                 "redmule": 5_250 * scale}},
        "latency_ms": {"estimate": step / 100_000, "per_sample": step / 200_000},
        "updates_per_second": 100_000 / step,
        "flops_per_cycle": 2 * 61_000 / step,
        "kernels": [],
        "layers": layers,
    }


HOST = {
    "model": "tiny", "strategy": "ft-last", "options": {"batch": 2},
    "trainable_params": 1_234, "total_params": 56_789,
    "flops": {"forward": 20_000.0, "backward": 1_500.0, "optimizer": 250.0},
    "target": {"name": "host", "frequency_mhz": 0.0},
}


def _build(tmp_path: Path, name: str, content: dict[str, Any] | str) -> Path:
    build = tmp_path / name
    build.mkdir()
    text = content if isinstance(content, str) else json.dumps(content)
    (build / "report.json").write_text(text)
    write_manifest(build, {"model": "tiny"})
    return build


@pytest.fixture
def builds(tmp_path: Path) -> list[Path]:
    return [_build(tmp_path, "full", _siracusa("ft-all", 1)),
            _build(tmp_path, "lora", _siracusa("lora-all", 2))]


def _row(text: str, *first: str) -> list[str]:
    """The cells of the one table row that starts with the cells `first` (columns are
    two or more spaces apart; a cell holds at most single spaces)."""
    rows = [re.split(r"\s{2,}", line.strip()) for line in text.splitlines()]
    matching = [row for row in rows if tuple(row[:len(first)]) == first]
    assert len(matching) == 1, text
    return matching[0]


def test_layer_table_rows_and_totals() -> None:
    table = report.layer_table(_siracusa("ft-all", 1))
    header = table.splitlines()[0]
    assert "tiny ft-all (batch 2, target siracusa)" in header
    assert "45,000 cycles/step, 0.45 ms/step at 100 MHz, 2.2 steps/s" in header
    assert "2.71 FLOPs/cycle" in header  # 122,000 FLOPs per step / 45,000 cycles
    # fc1: 10,000 + 20,000 + 5,000 = 35,000 cycles, 35/45 of the step
    assert _row(table, "fc1") == ["fc1", "10,000", "20,000", "5,000", "35,000", "77.8%",
                                  "cores 80% redmule 15% dma 5%", "4,096"]
    assert _row(table, "fc2") == ["fc2", "3,000", "6,000", "1,000", "10,000", "22.2%",
                                  "cores 100%", "1,024"]
    # engines over the step: cores 38,000 (84 %), redmule 5,250 (12 %), dma 1,750 (4 %)
    assert _row(table, "total") == ["total", "13,000", "26,000", "6,000", "45,000", "100.0%",
                                    "cores 84% redmule 12% dma 4%", "5,120"]


def test_comparison_table_one_row_per_build() -> None:
    table = report.comparison_table([_siracusa("ft-all", 1), _siracusa("lora-all", 2)])
    rows = [line for line in table.splitlines() if line.startswith("tiny")]
    assert len(rows) == 2
    # model, strategy, target, batch, trainable, L1/L2/L3 KiB, B/sample x2, ms, FLOPs/cycle
    assert _row(table, "tiny", "ft-all") == ["tiny", "ft-all", "siracusa", "2", "1,000", "64.0",
                                           "256.0", "0.0", "2,560", "0", "0.45", "2.71"]
    assert _row(table, "tiny", "lora-all")[-2:] == ["0.90", "1.36"]  # 90,000 cycles


def test_assumptions_table() -> None:
    table = report.assumptions(_siracusa("ft-all", 1))
    assert _row(table, "frequency_mhz") == ["frequency_mhz", "100", "MHz", "METHODS.md"]
    assert _row(table, "core.cycles_per_instruction")[1:] == ["1.4", "cycles/instr", "fitted"]


def test_cli_prints_layers_comparison_and_assumptions_once(
        builds: list[Path], capsys: pytest.CaptureFixture) -> None:
    assert main(["report", *map(str, builds)]) == 0
    out = capsys.readouterr().out
    assert out.count("layer ") == 2  # one layer table per build
    assert out.count("L1 KiB") == 1
    assert out.count("assumptions of target siracusa") == 1
    assert "tiny lora-all (batch 2, target siracusa): 90,000 cycles/step, 0.90 ms/step" in out


def test_cli_plots(builds: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    plots = tmp_path / "plots"
    assert main(["report", *map(str, builds), "--plots", str(plots)]) == 0
    for name in ("latency_by_layer.png", "memory_by_level.png"):
        assert (plots / name).stat().st_size > 0
    assert str(plots / "memory_by_level.png") in capsys.readouterr().err


def test_host_report_prints_params_and_a_note(tmp_path: Path,
                                               capsys: pytest.CaptureFixture) -> None:
    host = _build(tmp_path, "host", HOST)
    assert main(["report", str(host)]) == 0
    out = capsys.readouterr().out
    assert "1,234 of 56,789 parameters train" in out
    assert "forward 20,000, backward 1,500, optimizer 250" in out
    assert "--target siracusa" in out


def test_host_and_target_builds_compare(builds: list[Path], tmp_path: Path,
                                        capsys: pytest.CaptureFixture) -> None:
    host = _build(tmp_path, "host", HOST)
    assert main(["report", str(builds[0]), str(host)]) == 0
    out = capsys.readouterr().out
    assert _row(out, "tiny", "ft-last")[2:] == ["host", "2", "1,234", *["-"] * 7]


@pytest.mark.parametrize("content", [None, "{broken", "[1, 2]"],
                         ids=["missing", "broken-json", "not-a-report"])
def test_bad_build_is_one_line_exit_1(content: str | None, tmp_path: Path,
                                      capsys: pytest.CaptureFixture) -> None:
    build = tmp_path / "nope" if content is None else _build(tmp_path, "bad", content)
    assert main(["report", str(build)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    assert len(captured.err.splitlines()) == 1
    assert captured.err.startswith("edgeft: error: ")
    assert f"-o {build}" in captured.err


def test_plots_of_host_builds_only_fail_cleanly(tmp_path: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    host = _build(tmp_path, "host", HOST)
    assert main(["report", str(host), "--plots", str(tmp_path / "plots")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("edgeft: error: --plots: no build has memory or cycle figures; "
                            "compile with --target siracusa\n")


def test_measured_cycles_show_next_to_the_estimate() -> None:
    measured = _siracusa("ft-all", 1)
    measured["cycles"]["measured"] = {"cycles_per_step": 50_000.0, "steps": 2,
                                      "per_step": [50_000, 50_000], "source": "GVSoC siracusa"}
    header = report.layer_table(measured).splitlines()[0]
    assert "45,000 cycles/step" in header
    assert ("measured 50,000 cycles/step over 2 steps (GVSoC siracusa, "
            "estimate / measured 0.90)") in header
    # a build without an estimate shows what was measured
    del measured["cycles"]["estimate"]
    assert "measured 50,000 cycles/step" in report.layer_table(measured).splitlines()[0]
