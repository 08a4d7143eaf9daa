"""The GVSoC route of the kernel measurements: choosing it, and the harness
that places each kernel's buffers where the plan puts them (no GVSoC needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgeft.backends import gvsoc as gvsoc_backend
from edgeft.estimate import gvsoc_kernels
from edgeft.estimate.kernels import Kernel
from edgeft.ir.errors import UserError

TEXT = """struct KERNEL_args {
    float *a;
    const float *b;
    float *c;
    long n;
};
static void KERNEL(int core_id, void *arg)
{
    struct KERNEL_args *args = arg;
    (void)core_id;
    args->a[0] = args->b[0] + args->c[0] + (float)args->n;
}
"""


def _kernel(levels: tuple[str, ...], roots: tuple[int, ...], serial: bool = False) -> Kernel:
    fields = (("float", True, 16), ("const float", True, 16), ("float", True, 8),
              ("long", False, 0))
    return Kernel("k0key", TEXT, 8, fields, levels, roots, serial)


def test_harness_places_buffers_by_level_and_shares_views_of_one_buffer() -> None:
    text = gvsoc_kernels.harness([_kernel(("L1", "L2", "L2", ""), (0, 1, 1, -1))])
    assert "args.a = (float *)(pool_L1 + 0);" in text
    # b and c view one L2 buffer: one place, filled by both
    assert "args.b = (const float *)(pool_L2 + 0);" in text
    assert "args.c = (float *)(pool_L2 + 0);" in text
    assert "args.n = 0;" in text
    assert 'measure("k0key", 8, 0, k0, &args);' in text
    assert "EDGEFT_PLACE(L3)" in text and "edgeft_pulp_main" in text


def test_harness_never_stores_to_l3_and_calls_one_core_kernels_directly() -> None:
    text = gvsoc_kernels.harness([_kernel(("L3", "L2", "L1", ""), (0, 1, 2, -1), serial=True)])
    assert "args.a = (float *)(pool_L3 + 0);" in text
    assert "fill_float(pool_L3" not in text and "fill_float(pool_L2 + 0" in text
    assert 'measure("k0key", 8, 1, k0, &args);' in text


def test_harness_refuses_l1_buffers_beyond_the_tcdm() -> None:
    kernel = _kernel(("L1", "L1", "L1", ""), (0, 1, 2, -1))
    big = Kernel(kernel.key, kernel.text, 8, (("float", True, 60_000),) + kernel.fields[1:],
                 kernel.levels, kernel.roots)
    with pytest.raises(UserError, match="L1 buffers take"):
        gvsoc_kernels.harness([big])


def test_route_choices(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(gvsoc_kernels.ROUTE_ENV, raising=False)
    assert gvsoc_kernels.route("qemu") is None
    with pytest.raises(UserError, match="expected one of auto, gvsoc, qemu"):
        gvsoc_kernels.route("spike")
    monkeypatch.setenv(gvsoc_backend.GVSOC_ENV, str(tmp_path / "no-gvsoc"))
    with pytest.raises(UserError, match="GVSoC is not installed"):
        gvsoc_kernels.route("gvsoc")
    assert gvsoc_kernels.route("auto") is None     # not found: the QEMU route
    launcher = tmp_path / "gvsoc"
    launcher.write_text("#!/bin/sh\n")
    monkeypatch.setenv(gvsoc_backend.GVSOC_ENV, str(launcher))
    assert gvsoc_kernels.route("auto") == launcher.resolve()
    monkeypatch.setenv(gvsoc_kernels.ROUTE_ENV, "qemu")   # the environment decides auto
    assert gvsoc_kernels.route("auto") is None
    monkeypatch.setenv(gvsoc_kernels.ROUTE_ENV, "bogus")
    with pytest.raises(UserError, match="EDGEFT_KERNEL_CYCLES"):
        gvsoc_kernels.route("auto")


def test_class_factors_are_the_fit_of_the_stored_points() -> None:
    import importlib.util
    import json

    from edgeft import target
    from edgeft.estimate import kernels

    spec = importlib.util.spec_from_file_location(
        "fit_kernel_classes", Path(__file__).resolve().parents[1] / "tools" / "fit_kernel_classes.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    data = json.loads(target.KERNEL_CLASSES.read_text())
    assert tool.fit(data["points"]) == data["factors"]
    assert set(data["factors"]) <= set(kernels.CLASSES)
    assert {p["case"] for p in data["points"]} == set(data["cases"])
    core = target.siracusa().core
    for name, factor in data["factors"].items():
        assert core.class_factor(name) == factor
    assert core.class_factor(None) == 1.0


def test_core_cycles_takes_the_class_factor() -> None:
    import dataclasses

    from edgeft import target
    from edgeft.target import perf

    t = target.siracusa()
    plain = dataclasses.replace(t, core=dataclasses.replace(t.core, class_factors=()))
    scaled = dataclasses.replace(t, core=dataclasses.replace(t.core,
                                                             class_factors=(("mac", 0.5),)))
    base = perf.core_cycles(plain, 1000, 8, far_loads=10, forked=True, kernel_class="mac")
    assert perf.core_cycles(scaled, 1000, 8, far_loads=10, forked=True,
                            kernel_class="mac") == 0.5 * base
    assert perf.core_cycles(scaled, 1000, 8, far_loads=10, forked=True,
                            kernel_class="copy_l1") == base
