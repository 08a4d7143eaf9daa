"""Hostile options to `edgeft pipeline`, `compile` and `run`: each is one line
naming the option and what it allows, exit 1, no traceback.

`edgeft pipeline` checks the same CompileOptions as `edgeft compile` without
importing a model, so most cases run there in milliseconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgeft.driver.cli import main
from edgeft.ir.errors import UserError
from edgeft.options import CompileOptions

BAD_TRAINING = [
    (["--alpha", "0"], "--alpha must be a positive finite number"),
    (["--alpha", "nan"], "--alpha must be a positive finite number"),
    (["--alpha", "inf"], "--alpha must be a positive finite number"),
    (["--alpha", "-2"], "--alpha must be a positive finite number"),
    (["--lr", "0"], "--lr must be a positive normal float32 number"),
    (["--lr", "-0.1"], "--lr must be a positive normal float32 number"),
    (["--lr", "nan"], "--lr must be a positive normal float32 number"),
    (["--lr", "inf"], "--lr must be a positive normal float32 number"),
    (["--lr", "1e39"], "got 1e+39"),          # infinite in float32
    (["--lr", "1e-50"], "got 1e-50"),         # zero in float32
    (["--lr", "1e-40"], "got 1e-40"),         # subnormal in float32
    (["--momentum", "1"], "--momentum must be at least 0 and below 1, got 1"),
    (["--momentum", "-0.5"], "--momentum must be at least 0 and below 1"),
    (["--momentum", "nan"], "--momentum must be at least 0 and below 1"),
    (["--rank", "0"], "--rank must be at least 1, got 0"),
    (["--rank", "-3"], "--rank must be at least 1, got -3"),
    (["--seed", "-1"], "--seed must be between 0 and 4294967295"),
    (["--seed", str(2**70)], f"got {2**70}"),
    (["--seed", str(2**32)], "--seed must be between 0 and 4294967295"),
    (["--strategy", "lora-0"], "strategy 'lora-0' needs N >= 1"),
    (["--strategy", "ft-0"], "strategy 'ft-0' needs N >= 1"),
    (["--strategy", "ft-lots"], "unknown strategy 'ft-lots'"),
    (["--cache", "nf4", "--cache-block", "3"], "--cache-block must be an even number"),
    (["--cache", "nf4", "--cache-samples", "0"], "--cache-samples must be at least 1, got 0"),
    (["--lr", "abc"], "argument --lr: invalid float value: 'abc'"),
]


def _error(argv: list[str], capsys: pytest.CaptureFixture) -> str:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 or "usage:" in err, err
    return lines[-1]


@pytest.mark.parametrize("options,message", BAD_TRAINING,
                         ids=[" ".join(o) for o, _ in BAD_TRAINING])
def test_bad_training_options(options: list[str], message: str,
                              capsys: pytest.CaptureFixture) -> None:
    argv = ["pipeline", "--strategy", "ft-last", *options]
    assert message in _error(argv, capsys)


BAD_TARGET = [
    (["--target", "siracusa", "--cores", "1000"], "--cores must be between 1 and 8, got 1000"),
    (["--target", "siracusa", "--cores", "0"], "--cores must be between 1 and 8, got 0"),
    (["--target", "siracusa", "--l1", "-1"], "--l1 must be at least 1024 bytes, got -1"),
    (["--target", "host", "--cores", "2"], "target 'host' is flat"),
    (["--target", "gpu"], "unknown target 'gpu'"),
]


@pytest.mark.parametrize("options,message", BAD_TARGET, ids=[" ".join(o) for o, _ in BAD_TARGET])
def test_bad_target_options(options: list[str], message: str,
                            capsys: pytest.CaptureFixture) -> None:
    assert message in _error(["pipeline", "--lowering", *options], capsys)


def test_compile_checks_options_before_importing(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture) -> None:
    for options, message in (["--batch", "0"], "--batch must be at least 1, got 0"), \
            (["--in-channels", "0"], "--in-channels must be at least 1, got 0"):
        argv = ["compile", "mlp", "--strategy", "ft-last", *options, "-o", str(tmp_path / "b")]
        assert message in _error(argv, capsys)
        assert not (tmp_path / "b").exists()


def test_a_cache_that_cannot_exist_is_a_compile_error(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    argv = ["compile", "mlp", "--batch", "2", "--strategy", "lora-last", "--cache", "fp32",
            "--cache-samples", "1000000000", "-o", str(tmp_path / "b")]
    line = _error(argv, capsys)
    assert "the arena needs" in line and "2,147,483,648 bytes target 'host'" in line
    assert "the forward cache's 'forward_cache'" in line
    assert not (tmp_path / "b").exists()


def test_library_callers_get_the_same_checks() -> None:
    with pytest.raises(UserError, match="--alpha must be a positive"):
        CompileOptions(strategy="lora-all", alpha=0.0)
    with pytest.raises(UserError, match="--lr must be"):
        CompileOptions(strategy="ft-all", lr=float("inf"))


@pytest.mark.parametrize("options,message", [
    (["--seed", "-1"], "--seed must be between 0 and 4294967295"),
    (["--samples", "0"], "--samples must be at least 1"),
    (["--samples", "9950"], "leaves 50 to evaluate on, at least 100 are needed"),
    (["--steps", "0"], "--steps must be at least 1"),
    (["--epochs", "-1"], "--epochs at least 0"),
])
def test_bad_run_options(options: list[str], message: str, tmp_path: Path,
                         capsys: pytest.CaptureFixture,
                         mlp_build_for_options: Path) -> None:
    argv = ["run", str(mlp_build_for_options), "--data", "fmnist", "--no-progress", *options]
    assert message in _error(argv, capsys)


@pytest.fixture(scope="module")
def mlp_build_for_options(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = tmp_path_factory.mktemp("options") / "mlp"
    assert main(["compile", "mlp", "--batch", "2", "--strategy", "ft-last", "-o",
                 str(build)]) == 0
    return build
