"""The import graph points down the layers (tools/check_layers.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import check_layers  # noqa: E402


def test_imports_point_down_the_layers() -> None:
    """No upward import, no cycle, no lazy import outside the driver, no
    borrowed private name: the check prints nothing and exits 0."""
    run = subprocess.run([sys.executable, str(ROOT / "tools/check_layers.py")],
                         check=False, capture_output=True, text=True)
    assert run.stdout == "" and run.returncode == 0, run.stdout + run.stderr


def test_the_check_finds_a_cycle() -> None:
    assert check_layers.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert check_layers.cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_every_module_has_a_layer() -> None:
    """The layer map covers the whole package; a pass sits above the IR layer."""
    for path in check_layers.PACKAGE.rglob("*.py"):
        assert check_layers.layer_of(check_layers.module_name(path)) in check_layers.LAYERS
    order = check_layers.LAYERS.index
    assert order(check_layers.layer_of("edgeft.passes.tile")) > \
        order(check_layers.layer_of("edgeft.ir.attrs"))
    assert order(check_layers.layer_of("edgeft.codegen.emitter")) > \
        order(check_layers.layer_of("edgeft.passes.tile"))
