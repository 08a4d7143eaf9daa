"""siracusa's default L2 budget: the shared L2 minus the program's image.

The parts the footprint counts exactly are checked against the C the build
holds (weights.c's arrays, the I/O buffers of runtime/pulp/main.c and
network.c); the code estimate against the image the gvsoc backend links;
an explicit --l2 is the budget as given.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from edgeft.backends import gvsoc
from edgeft.driver.compiler import CompileOptions, compile_model, write_build
from edgeft.ir.errors import UserError
from edgeft.target import SHARED_L2_BYTES

ELEMENT_BYTES = {"unsigned char": 1, "float": 4, "double": 8, "int64_t": 8, "int32_t": 4,
                 "bool": 1}
L2_START, L2_END = 0x1C010000, 0x1C010000 + SHARED_L2_BYTES   # runtime/pulp/link.ld


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """lenet5 ft-last, batch 4, siracusa without --l2."""
    out = tmp_path_factory.mktemp("ft-last")
    options = CompileOptions(strategy="ft-last", batch=4, target="siracusa", estimate=False)
    write_build(compile_model("lenet5", options), out)
    return out


def _weights_bytes(weights_c: str) -> int:
    """The bytes of every array weights.c defines."""
    arrays = re.findall(r"^const (unsigned char|float|double|int64_t|int32_t|bool) \w+\[(\d+)\]",
                        weights_c, re.M)
    assert arrays, "weights.c defines no arrays"
    return sum(ELEMENT_BYTES[c] * int(n) for c, n in arrays)


def test_initial_values_are_weights_c(build: Path) -> None:
    budget = json.loads((build / "report.json").read_text())["memory"]["l2_budget"]
    assert budget["source"] == "footprint"
    assert budget["footprint"]["initial_values"] == _weights_bytes(
        (build / "weights.c").read_text())


def test_io_buffers_and_input_are_one_batch(build: Path) -> None:
    report = json.loads((build / "report.json").read_text())
    budget = report["memory"]["l2_budget"]
    info = json.loads((build / "program.json").read_text())
    batch, sample, classes = info["batch"], math.prod(info["sample_shape"]), info["classes"]
    # main.c: float x[], int32 y[], float logits[]; network.c: int64 labels[]
    assert budget["footprint"]["io_buffers"] == 4 * batch * sample + 4 * batch \
        + 4 * batch * classes + 8 * batch
    # an int32 step count; per plain step an int32 kind, x and int32 labels
    per_step = 4 + 4 * batch * sample + 4 * batch
    assert budget["footprint"]["input"] == 4 + budget["input_steps"] * per_step
    assert info["l2_budget"]["input"] == budget["footprint"]["input"]


def test_the_budget_is_the_shared_l2_minus_the_footprint(build: Path) -> None:
    memory = json.loads((build / "report.json").read_text())["memory"]
    budget = memory["l2_budget"]
    assert budget["physical_bytes"] == SHARED_L2_BYTES
    assert budget["footprint_bytes"] == sum(budget["footprint"].values())
    assert budget["bytes"] == (SHARED_L2_BYTES - budget["footprint_bytes"]) // 64 * 64
    assert memory["budget_bytes"]["L2"] == budget["bytes"]
    assert memory["peak_bytes"]["L2"] <= budget["bytes"]
    assert 'edgeft.l2_budget = {bytes = ' + str(budget["bytes"]) in \
        (build / "lowered.mlir").read_text()


def test_the_estimate_covers_the_linked_image(build: Path) -> None:
    """What the gvsoc backend links into the shared L2 besides the arena (an
    empty input) stays within the footprint's estimate of it."""
    from elftools.elf.elffile import ELFFile  # the gvsoc extra's pyelftools

    out = build / "gvsoc"
    out.mkdir(exist_ok=True)
    objects = gvsoc.compile_objects(build, out)
    (out / "edgeft_in.bin").write_bytes(np.int32(0).tobytes())
    elf = gvsoc.link(objects, out, out / "size.elf")
    with elf.open("rb") as f:
        linked = sum(s["sh_size"] for s in ELFFile(f).iter_sections()
                     if s["sh_flags"] & 2 and L2_START <= s["sh_addr"] < L2_END)   # SHF_ALLOC
    memory = json.loads((build / "report.json").read_text())["memory"]
    image = linked - memory["peak_bytes"]["L2"]
    estimate = memory["l2_budget"]["footprint_bytes"] - memory["l2_budget"]["footprint"]["input"]
    assert image <= estimate
    # the estimate is a reserve, not a guess far off: within its slack and 2 %
    assert estimate - image <= memory["l2_budget"]["footprint"]["slack"] + 0.02 * image


def test_too_large_an_input_names_the_steps_that_fit(build: Path) -> None:
    out = build / "gvsoc"
    objects = gvsoc.compile_objects(build, out)
    (out / "edgeft_in.bin").write_bytes(bytes(SHARED_L2_BYTES))
    budget = json.loads((build / "program.json").read_text())["l2_budget"]
    with pytest.raises(UserError, match=r"run at most 3 steps at once \(edgeft run --steps 3\)"):
        gvsoc.link(objects, out, out / "big.elf", (budget["input"], budget["input_steps"]))


def test_an_explicit_l2_is_kept(tmp_path: Path) -> None:
    options = CompileOptions(strategy="ft-last", batch=4, target="siracusa", l2=600_000,
                             estimate=False)
    write_build(compile_model("lenet5", options), tmp_path)
    memory = json.loads((tmp_path / "report.json").read_text())["memory"]
    assert memory["budget_bytes"]["L2"] == 600_000
    assert memory["l2_budget"] == {"bytes": 600_000, "source": "--l2"}
    assert "edgeft.l2_budget" not in (tmp_path / "lowered.mlir").read_text()
    assert "l2_budget" not in json.loads((tmp_path / "program.json").read_text())
