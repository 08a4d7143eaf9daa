"""Hostile input to edgeft-opt and edgeft-translate: one clear line and exit 1, never a
traceback or a crash (issue 16). The drivers run in-process through main(argv)."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import os
import sys
import typing
from pathlib import Path

import pytest

from edgeft.driver import opt, translate
from edgeft.passes import registry

EMPTY = "module {\n}\n"
TENSOR_OP = """#id = affine_map<(d0) -> (d0)>
module {
  func.func @f(%a: tensor<16xf32>, %b: tensor<16xf32>) -> tensor<16xf32> {
    %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%a : tensor<16xf32>) outs(%b : tensor<16xf32>) {
    ^bb0(%x: f32, %y: f32):
      linalg.yield %x : f32
    } -> tensor<16xf32>
    return %r : tensor<16xf32>
  }
}
"""


def nested_modules(depth: int) -> str:
    return "module {\n" * depth + "}\n" * depth


def run(main: typing.Callable[[list[str]], int], argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


# (case, input bytes, pipeline, the one line on stderr; {file} is the input's path)
CASES = [
    ("nested 5000 deep", nested_modules(5000).encode(), "",
     "edgeft-opt: error: '{file}' nests 5000 levels deep (past 1000 at line 1001); at most "
     "1000 levels of regions and brackets are accepted"),
    ("brackets in an attribute", ("module attributes {a = " + "[" * 1200 + "]" * 1200
                                  + "} {\n}\n").encode(), "",
     "edgeft-opt: error: '{file}' nests 1201 levels deep (past 1000 at line 1); at most "
     "1000 levels of regions and brackets are accepted"),
    ("not UTF-8", b"module {\n  // caf\xe9\n}\n", "",
     "edgeft-opt: error: '{file}' is not UTF-8: byte 0xe9 at offset 17 (line 2, column 9)"),
    ("ft-last without parameters", EMPTY.encode(), "edgeft-select-trainable{strategy=ft-last}",
     "{file}:1:1: error: edgeft-select-trainable: the module has no parameter global, so "
     "strategy 'ft-last' has no layer to train"),
    ("lp without parameters", EMPTY.encode(), "edgeft-select-trainable{strategy=lp}",
     "{file}:1:1: error: edgeft-select-trainable: the module has no parameter global, so "
     "strategy 'lp' has no layer to train"),
    ("skip-lora without parameters", b"func.func @forward(%x: tensor<2x3xf32>) {\n  return\n}\n",
     "edgeft-inject-skip-lora",
     "{file}:1:1: error: edgeft-inject-skip-lora: the module has no parameter global, so there "
     "is no network to adapt"),
    ("lora-last without parameters", b"func.func @forward(%x: tensor<2x3xf32>) {\n  return\n}\n",
     "edgeft-inject-lora{targets=lora-last}",
     "{file}:1:1: error: edgeft-inject-lora: the module has no parameter global, so there is "
     "no layer to adapt"),
    ("a declared forward", b"module {\n  func.func private @forward(%x: tensor<2x3xf32>)\n}\n",
     "edgeft-derive-predict", "{file}:1:1: error: edgeft-derive-predict: the module has no @forward"),
    ("negative seed", EMPTY.encode(), "edgeft-inject-lora{seed=-5}",
     "edgeft-opt: error: pass 'edgeft-inject-lora': option 'seed' must be 0 .. 4294967295, "
     "got -5"),
    ("huge seed", EMPTY.encode(), f"edgeft-inject-skip-lora{{seed={2**70}}}",
     "edgeft-opt: error: pass 'edgeft-inject-skip-lora': option 'seed' must be 0 .. "
     f"4294967295, got {2**70}"),
    ("too many cores", EMPTY.encode(), "edgeft-parallelize{cores=1000}",
     "edgeft-opt: error: pass 'edgeft-parallelize': option 'cores' must be 1 .. 8, got 1000"),
    ("negative budget", EMPTY.encode(), "edgeft-offload-redmule{l1=-1}",
     "edgeft-opt: error: pass 'edgeft-offload-redmule': option 'l1' must be 0 (the target's) "
     "or 1024 .. 4294967295, got -1"),
    ("lr zero in float32", EMPTY.encode(), "edgeft-sgd{lr=1e-46}",
     "edgeft-opt: error: pass 'edgeft-sgd': option 'lr' must be > 0, finite and nonzero in "
     "float32, got 1e-46"),
    ("promote on tensors", TENSOR_OP.encode(), "edgeft-promote",
     "{file}:4:10: error: edgeft-promote: this op works on tensors; promotion moves tiles of "
     "buffers: run edgeft-bufferize and edgeft-tile first"),
]


@pytest.mark.parametrize("data, pipeline, message", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_hostile_input_is_one_line_and_exit_1(tmp_path: Path, data: bytes, pipeline: str,
                                              message: str) -> None:
    source = tmp_path / "in.mlir"
    source.write_bytes(data)
    code, out, err = run(opt.main, [str(source), "-p", pipeline])
    assert (code, err) == (1, message.format(file=source) + "\n")
    assert out == ""


def test_nesting_just_within_the_limit_parses(tmp_path: Path) -> None:
    source = tmp_path / "in.mlir"
    source.write_text(nested_modules(opt.MAX_NESTING))
    code, out, err = run(opt.main, [str(source)])
    assert (code, err) == (0, "")
    assert out.count("module {") == opt.MAX_NESTING


def test_nesting_ignores_strings_and_comments() -> None:
    text = 'module attributes {s = "' + "{" * 5000 + '"} {\n// ' + "(" * 5000 + "\n}\n"
    assert opt.nesting(text) == (1, -1)
    assert opt.nesting("%0 = affine_map<(d0) -> (d0)> // x >= 0\n") == (2, -1)


def test_bytes_on_stdin_that_are_not_utf8(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"module {\n}\n\xff\n")))
    code, _, err = run(opt.main, ["-"])
    assert (code, err) == (1, "edgeft-opt: error: '<stdin>' is not UTF-8: byte 0xff at offset "
                              "11 (line 3, column 1)\n")


def test_translate_refuses_what_is_not_utf8_or_too_deep(tmp_path: Path) -> None:
    source = tmp_path / "in.mlir"
    source.write_bytes(b"\x80module {\n}\n")
    code, _, err = run(translate.main, [str(source), "--to-c"])
    assert (code, err) == (1, f"edgeft-translate: error: '{source}' is not UTF-8: byte 0x80 at "
                              "offset 0 (line 1, column 1)\n")
    source.write_text(nested_modules(2000))
    code, _, err = run(translate.main, [str(source), "--to-c"])
    assert code == 1 and err.startswith(f"edgeft-translate: error: '{source}' nests 2000 levels")


@pytest.mark.parametrize("main, argv", [
    (opt.main, ["-p", "edgeft-select-trainable{strategy=ft-last}"]),
    (opt.main, ["-p", "edgeft-inject-lora{seed=-5}"]),
    (opt.main, ["-p", "no-such-pass"]),
    (translate.main, ["--to-c", "--build", "x", "--split-input-file"]),
], ids=["pass-failure", "bad-option", "unknown-pass", "translate-usage"])
def test_failing_run_leaves_its_output_file(tmp_path: Path, main: typing.Callable,
                                            argv: list[str]) -> None:
    """`-o X.mlir` on its own input: a failure leaves X.mlir byte for byte."""
    target = tmp_path / "x.mlir"
    target.write_text(EMPTY)
    target.chmod(0o640)
    code, _, _ = run(main, [str(target), *argv, "-o", str(target)])
    assert code == 1
    assert target.read_text() == EMPTY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.mlir"]


def test_successful_run_replaces_its_output_file(tmp_path: Path) -> None:
    target = tmp_path / "x.mlir"
    target.write_text("module {\n  func.func private @f()\n}\n")
    target.chmod(0o640)
    code, _, err = run(opt.main, [str(target), "-p", "symbol-dce", "-o", str(target)])
    assert (code, err) == (0, "")
    assert target.read_text() == EMPTY
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.mlir"]


def test_output_to_a_device_is_written_in_place() -> None:
    opt.write_output("module {\n}\n", os.devnull)
    assert Path(os.devnull).is_char_device()


# --- every numeric option of every pass has a range that construction checks ----------


def numeric_options() -> list[tuple[str, dataclasses.Field]]:
    found = []
    for argument in sorted(registry.PASSES):
        cls = registry.pass_class(argument)
        hints = typing.get_type_hints(cls)
        found += [(argument, f) for f in dataclasses.fields(cls) if hints[f.name] in (int, float)]
    return found


def test_every_pass_builds_with_its_defaults() -> None:
    """A numeric option without a range fails here (option_problem raises TypeError)."""
    for argument in registry.PASSES:
        registry.make_pass(argument)
    assert len(numeric_options()) >= 15


def outside(allowed: object) -> list[float]:
    """Values just outside a range, and the non-finite ones."""
    values = [allowed.low if allowed.low_open else allowed.low - 1, math.nan, math.inf]
    if not math.isinf(allowed.high):
        values.append(allowed.high if allowed.high_open else allowed.high + 1)
    return [v for v in values if not (allowed.zero and v == 0)]


@pytest.mark.parametrize("argument, f", numeric_options(),
                         ids=[f"{a}.{f.name}" for a, f in numeric_options()])
def test_every_numeric_option_refuses_what_its_range_does_not_allow(
        argument: str, f: dataclasses.Field) -> None:
    allowed = f.metadata["range"]
    name = f.name.replace("_", "-")
    is_int = typing.get_type_hints(registry.pass_class(argument))[f.name] is int
    for value in outside(allowed):
        if is_int and not math.isfinite(value):
            continue
        text = str(int(value)) if is_int else repr(value)
        with pytest.raises(registry.UserError, match=f"option '{name}' must be "):
            registry.make_pass(argument, f"{name}={text}")
