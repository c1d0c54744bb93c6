"""The kernel seam: the backend under test is the one asked for, and both agree with the reference."""

from __future__ import annotations

import os

import numpy as np
import pytest
from tinygrad_vn.kernels import reference

import tinygrad_vn as tg
from tinygrad_vn import backend
from tinygrad_vn import functional as F


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


def _mlp_loss_and_grads(backend_name: str, sizes: tuple[int, int, int, int], corrupt: str
                        ) -> tuple[float, list[np.ndarray]]:
    """Loss and parameter gradients of a Linear-ReLU-Linear MLP with one NaN pixel or one NaN weight."""
    batch, n_in, hidden, n_out = sizes
    tg.set_backend(backend_name)
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Linear(n_in, hidden), tg.nn.ReLU(), tg.nn.Linear(hidden, n_out))
    pixels = np.random.default_rng(0).random((batch, n_in)).astype(np.float32)
    if corrupt == "pixel":
        pixels[1, 3] = np.nan
    else:
        model[0].weight.data[3, 5] = np.nan
    loss = F.cross_entropy(model(tg.Tensor(pixels)), np.arange(batch) % n_out)
    loss.backward()
    return loss.item(), [p.grad.data.copy() for p in model.parameters()]


@pytest.mark.parametrize("corrupt", ["pixel", "weight"])
@pytest.mark.parametrize("sizes", [(4, 16, 32, 10), (8, 784, 128, 10)], ids=["small-layer-loop", "blas"])
def test_a_nan_pixel_or_weight_makes_the_mlp_loss_nan_on_every_backend(sizes: tuple[int, int, int, int],
                                                                       corrupt: str) -> None:
    """As in PyTorch: a NaN reaching the (fused) Linear+ReLU is not turned into 0 and a finite loss."""
    original = tg.get_backend()
    try:
        results = {name: _mlp_loss_and_grads(name, sizes, corrupt) for name in backend.BACKENDS}
    finally:
        tg.set_backend(original)
    for loss, grads in results.values():
        assert np.isnan(loss)
        for grad, want in zip(grads, results["numpy"][1]):
            np.testing.assert_array_equal(np.isnan(grad), np.isnan(want))
