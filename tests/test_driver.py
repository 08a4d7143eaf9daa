"""The exit-code contract shared by edgeft and edgeft-opt."""

from __future__ import annotations

import pytest

from edgeft.driver.common import run_main
from edgeft.ir.errors import UserError


def _raise(error: BaseException):
    def body(argv: list[str]) -> int:
        raise error
    return body


def test_user_error_is_one_line_and_exit_1(capsys: pytest.CaptureFixture) -> None:
    assert run_main("edgeft", _raise(UserError("no such model")), ["import", "x"]) == 1
    err = capsys.readouterr().err
    assert err == "edgeft: error: no such model\n"


def test_bug_is_exit_2_with_a_reproducer(capsys: pytest.CaptureFixture) -> None:
    assert run_main("edgeft-opt", _raise(KeyError("oops")), ["in.mlir", "-p", "a b"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert err.rstrip().endswith("edgeft-opt in.mlir -p 'a b'")


def test_success_passes_the_code_through() -> None:
    assert run_main("edgeft", lambda argv: 0, []) == 0


def test_the_help_names_every_builtin_model() -> None:
    # cli.py writes the names out (its --help must not import torch); they must
    # be the models edgeft import can build.
    from edgeft.driver import cli
    from edgeft.frontend import models

    assert set(cli.BUILTIN_MODELS) == set(models.BUILTIN)
