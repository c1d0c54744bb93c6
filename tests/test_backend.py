"""The kernel seam: the backend under test is the one asked for, and both agree with the reference."""

from __future__ import annotations

import os

import numpy as np
import pytest
from tinygrad_vn.kernels import reference

import tinygrad_vn as tg
from tinygrad_vn import backend


def test_the_suite_runs_on_the_requested_backend(pytestconfig: pytest.Config) -> None:
    requested = pytestconfig.getoption("--backend") or os.environ.get("TINYGRAD_VN_BACKEND", "numba")
    assert tg.get_backend() == requested.strip().lower()


def test_unknown_backends_are_refused() -> None:
    with pytest.raises(ValueError, match="numba, numpy"):
        tg.set_backend("cuda")


def test_set_backend_switches_the_kernels_ops_call() -> None:
    original = tg.get_backend()
    x = tg.Tensor(np.linspace(-3, 3, 7), requires_grad=True)
    try:
        results = {}
        for name in backend.BACKENDS:
            tg.set_backend(name)
            assert tg.get_backend() == name
            y = x.sigmoid()
            x.zero_grad()
            y.sum().backward()
            results[name] = (y.data.copy(), x.grad.data.copy())
    finally:
        tg.set_backend(original)
    for value, grad in results.values():
        np.testing.assert_allclose(value, results["numpy"][0], rtol=1e-12)
        np.testing.assert_allclose(grad, results["numpy"][1], rtol=1e-12)


def test_every_kernel_resolves_on_the_active_backend() -> None:
    names = [n for n in dir(reference) if not n.startswith("_") and callable(getattr(reference, n))
             and getattr(reference, n).__module__ == reference.__name__]
    assert {"matmul", "sigmoid", "softmax", "cross_entropy", "cross_entropy_backward"} <= set(names)
    for name in names:
        assert callable(getattr(backend.kernels, name))
    with pytest.raises(AttributeError, match="no kernel"):
        backend.kernels.no_such_kernel  # noqa: B018
