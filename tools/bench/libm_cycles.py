"""Benchmark: cycles per call of the cluster's expf and erff (runtime/pulp/libm.c).

    .venv/bin/python tools/bench/libm_cycles.py [-o tools/bench/results/libm_cycles.json]

Builds tools/bench/c/libm_cycles.c with runtime/pulp's libm for a Siracusa
cluster core (the ziglang wheel's clang; libm.c with the flags the GVSoC
backend builds it with, edgeft.backends.gvsoc) and runs it on GVSoC
(EDGEFT_GVSOC, else ../shared/gvsoc): cluster core 0, code in L2 with the
cluster I-cache on, inputs in L1, 256 calls per input range, the empty loop
subtracted. Writes JSON with the cycles per call
of each (function, range).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

PULP = ROOT / "runtime" / "pulp"
SOURCE = Path(__file__).parent / "c" / "libm_cycles.c"


def gvsoc() -> Path:
    """The GVSoC launcher."""
    env = os.environ.get("EDGEFT_GVSOC")
    return Path(env) if env else ROOT.parent / "shared" / "gvsoc" / "install" / "bin" / "gvsoc"


def measure(work: Path) -> dict[str, float]:
    """Cycles per call by "function_range" name."""
    from test_pulp_libm import CRT0, LINK_LD

    from edgeft.backends import gvsoc as backend

    (work / "crt0.S").write_text(CRT0)
    (work / "link.ld").write_text(LINK_LD)
    cc = [*backend.zig(), *backend.FLAGS, backend.CLUSTER_CPU, "-I", str(PULP / "include")]
    objects = []
    for source, flags in ((SOURCE, ()), (PULP / "libm.c", backend.LIBM_FLAGS),
                          (PULP / "string.c", ())):
        objects.append(work / f"{source.stem}.o")
        subprocess.run([*cc, *flags, "-c", str(source), "-o", str(objects[-1])], check=True)
    elf = work / "libm_cycles.elf"
    subprocess.run([*cc, "-T", str(work / "link.ld"), str(work / "crt0.S"), *map(str, objects),
                    "-o", str(elf)], check=True)
    (work / "gvsoc").mkdir()
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run([str(gvsoc()), "--target=siracusa", "--binary", str(elf.resolve()),
                           "--work-dir", str((work / "gvsoc").resolve()), "run"],
                          check=True, capture_output=True, text=True, timeout=600, env=env)
    result = {}
    for line in proc.stdout.splitlines():
        words = line.split()
        if len(words) == 3 and words[1].isdigit() and words[2].isdigit():
            result[words[0]] = int(words[1]) / int(words[2])
    return result


def main() -> None:
    """Measure and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path,
                        default=ROOT / "tools" / "bench" / "results" / "libm_cycles.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cycles = measure(Path(tmp))
    report = {"what": "cycles per call on a GVSoC siracusa cluster core (empty loop "
                      "subtracted), runtime/pulp/libm.c", "cycles_per_call": cycles}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
