"""Backends: where a build's C runs, behind one interface (`base.Backend`).

- `host`: built with CMake into a shared library and called with ctypes;
- `rv32`: built with the RV32 toolchain, bare metal under QEMU;
- `gvsoc`: built with the ziglang wheel's clang, bare metal on GVSoC's
  Siracusa (8 cluster cores, DMA, HyperRAM);
- `toolchain`: finding, building and running with the RV32 tools, shared by
  the rv32 backend, the kernel measurement and the calibration.

    program = backends.get("host").build(Path("BUILD"))
"""

from __future__ import annotations

from edgeft.backends.base import Backend
from edgeft.backends.gvsoc import GvsocProgram
from edgeft.backends.host import HostProgram
from edgeft.backends.rv32 import Rv32Program
from edgeft.ir.errors import UserError

BACKENDS: dict[str, type[Backend]] = {cls.name: cls
                                      for cls in (HostProgram, Rv32Program, GvsocProgram)}


def get(name: str) -> type[Backend]:
    """The backend called `name`, or a user error listing the available ones."""
    backend = BACKENDS.get(name)
    if backend is None:
        raise UserError(f"unknown backend '{name}' (available: {', '.join(BACKENDS)})")
    return backend
