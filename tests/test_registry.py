"""The pass registry: pipeline parsing, options, and embedding passes elsewhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from torch_mlir import ir, passmanager

from edgeft.ir.context import make_context
from edgeft.ir.errors import UserError
from edgeft.passes import registry
from edgeft.passes.param_summary import ParamSummary

MODULE = """
ml_program.global private mutable @"head.weight"(dense<0.0> : tensor<10x84xf32>) : tensor<10x84xf32> {edgeft.trainable}
ml_program.global private mutable @"head.bias"(dense<0.0> : tensor<10xf32>) : tensor<10xf32>
"""


def test_parse_anchored_and_bare_pipelines() -> None:
    anchored = registry.parse_pipeline(
        "builtin.module(canonicalize{max-iterations=3}, func.func(cse), edgeft-param-summary)")
    bare = registry.parse_pipeline("canonicalize{max-iterations=3},func.func(cse),"
                                   "edgeft-param-summary")
    assert [e.text() for e in anchored] == [e.text() for e in bare] == [
        "canonicalize{max-iterations=3}", "func.func(cse)", "edgeft-param-summary"]


@pytest.mark.parametrize("text, message", [
    ("canonicalize,", "expected a pass or operation name at column 14"),
    ("builtin.module(cse", "expected ')' at column 19"),
    ("cse{a=1", "unbalanced '{' at column 8"),
    ("cse) x", "unexpected ')' at column 4"),
])
def test_pipeline_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(UserError) as error:
        registry.parse_pipeline(text)
    assert str(error.value) == f"bad pass pipeline '{text}': {message}"


def test_options_are_typed() -> None:
    instance = registry.make_pass("edgeft-param-summary", 'format=json output="a b.txt"')
    assert instance == ParamSummary(output="a b.txt", format="json")


def test_every_pass_has_docs_and_typed_options() -> None:
    for argument in registry.PASSES:
        cls = registry.pass_class(argument)
        assert cls.argument == argument
        assert registry.summary(cls)
        for name, type_name, _, help_text in registry.option_docs(cls):
            assert help_text, f"{argument} option {name} has no help"
            assert type_name


def test_pass_embeds_in_any_pass_manager(tmp_path: Path) -> None:
    """Other MLIR flows add our passes to their own PassManager."""
    out = tmp_path / "params.json"
    with make_context():
        module = ir.Module.parse(MODULE)
        pm = passmanager.PassManager()
        pm.add("canonicalize")
        pm.add(ParamSummary(output=str(out), format="json"))
        pm.run(module.operation)
    summary = json.loads(out.read_text())
    assert summary["total_params"] == 850
    assert summary["trainable_params"] == 840
    assert [g["role"] for g in summary["globals"]] == ["weight", "bias"]


def test_failing_pass_raises_with_its_diagnostic() -> None:
    with make_context():
        module = ir.Module.parse(
            "ml_program.global private mutable @w(#ml_program.extern : tensor<?xf32>) : tensor<?xf32>")
        pm = registry.build_pass_manager("edgeft-param-summary", ir.Context.current)
        with pytest.raises(ir.MLIRError) as error:
            pm.run(module.operation)
    messages = [d.message for d in error.value.error_diagnostics]
    assert any("parameter global 'w' has type tensor<?xf32>" in m for m in messages)


def test_pass_docs_are_current() -> None:
    """docs/passes.md is generated from the registry; it must match the code."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, str(root / "tools" / "gen_pass_docs.py"), "--check"],
                            check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
