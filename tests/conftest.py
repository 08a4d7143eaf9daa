"""Shared fixtures: imported models are cached per test session (import is slow)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from edgeft.frontend.importer import ImportedModel, import_model_full

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# Estimates in the suite measure their kernels under QEMU (the route of a machine
# without GVSoC): measuring every compiled program's kernels on GVSoC would take
# the suite past its time budget. tests/test_gvsoc.py asks for the GVSoC route.
os.environ.setdefault("EDGEFT_KERNEL_CYCLES", "qemu")


@pytest.fixture(scope="session")
def imported() -> Callable[..., ImportedModel]:
    """imported(name, **options) -> ImportedModel, cached by arguments."""
    cache: dict[tuple, ImportedModel] = {}

    def get(name: str, **options: object) -> ImportedModel:
        key = (name, tuple(sorted(options.items())))
        if key not in cache:
            cache[key] = import_model_full(name, **options)
        return cache[key]

    return get


def run_tool(tool: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run an installed console script (edgeft, edgeft-opt) and capture its output."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run([str(BIN / tool), *args], check=False, capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300)
