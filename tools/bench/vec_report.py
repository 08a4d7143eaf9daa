"""Report: which kernels of a build's network.c gcc's vectorizer vectorizes, and why not.

    .venv/bin/python tools/bench/vec_report.py BUILD [--top 20] [--json OUT.json]
        [--flags "-O3 -march=native"]

Compiles BUILD/network.c as the host backend does (gcc, C11 with GNU
extensions, -O3 by default) with `-fopt-info-vec-optimized` and
`-fopt-info-vec-missed`, and maps every message to the function of
network.c whose lines hold it (messages keep the source line of an inlined
loop). For each kernel (a `kN_` loop nest, a `pN_..._slice` of a forked
region), hottest first by the iterations of its innermost loops: its layer,
its class (vector: edgeft-register-block's vector blocks, which need nothing
of gcc's vectorizer; contraction: scalar accumulators of edgeft-register-block, or an
innermost statement that loads an element, adds a product to it and stores
it back, as plain loops lower convolutions and matmuls; else elementwise),
the trip count of the innermost loop of its hottest nest, its loops, how
many gcc vectorized, and the reasons it gave at lines inside them, most
frequent first (a kernel gcc folded into an identical one gets no message).
A summary per class closes the table.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FUNCTION = re.compile(r"^static void (\w+)\(")
LOOP = re.compile(r"^(\s*)for \(long \w+ = (-?\d+); \w+ < (-?\d+); \w+ \+= (\d+)\)")
MESSAGE = re.compile(r"network\.c:(\d+):(\d+): (optimized|missed): (.*)$")
LAYER = re.compile(r"^/\* (.+?)(?: \(|:| \*/)")


@dataclass
class Kernel:
    """One function of network.c and what the vectorizer said about its lines."""

    name: str
    layer: str
    first: int                     # 1-based lines of the definition
    last: int
    kind: str = "elementwise"
    loops: int = 0
    iterations: int = 0            # of its innermost loops, summed
    vectorized: int = 0            # loops gcc vectorized
    inner_trips: int = 0           # trip count of the innermost loop of its hottest nest
    heard: bool = False            # gcc said anything about its lines
    missed: Counter = field(default_factory=Counter)
    loop_lines: set = field(default_factory=set)   # lines inside a loop (1-based)


def kernels_of(source: list[str]) -> list[Kernel]:
    """Every kernel function of network.c with its lines, layer, loops and class."""
    found: list[Kernel] = []
    for i, line in enumerate(source):
        m = FUNCTION.match(line)
        if not m or not re.match(r"[kp]\d+_", m.group(1)) or m.group(1).startswith("p") \
                and not m.group(1).endswith("_slice"):
            continue
        end = next(j for j in range(i + 1, len(source)) if source[j] == "}")
        layer = ""
        for back in range(i - 1, max(i - 40, -1), -1):
            c = LAYER.match(source[back])
            if c:
                layer = c.group(1)
                break
        kernel = Kernel(m.group(1), layer, i + 1, end + 1)
        _read_loops(kernel, source[i + 1:end])
        found.append(kernel)
    return found


def _read_loops(kernel: Kernel, body: list[str]) -> None:
    stack: list[tuple[int, int]] = []          # (indent, trip count) of enclosing loops
    innermost, hottest = 0, 0
    for k, line in enumerate(body):
        m = LOOP.match(line)
        indent = len(line) - len(line.lstrip())
        while stack and stack[-1][0] >= indent and line.strip():
            stack.pop()
        if stack or m:
            kernel.loop_lines.add(kernel.first + 1 + k)
        if m:
            trips = max(0, (int(m.group(3)) - int(m.group(2)) + int(m.group(4)) - 1)
                        // int(m.group(4)))
            stack.append((indent, trips))
            kernel.loops += 1
            nxt = body[k + 1] if k + 1 < len(body) else ""
            if not LOOP.match(nxt.strip() and nxt or ""):
                product = 1
                for _, t in stack:
                    product *= t
                innermost += product
                if product > hottest:
                    hottest, kernel.inner_trips = product, stack[-1][1]
    kernel.iterations = innermost
    if any("EDGEFT_VLOAD" in line for line in body):
        kernel.kind = "vector"   # edgeft-register-block's own vectors: nothing left for gcc
    elif _accumulates(body):
        kernel.kind = "contraction"


def _accumulates(body: list[str]) -> bool:
    """Scalar accumulators (`float accN`, edgeft-register-block), or a load of
    X[i], an add of a product to it and a store of the sum to X[i]."""
    if any(re.match(r"\s*float acc\d+ = ", line) for line in body):
        return True
    loads = {}
    for line in body:
        m = re.match(r"\s*const \w+ (v\d+) = (\w+\[[^;]+\]);", line)
        if m:
            loads[m.group(1)] = m.group(2)
    text = "\n".join(body)
    for value, element in loads.items():
        if re.search(rf"{re.escape(element)} = v\d+;", text) and \
                re.search(rf"= {value} \+ v\d+;|= v\d+ \+ {value};", text) and " * " in text:
            return True
    return False


def vectorizer_messages(build: Path, flags: list[str]) -> list[tuple[int, str, str]]:
    """(line, optimized|missed, text) of gcc's vectorizer on BUILD/network.c, deduplicated."""
    command = ["gcc", "-std=gnu11", *flags, f"-I{build}", f"-I{ROOT / 'runtime' / 'include'}",
               "-c", str(build / "network.c"), "-o", "/dev/null",
               "-fopt-info-vec-optimized", "-fopt-info-vec-missed"]
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"gcc failed on {build / 'network.c'}:\n{result.stderr[-2000:]}")
    seen, out = set(), []
    for line in result.stderr.splitlines():
        m = MESSAGE.search(line)
        if not m or (m.group(1), m.group(2), m.group(4)) in seen:
            continue
        seen.add((m.group(1), m.group(2), m.group(4)))
        out.append((int(m.group(1)), m.group(3), m.group(4).strip()))
    return out


def _reason(text: str) -> str | None:
    """The reason of a `missed` message, shortened; None for the bare verdicts."""
    if text in ("couldn't vectorize loop", "not vectorized: multiple nested loops.",
                "outer-loop already vectorized."):
        return None
    text = re.sub(r"v\d+_\d+|_\d+\b", "_", text)          # SSA names
    text = re.sub(r"\b[pk]\d+_\w+", "<kernel>", text)
    return text.removeprefix("not vectorized: ")


def report(build: Path, flags: list[str]) -> list[Kernel]:
    """The kernels of BUILD, each with its vectorizer verdicts."""
    source = (build / "network.c").read_text().splitlines()
    kernels = kernels_of(source)
    loop_lines = {i + 1 for i, line in enumerate(source) if LOOP.match(line)}
    for line, verdict, text in vectorizer_messages(build, flags):
        owner = next((k for k in kernels if k.first <= line <= k.last), None)
        if owner is None:
            continue
        owner.heard = True
        if verdict == "optimized" and text.startswith("loop vectorized") and line in loop_lines:
            owner.vectorized += 1
        elif verdict == "missed" and line in owner.loop_lines:
            reason = _reason(text)
            if reason is not None:
                owner.missed[reason] += 1
    for k in kernels:
        k.vectorized = min(k.vectorized, k.loops)
    return sorted(kernels, key=lambda k: (-k.iterations, k.name))


def main() -> int:
    """Print the table (and write JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", type=Path)
    parser.add_argument("--top", type=int, default=20, help="kernels to list (hottest first)")
    parser.add_argument("--flags", default="-O3", help="gcc flags (default -O3, as CMake's "
                        "Release build of the host backend)")
    parser.add_argument("--json", dest="json_out", type=Path, default=None)
    opts = parser.parse_args()
    if not (opts.build / "network.c").is_file():
        print(f"vec_report: {opts.build} has no network.c (a directory made by edgeft "
              "compile)", file=sys.stderr)
        return 1
    kernels = report(opts.build, shlex.split(opts.flags))
    total = sum(k.iterations for k in kernels) or 1
    print(f"{'kernel':36} {'layer':10} {'class':12} {'share':>6} {'inner':>5} "
          f"{'vec/loops':>9}  why not (gcc -fopt-info-vec-missed, inside its loops)")
    for k in kernels[:opts.top]:
        why = "; ".join(f"{r} (x{n})" for r, n in k.missed.most_common(2))
        if not k.heard:
            why = "no message: gcc folded it into an identical kernel"
        print(f"{k.name[:36]:36} {k.layer[:10]:10} {k.kind:12} {k.iterations / total:6.1%} "
              f"{k.inner_trips:5} {k.vectorized:>4}/{k.loops:<4}  {why}")
    print()
    for kind in ("vector", "contraction", "elementwise"):
        group = [k for k in kernels if k.kind == kind]
        if not group:
            continue
        share = sum(k.iterations for k in group) / total
        vectorized = sum(1 for k in group if k.vectorized)
        reasons = Counter()
        for k in group:
            reasons.update(k.missed)
        print(f"{kind}: {len(group)} kernels, {share:.1%} of the innermost iterations, "
              f"{vectorized} with a vectorized loop; reasons: "
              + "; ".join(f"{r} (x{n})" for r, n in reasons.most_common(4)))
    if opts.json_out is not None:
        rows = [{**asdict(k), "missed": dict(k.missed), "loop_lines": None}
                for k in kernels]
        opts.json_out.write_text(json.dumps({"build": str(opts.build), "flags": opts.flags,
                                             "kernels": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
