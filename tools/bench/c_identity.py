"""Sweep: the C that every model x strategy x target compiles to, as hashes.

    .venv/bin/python tools/bench/c_identity.py [--batch 20] [--models mlp,lenet5,cct2]
        [--keep DIR] [--compare OLD.json] [-o tools/bench/results/c_identity.json]

For mlp and lenet5 under the nine strategies of the training issue and cct2
under its six, on the host, on siracusa and on siracusa with a 16 KiB L1,
compiles without the estimate (it does not change the C) and records the
SHA-256 of every generated file (network.c, network.h, weights.c,
CMakeLists.txt, program.json) and the tile and offload summary of
report.json. `--keep DIR` also copies the generated files there, for diffs;
`--compare OLD.json` lists the builds whose C differs from an earlier sweep
(exit code 1 if any does). A refactoring of the backend must leave every
hash as it was, except where a cost-model change moves a tile or offload
choice (then tools/bench/hierarchy.py shows the new program still equals the
flat one).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))

from hierarchy import STRATEGIES  # noqa: E402 - the same models and strategies

TARGETS = {"host": ("host", None), "siracusa": ("siracusa", None),
           "siracusa-l1-16k": ("siracusa", 16384)}
FILES = ("network.c", "network.h", "weights.c", "CMakeLists.txt", "program.json")


def build_one(job: tuple[str, str, str, int, str | None]) -> dict:
    """Compile one configuration; its file hashes (or its one-line error)."""
    sys.path.insert(0, str(ROOT / "python"))
    from edgeft.driver.compiler import CompileOptions, compile_model, write_build
    from edgeft.ir.errors import UserError

    model, strategy, target_key, batch, keep = job
    target, l1 = TARGETS[target_key]
    key = f"{model}/{strategy}/{target_key}"
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp) / "build"
        try:
            compiled = compile_model(model, CompileOptions(strategy=strategy, batch=batch,
                                                           target=target, l1=l1,
                                                           estimate=False))
            write_build(compiled, build)
        except UserError as e:
            return {"key": key, "error": str(e)}
        # CMakeLists.txt names the runtime by its absolute path: hash it without.
        hashes = {name: hashlib.sha256((build / name).read_bytes().replace(
            str(ROOT).encode(), b"<edgeft>")).hexdigest()
                  for name in FILES if (build / name).exists()}
        if keep:
            dest = Path(keep) / model / strategy / target_key
            dest.mkdir(parents=True, exist_ok=True)
            for name in hashes:
                shutil.copy(build / name, dest / name)
        report = compiled.report
    return {"key": key, "files": hashes, "tiling": report.get("tiling"),
            "redmule_jobs": report.get("redmule", {}).get("jobs"),
            "seconds": round(time.perf_counter() - start, 1)}


def main() -> int:
    """Compile every configuration, record its hashes, compare them with --compare."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=20)
    p.add_argument("--models", default="mlp,lenet5,cct2")
    p.add_argument("--jobs", type=int, default=2, help="parallel compiles (2)")
    p.add_argument("--keep", default=None, help="copy the generated files into DIR")
    p.add_argument("--compare", default=None, help="an earlier result to compare against")
    p.add_argument("-o", dest="output", default=str(ROOT / "tools/bench/results/c_identity.json"))
    opts = p.parse_args()
    jobs = [(model, strategy, target, opts.batch, opts.keep)
            for model in opts.models.split(",") for strategy in STRATEGIES[model]
            for target in TARGETS]
    with ProcessPoolExecutor(max_workers=opts.jobs) as pool:
        builds = {}
        for result in pool.map(build_one, jobs):
            builds[result.pop("key")] = result
            print(result.get("error") or f"{list(builds)[-1]}: {result['seconds']} s",
                  file=sys.stderr)
    result = {"benchmark": "generated C per model, strategy and target", "batch": opts.batch,
              "builds": builds}
    changed = []
    if opts.compare:
        old = json.loads(Path(opts.compare).read_text())["builds"]
        changed = sorted(k for k in builds if k in old and
                         (builds[k].get("files"), builds[k].get("error"))
                         != (old[k].get("files"), old[k].get("error")))
        result["compared_with"] = opts.compare
        result["changed"] = changed
        print(f"{len(changed)} of {len(builds)} builds differ: {changed or 'none'}",
              file=sys.stderr)
    Path(opts.output).parent.mkdir(parents=True, exist_ok=True)
    Path(opts.output).write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"-> {opts.output}", file=sys.stderr)
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
