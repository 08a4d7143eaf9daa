"""Checks shared by the tests of emitted C: two programs agreeing step by step,
and an RV32 (QEMU) run agreeing with the host."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgeft.backends import rv32
from edgeft.backends.host import HostProgram

# RV32 against the host: the same C in float32, but picolibc's expf/logf and
# the RV32 code generation round differently from glibc on x86-64 in the
# last bits (measured: up to 1.4e-7 relative after 3 steps).
RV32_REL_TOL = 1e-5


def same_two_steps(program: HostProgram, reference: HostProgram, seed: int = 4) -> None:
    """Two steps and a prediction from the initial parameters: bit-identical loss,
    parameters and logits (for programs running the same kernels on the same values)."""
    rng = np.random.default_rng(seed)
    program.init()
    reference.init()
    batch = reference.info.batch
    shape = (batch, *reference.info.sample_shape)
    for _ in range(2):
        x, y = rng.random(shape).astype(np.float32), rng.integers(0, 10, batch)
        assert program.train_step(x, y) == reference.train_step(x, y)
    for name, value in reference.parameters().items():
        np.testing.assert_array_equal(program.parameters()[name], value, err_msg=name)
    x = rng.random(shape).astype(np.float32)
    np.testing.assert_array_equal(program.predict(x), reference.predict(x))


def rv32_equals_host(build: Path, steps: list, seed: int = 5) -> rv32.Rv32Result:
    """Run `steps` random batches on the host and under QEMU; losses and every
    parameter agree within RV32_REL_TOL. Returns the QEMU result."""
    host = HostProgram.build(build)
    host.init()
    rng = np.random.default_rng(seed)
    batch = host.info.batch
    batches = [(rng.random((batch, *host.info.sample_shape)).astype(np.float32),
                rng.integers(0, 10, batch)) for _ in range(steps)]
    expected = [host.train_step(x, y) for x, y in batches]
    result = rv32.run_steps(build, batches)
    np.testing.assert_allclose(result.losses, expected, rtol=RV32_REL_TOL)
    for name, value in host.parameters().items():
        np.testing.assert_allclose(result.parameters[name], value, rtol=0,
                                   atol=RV32_REL_TOL * np.abs(value).max(), err_msg=name)
    return result
