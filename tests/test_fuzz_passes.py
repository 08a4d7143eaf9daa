"""Mutated lit inputs through every edgeft pass: exit 0 or 1, never a traceback.

The lit inputs under lit-tests/ (split at `// -----`) are mutated by a seeded
mutator (lines deleted, duplicated or swapped, characters flipped, the text
truncated, numbers changed, bytes that are not UTF-8 injected, the module
nested deep) and run through edgeft-opt's main() in-process, each case with
one registered pass (in turn) and, some of the time, hostile options. A bad
input must end as a user error (exit 1) or pass (exit 0); an internal error
(exit 2, a traceback) or a crash fails the test.

    EDGEFT_FUZZ_SEED=7 EDGEFT_FUZZ_CASES=5000 .venv/bin/pytest tests/test_fuzz_passes.py -x -q

reruns another seed for longer; a failure names the seed and the case, and
`EDGEFT_FUZZ_ONLY=<case>` replays that one case.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
from pathlib import Path

from edgeft.driver import opt
from edgeft.passes import registry

ROOT = Path(__file__).resolve().parents[1]
SEED = int(os.environ.get("EDGEFT_FUZZ_SEED", "20160"))
CASES = int(os.environ.get("EDGEFT_FUZZ_CASES", "500"))
ONLY = os.environ.get("EDGEFT_FUZZ_ONLY")
# Inputs larger than this are skipped: the point is many cases, not big ones.
MAX_INPUT_CHARS = 12_000
NUMBER = re.compile(r"-?\d+")
HOSTILE_NUMBERS = ["0", "-1", "1", "2", "3", "7", "4294967296", "99999999999999999999", "1e-50"]
# Options per pass worth trying besides the defaults (ranges are checked
# before the pass runs, so these mostly give exit 1, some give odd but valid runs).
HOSTILE_OPTIONS = {
    "edgeft-select-trainable": ["strategy=ft-last", "strategy=lp", "strategy=ft-bias",
                                "strategy=ft-2", "strategy=ft-k k=1", "strategy=ft-9"],
    "edgeft-inject-lora": ["targets=lora-last", "targets=lora-1", "targets=fc*",
                           "conv-form=kernel", "rank=1", "alpha=0.5", "seed=4294967295"],
    "edgeft-inject-skip-lora": ["rank=1", "seed=1"],
    "edgeft-sgd": ["momentum=0.9", "lr=1e-30"],
    "edgeft-forward-cache": ["quant=nf4", "samples=1", "quant=nf4 block=2"],
    "edgeft-derive-predict": ["drop-forward=false"],
    "edgeft-tile": ["l1=1024", "redmule-format=fp16"],
    "edgeft-promote": ["l1=1024"],
    "edgeft-offload-redmule": ["format=fp16", "l1=1024", "cores=1"],
    "edgeft-parallelize": ["cores=1", "cores=3"],
    "edgeft-plan-memory": ["l1=1024 l2=1024 l3=1024", "target=host"],
    "edgeft-param-summary": ["format=json"],
}


def corpus() -> list[str]:
    """Every `// -----` chunk of every lit input, small enough to fuzz quickly, in a
    fixed order."""
    chunks = []
    for path in sorted(ROOT.glob("lit-tests/**/*.mlir")):
        text = path.read_text()
        for chunk in opt.SPLIT_MARKER.split(text):
            if chunk.strip() and len(chunk) <= MAX_INPUT_CHARS:
                chunks.append(chunk)
    return chunks


def mutate(text: str, rng: random.Random) -> bytes:
    """Up to three random mutations of `text`, as the bytes of the input file."""
    lines = text.splitlines(keepends=True) or [""]
    # None: one pass's input through another pass, as it is.
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        kind = rng.choice(["delete", "duplicate", "swap", "flip", "truncate", "number",
                           "number", "bytes", "nest"])
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        if kind == "delete" and len(lines) > 1:
            del lines[i]
        elif kind == "duplicate":
            lines.insert(j, lines[i])
        elif kind == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "flip" and lines[i]:
            k = rng.randrange(len(lines[i]))
            lines[i] = lines[i][:k] + rng.choice('{}()[]<>"%@:,=-x0 \\') + lines[i][k + 1:]
        elif kind == "truncate":
            joined = "".join(lines)
            lines = [joined[:rng.randrange(len(joined) + 1)]]
        elif kind == "number":
            numbers = list(NUMBER.finditer(lines[i]))
            if numbers:
                m = rng.choice(numbers)
                lines[i] = lines[i][:m.start()] + rng.choice(HOSTILE_NUMBERS) + lines[i][m.end():]
        elif kind == "nest":
            depth = rng.choice([2, 50, opt.MAX_NESTING - 2, opt.MAX_NESTING + 1])
            lines = ["module {\n" * depth, *lines, "\n}" * depth, "\n"]
        elif kind == "bytes":
            raw = "".join(lines).encode("utf-8", "surrogateescape")
            k = rng.randrange(len(raw) + 1)
            raw = raw[:k] + rng.choice([b"\xff", b"\xc3", b"\x80\x80", b"\x00"]) + raw[k:]
            lines = [raw.decode("utf-8", "surrogateescape")]
    return "".join(lines).encode("utf-8", "surrogateescape")


def run_opt(argv: list[str]) -> tuple[int, str]:
    """edgeft-opt's main() in this process: its exit code and stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = opt.main(argv)
    return code, err.getvalue()


def test_mutated_inputs_through_every_pass(tmp_path: Path) -> None:
    print(f"fuzz seed {SEED}, {CASES} cases")
    inputs = corpus()
    passes = sorted(registry.PASSES)
    assert inputs and passes
    source = tmp_path / "case.mlir"
    for case in range(CASES):
        if ONLY is not None and case != int(ONLY):
            continue
        rng = random.Random(f"{SEED}:{case}")
        data = mutate(rng.choice(inputs), rng)
        argument = passes[case % len(passes)]
        options = rng.choice(HOSTILE_OPTIONS.get(argument, [""]) + [""])
        pipeline = f"{argument}{{{options}}}" if options else argument
        source.write_bytes(data)
        code, stderr = run_opt([str(source), "-p", pipeline, "-o", str(tmp_path / "out.mlir")])
        replay = (f"EDGEFT_FUZZ_SEED={SEED} EDGEFT_FUZZ_ONLY={case} (pass {pipeline!r}); "
                  f"input:\n{data[:3000]!r}\nstderr:\n{stderr[-3000:]}")
        assert code in (0, 1), replay
        assert "Traceback" not in stderr and "internal error" not in stderr, replay
