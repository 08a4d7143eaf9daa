"""The performance model against the GVSoC measurements, as a table.

    .venv/bin/python tools/calibrate.py

Prints every measured point of ../shared/calibration/gvsoc_measurements.json
with the model's value and error (points the model cannot reproduce are
marked with the reason), then the fitted parameters next to the values in
the siracusa target description. Needs the RV32 toolchain and QEMU (the
core loops' instruction counts).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))


def main() -> int:
    """Print the model against every calibration measurement."""
    from edgeft.estimate import calibration
    from edgeft.target import siracusa

    data = calibration.load()
    counts = calibration.core_loop_instructions()
    target = siracusa()
    for p in calibration.check(target, data, counts):
        reason = calibration.UNREPRODUCED.get(p.name)
        mark = f"  not reproduced: {reason}" if reason else ""
        print(f"{p.name:48s} {p.measured:>10,.0f} {p.model:>10,.1f} {p.error:>+8.1%}{mark}")
    print()
    values = {q["name"]: q["value"] for q in target.parameters()}
    for name, value in calibration.fit(data, counts).items():
        print(f"{name}: fitted {value}, target {values[name]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
