"""Files edgeft writes: strict JSON, and replacement only when the whole file is written.

    text = strict_json(report)                 # NaN/inf become null, never bare NaN
    replace_text(Path("out.mlir"), text)       # a temporary beside it, then os.replace

JSON that Python's `json` writes by default may hold `NaN` and `Infinity`,
which are not JSON: every JSON file edgeft writes goes through
`strict_json`. A file written with `replace_text` is either the old one or
the whole new one, whatever interrupts the write (a signal, a full disk).
"""

from __future__ import annotations

import json
import math
import os
import stat
import tempfile
from pathlib import Path
from typing import Any


def finite_or_none(value: Any) -> Any:
    """`value` with every non-finite float (NaN, inf) inside it replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_none(v) for v in value]
    return value


def strict_json(value: Any, indent: int | None = 2) -> str:
    """`value` as JSON text that any JSON parser reads (non-finite floats as
    null), with a final newline."""
    return json.dumps(finite_or_none(value), indent=indent, allow_nan=False) + "\n"


def replace_text(path: Path, text: str | bytes) -> None:
    """Write `text` to a temporary file beside `path`, then rename it over
    `path`: readers see the old file or the new one, never a part. The file
    keeps the old one's mode (a new one gets open()'s). Raises OSError (the
    temporary is removed)."""
    data = text.encode() if isinstance(text, str) else text
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else _new_file_mode()
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _new_file_mode() -> int:
    """The mode open() gives a new file: 0o666 under the process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
