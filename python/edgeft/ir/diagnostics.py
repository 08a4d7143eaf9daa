"""Diagnostics: formatting MLIR diagnostics for users, and checking them
against `expected-error@+N {{...}}` comments (`--verify-diagnostics`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from torch_mlir import ir

_FILE_LOC = re.compile(r'"((?:[^"\\]|\\.)*)":(\d+):(\d+)')
_NAME_LOC = re.compile(r'^loc\("((?:[^"\\]|\\.)*)"(?:\(|\)$)')
# A training phase tag (edgeft.ir.graph.phase_location) around the layer's location.
PHASE_TAG = re.compile(r'fused<"edgeft\.(backward|update)">')
_LEADING_TAG = re.compile(r'^loc\(' + PHASE_TAG.pattern + r'\[')
_EXPECTED = re.compile(
    r"expected-(error|warning|remark|note)(?:@([+-]\d+|above|below|unknown))?\s*\{\{(.*?)\}\}"
)
_SEVERITY = {
    ir.DiagnosticSeverity.ERROR: "error",
    ir.DiagnosticSeverity.WARNING: "warning",
    ir.DiagnosticSeverity.NOTE: "note",
    ir.DiagnosticSeverity.REMARK: "remark",
}


@dataclass(frozen=True)
class Diag:
    """A diagnostic reduced to what users and tests look at."""

    severity: str
    file: str | None
    line: int | None
    col: int | None
    layer: str | None
    message: str

    def with_file(self, file: str) -> Diag:
        """The same diagnostic attributed to `file`."""
        return Diag(self.severity, file, self.line, self.col, self.layer, self.message)

    def format(self) -> str:
        """The diagnostic as the drivers print it: `file:line:col: severity: message [layer]`."""
        where = f"{self.file}:{self.line}:{self.col}: " if self.file is not None else ""
        layer = f" [PyTorch layer '{self.layer}']" if self.layer else ""
        return f"{where}{self.severity}: {self.message}{layer}"


def from_location(severity: str, location: ir.Location, message: str) -> Diag:
    """Reduce a location to its first file:line:col and its outer name, if any."""
    text = _LEADING_TAG.sub("loc(", str(location))
    file_loc = _FILE_LOC.search(text)
    name = _NAME_LOC.match(text)
    layer = name.group(1) if name else None
    if file_loc is None:
        return Diag(severity, None, None, None, layer, message)
    return Diag(severity, file_loc.group(1), int(file_loc.group(2)), int(file_loc.group(3)),
                layer, message)


def convert(diagnostic: ir.Diagnostic) -> list[Diag]:
    """A diagnostic and its notes, in order."""
    out = [from_location(_SEVERITY.get(diagnostic.severity, "error"), diagnostic.location,
                         diagnostic.message)]
    for note in diagnostic.notes:
        out.extend(convert(note))
    return out


def from_error(error: ir.MLIRError) -> list[Diag]:
    """The diagnostics carried by an MLIRError (those of a failed parse or pass)."""
    out: list[Diag] = []
    for d in error.error_diagnostics:
        out.extend(convert(d))
    if not out:
        out.append(Diag("error", None, None, None, None, str(error)))
    return out


@dataclass(frozen=True)
class Expected:
    """An `expected-*` annotation of a --verify-diagnostics input."""

    severity: str
    line: int | None  # None: `@unknown`, a location outside the checked file
    message: str


def expectations(text: str) -> list[Expected]:
    """The `expected-<severity>@<offset> {{message}}` comments of a source text."""
    found = []
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        for m in _EXPECTED.finditer(line):
            severity, offset, message = m.groups()
            target: int | None = number
            if offset == "unknown":
                target = None
            elif offset == "above":
                target = number - 1
            elif offset == "below":
                target = number + 1
            elif offset:
                target = number + int(offset)
            found.append(Expected(severity, target, message))
    return found


def verify(text: str, produced: list[Diag], filename: str) -> list[str]:
    """Match produced diagnostics against the expectations in `text`.

    Returns the mismatches as messages; empty means the diagnostics are as
    expected. Notes are checked only when the text expects some. A
    diagnostic located outside `filename` (a name-only location, or one that
    points into PyTorch sources) matches `expected-error@unknown`.
    """
    expected = expectations(text)
    check_notes = any(e.severity == "note" for e in expected)
    remaining = list(expected)
    problems = []
    for diag in produced:
        if diag.severity == "note" and not check_notes:
            continue
        line = diag.line if diag.file == filename else None
        match = next((e for e in remaining if e.severity == diag.severity
                      and e.line == line and e.message in diag.message), None)
        if match is None:
            problems.append(f"{filename}:{diag.line}:{diag.col}: unexpected {diag.severity}: "
                            f"{diag.message}")
            continue
        remaining.remove(match)
    for e in remaining:
        where = e.line if e.line is not None else "unknown"
        problems.append(f'{filename}:{where}: expected {e.severity} "{e.message}" '
                        "was not produced")
    return problems


class InvalidIR(Exception):  # noqa: N818 - named for what it is, as UserError
    """IR that edgeft's own passes produced fails to verify: a bug of ours, so
    an internal error (exit 2 with a reproducer), never a user error."""


def invalid_ir(op: ir.Operation) -> list[Diag]:
    """What the verifier says about `op` (and everything in it); empty when it verifies.

    After a failed pipeline this tells a pass that refused its input (the IR
    still verifies; the pass said why) from one that built invalid IR.
    """
    try:
        if op.verify():
            return []
    except ir.MLIRError as e:
        return from_error(e)
    return [Diag("error", None, None, None, None, "the module does not verify")]


def check_invalid(op: ir.Operation, what: str) -> None:
    """Raise InvalidIR (naming the first verifier error, its op and layer) if `op`
    does not verify after `what` failed."""
    problems = invalid_ir(op)
    if problems:
        raise InvalidIR(f"{what} produced IR that does not verify: {problems[0].format()}")
