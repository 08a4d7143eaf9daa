"""Which tile and offload choices the single cost model moved, build by build.

    .venv/bin/python tools/bench/cost_model.py --base-tree DIR [--batch 20]
        [--builds lenet5/ft-all/siracusa,mlp/ft-all/siracusa-l1-16k]
        [--identity-old OLD.json --identity-new NEW.json]
        [--estimates-old A.json,B.json --estimates-new C.json,D.json]
        [-o tools/bench/results/cost_model.json]

`--base-tree DIR` is a copy of the sources before the change (`git archive
PARENT | tar -x -C DIR`). For each build it compiles the model twice, with
the sources of DIR and with these, and records every choice edgeft-tile made
(op, loop sizes, tile sizes) and every im2col decision of
edgeft-offload-redmule, then lists the ops whose choice differs. With the
c_identity.py results before and after, it adds each changed build's tiling
summary and job count; with strategies.py results before and after (same
batch and L1), the estimate's cycles per step.
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
TARGETS = {"siracusa": None, "siracusa-l1-16k": 16384}


def record(model: str, strategy: str, target_key: str, batch: int) -> dict:
    """Compile one build, recording the tiling and im2col choices (in-process).
    The imports are here because the caller picks the source tree on sys.path."""
    from edgeft.compiler import CompileOptions, compile_model, write_build
    from edgeft.graph import layer_of
    from edgeft.passes import offload_redmule, tile

    tiles, im2col = [], []
    choose = tile.choose_tiles

    def logged_choose(nest, budget, target):
        choice = choose(nest, budget, target)
        tiles.append({"layer": layer_of(nest.op), "sizes": nest.sizes,
                      "tiles": choice.tiles if choice else None})
        return choice

    tile.choose_tiles = logged_choose
    name = "im2col_pays" if hasattr(offload_redmule, "im2col_pays") else "_im2col_pays"
    pays = getattr(offload_redmule, name)

    def logged_pays(conv, op, *rest):
        answer = pays(conv, op, *rest)
        im2col.append({"layer": layer_of(op), "conv": vars(conv), "im2col": answer})
        return answer

    setattr(offload_redmule, name, logged_pays)
    compiled = compile_model(model, CompileOptions(strategy=strategy, batch=batch,
                                                   target="siracusa", l1=TARGETS[target_key],
                                                   estimate=False))
    with tempfile.TemporaryDirectory() as tmp:
        write_build(compiled, Path(tmp) / "build")  # C generation tiles and offloads
    return {"tiles": tiles, "im2col": im2col}


def run_in(tree: Path, build: str, batch: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree / "python"))
    code = (f"import json, sys; sys.path.insert(0, {str(tree / 'python')!r}); "
            f"sys.path.insert(0, {str(Path(__file__).parent)!r}); import cost_model; "
            f"print(json.dumps(cost_model.record(*{build.split('/')!r}, {batch})))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def differences(old: dict, new: dict) -> dict:
    moved = [{"layer": a["layer"], "sizes": a["sizes"], "before": a["tiles"],
              "after": b["tiles"]}
             for a, b in zip(old["tiles"], new["tiles"], strict=False) if a != b]
    flipped = [{"layer": a["layer"], "conv": a["conv"], "before": a["im2col"],
                "after": b["im2col"]}
               for a, b in zip(old["im2col"], new["im2col"], strict=False) if a != b]
    return {"ops": len(new["tiles"]), "tiles_moved": len(moved), "moved": moved,
            "convolutions": len(new["im2col"]), "im2col_flipped": flipped,
            "same_op_count": len(old["tiles"]) == len(new["tiles"])}


def identity_changes(old: dict, new: dict) -> dict:
    """The builds whose generated files differ, CMakeLists.txt aside (it holds
    the runtime's absolute path, so it differs between checkouts), with the
    tiling summary and job count before and after."""
    def files(build: dict) -> tuple:
        kept = {k: v for k, v in build.get("files", {}).items() if k != "CMakeLists.txt"}
        return kept, build.get("error")

    changed = sorted(k for k in new if k in old and files(new[k]) != files(old[k]))
    return {"builds": len(new), "changed": {
        key: {"files": sorted(f for f in files(new[key])[0]
                              if files(new[key])[0][f] != files(old[key])[0].get(f)),
              "tiling": [old[key].get("tiling"), new[key].get("tiling")],
              "redmule_jobs": [old[key].get("redmule_jobs"), new[key].get("redmule_jobs")]}
        for key in changed}}


def estimates(paths: str | None) -> dict:
    out = {}
    for path in (paths or "").split(","):
        if not path:
            continue
        data = json.loads(Path(path).read_text())
        target = "siracusa-l1-16k" if data.get("l1") == 16384 else "siracusa"
        for row in data["rows"]:
            if row.get("fits"):
                out[f"{row['model']}/{row['strategy']}/{target}"] = {
                    "cycles": row["cycles_per_step"], "by_engine": row["cycles_by_engine"],
                    "redmule_fraction": row["redmule_fraction"]}
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base-tree", required=True)
    p.add_argument("--batch", type=int, default=20)
    p.add_argument("--builds", default="lenet5/ft-all/siracusa,lenet5/ft-all/siracusa-l1-16k,"
                   "mlp/ft-all/siracusa-l1-16k")
    p.add_argument("--identity-old", default=None)
    p.add_argument("--identity-new", default=None)
    p.add_argument("--estimates-old", default=None)
    p.add_argument("--estimates-new", default=None)
    p.add_argument("-o", dest="output", default=str(ROOT / "tools/bench/results/cost_model.json"))
    opts = p.parse_args()
    result: dict = {"benchmark": "choices moved by the single cost model", "batch": opts.batch}
    result["choices"] = {}
    for build in opts.builds.split(","):
        old, new = run_in(Path(opts.base_tree), build, opts.batch), run_in(ROOT, build,
                                                                           opts.batch)
        result["choices"][build] = differences(old, new)
        d = result["choices"][build]
        print(f"{build}: {d['tiles_moved']} of {d['ops']} tile choices moved, "
              f"{len(d['im2col_flipped'])} of {d['convolutions']} im2col decisions",
              file=sys.stderr)
    if opts.identity_old and opts.identity_new:
        old = json.loads(Path(opts.identity_old).read_text())["builds"]
        new = json.loads(Path(opts.identity_new).read_text())["builds"]
        result.update(identity_changes(old, new))
    before, after = estimates(opts.estimates_old), estimates(opts.estimates_new)
    result["estimates"] = {key: {"before": before[key], "after": after[key],
                                 "ratio": after[key]["cycles"] / before[key]["cycles"]}
                           for key in sorted(before) if key in after}
    Path(opts.output).parent.mkdir(parents=True, exist_ok=True)
    Path(opts.output).write_text(json.dumps(result, indent=2) + "\n")
    print(f"-> {opts.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
