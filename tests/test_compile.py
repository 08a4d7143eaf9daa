"""`edgeft compile`: the build directory, report.json, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgeft.driver.compiler import CompileOptions, compile_model

from conftest import run_tool


@pytest.fixture(scope="module")
def lenet5_reports() -> dict[str, dict]:
    return {s: compile_model("lenet5", CompileOptions(strategy=s, batch=4)).report
            for s in ("ft-all", "ft-last", "skip-lora", "lora-all", "ft-bias")}


def test_backward_flops_fall_as_the_strategy_narrows(lenet5_reports) -> None:
    full = lenet5_reports["ft-all"]["flops"]["backward"]
    assert lenet5_reports["ft-last"]["flops"]["backward"] < 0.05 * full
    assert lenet5_reports["skip-lora"]["flops"]["backward"] < 0.05 * full
    assert lenet5_reports["ft-bias"]["flops"]["backward"] < full
    # The full backward costs more than the forward, as backprop does (~2x).
    assert 1.0 < full / lenet5_reports["ft-all"]["flops"]["forward"] < 3.0


def test_report_counts(lenet5_reports) -> None:
    ft_all = lenet5_reports["ft-all"]
    assert ft_all["total_params"] == ft_all["trainable_params"] == 61706
    # Forward of LeNet-5 per sample: the MACs of its five layers, twice, plus
    # the elementwise work; the convolutions alone are 2 * (117600 + 240000).
    assert 2 * (117_600 + 240_000 + 48_000 + 10_080 + 840) < ft_all["flops"]["forward"] < 900_000
    # SGD: one multiply and one add per trainable parameter.
    assert ft_all["flops"]["optimizer"] == pytest.approx(2 * 61706 / 4)
    last = lenet5_reports["ft-last"]
    assert last["trainable_params"] == 850 and last["total_params"] == 61706
    skip = lenet5_reports["skip-lora"]
    # Adapters from x^0..x^4 (784, 1176, 400, 120, 84 wide) with r = 4 to 10 classes.
    assert skip["trainable_params"] == 4 * (784 + 1176 + 400 + 120 + 84) + 5 * 10 * 4
    assert skip["total_params"] == 61706 + skip["trainable_params"]


def test_compile_writes_the_build_directory(tmp_path: Path) -> None:
    result = run_tool("edgeft", "compile", "mlp", "--strategy", "lora-last", "--batch", "8",
                      "--lr", "0.05", "-o", str(tmp_path / "build"))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "build" / "report.json").read_text())
    assert report["model"] == "mlp" and report["strategy"] == "lora-last"
    assert report["options"]["batch"] == 8 and report["options"]["lr"] == 0.05
    assert set(report["flops"]) == {"forward", "backward", "optimizer"}
    assert report["trainable_params"] == 4 * 32 + 10 * 4
    text = (tmp_path / "build" / "train.mlir").read_text()
    assert "func.func @train_step" in text and "fc3.lora_A" in text
    assert "loc(" in text  # locations kept for later diagnostics


def _error(*args: str) -> str:
    result = run_tool("edgeft", "compile", *args)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_unknown_strategy(tmp_path: Path) -> None:
    message = _error("mlp", "--strategy", "ft-most", "-o", str(tmp_path))
    assert message.startswith("edgeft: error: unknown strategy 'ft-most' (known: ft-all")


def test_strategy_that_does_not_fit(tmp_path: Path) -> None:
    message = _error("mlp", "--strategy", "ft-3", "-o", str(tmp_path))
    assert "ft-3 asks for the last 3 layers before the head, the model has 2" in message


def test_lora_k_beyond_the_blocks(tmp_path: Path) -> None:
    message = _error("cct2", "--strategy", "lora-3", "--batch", "2", "-o", str(tmp_path))
    assert "lora-3 asks for the last 3 blocks, the model has 2" in message
