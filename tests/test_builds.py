"""Build directories under faults: interrupts, kills, concurrent compiles and runs,
a full disk, tampering, foreign folders, copies and moves (codegen.builddir).

Each fault test makes a build, snapshots its bytes, hurts it and checks that
the build is byte for byte what it was (or whole and new), and that a rerun
gives the files a fresh compile gives.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edgeft.codegen import builddir
from edgeft.driver.cli import main
from edgeft.driver.compiler import CompileOptions, compile_model, write_build
from edgeft.ir.errors import UserError

CLI = [sys.executable, "-m", "edgeft.driver.cli"]
MLP = ["mlp", "--batch", "2"]


def _snapshot(build: Path) -> dict[str, bytes]:
    """Every file edgeft wrote into `build` (not the backends' work folders), by name."""
    return {p.relative_to(build).as_posix(): p.read_bytes() for p in sorted(build.rglob("*"))
            if p.is_file() and p.relative_to(build).parts[0] not in builddir.DERIVED}


def _compile(build: Path, strategy: str = "ft-last") -> None:
    write_build(compile_model("mlp", CompileOptions(strategy=strategy, batch=2)), build)


def _one_error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines and lines[-1].startswith("edgeft: error: "), err
    return lines[-1]


@pytest.fixture(scope="module")
def mlp_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = tmp_path_factory.mktemp("builds") / "mlp"
    _compile(build)
    return build


def test_a_build_lists_every_file_with_its_hash(mlp_build: Path) -> None:
    manifest = builddir.verify(mlp_build)
    assert manifest["model"] == "mlp" and manifest["strategy"] == "ft-last"
    assert manifest["options"]["batch"] == 2
    assert {"train.mlir", "network.c", "weights.c", "program.json", "report.json",
            "CMakeLists.txt"} <= set(manifest["files"])
    # nothing is left beside the build: no stage folder
    assert not list(mlp_build.parent.glob(f".{mlp_build.name}.new-*"))


def test_recompiling_gives_the_same_bytes_wherever_it_is_written(mlp_build: Path,
                                                                 tmp_path: Path) -> None:
    _compile(tmp_path / "again")
    assert _snapshot(tmp_path / "again") == _snapshot(mlp_build)


def test_tampered_missing_and_unlisted(mlp_build: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture) -> None:
    build = tmp_path / "b"
    shutil.copytree(mlp_build, build)
    with (build / "network.c").open("a") as f:
        f.write("/* edited */\n")
    for command in (["run", str(build), "--data", "fmnist", "--no-progress"],
                    ["report", str(build)]):
        assert main(command) == 1
        line = _one_error_line(capsys.readouterr().err)
        assert "network.c was changed after edgeft wrote it" in line
    (build / "network.c").unlink()
    assert main(["report", str(build)]) == 1
    assert "incomplete: network.c is missing" in _one_error_line(capsys.readouterr().err)
    (build / "manifest.json").write_text("[]")
    assert main(["report", str(build)]) == 1
    assert "no valid manifest.json" in _one_error_line(capsys.readouterr().err)


def test_a_copied_and_a_moved_build_run(mlp_build: Path, tmp_path: Path) -> None:
    run = ["--data", "fmnist", "--samples", "20", "--epochs", "1", "--no-progress"]
    assert main(["run", str(mlp_build), *run]) == 0   # makes host/ for this path
    copy = tmp_path / "copy"
    shutil.copytree(mlp_build, copy)
    assert main(["run", str(copy), *run]) == 0
    moved = tmp_path / "moved"
    copy.rename(moved)
    assert main(["run", str(moved), *run]) == 0
    metrics = json.loads((moved / "metrics.json").read_text())
    assert len(metrics["loss_per_step"]) == 10
    builddir.verify(moved)   # the run's outputs are listed with their new hashes


def test_a_foreign_folder_needs_force(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "CMakeLists.txt").write_text("project(mine)\n")
    (folder / "notes.txt").write_text("keep\n")
    start = time.monotonic()
    assert main(["compile", *MLP, "--strategy", "ft-last", "-o", str(folder)]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert "holds files edgeft did not write (CMakeLists.txt, notes.txt)" in line
    assert "--force" in line
    assert time.monotonic() - start < 5   # refused before the import, not after
    assert (folder / "CMakeLists.txt").read_text() == "project(mine)\n"
    assert main(["compile", *MLP, "--strategy", "ft-last", "-o", str(folder), "--force"]) == 0
    assert not (folder / "notes.txt").exists()
    builddir.verify(folder)


@pytest.mark.parametrize("output,message", [
    ("", "-o needs the name of a build folder"),
    ("file/under", "a part of its path is a file"),
])
def test_bad_output_folders(output: str, message: str, tmp_path: Path,
                            capsys: pytest.CaptureFixture,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("x")
    assert main(["compile", *MLP, "--strategy", "ft-last", "-o", output]) == 1
    assert message in _one_error_line(capsys.readouterr().err)


# Runs the CLI with Path.write_text wrapped: right after the file named in
# argv[1] is written, the process sends itself the signal numbered in argv[2].
# Waiting from outside for the file to appear races the rest of the compile,
# which on a fast machine can finish first.
_SIGNAL_AFTER = """
import os, pathlib, sys
point, sig = sys.argv[1], int(sys.argv[2])
del sys.argv[1:3]
write_text = pathlib.Path.write_text
def write_then_signal(self, *args, **kwargs):
    written = write_text(self, *args, **kwargs)
    if self.name == point and self.parent.name.startswith('.b.new-'):
        os.kill(os.getpid(), sig)
    return written
pathlib.Path.write_text = write_then_signal
from edgeft.driver.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("point,sig", [
    ("", signal.SIGINT),                      # during the import, before any file
    ("train.mlir", signal.SIGKILL),           # the training module written
    ("network.c", signal.SIGKILL),            # the C written, the report not yet
    ("program.json", signal.SIGINT),
])
def test_an_interrupted_recompile_leaves_the_old_build(point: str, sig: signal.Signals,
                                                       mlp_build: Path, tmp_path: Path) -> None:
    build = tmp_path / "b"
    shutil.copytree(mlp_build, build)
    before = _snapshot(build)
    arguments = ["compile", *MLP, "--strategy", "ft-all", "-o", str(build)]
    if point:
        command = [sys.executable, "-c", _SIGNAL_AFTER, point, str(int(sig)), *arguments]
    else:
        command = [*CLI, *arguments]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    if not point:
        time.sleep(1.0)
        process.send_signal(sig)
    _, err = process.communicate(timeout=300)
    assert process.returncode != 0, "the compile was not interrupted"
    assert "Traceback" not in err
    assert _snapshot(build) == before
    builddir.verify(build)
    # a rerun cleans the killed compile's stage and writes the new build whole
    _compile(build, "ft-all")
    assert not list(tmp_path.glob(".b.new-*"))
    _compile(tmp_path / "fresh", "ft-all")
    assert _snapshot(build) == _snapshot(tmp_path / "fresh")


def test_two_compiles_into_one_folder_serialize(tmp_path: Path) -> None:
    build = tmp_path / "b"
    processes = [subprocess.Popen([*CLI, "compile", *MLP, "--strategy", strategy, "-o",
                                   str(build)], stderr=subprocess.PIPE, text=True)
                 for strategy in ("ft-last", "ft-all")]
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    manifest = builddir.verify(build)   # one whole build, not a mix of the two
    strategy = manifest["strategy"]
    assert json.loads((build / "report.json").read_text())["strategy"] == strategy
    _compile(tmp_path / "fresh", strategy)
    assert _snapshot(build) == _snapshot(tmp_path / "fresh")


def test_two_runs_on_one_build_at_once(mlp_build: Path, tmp_path: Path) -> None:
    build = tmp_path / "b"
    shutil.copytree(mlp_build, build)
    shutil.rmtree(build / "host", ignore_errors=True)   # both would build it
    command = [*CLI, "run", str(build), "--data", "fmnist", "--samples", "20", "--epochs", "1",
               "--no-progress"]
    processes = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    builddir.verify(build)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MiB tmpfs: room for one mlp build (about 1.8 MB) and not for a second."""
    disk = tmp_path / "disk"
    disk.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"mounting a tmpfs needs root (CI runs as root): {result.stderr.strip()}")
    yield disk
    subprocess.run(["umount", str(disk)], check=False)


def test_a_full_disk_keeps_the_old_build(small_disk: Path) -> None:
    build = small_disk / "b"
    _compile(build)
    before = _snapshot(build)
    compiled = compile_model("mlp", CompileOptions(strategy="ft-all", batch=2))
    with pytest.raises(UserError, match="No space left on device"):
        write_build(compiled, build)
    assert _snapshot(build) == before
    builddir.verify(build)
    assert not list(small_disk.glob(".b.new-*"))


def test_a_diverging_run_stops_and_says_where(tmp_path: Path,
                                              capsys: pytest.CaptureFixture) -> None:
    build = tmp_path / "b"
    assert main(["compile", *MLP, "--strategy", "ft-all", "--lr", "1e30", "-o", str(build)]) == 0
    capsys.readouterr()
    assert main(["run", str(build), "--data", "fmnist", "--samples", "40", "--epochs", "2",
                 "--no-progress"]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert "training diverged" in line and "--lr 1e+30" in line
    text = (build / "metrics.json").read_text()
    assert "NaN" not in text and "Infinity" not in text   # strict JSON
    metrics = json.loads(text)
    assert metrics["diverged"] is True
    step = metrics["diverged_step"]
    assert f"step {step} " in line
    assert len(metrics["loss_per_step"]) == step
    assert metrics["loss_per_step"][-1] is None or step == 40
    assert metrics["accuracy_after"] is None
    builddir.verify(build)


def test_strict_json_has_no_bare_nan() -> None:
    from edgeft.ir.files import strict_json

    text = strict_json({"a": [1.0, float("nan"), float("inf")], "b": {"c": -float("inf")}})
    assert json.loads(text) == {"a": [1.0, None, None], "b": {"c": None}}


def test_the_lock_file_sits_beside_the_build(mlp_build: Path) -> None:
    assert (mlp_build.parent / f".{mlp_build.name}.lock").is_file()
    assert not (mlp_build / f".{mlp_build.name}.lock").exists()
