"""The code keeps the house style: ruff with the project's rules (pyproject.toml:
type hints and docstrings on public functions and every pass, isort, pyflakes,
bugbear) is clean over python/, tests/ and tools/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff is None:
        pytest.skip("ruff is not installed next to this Python (tools/setup.sh installs it)")
    run = subprocess.run([ruff, "check", "--no-cache", "python", "tests", "tools"], cwd=ROOT,
                         check=False, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-4000:]
